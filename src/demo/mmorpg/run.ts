/**
 * `npm start -- --scenario mmorpg`: the whole-game release. A control plane, the four services
 * of `examples/mmorpg/game.yaml` (world servers, payments, raid instances, the hub) as real
 * processes, simulated players on every fleet with sessions, a shop charging through payments'
 * endpoints, and then `examples/mmorpg/release.yaml` applied as one release plan. The demo's
 * operator approves the gate the plan waits at. One summary per service, then the plan's.
 * Wiring only: the verdicts live in `decide-session.ts` and `summary.ts`.
 */
import { readFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { manifestToApplyRequest, type ManifestObject } from '../../cli/manifest.js';
import { SystemClock } from '../../core/clock.js';
import { startControlPlane } from '../../server/compose.js';
import { tallySessions } from '../decide-session.js';
import type { DemoOptions } from '../options.js';
import { PlayerPool } from '../player.js';
import type { DemoIo } from '../run.js';
import { httpApi, prepareDataDir, sessionHistory } from '../run.js';
import { SessionLog } from '../session-log.js';
import { PaymentsClient } from './payments-client.js';
import { formatMmorpg, mmorpgJson, summarizeMmorpg, type MmorpgInput } from './summary.js';

/** The fleets players play on, and their share of the players. */
const PLAYED = [['world', 0.5], ['raids', 0.25], ['hub', 0.25]] as const;
/** How far ahead the hub's maintenance window starts: its 10 s notice reaches players first. */
const WINDOW_IN_MS = 12_000;
const TIMEOUT_MS = 600_000;
const TERMINAL = ['Completed', 'Failed', 'RolledBack', 'Aborted'];

export async function runMmorpg(opts: DemoOptions, root: string, io: DemoIo): Promise<number> {
  prepareDataDir(opts.dataDir, root);
  const clock = new SystemClock();
  const logFile = path.join(path.dirname(opts.dataDir), `${path.basename(opts.dataDir)}-control-plane.log`);
  const cp = await startControlPlane(
    { dataDir: opts.dataDir, port: opts.port, sdkPort: 0, cwd: root, ...(opts.gamePorts ? { portRange: opts.gamePorts } : {}) },
    { clock, log: (line) => void appendFile(logFile, `${new Date().toISOString()} ${line}\n`) },
  );
  const api = httpApi(cp.url);
  const pools = new Map<string, { pool: PlayerPool; log: SessionLog }>();
  const shop = new PaymentsClient({ apiUrl: cp.url, fleet: 'payments', intervalMs: 100, sleep: (ms) => sleep(ms) });
  let shopping = false;
  try {
    io.view(`Handoff demo: the MMORPG — control plane ${cp.url} (try: HANDOFF_URL=${cp.url} ./bin/handoff release status mmorpg-2)`);
    const game = manifestToApplyRequest(readFileSync(path.join(root, 'examples/mmorpg/game.yaml'), 'utf8'), 'examples/mmorpg/game.yaml');
    await api.call('POST', '/v1/apply', { ...game, builds: game.builds.map(withThisNode) });
    io.view('applied examples/mmorpg/game.yaml: world, payments, raids and hub on version 1; waiting for servers…');
    for (const f of game.fleets) {
      const min = Number((f['capacity'] as { minServers?: number } | undefined)?.minServers ?? 1);
      while ([...cp.world.fleetServers(String(f['name']))].filter((s) => s.state === 'Ready').length < min) await sleep(200);
    }

    for (const [fleet, share] of PLAYED) {
      const pool = new PlayerPool({ apiUrl: cp.url, fleet, players: Math.max(1, Math.round(opts.players * share)), idPrefix: fleet, clientVersion: '1.2.0', minPlayMs: 2000, maxPlayMs: 8000, minPauseMs: 300, maxPauseMs: 1500 });
      const log = new SessionLog(() => clock.now());
      pool.on(log.record);
      pool.start();
      pools.set(fleet, { pool, log });
    }
    await shop.start();
    shopping = true;
    io.view(`${opts.players} players on world, raids and hub; a shop charging through payments' endpoints`);
    await sleep(opts.releaseAfterMs);

    const plan = releasePlan(root, clock.now() + WINDOW_IN_MS);
    io.view(`▶ applying release plan ${String(plan['name'])} (examples/mmorpg/release.yaml): payments → world → [approval] raids, hub in a maintenance window`);
    await api.call('POST', '/v1/releases', plan);
    const { release, timedOut } = await follow(api, String(plan['name']), io, clock);

    const services: MmorpgInput['services'] = [];
    for (const [fleet, { pool, log }] of pools) {
      services.push({ fleet, tally: tallySessions(log.join(await sessionHistory(api, cp, fleet))), players: pool.stats().total });
    }
    const summary = summarizeMmorpg({ plan: release as unknown as MmorpgInput['plan'], timedOut, services, payments: { fleet: 'payments', stats: shop.stats } });
    if (opts.json) {
      io.view(formatMmorpg(summary));
      io.out(JSON.stringify(mmorpgJson(summary), null, 2));
    } else {
      io.out(formatMmorpg(summary));
    }
    if (opts.exit) {
      const code = summary.passed ? 0 : 1;
      io.verdict?.(code);
      return code;
    }
    io.view(`\nStill serving at ${cp.url}. Ctrl-C to stop.`);
    await io.interrupted();
    return 0;
  } finally {
    io.view('stopping players and game servers…');
    if (shopping) await shop.stop();
    await Promise.all([...pools.values()].map((p) => p.pool.stop()));
    await cp.close({ stopServers: true });
  }
}

/** The example's builds name `node`; the demo runs them with the Node that runs it. */
function withThisNode(b: ManifestObject): ManifestObject {
  const launch = b['launch'] as Record<string, unknown>;
  return { ...b, launch: { ...launch, executable: launch['executable'] === 'node' ? process.execPath : launch['executable'] } };
}

/** The example plan, its maintenance window moved to `startsAt`. */
function releasePlan(root: string, startsAt: number): ManifestObject {
  const parsed = manifestToApplyRequest(readFileSync(path.join(root, 'examples/mmorpg/release.yaml'), 'utf8'), 'examples/mmorpg/release.yaml');
  const plan = parsed.releasePlans?.[0];
  if (!plan) throw new Error('examples/mmorpg/release.yaml has no ReleasePlan');
  const steps = (plan['steps'] as ManifestObject[]).map((s) => (s['strategy'] === 'maintenance' ? { ...s, startsAt } : s));
  return { ...plan, steps };
}

/** Polls the plan to its end, saying each step's move and approving a gate as the operator would. */
async function follow(api: ReturnType<typeof httpApi>, name: string, io: DemoIo, clock: SystemClock): Promise<{ release: Record<string, unknown>; timedOut: boolean }> {
  const seen = new Map<string, string>();
  const deadline = clock.now() + TIMEOUT_MS;
  for (;;) {
    const release = await api.call('GET', `/v1/releases/${name}`);
    for (const s of release['steps'] as { name: string; phase: string; message: string; gate: { kind: string; state: string } | null }[]) {
      if (seen.get(s.name) !== s.phase) io.view(`  step ${s.name}: ${s.phase}${s.message ? ` — ${s.message}` : ''}`);
      seen.set(s.name, s.phase);
      if (s.phase === 'Gated' && s.gate?.kind === 'approval' && s.gate.state === 'waiting') {
        io.view(`  operator: approving step ${s.name} (handoff release approve ${name} --step ${s.name})`);
        await api.call('POST', `/v1/releases/${name}/approve`, { step: s.name });
      }
    }
    if (TERMINAL.includes(String(release['phase']))) return { release, timedOut: false };
    if (clock.now() > deadline) return { release, timedOut: true };
    await sleep(500);
  }
}
