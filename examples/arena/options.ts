import { parseArgs } from 'node:util';

export interface ArenaOptions {
  /** Label shown to players and on /healthz. */
  version: string;
  /** Exit 1 at once: lets tests and demos register a crash-looping build. */
  crashOnStart: boolean;
  /** Listen but never call `ready()`: a build that never becomes ready. */
  neverReady: boolean;
  reconnectGraceMs: number;
  tickMs: number;
  /**
   * Demo faults, for release analyses to catch. `crashRate`: the chance, per session started,
   * that the process crashes one tick later (exit 70), taking every session on it.
   */
  crashRate: number;
  /** The chance, per session started, that the game ends it in error (a desync) one tick later: reported as `error`, the socket closed with 4003. */
  abnormalCloseRate: number;
  /** Extra milliseconds each tick spends (busy), as a slow build would; every tick's time is reported as `custom.tick_ms`. */
  slowTickMs: number;
}

export const DEFAULT_RECONNECT_GRACE_MS = 5_000;
export const DEFAULT_TICK_MS = 500;

/**
 * Resolves command-line flags and environment into options, validated once at start-up.
 * Throws with a readable message on a bad flag so a misconfigured build fails fast.
 */
export function parseArenaOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ArenaOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      version: { type: 'string' },
      'crash-on-start': { type: 'boolean', default: false },
      'never-ready': { type: 'boolean', default: false },
      'reconnect-grace-ms': { type: 'string' },
      'tick-ms': { type: 'string' },
      'crash-rate': { type: 'string' },
      'abnormal-close-rate': { type: 'string' },
      'slow-tick-ms': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  return {
    version: values.version ?? env.HANDOFF_BUILD_VERSION ?? '0.0.0',
    crashOnStart: values['crash-on-start'] ?? false,
    neverReady: values['never-ready'] ?? false,
    reconnectGraceMs: milliseconds('reconnect-grace-ms', values['reconnect-grace-ms'], DEFAULT_RECONNECT_GRACE_MS, 0),
    tickMs: milliseconds('tick-ms', values['tick-ms'], DEFAULT_TICK_MS, 1),
    crashRate: probability('crash-rate', values['crash-rate']),
    abnormalCloseRate: probability('abnormal-close-rate', values['abnormal-close-rate']),
    slowTickMs: milliseconds('slow-tick-ms', values['slow-tick-ms'], 0, 0),
  };
}

function probability(flag: string, raw: string | undefined): number {
  if (raw === undefined) return 0;
  const n = raw.trim() === '' ? NaN : Number(raw);
  if (!(n >= 0 && n <= 1)) throw new Error(`--${flag} must be a probability from 0 to 1, got "${raw}"`);
  return n;
}

function milliseconds(flag: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} must be an integer >= ${min}, got "${raw}"`);
  return n;
}
