import { open, readdir, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { PrivateFileMode } from '../../core/private-files.js';
import { planLogs, type LogAction, type LogFileView, type LogPolicy } from './log-plan.js';

export interface LogKeeperDeps {
  dir: string;
  policy: LogPolicy;
  clock: Clock;
  /** How often the directory is looked at; a live log can outgrow `maxBytes` by what its server writes in this time. */
  checkMs: number;
  /** Servers this runtime tracks or is starting. */
  running: () => ReadonlySet<string>;
  /** Every game server alive on the host (a /proc scan): asked only before removing a server's files. */
  alive: () => ReadonlySet<string>;
  onError: (e: unknown) => void;
}

/**
 * Keeps the log directory bounded (see log-plan.ts): on a timer it lists the directory, plans,
 * and applies. Rotation is copy-and-truncate: the server holds its log open with O_APPEND, so
 * after the truncate its next write lands at offset 0 of the same file and nothing needs to
 * reopen it. Lines written between the copy and the truncate are lost; that is the price of
 * never piping a server's output through a control plane that may restart.
 */
export class LogKeeper {
  private timer: TimerHandle | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly deps: LogKeeperDeps) {}

  start(): void {
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    await this.running.catch(() => undefined);
  }

  /** One look at the directory and the actions it called for. Exposed for tests. */
  async pass(): Promise<LogAction[]> {
    const { dir, policy, clock } = this.deps;
    const files = await this.list();
    let actions = planLogs(files, this.deps.running(), clock.now(), policy);
    if (actions.some((a) => a.kind === 'remove' && a.names.some((n) => n.endsWith('.log')))) {
      // Removing a live file: make sure no server on the host still writes to it.
      actions = planLogs(files, new Set([...this.deps.running(), ...this.deps.alive()]), clock.now(), policy);
    }
    for (const action of actions) {
      if (action.kind === 'rotate') await rotate(dir, action.serverId, policy);
      else for (const name of action.names) await rm(path.join(dir, name), { force: true });
    }
    return actions;
  }

  private async list(): Promise<LogFileView[]> {
    const names = await readdir(this.deps.dir);
    const views: LogFileView[] = [];
    for (const name of names) {
      const s = await stat(path.join(this.deps.dir, name)).catch(() => undefined);
      if (s?.isFile()) views.push({ name, size: s.size, mtimeMs: s.mtimeMs });
    }
    return views;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.deps.clock.setTimeout(() => {
      this.running = this.pass().then(
        () => this.schedule(),
        (e: unknown) => {
          this.deps.onError(e);
          this.schedule();
        },
      );
    }, this.deps.checkMs);
  }
}

/**
 * Shifts `<id>.log.N` up by one, copies the live file's last `maxBytes` to `<id>.log.1` and
 * truncates the live file. Only the tail is kept: a file far past its limit (a burst between
 * two looks) must not carry the burst into the rotated files.
 */
async function rotate(dir: string, serverId: string, policy: LogPolicy): Promise<void> {
  const live = path.join(dir, `${serverId}.log`);
  if (policy.files > 0) {
    for (let n = policy.files - 1; n >= 1; n--) {
      await rename(`${live}.${n}`, `${live}.${n + 1}`).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
    }
    const fh = await open(live, 'r');
    try {
      const { size } = await fh.stat();
      const length = Math.min(size, policy.maxBytes);
      const tail = Buffer.alloc(length);
      await fh.read(tail, 0, length, size - length);
      await writeFile(`${live}.1`, tail, { mode: PrivateFileMode });
    } finally {
      await fh.close();
    }
  }
  await truncate(live, 0);
}
