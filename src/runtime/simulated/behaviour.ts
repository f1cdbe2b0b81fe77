/**
 * How a simulated game server behaves: boot time, crashes, stubbornness, health. Defaults come
 * from the runtime's options; a build overrides them with `--sim-*` arguments, so "a build that
 * crashes on boot one time in three" is data in a manifest, not code. Other arguments are
 * ignored: any real build's manifest runs unchanged under the simulated runtime.
 */

export interface GameServerBehaviour {
  /** Boot time before the server calls `ready`, uniform in [min, max] ms. */
  startLatencyMs: { min: number; max: number };
  /** Probability that a server exits during boot, before `ready`. */
  crashAtStart: number;
  /** Crashes per server-hour once Ready (a Poisson process); 0 never. */
  crashesPerHour: number;
  /** A crash exits with one of these codes. */
  exitCodes: number[];
  /** Probability that a server ignores SIGTERM and is only ended by SIGKILL after the grace period. */
  ignoreSigterm: number;
  /** SIGTERM → clean exit (code 0) after this long. */
  drainMs: number;
  /** Health ping period. */
  healthIntervalMs: number;
  /** Health stalls per server-hour (a hang during which no ping leaves); 0 never. */
  stallsPerHour: number;
  /** How long a health stall lasts. */
  stallMs: number;
  /** After the control plane comes back, the watch stream reconnects within [min, max] ms. */
  reconnectMs: { min: number; max: number };
  /** How long a call that changes state keeps retrying while the control plane is unreachable (the SDK's delivery window). */
  deliveryWindowMs: number;
  /** How long a player's join (`sessionStarted`) is retried while the control plane is unreachable. */
  joinRetryWindowMs: number;
}

export const DEFAULT_BEHAVIOUR: GameServerBehaviour = {
  startLatencyMs: { min: 500, max: 2_000 },
  crashAtStart: 0,
  crashesPerHour: 0,
  exitCodes: [1],
  ignoreSigterm: 0,
  drainMs: 100,
  healthIntervalMs: 2_000,
  stallsPerHour: 0,
  stallMs: 5_000,
  reconnectMs: { min: 100, max: 2_000 },
  deliveryWindowMs: 10 * 60_000,
  joinRetryWindowMs: 5_000,
};

type Parser = (value: string, b: GameServerBehaviour) => void;

const probability = (key: 'crashAtStart' | 'ignoreSigterm'): Parser => (v, b) => {
  b[key] = number(v, 0, 1);
};
const nonNegative = (key: 'crashesPerHour' | 'drainMs' | 'stallsPerHour' | 'stallMs' | 'deliveryWindowMs' | 'joinRetryWindowMs'): Parser => (v, b) => {
  b[key] = number(v, 0, Infinity);
};
const range = (key: 'startLatencyMs' | 'reconnectMs'): Parser => (v, b) => {
  const [lo = '', hi = lo] = v.split('-');
  const min = number(lo, 0, Infinity);
  const max = number(hi, min, Infinity);
  b[key] = { min, max };
};

const FLAGS: Record<string, Parser> = {
  'start-latency-ms': range('startLatencyMs'),
  'crash-at-start': probability('crashAtStart'),
  'crashes-per-hour': nonNegative('crashesPerHour'),
  'exit-codes': (v, b) => {
    b.exitCodes = v.split(',').map((c) => number(c, 1, 255));
  },
  'ignore-sigterm': probability('ignoreSigterm'),
  'drain-ms': nonNegative('drainMs'),
  'health-interval-ms': (v, b) => {
    b.healthIntervalMs = number(v, 1, Infinity);
  },
  'stalls-per-hour': nonNegative('stallsPerHour'),
  'stall-ms': nonNegative('stallMs'),
  'reconnect-ms': range('reconnectMs'),
  'delivery-window-ms': nonNegative('deliveryWindowMs'),
  'join-retry-window-ms': nonNegative('joinRetryWindowMs'),
};

/** The flag names a build may pass, without the `--sim-` prefix. */
export const BehaviourFlags = Object.keys(FLAGS);

/**
 * The defaults overridden by the build's `--sim-NAME=VALUE` arguments. Throws a RangeError
 * naming the argument when one is unknown or out of range.
 */
export function behaviourFromArgs(defaults: GameServerBehaviour, args: readonly string[]): GameServerBehaviour {
  const b: GameServerBehaviour = { ...defaults, startLatencyMs: { ...defaults.startLatencyMs }, reconnectMs: { ...defaults.reconnectMs }, exitCodes: [...defaults.exitCodes] };
  for (const arg of args) {
    if (!arg.startsWith('--sim-')) continue;
    const eq = arg.indexOf('=');
    const name = arg.slice('--sim-'.length, eq < 0 ? undefined : eq);
    const parse = Object.hasOwn(FLAGS, name) ? FLAGS[name] : undefined;
    if (!parse) throw new RangeError(`unknown simulation argument ${arg} (known: ${BehaviourFlags.map((f) => `--sim-${f}`).join(', ')})`);
    if (eq < 0) throw new RangeError(`${arg} needs a value: --sim-${name}=VALUE`);
    try {
      parse(arg.slice(eq + 1), b);
    } catch (e) {
      throw new RangeError(`${arg}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return b;
}

function number(text: string, min: number, max: number): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new RangeError(`expected a number in [${min}, ${max}], got "${text}"`);
  }
  return n;
}
