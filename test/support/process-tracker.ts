/**
 * Which processes a test worker started, directly or not, and which of them still run. Walks
 * the worker's process tree through /proc/<pid>/task/<tid>/children and remembers every
 * descendant it sees, with its start time so a reused pid is never mistaken for it. Sampling
 * matters: a game server whose control plane was killed is reparented to init and is no
 * longer a descendant, but it is still this worker's leak.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface TrackedProcess {
  pid: number;
  /** Field 22 of /proc/<pid>/stat, in clock ticks since boot: with the pid, a unique identity. */
  startTime: string;
  command: string;
}

export class ProcessTracker {
  private readonly seen = new Map<string, TrackedProcess>();

  constructor(private readonly root: number = process.pid) {}

  /** Records every current descendant of the root. Cheap: reads only the tree's own entries. */
  sample(): void {
    const queue = children(this.root);
    for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
      const stat = readStat(pid);
      if (!stat) continue;
      const key = `${pid}:${stat.startTime}`;
      if (!this.seen.has(key)) this.seen.set(key, { pid, startTime: stat.startTime, command: commandOf(pid) });
      queue.push(...children(pid));
    }
  }

  /** The processes seen so far that still run (zombies, which have exited, excluded). */
  survivors(): TrackedProcess[] {
    const out: TrackedProcess[] = [];
    for (const [key, p] of this.seen) {
      const stat = readStat(p.pid);
      if (stat && stat.startTime === p.startTime && stat.state !== 'Z' && stat.state !== 'X') out.push(p);
      else this.seen.delete(key);
    }
    return out;
  }
}

function children(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const tid of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) if (c.trim()) out.push(Number(c));
    } catch {
      // The thread or the process is gone.
    }
  }
  return out;
}

function readStat(pid: number): { state: string; startTime: string } | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After "pid (comm) ": state is field 3, starttime field 22; comm may contain spaces.
    const fields = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    const [state, startTime] = [fields[0], fields[19]];
    return state === undefined || startTime === undefined ? undefined : { state, startTime };
  } catch {
    return undefined;
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 200);
  } catch {
    return '?';
  }
}
