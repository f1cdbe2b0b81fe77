import { readFileSync } from 'node:fs';

/** The two fields of `/proc/<pid>/stat` the local runtime relies on. */
export interface ProcStat {
  /** One-letter state: R, S, D, Z (zombie), X (dead), … */
  state: string;
  /** Field 22: when the process started, in clock ticks since boot. Survives `exec`, so it is stable. */
  startTicks: string;
  /** Field 5: process group id. Our servers lead their own group (pgrp === pid). */
  pgrp: number;
}

/**
 * Parses the text of `/proc/<pid>/stat`. Field 2 (`comm`) is the executable name in parentheses
 * and may itself contain spaces and parentheses (`(my (game) server)`), so the fields after it
 * are located from the LAST `)`, never by splitting the whole line on spaces.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // After ")" come fields 3.. separated by single spaces: index 0 is field 3 (state).
  const rest = text.slice(close + 2).trim().split(' ');
  const state = rest[0];
  const startTicks = rest[22 - 3];
  const pgrp = Number(rest[5 - 3]);
  if (state === undefined || startTicks === undefined || !/^\d+$/.test(startTicks) || !Number.isInteger(pgrp)) return undefined;
  return { state, startTicks, pgrp };
}

/** Reads and parses `/proc/<pid>/stat`; undefined when the process does not exist. */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseProcStat(text);
}

/**
 * Identifies this boot of the host. A PID and its start time only identify a process within
 * one boot: after a reboot an early-boot process can get the same PID *and* the same start
 * tick, so the identity includes the boot id.
 */
export function readBootId(): string {
  return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
}

/**
 * The identity of a live process: `<boot id>:<start ticks>`. Undefined when the process is gone
 * or a zombie (it has exited; nobody reaped it yet — e.g. PID 1 in a container that does not
 * reap orphans), so a recycled or dead PID is never mistaken for our server.
 */
export function processIdentity(pid: number, bootId: string): string | undefined {
  const stat = readProcStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return undefined;
  return formatIdentity(bootId, stat);
}

/** The identity string persisted in `RuntimeInstance.identity`. */
export function formatIdentity(bootId: string, stat: ProcStat): string {
  return `${bootId}:${stat.startTicks}`;
}

/** True while a process with this PID exists and may be signalled (EPERM still means it exists). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Signals the process group led by `pid` (our servers are spawned as group leaders), so the
 * children of wrapper scripts get the signal too. Returns false when the group no longer exists.
 */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
}
