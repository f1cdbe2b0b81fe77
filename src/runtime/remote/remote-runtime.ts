/**
 * The RuntimeProvider adapter for game servers on another host: every operation is a call to
 * that host's agent (src/agent), which runs them with its own local runtime. Processes live
 * with the agent, so `close` only stops listening, exactly like the local adapter's.
 */
import { HandoffError } from '../../core/errors.js';
import type { AgentLink } from '../../agent/link.js';
import type { AdoptResult, RuntimeExit, RuntimeInstance, RuntimeProvider, ServerLaunch } from '../port.js';

export class RemoteRuntime implements RuntimeProvider {
  readonly kind = 'remote';
  private readonly listeners: ((exit: RuntimeExit) => void)[] = [];
  private readonly unsubscribe: () => void;
  private readonly waiting = new Set<(e: Error) => void>();
  private closed = false;

  constructor(private readonly link: AgentLink) {
    this.unsubscribe = link.onExit((exit) => {
      for (const listener of [...this.listeners]) listener(exit);
    });
  }

  get hostId(): string {
    return this.link.hostId;
  }

  start(launch: ServerLaunch): Promise<RuntimeInstance> {
    return this.guarded(() => this.link.call('start', launch));
  }

  async stop(serverId: string, opts: { graceMs: number }): Promise<void> {
    await this.guarded(() => this.link.call('stop', { serverId, graceMs: opts.graceMs }));
  }

  adopt(instances: readonly RuntimeInstance[]): Promise<AdoptResult> {
    return this.guarded(() => this.link.call('adopt', { instances: [...instances] }));
  }

  async find(serverId: string): Promise<RuntimeInstance | undefined> {
    return (await this.guarded(() => this.link.call('find', { serverId }))) ?? undefined;
  }

  onExit(listener: (exit: RuntimeExit) => void): void {
    this.listeners.push(listener);
  }

  /** Stops listening; a call still waiting rejects with SHUTTING_DOWN, as the local adapter's. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.listeners.length = 0;
    const closing = new HandoffError('SHUTTING_DOWN', 'The runtime was closed before the host answered');
    for (const reject of this.waiting) reject(closing);
    this.waiting.clear();
  }

  /** Runs a call unless closed, and lets `close` cut it short. */
  private guarded<T>(call: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new HandoffError('SHUTTING_DOWN', 'The runtime is closed'));
    return new Promise<T>((resolve, reject) => {
      this.waiting.add(reject);
      call().then(
        (v) => { this.waiting.delete(reject); resolve(v); },
        (e: unknown) => { this.waiting.delete(reject); reject(e instanceof Error ? e : new Error(String(e))); },
      );
    });
  }
}
