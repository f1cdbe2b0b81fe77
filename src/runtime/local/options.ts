import path from 'node:path';
import type { Clock } from '../../core/clock.js';
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
}

/** Options with defaults filled in and checked once, at start-up. */
export interface ResolvedLocalRuntimeOptions {
  logDir: string;
  portRange: PortRange;
  address: string;
  adoptPollMs: number;
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
  return { logDir: path.resolve(opts.logDir), portRange: { from, to }, address, adoptPollMs };
}

function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}
