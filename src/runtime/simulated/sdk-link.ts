/**
 * The simulated network between game servers and the control plane's SDK endpoint. A real game
 * server reaches whichever control plane listens on HANDOFF_SDK_URL; a simulated one reaches
 * whichever `SdkBackend` is connected here, in-process. While none is (the control plane is
 * down or restarting), every call fails as a refused connection would, and servers retry.
 */
import type { Clock } from '../../core/clock.js';
import { HandoffError } from '../../core/errors.js';
import type { SdkBackend } from '../../sdk/backend.js';

/** A call made while no control plane is connected: the simulated ECONNREFUSED. */
export class SdkUnreachable extends Error {
  constructor() {
    super('the control plane is not reachable');
    this.name = 'SdkUnreachable';
  }
}

type Listener = (up: boolean) => void;

export class SdkLink {
  private current: SdkBackend | null = null;
  /** Each listener with how long after a connect it is told (see `onChange`). */
  private readonly listeners = new Map<Listener, number>();
  /** Counts connects, so a delayed "up" for a connection since gone is dropped. */
  private generation = 0;

  /** `clock`: what delays an "up" for listeners that asked (none given: they are told at once). */
  constructor(private readonly clock?: Clock) {}

  /** Connects a control plane; returns the function that disconnects it (on its shutdown). */
  connect(backend: SdkBackend): () => void {
    this.current = backend;
    this.generation += 1;
    this.emitUp(this.generation);
    return () => {
      if (this.current !== backend) return;
      this.current = null;
      for (const listener of [...this.listeners.keys()]) listener(false);
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

  /**
   * Told `true` when a control plane connects — `upAfterMs` later on the clock, if it is still
   * connected then — and `false` at once when it goes away. Returns an unsubscribe.
   *
   * The delay is for listeners that would only wait anyway (a game server reconnects its watch
   * 100 ms – 2 s after the control plane comes back): told later, 100,000 of them cost one timer
   * instead of 100,000 timers set inside the control plane's start (the scale bench's restart,
   * where they are other processes in service and none of the control plane's work).
   */
  onChange(listener: Listener, upAfterMs = 0): () => void {
    this.listeners.set(listener, this.clock ? Math.max(0, upAfterMs) : 0);
    return () => this.listeners.delete(listener);
  }

  private emitUp(generation: number): void {
    const later = new Map<number, Listener[]>();
    for (const [listener, delay] of [...this.listeners]) {
      if (delay === 0) listener(true);
      else {
        let group = later.get(delay);
        if (!group) later.set(delay, (group = []));
        group.push(listener);
      }
    }
    for (const [delay, group] of later) {
      this.clock?.setTimeout(() => {
        if (this.generation !== generation || this.current === null) return;
        for (const listener of group) if (this.listeners.has(listener)) listener(true);
      }, delay);
    }
  }
}
