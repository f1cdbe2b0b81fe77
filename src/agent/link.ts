/**
 * The control plane's end of one host's agent connection. Stable per host id: the WebSocket
 * under it comes and goes as the agent reconnects, and the runtime adapter holding the link
 * (runtime/remote) need not notice. Calls made while the host is not connected fail at once
 * with HOST_UNREACHABLE rather than wait: the reconciler retries on its next pass.
 */
import type WebSocket from 'ws';
import { ErrorCatalogue, HandoffError, type ErrorCode } from '../core/errors.js';
import type { RuntimeExit } from '../runtime/port.js';
import type { RuntimeOp, RuntimeOps, ToAgent, WireError } from './protocol.js';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class AgentLink {
  private socket: WebSocket | null = null;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly exitListeners = new Set<(exit: RuntimeExit) => void>();

  constructor(readonly hostId: string) {}

  get connected(): boolean {
    return this.socket !== null;
  }

  /** Calls `op` on the host's runtime; rejects with the agent's coded error or HOST_UNREACHABLE. */
  call<K extends RuntimeOp>(op: K, args: RuntimeOps[K]['args']): Promise<RuntimeOps[K]['result']> {
    const socket = this.socket;
    if (!socket) return Promise.reject(unreachable(this.hostId));
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.send({ t: 'call', id, op, args });
    });
  }

  /** Subscribes to the host's process exits; returns the unsubscribe. */
  onExit(listener: (exit: RuntimeExit) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /** @internal Gateway: a new connection for this host replaces the old one. */
  attach(socket: WebSocket): void {
    this.socket = socket;
  }

  /** @internal Gateway: the connection ended; calls in flight cannot be answered any more. */
  detach(socket: WebSocket): void {
    if (this.socket !== socket) return;
    this.socket = null;
    const error = unreachable(this.hostId);
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  /** @internal Gateway: an answer to one of our calls. */
  settle(id: number, outcome: { ok: true; result: unknown } | { ok: false; error: WireError }): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (outcome.ok) p.resolve(outcome.result);
    else p.reject(fromWire(outcome.error));
  }

  /** @internal Gateway: the host reported an exit. */
  exited(exit: RuntimeExit): void {
    for (const listener of [...this.exitListeners]) {
      try {
        listener(exit);
      } catch (e) {
        process.emitWarning(`exit listener failed for ${exit.serverId}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  /** @internal */
  send(message: ToAgent): void {
    this.socket?.send(JSON.stringify(message));
  }
}

export function unreachable(hostId: string): HandoffError {
  return new HandoffError('HOST_UNREACHABLE', `Host ${hostId} has no agent connected`, { hostId });
}

/** Rebuilds a catalogue error from the wire; an unknown code becomes SERVER_START_FAILED's cousin, a plain Error. */
export function fromWire(error: WireError): Error {
  if (Object.hasOwn(ErrorCatalogue, error.code)) return new HandoffError(error.code as ErrorCode, error.message);
  return new Error(`${error.code}: ${error.message}`);
}
