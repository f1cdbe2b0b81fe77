import path from 'node:path';
import type { Clock } from '../../core/clock.js';
import type { LogPolicy } from './log-plan.js';
import type { PortRange } from './ports.js';

export interface LocalRuntimeOptions {
  /** Where `<serverId>.log` files go; created if missing. */
  logDir: string;
  /** Inclusive range of host ports handed to game servers. */
  portRange: PortRange;
  /** Address game servers bind to and clients are sent to. Default `127.0.0.1`. */
  address?: string;
  /** How often adopted servers (whose parent we are not) are checked for exit. Default 1000. */
  adoptPollMs?: number;
  /** Schedules the SIGKILL escalation and the adoption polls. Default: the system clock. */
  clock?: Clock;
  /** A server's live log is rotated past this size (log-plan.ts). Default 10 MiB. */
  logMaxBytes?: number;
  /** Rotated log files kept per server. Default 3. */
  logFiles?: number;
  /** A gone server's logs are removed after this long without a write. Default 7 days. */
  logRetainMs?: number;
  /** How often the log directory is looked at. Default 1000. */
  logCheckMs?: number;
}

/** Options with defaults filled in and checked once, at start-up. */
export interface ResolvedLocalRuntimeOptions {
  logDir: string;
  portRange: PortRange;
  address: string;
  adoptPollMs: number;
  logs: LogPolicy;
  logCheckMs: number;
}

/**
 * Fills defaults and validates. A bad option is a configuration mistake found at start-up,
 * never a request error, so it throws a plain RangeError rather than a catalogue error.
 */
export function resolveLocalRuntimeOptions(opts: LocalRuntimeOptions): ResolvedLocalRuntimeOptions {
  const { from, to } = opts.portRange;
  if (!isPort(from) || !isPort(to) || from > to) {
    throw new RangeError(`portRange must be integers with 1 <= from <= to <= 65535, got ${from}-${to}`);
  }
  const adoptPollMs = opts.adoptPollMs ?? 1000;
  if (!Number.isInteger(adoptPollMs) || adoptPollMs <= 0) {
    throw new RangeError(`adoptPollMs must be a positive integer, got ${adoptPollMs}`);
  }
  if (opts.logDir === '') throw new RangeError('logDir must not be empty');
  const address = opts.address ?? '127.0.0.1';
  if (address === '') throw new RangeError('address must not be empty');
  const logs: LogPolicy = { maxBytes: opts.logMaxBytes ?? 10 * 1024 * 1024, files: opts.logFiles ?? 3, retainMs: opts.logRetainMs ?? 7 * 24 * 3600 * 1000 };
  const logCheckMs = opts.logCheckMs ?? 1000;
  for (const [k, v] of Object.entries({ logMaxBytes: logs.maxBytes, logRetainMs: logs.retainMs, logCheckMs })) {
    if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${k} must be positive, got ${v}`);
  }
  if (!Number.isInteger(logs.files) || logs.files < 0) throw new RangeError(`logFiles must be a whole number, got ${logs.files}`);
  return { logDir: path.resolve(opts.logDir), portRange: { from, to }, address, adoptPollMs, logs, logCheckMs };
}

function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}
