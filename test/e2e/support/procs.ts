/**
 * Finding game-server processes from /proc, independently of the control plane: a server the
 * control plane lost track of is exactly what these tests must notice.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

export interface GameProcess {
  pid: number;
  serverId: string;
  sdkUrl: string | null;
  /** Where its stdout goes: the server's log file under the data dir. */
  stdout: string | null;
}

/** Which control plane a process belongs to: its SDK endpoint or its data dir. */
export interface Ownership {
  sdkUrl: string;
  dataDir: string;
}

/**
 * Every live process (zombies excluded) with a HANDOFF_SERVER_ID that belongs to this
 * control plane: its HANDOFF_SDK_URL is ours, or its stdout is a log file in our data dir.
 */
export function scanGameProcesses(owner: Ownership): GameProcess[] {
  const found: GameProcess[] = [];
  const logDir = path.resolve(owner.dataDir) + path.sep;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid || !isAlive(pid)) continue;
    const env = readEnviron(pid);
    const serverId = env?.get('HANDOFF_SERVER_ID');
    if (!env || !serverId) continue;
    const stdout = readLink(`/proc/${pid}/fd/1`);
    const sdkUrl = env.get('HANDOFF_SDK_URL') ?? null;
    if (sdkUrl === owner.sdkUrl || (stdout !== null && stdout.startsWith(logDir))) found.push({ pid, serverId, sdkUrl, stdout });
  }
  return found;
}

/** True while the process exists and has not exited (a zombie has). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** The HANDOFF_SERVER_ID in a live process's environment, if any. */
export function serverIdOf(pid: number): string | undefined {
  return isAlive(pid) ? readEnviron(pid)?.get('HANDOFF_SERVER_ID') : undefined;
}

/** SIGKILL, ignoring a process that is already gone. */
export function killHard(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone (or reaped): nothing to do.
  }
}

function readEnviron(pid: number): Map<string, string> | undefined {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return undefined;
  }
  const env = new Map<string, string>();
  for (const entry of raw.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return env;
}

function readLink(p: string): string | null {
  try {
    return readlinkSync(p);
  } catch {
    return null;
  }
}
