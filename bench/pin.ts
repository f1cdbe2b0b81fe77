/**
 * CPU pinning with taskset (util-linux) for the overload phase. On a 2-core machine a load
 * generator free to run on the control plane's core measures their contention, not the
 * control plane: the control plane gets one core (all its threads), everything else of the
 * bench (generator, the bench process, the game servers) the other. Without taskset, or with a
 * single usable core, the phase still runs and says so.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { readStat } from './host.js';

export interface Cores {
  controlPlane: string;
  generator: string;
}

/** The CPUs a process may run on (`Cpus_allowed_list` of /proc/PID/status, e.g. "0-1"). */
export function allowedCpus(pid: number): string | null {
  try {
    return /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** "0-2,5" → [0, 1, 2, 5] */
export function expandCpuList(list: string): number[] {
  const out: number[] = [];
  for (const part of list.split(',')) {
    if (part.trim() === '') continue;
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || Number.isNaN(a)) continue;
    for (let c = a; c <= (b ?? a); c++) out.push(c);
  }
  return out;
}

/** Two distinct cores of the ones this process may use, or why not. */
export function planCores(): Cores | { note: string } {
  try {
    execFileSync('taskset', ['--version'], { stdio: 'ignore' });
  } catch {
    return { note: 'taskset (util-linux) not found: the load generator and the control plane were not pinned and competed for the same cores' };
  }
  const cpus = expandCpuList(allowedCpus(process.pid) ?? '');
  if (cpus.length < 2) return { note: `only ${cpus.length} usable CPU: the load generator and the control plane share it` };
  return { controlPlane: String(cpus[0]), generator: String(cpus[1]) };
}

/** Every thread of `pid` (-a), so V8's and libuv's helper threads follow the main thread. */
export function pin(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}

/** Live child processes of `pid` (the control plane's game servers). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(`/proc/${name}/stat`);
    if (s?.ppid === pid && s.state !== 'Z') out.push(Number(name));
  }
  return out;
}

/** Pins and remembers each process's previous CPU list, so `restore` can undo it. */
export class Pinning {
  private readonly previous = new Map<number, string>();

  set(pid: number, cpus: string): void {
    const before = allowedCpus(pid);
    if (before === null) return;
    if (!this.previous.has(pid)) this.previous.set(pid, before);
    try {
      pin(pid, cpus);
    } catch {
      // Exited in between (a game server being replaced): nothing to pin.
    }
  }

  restore(): void {
    for (const [pid, cpus] of this.previous) {
      try {
        pin(pid, cpus);
      } catch {
        // Gone: nothing to restore.
      }
    }
    this.previous.clear();
  }
}
