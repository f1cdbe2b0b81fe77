/**
 * The allocation load of examples/ha/patroni-drill.sh: `--workers N` matchmakers allocate on
 * `--fleet` through `handoff/client` (retries and idempotency keys, as a real matchmaker would)
 * until SIGTERM, then print one JSON line: allocations answered, failed (after the client's own
 * retries), and the timestamps of every success, so the drill can measure each failover's gap.
 */
import { HandoffClient } from '../../src/client/index.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const urls = arg('urls', process.env['HANDOFF_URL'] ?? 'http://127.0.0.1:7350');
const fleet = arg('fleet', 'arena');
const workers = Number(arg('workers', '4'));

const client = new HandoffClient({ urls, retry: { budgetMs: 60_000 } });
const successes: number[] = [];
const failures: { at: number; error: string }[] = [];
let stopping = false;

async function worker(w: number): Promise<void> {
  for (let n = 0; !stopping; n++) {
    try {
      await client.allocate({ fleet, playerId: `drill-${process.pid}-${w}-${n}` });
      successes.push(Date.now());
    } catch (e) {
      failures.push({ at: Date.now(), error: e instanceof Error ? `${(e as { code?: string }).code ?? e.name}: ${e.message}` : String(e) });
    }
  }
}

const running = Array.from({ length: workers }, (_, w) => worker(w));
process.once('SIGTERM', () => {
  stopping = true;
  void Promise.all(running).then(() => {
    process.stdout.write(`${JSON.stringify({ ok: successes.length, failed: failures.length, failures: failures.slice(0, 20), successes })}\n`);
    process.exit(0);
  });
});
