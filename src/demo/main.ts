/**
 * `npm start`: the demo. Starts the control plane on the embedded default (SQLite under
 * .handoff/demo), a fleet of the Arena example game, simulated players who play and come
 * back, and then a session-aware blue-green release to a second build. Prints a live view
 * and a summary. Flags: --exit (exit after the summary; status 1 if anyone was interrupted),
 * --players N, --port N, --release-after S.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startControlPlane, type ControlPlane } from '../server/compose.js';
import { lockDataDir } from '../server/data-dir-lock.js';
import { PlayerPool } from './player.js';
import { demoApply } from './scenario.js';
import { formatSummary, releaseWasClean, summarize } from './summary.js';
import { liveLine } from './view.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function api(cp: ControlPlane, method: string, route: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${cp.url}${route}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${route} → ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      exit: { type: 'boolean', default: false },
      players: { type: 'string', default: '24' },
      port: { type: 'string', default: '7350' },
      'release-after': { type: 'string', default: '8' },
    },
  });
  const dataDir = path.join(root, '.handoff/demo');
  // Each demo starts fresh, but never wipes the state of a demo that is still running.
  mkdirSync(dataDir, { recursive: true });
  lockDataDir(dataDir).release();
  rmSync(dataDir, { recursive: true, force: true });
  const logFile = path.join(root, '.handoff/demo-control-plane.log');
  const cp = await startControlPlane(
    { dataDir, port: Number(values.port), sdkPort: 0, cwd: root },
    { log: (line) => void appendFile(logFile, `${new Date().toISOString()} ${line}\n`) },
  );
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  out(`Handoff demo — control plane ${cp.url} (try: HANDOFF_URL=${cp.url} ./bin/handoff get servers)`);
  await api(cp, 'POST', '/v1/apply', demoApply(root));
  out('applied builds arena-v1, arena-v2 and fleet arena (build arena-v1); waiting for servers…');
  while ([...cp.world.fleetServers('arena')].filter((s) => s.state === 'Ready').length < 3) await sleep(200);

  const pool = new PlayerPool({ apiUrl: cp.url, fleet: 'arena', players: Number(values.players), clientVersion: '1.2.0', minPlayMs: 2000, maxPlayMs: 8000, minPauseMs: 300, maxPauseMs: 1500 });
  pool.start();
  const started = Date.now();
  const ticker = setInterval(() => out(liveLine(cp.world, 'arena', pool.stats(), Date.now() - started)), 1000);

  await sleep(Number(values['release-after']) * 1000);
  out('▶ releasing arena-v2: blue-green, smoke check GET /healthz, old servers retired 2 s after they empty');
  const rollout = await api(cp, 'POST', '/v1/rollouts', {
    fleet: 'arena', build: 'arena-v2', strategy: 'blue-green', autoPromote: true,
    smoke: { kind: 'http', port: 'game', path: '/healthz' },
    // Announce a deadline to players still on v1 (the arena shows it); migrate stragglers at 60 s.
    drain: { deadlineSeconds: 60, noticeLeadSeconds: 57 }, oldIdleSeconds: 2,
  });
  const id = String(rollout['id']);
  const deadline = Date.now() + 180_000;
  let current = cp.world.rollouts.get(id);
  while (current && !['Completed', 'Aborted', 'Failed'].includes(current.phase) && Date.now() < deadline) {
    await sleep(250);
    current = cp.world.rollouts.get(id);
  }
  clearInterval(ticker);
  out(liveLine(cp.world, 'arena', pool.stats(), Date.now() - started));
  const final = current ?? (await cp.store.getRollout(id));
  if (!final) throw new Error(`rollout ${id} vanished`);
  const history = await cp.store.listSessions({ fleet: 'arena', limit: 100_000 });
  const summary = summarize(final, history, pool.stats().total);
  out(formatSummary(summary));

  const shutdown = async (): Promise<void> => {
    out('stopping players and game servers…');
    await pool.stop();
    await cp.close({ stopServers: true });
  };
  if (values.exit) {
    await shutdown();
    return releaseWasClean(summary) ? 0 : 1;
  }
  out(`\nStill serving at ${cp.url} with players playing on arena-v2. Ctrl-C to stop.`);
  const ticker2 = setInterval(() => out(liveLine(cp.world, 'arena', pool.stats(), Date.now() - started)), 5000);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(ticker2);
  await shutdown();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    // A stack only helps when debugging the demo itself.
    const detail = e instanceof Error ? (process.env['HANDOFF_DEBUG'] ? (e.stack ?? e.message) : e.message) : String(e);
    process.stderr.write(`demo failed: ${detail}\n`);
    process.exit(2);
  },
);
