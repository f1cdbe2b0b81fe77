/**
 * One demo run: a control plane on its own data directory, a fleet of the Arena example game,
 * simulated players, and one release under the chosen strategy's scenario; then the summary.
 * Wiring only: the decisions live in the scenarios and in `decide-session.ts`.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SystemClock } from '../core/clock.js';
import { startControlPlane, type ControlPlane } from '../server/compose.js';
import { lockDataDir } from '../server/data-dir-lock.js';
import { tallySessions } from './decide-session.js';
import { DEFAULT_DATA_DIR, DemoUsageError, type DemoOptions } from './options.js';
import { PlayerPool } from './player.js';
import { demoApply } from './scenario.js';
import { driveRelease, startRelease } from './scenarios/drive.js';
import { phaseOf } from './scenarios/figures.js';
import { scenarioFor } from './scenarios/index.js';
import { ApiError, type DemoApi, type ReleaseEnv } from './scenarios/types.js';
import { SessionLog } from './session-log.js';
import { formatSummary, summarize, summaryJson } from './summary.js';
import { liveLine } from './view.js';

export interface DemoIo {
  /** The result: the summary (text, or JSON with --json). */
  out(text: string): void;
  /** Progress and the live view (stderr with --json, so stdout stays one JSON document). */
  view(line: string): void;
  /** Resolves when the user asks the demo to stop (Ctrl-C). */
  interrupted(): Promise<void>;
  /**
   * With --exit, the exit status as soon as the summary decides it, before players and game
   * servers are stopped: a stop that never settles must not let the process end as a pass.
   */
  verdict?(code: number): void;
}

const FLEET = 'arena';
const [FROM, TO] = ['arena-v1', 'arena-v2'];
/** Marks a directory as the demo's own, so a wipe never hits a directory someone else uses. */
const MARKER = '.handoff-demo';

/** Runs the demo; resolves with the exit status (0 pass, 1 interrupted without notice or not completed). */
export async function runDemo(opts: DemoOptions, root: string, io: DemoIo): Promise<number> {
  prepareDataDir(opts.dataDir, root);
  const clock = new SystemClock();
  const logFile = path.join(path.dirname(opts.dataDir), `${path.basename(opts.dataDir)}-control-plane.log`);
  const cp = await startControlPlane(
    { dataDir: opts.dataDir, port: opts.port, sdkPort: 0, cwd: root, ...(opts.gamePorts ? { portRange: opts.gamePorts } : {}) },
    { clock, log: (line) => void appendFile(logFile, `${new Date().toISOString()} ${line}\n`) },
  );
  let pool: PlayerPool | null = null;
  try {
    const api = httpApi(cp.url);
    io.view(`Handoff demo — control plane ${cp.url} (try: HANDOFF_URL=${cp.url} ./bin/handoff get servers)`);
    await api.call('POST', '/v1/apply', demoApply(root, { faultyBuild: opts.faultyBuild }));
    io.view(`applied builds ${FROM}, ${TO} and fleet ${FLEET} (build ${FROM}); waiting for servers…`);
    while ([...cp.world.fleetServers(FLEET)].filter((s) => s.state === 'Ready').length < 3) await sleep(200);

    const players = new PlayerPool({ apiUrl: cp.url, fleet: FLEET, players: opts.players, clientVersion: '1.2.0', minPlayMs: 2000, maxPlayMs: 8000, minPauseMs: 300, maxPauseMs: 1500 });
    pool = players;
    const log = new SessionLog(() => clock.now());
    players.on(log.record);
    players.start();
    const started = clock.now();
    const live = (): void => io.view(liveLine(cp.world, FLEET, players.stats(), clock.now() - started));
    const ticker = setInterval(live, 1000);
    try {
      await sleep(opts.releaseAfterMs);
      const scenario = scenarioFor(opts.strategy, { canaryServers: opts.canaryServers, faultyBuild: opts.faultyBuild });
      const env: ReleaseEnv = { fleet: FLEET, fromBuild: FROM, toBuild: TO, playerIds: Object.keys(players.stats().byPlayer), now: clock.now() };
      io.view(`▶ releasing ${TO}: ${scenario.headline}${scenario.landed ? '' : ' [depends on the strategy landing]'}`);
      const created = await startRelease(api, scenario, env);
      const releasedAt = clock.now();
      const ctx = { api, rolloutId: String(created['id']), env, say: io.view, now: () => clock.now() };
      const result = await driveRelease(ctx, scenario, { pollMs: 250, timeoutMs: scenario.timeoutMs(env), sleep: (ms) => sleep(ms) });
      if (scenario.settleMs) await sleep(scenario.settleMs);
      clearInterval(ticker);
      live();

      const history = await sessionHistory(api, cp);
      const stats = players.stats().total;
      const figures = scenario.figures({ env, rollout: result.rollout, trace: result.trace, sessions: history, players: stats, startedAt: releasedAt });
      const summary = summarize({
        strategy: opts.strategy,
        rollout: { id: ctx.rolloutId, phase: phaseOf(result.rollout), message: String(result.rollout['message'] ?? '') },
        timedOut: result.timedOut,
        tally: tallySessions(log.join(history)),
        players: stats,
        figures,
        ...(scenario.releaseEnd ? { releaseEnd: scenario.releaseEnd(result.rollout) } : {}),
      });
      if (opts.json) {
        io.view(formatSummary(summary));
        io.out(JSON.stringify(summaryJson(summary), null, 2));
      } else {
        io.out(formatSummary(summary));
      }
      if (opts.exit) {
        const code = summary.passed ? 0 : 1;
        io.verdict?.(code);
        return code;
      }
    } finally {
      clearInterval(ticker);
    }
    io.view(`\nStill serving at ${cp.url} with players playing on ${TO}. Ctrl-C to stop.`);
    const ticker2 = setInterval(live, 5000);
    await io.interrupted();
    clearInterval(ticker2);
    return 0;
  } finally {
    // Also after a refused release: never leave players or game-server processes behind.
    io.view('stopping players and game servers…');
    await pool?.stop();
    await cp.close({ stopServers: true });
  }
}

/**
 * Empties the demo's data directory for a fresh start, but only the default one, one the demo made
 * or an empty one, and never one a running demo still uses (the lock says so).
 */
export function prepareDataDir(dir: string, root: string): void {
  const ours = dir === path.resolve(root, DEFAULT_DATA_DIR) || existsSync(path.join(dir, MARKER));
  if (!ours && existsSync(dir) && readdirSync(dir).length > 0) {
    throw new DemoUsageError(`--data-dir ${dir} is not empty and was not made by the demo; the demo wipes its data directory, so give it its own`);
  }
  mkdirSync(dir, { recursive: true });
  lockDataDir(dir).release();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(path.join(dir, MARKER), 'data directory of `npm start`; wiped at every start\n');
}

/** Every session of the fleet, closed ones included. */
export async function sessionHistory(api: DemoApi, cp: ControlPlane, fleet: string = FLEET) {
  // The API writes pending changes to the store before it answers a listing; the store then
  // has every session (the API itself caps a listing at 1000, fewer than a long demo opens).
  await api.call('GET', `/v1/sessions?fleet=${fleet}&limit=1`);
  const all = await cp.store.listSessions({ fleet, limit: 1_000_000 });
  return all.map((s) => ({ id: s.id, playerId: s.playerId, build: s.build, openedAt: s.openedAt, closedAt: s.closedAt, closeReason: s.closeReason }));
}

export function httpApi(baseUrl: string): DemoApi {
  return {
    async call(method, route, body) {
      const res = await fetch(`${baseUrl}${route}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      if (res.ok) return json;
      const err = (json['error'] ?? {}) as { code?: unknown; message?: unknown; details?: unknown };
      const details = typeof err.details === 'object' && err.details !== null ? (err.details as Record<string, unknown>) : {};
      throw new ApiError(res.status, typeof err.code === 'string' ? err.code : `HTTP_${res.status}`, typeof err.message === 'string' ? err.message : `${method} ${route}`, details);
    },
  };
}
