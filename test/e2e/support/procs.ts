/**
 * Finding game-server processes from /proc, independently of the control plane: a server the
 * control plane lost track of is exactly what these tests must notice.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

export interface GameProcess {
  pid: number;
  /** Parent pid: 1 (or a subreaper) once the control plane that spawned it has died. */
  ppid: number;
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
 * The game servers of this control plane: every live process (zombies excluded) with a
 * HANDOFF_SERVER_ID that belongs to it (its HANDOFF_SDK_URL is ours, or its stdout is a log file
 * in our data dir) and whose parent is not a process of the same server. A server's own
 * children inherit its environment — `node --import tsx` starts an esbuild service child
 * whenever tsx's transform cache is cold — and are part of that server, not servers of their
 * own; a child that outlives its server is reparented and so counts again.
 */
export function scanGameProcesses(owner: Ownership): GameProcess[] {
  const all = scanGameProcessTree(owner);
  const serverOf = new Map(all.map((p) => [p.pid, p.serverId]));
  return all.filter((p) => serverOf.get(p.ppid) !== p.serverId);
}

/** Every live process of this control plane's game servers, their children included. */
export function scanGameProcessTree(owner: Ownership): GameProcess[] {
  const found: GameProcess[] = [];
  const logDir = path.resolve(owner.dataDir) + path.sep;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const stat = pid === process.pid ? undefined : readStat(pid);
    if (!stat || stat.state === 'Z' || stat.state === 'X') continue;
    const env = readEnviron(pid);
    const serverId = env?.get('HANDOFF_SERVER_ID');
    if (!env || !serverId) continue;
    const stdout = readLink(`/proc/${pid}/fd/1`);
    const sdkUrl = env.get('HANDOFF_SDK_URL') ?? null;
    // With replicas, HANDOFF_SDK_URL lists every replica's endpoint, the starting one first.
    if (sdkUrl?.split(',')[0] === owner.sdkUrl || (stdout !== null && stdout.startsWith(logDir))) found.push({ pid, ppid: stat.ppid, serverId, sdkUrl, stdout });
  }
  return found;
}

/** True while the process exists and has not exited (a zombie has). */
export function isAlive(pid: number): boolean {
  const state = readStat(pid)?.state;
  return state !== undefined && state !== 'Z' && state !== 'X';
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

/** State letter and parent pid from /proc/<pid>/stat; the command name may contain spaces and ')'. */
function readStat(pid: number): { state: string; ppid: number } | undefined {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const [state, ppid] = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  return state === undefined || ppid === undefined ? undefined : { state, ppid: Number(ppid) };
}

function readLink(p: string): string | null {
  try {
    return readlinkSync(p);
  } catch {
    return null;
  }
}
