/**
 * The simulated network between game servers and the control plane's SDK endpoint. A real game
 * server reaches whichever control plane listens on HANDOFF_SDK_URL; a simulated one reaches
 * whichever `SdkBackend` is connected here, in-process. While none is (the control plane is
 * down or restarting), every call fails as a refused connection would, and servers retry.
 */
import { HandoffError } from '../../core/errors.js';
import type { SdkBackend } from '../../sdk/backend.js';

/** A call made while no control plane is connected: the simulated ECONNREFUSED. */
export class SdkUnreachable extends Error {
  constructor() {
    super('the control plane is not reachable');
    this.name = 'SdkUnreachable';
  }
}

export class SdkLink {
  private current: SdkBackend | null = null;
  private readonly listeners = new Set<(up: boolean) => void>();

  /** Connects a control plane; returns the function that disconnects it (on its shutdown). */
  connect(backend: SdkBackend): () => void {
    this.current = backend;
    this.emit(true);
    return () => {
      if (this.current !== backend) return;
      this.current = null;
      this.emit(false);
    };
  }

  get up(): boolean {
    return this.current !== null;
  }

  /**
   * One SDK call as the endpoint would serve it: the token is authenticated first (an unknown
   * one is SDK_UNAUTHORIZED), then the backend runs it for the server the token names.
   */
  async call<T>(token: string, run: (backend: SdkBackend, serverId: string) => T | Promise<T>): Promise<T> {
    const backend = this.current;
    if (!backend) throw new SdkUnreachable();
    const serverId = backend.authenticate(token);
    if (serverId === undefined) throw new HandoffError('SDK_UNAUTHORIZED');
    return run(backend, serverId);
  }

  /**
   * A fire-and-forget call (a health ping): run at once, without the promises of `call`, which a
   * hundred thousand servers pinging made a large share of a simulation's time. False when no
   * control plane is connected or the token is refused; an error the backend throws is dropped,
   * as a ping's answer is.
   */
  tell(token: string, run: (backend: SdkBackend, serverId: string) => void): boolean {
    const backend = this.current;
    const serverId = backend?.authenticate(token);
    if (!backend || serverId === undefined) return false;
    try {
      run(backend, serverId);
    } catch {
      return false;
    }
    return true;
  }

  /** Told `true` when a control plane connects and `false` when it goes away. Returns an unsubscribe. */
  onChange(listener: (up: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(up: boolean): void {
    for (const listener of [...this.listeners]) listener(up);
  }
}
