/**
 * The control plane under test as a real child process: `./bin/handoff server`, started,
 * stopped, killed with SIGKILL and restarted on the same data dir and ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PortRange } from './ports.js';

/** The checkout under test; builds run from here too. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface ControlPlaneConfig {
  dataDir: string;
  port: number;
  sdkPort: number;
  portRange: PortRange;
  /** More `handoff server` flags, e.g. `--store postgres://…`. */
  extraArgs?: string[];
  /**
   * With `--store postgres://…`: wait until this replica leads (the default) or only until it
   * listens as a follower.
   */
  role?: 'leader' | 'follower';
  /** The `handoff` executable; default this checkout's bin/handoff (another release's for upgrade tests). */
  bin?: string;
}

const LISTENING = /handoff server listening on (http:\/\/\S+) \(SDK (http:\/\/[^,]+),/;
const FOLLOWING = /handoff replica \S+ listening on (http:\/\/\S+) /;
/** Output lines kept for failure messages. */
const KEEP_LINES = 200;

/** One control-plane process at a time; `restart` starts the next on the same config. */
export class ControlPlane {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly output: string[] = [];
  private generation = 0;

  private constructor(
    readonly config: ControlPlaneConfig,
    readonly url: string,
    readonly sdkUrl: string,
  ) {}

  /** Starts the control plane and resolves once it prints that it listens. */
  static async start(config: ControlPlaneConfig): Promise<ControlPlane> {
    const cp = new ControlPlane(config, `http://127.0.0.1:${config.port}`, `http://127.0.0.1:${config.sdkPort}`);
    await cp.spawnChild();
    return cp;
  }

  /** The current process's pid, or null when none runs. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** The control plane's recent stdout and stderr, for failure messages. */
  recentOutput(): string {
    return this.output.join('\n');
  }

  /** SIGKILL: no shutdown code runs, exactly like a crash. Resolves once the process is gone. */
  async kill9(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGTERM: the graceful shutdown (game servers keep running). Falls back to SIGKILL. */
  async stop(timeoutMs = 15_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    try {
      await this.signal('SIGTERM');
    } finally {
      clearTimeout(timer);
    }
  }

  /** Starts a new process on the same data dir and ports. The previous one must be gone. */
  async restart(): Promise<void> {
    if (this.child) throw new Error('restart() while the control plane still runs; kill9() or stop() it first');
    await this.spawnChild();
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(signal);
    await this.exited;
  }

  private async spawnChild(): Promise<void> {
    const { dataDir, port, sdkPort, portRange } = this.config;
    const args = ['server', '--data-dir', dataDir, '--port', String(port), '--sdk-port', String(sdkPort), '--port-range', `${portRange.from}-${portRange.to}`, ...(this.config.extraArgs ?? [])];
    const generation = ++this.generation;
    const child = spawn(this.config.bin ?? path.join(repoRoot, 'bin/handoff'), args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = new Promise<void>((resolve) => {
      const gone = (how: string): void => {
        this.remember(`[control plane #${generation} ${how}]`);
        if (this.child === child) this.child = null;
        resolve();
      };
      child.once('exit', (code, signal) => gone(`exited: code=${code} signal=${signal}`));
      // A failed spawn emits 'error' and no 'exit'.
      child.once('error', (e) => gone(`failed: ${e.message}`));
    });
    const listening = new Promise<void>((resolve, reject) => {
      void this.exited.then(() => reject(new Error(`the control plane exited before listening:\n${this.recentOutput()}`)));
      child.stdout?.setEncoding('utf8');
      child.stderr?.setEncoding('utf8');
      child.stdout?.on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) {
          if (line) this.remember(`[#${generation} out] ${line}`);
          const following = this.config.role === 'follower' ? FOLLOWING.exec(line) : null;
          if (following) {
            if (following[1] !== this.url) reject(new Error(`unexpected address: ${line}`));
            resolve();
          }
          const m = LISTENING.exec(line);
          if (m && this.config.role !== 'follower') {
            if (m[1] !== this.url || m[2] !== this.sdkUrl) reject(new Error(`unexpected addresses: ${line}`));
            resolve();
          }
        }
      });
      child.stderr?.on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) if (line) this.remember(`[#${generation} err] ${line}`);
      });
    });
    const timeout = new Promise<never>((_, reject) => {
      const t = setTimeout(() => reject(new Error(`the control plane did not listen within 30 s:\n${this.recentOutput()}`)), 30_000);
      void listening.finally(() => clearTimeout(t)).catch(() => undefined);
    });
    try {
      await Promise.race([listening, timeout]);
    } catch (e) {
      child.kill('SIGKILL');
      await this.exited;
      throw e;
    }
  }

  private remember(line: string): void {
    this.output.push(line);
    if (this.output.length > KEEP_LINES) this.output.splice(0, this.output.length - KEEP_LINES);
  }
}
