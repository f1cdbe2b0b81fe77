/**
 * The MMORPG example's payments service: a request/response HTTP service with no player
 * sessions. Its build declares `sessionsPerServer: 0`, so Handoff never allocates players to it;
 * callers find its servers through `GET /v1/fleets/payments/endpoints` (long-polled), and a
 * blue-green release moves them from one version's servers to the other's in one step.
 *
 *   node --import tsx examples/mmorpg/payments.ts --version 1.0.0
 *
 * `POST /charge` (JSON `{player, amount}`) → `200 {ok, version, server}`; `GET /healthz` → 200.
 * On a shutdown notice or SIGTERM it stops taking connections, finishes the requests in flight,
 * and exits: a charge that reached it is answered.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { HandoffSdk } from '../../src/sdk/index.js';

const { values } = parseArgs({ options: { version: { type: 'string', default: '0.0.0' } } });
const version = String(values.version);
const log = (line: string): void => void process.stdout.write(`${new Date().toISOString()} payments ${line}\n`);

async function main(): Promise<void> {
  const sdk = HandoffSdk.fromEnv();
  let charges = 0;
  const http = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/healthz') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, version }));
    if (req.method !== 'POST' || req.url !== '/charge') return void res.writeHead(404).end();
    req.resume();
    req.on('end', () => {
      charges += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, version, server: sdk.serverId }));
    });
  });
  http.listen(sdk.port('http'), '0.0.0.0');
  await once(http, 'listening');
  await sdk.ready();
  const stopHealth = sdk.startHealth(1_000);
  log(`listening port=${sdk.port('http')} version=${version} server=${sdk.serverId}`);

  let closing: Promise<void> | null = null;
  const shutdown = (why: string): Promise<void> => (closing ??= (async () => {
    log(`shutting down: ${why} charges=${charges}`);
    stopHealth();
    watch.close();
    // close() waits for requests in flight; idle keep-alive connections are closed so it can finish.
    const closed = new Promise<void>((resolve) => http.close(() => resolve()));
    http.closeIdleConnections();
    await closed;
    process.exit(0);
  })());
  const watch = sdk.watch((n) => {
    if (n.type === 'shutdown') void shutdown(`shutdown notice graceMs=${n.graceMs}`);
  }, { onError: (e) => log(`watch interrupted error=${e instanceof Error ? e.message : String(e)}`) });
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((e: unknown) => {
  log(`fatal: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
