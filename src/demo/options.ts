/**
 * `npm start` flags, compiled once into resolved options (defaults filled, numbers checked), so
 * a typo fails before any process starts instead of after a minute of demo.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';

/** The strategies the demo can release with; each has a scenario in `scenarios/`. */
export const DemoStrategies = ['blue-green', 'rolling', 'canary', 'ab-test', 'maintenance', 'dynamic-pool'] as const;
export type DemoStrategy = (typeof DemoStrategies)[number];

/** `arena`: one fleet, one release under `--strategy`. `mmorpg`: four services, one release plan (examples/mmorpg). */
export const DemoScenarios = ['arena', 'mmorpg'] as const;
export type DemoScenario = (typeof DemoScenarios)[number];

/** Where a canary runs: servers started beside the old build's, or old servers replaced in place. */
export const CanaryServers = ['new', 'in-place'] as const;
export type CanaryServerMode = (typeof CanaryServers)[number];

/** Relative to the repository root. */
export const DEFAULT_DATA_DIR = '.handoff/demo';

export interface DemoOptions {
  scenario: DemoScenario;
  strategy: DemoStrategy;
  /** The canary's `servers` (only with `--strategy canary`). */
  canaryServers: CanaryServerMode;
  /** End after the summary (exit status 1 when anyone was interrupted without notice). */
  exit: boolean;
  /** The summary as JSON on stdout; the live view goes to stderr. */
  json: boolean;
  players: number;
  /** API port; 0 picks a free one. */
  port: number;
  releaseAfterMs: number;
  /** Absolute. Wiped at start, so only the default or a directory the demo made is accepted (see `run.ts`). */
  dataDir: string;
  /** Ports handed to game servers; null = the control plane's default. */
  gamePorts: { from: number; to: number } | null;
  /** Release a faulty v2 (canary only): the canary's analysis must roll it back. */
  faultyBuild: boolean;
  help: boolean;
}

/** A flag the demo cannot run with: the message says which and why. Exit status 2. */
export class DemoUsageError extends Error {
  override readonly name = 'DemoUsageError';
}

export const demoUsage = `usage: npm start -- [--scenario NAME] [--strategy NAME] [--exit] [--json] [--players N] [--port N]
                    [--release-after SECONDS] [--data-dir DIR] [--game-ports FROM-TO] [--faulty-build]
  --scenario NAME        arena (one fleet, one release under --strategy; the default) or mmorpg (four
                         services of examples/mmorpg released by one release plan; --strategy is ignored)
  --strategy NAME        the release strategy: ${DemoStrategies.join(', ')} (default blue-green)
  --canary-servers MODE  with --strategy canary: new (default) or in-place (old servers replaced)
  --exit                 end after the summary; exit 1 if a session was interrupted without notice
  --json                 print the summary as JSON on stdout (the live view goes to stderr)
  --players N            simulated players (default 24)
  --port N               API port, 0 = any free one (default 7350)
  --release-after S      seconds of play before the release starts (default 8)
  --data-dir DIR         the demo's own data directory, wiped at start (default .handoff/demo)
  --game-ports FROM-TO   ports for game servers (default the control plane's 7400-7999)
  --faulty-build         with --strategy canary: v2 crashes, ends sessions in error and ticks
                         slowly; the canary's analysis must roll it back (exit 0 only if it did)`;

/** Parses `argv` (without node and the script). Throws DemoUsageError on anything it cannot use. */
export function parseDemoOptions(argv: readonly string[], root: string): DemoOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        scenario: { type: 'string', default: 'arena' },
        strategy: { type: 'string', default: 'blue-green' },
        'canary-servers': { type: 'string' },
        exit: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        players: { type: 'string', default: '24' },
        port: { type: 'string', default: '7350' },
        'release-after': { type: 'string', default: '8' },
        'data-dir': { type: 'string', default: DEFAULT_DATA_DIR },
        'game-ports': { type: 'string' },
        'faulty-build': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    // node:util's messages name the flag ("Unknown option '--strat'"); keep them.
    throw new DemoUsageError(e instanceof Error ? e.message : String(e));
  }
  const str = (k: string): string => String(values[k]);
  const strategy = strategyOf(str('strategy'));
  const faultyBuild = values['faulty-build'] === true;
  if (faultyBuild && strategy !== 'canary') throw new DemoUsageError(`--faulty-build runs with --strategy canary (its analysis step is what rolls the faulty build back), not ${strategy}`);
  return {
    scenario: scenarioOf(str('scenario')),
    strategy,
    canaryServers: values['canary-servers'] === undefined ? 'new' : canaryServersOf(strategy, str('canary-servers')),
    exit: values['exit'] === true,
    json: values['json'] === true,
    players: integer('--players', str('players'), 1, 10_000),
    port: integer('--port', str('port'), 0, 65_535),
    releaseAfterMs: integer('--release-after', str('release-after'), 0, 3_600) * 1000,
    dataDir: path.resolve(root, str('data-dir')),
    gamePorts: values['game-ports'] === undefined ? null : portRange(str('game-ports')),
    faultyBuild,
    help: values['help'] === true,
  };
}

function scenarioOf(raw: string): DemoScenario {
  const found = DemoScenarios.find((s) => s === raw);
  if (found) return found;
  throw new DemoUsageError(`unknown scenario "${raw}"; use one of: ${DemoScenarios.join(', ')}`);
}

function strategyOf(raw: string): DemoStrategy {
  const found = DemoStrategies.find((s) => s === raw);
  if (found) return found;
  throw new DemoUsageError(`unknown strategy "${raw}"; use one of: ${DemoStrategies.join(', ')}`);
}

function canaryServersOf(strategy: DemoStrategy, raw: string): CanaryServerMode {
  // A flag that would silently do nothing is a typo's best hiding place.
  if (strategy !== 'canary') throw new DemoUsageError(`--canary-servers applies to --strategy canary, not ${strategy}`);
  const found = CanaryServers.find((m) => m === raw);
  if (found) return found;
  throw new DemoUsageError(`--canary-servers must be one of: ${CanaryServers.join(', ')}, got "${raw}"`);
}

function integer(flag: string, raw: string, min: number, max: number): number {
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new DemoUsageError(`${flag} must be a whole number from ${min} to ${max}, got "${raw}"`);
  return n;
}

function portRange(raw: string): { from: number; to: number } {
  const m = /^(\d+)-(\d+)$/.exec(raw);
  const [from, to] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!(from >= 1 && to <= 65_535 && from <= to)) throw new DemoUsageError(`--game-ports must look like 7400-7999, got "${raw}"`);
  return { from, to };
}
