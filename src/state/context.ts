import type { Clock } from '../core/clock.js';
import type { NewEvent } from '../core/events.js';
import type { Notice } from '../sdk/protocol.js';
import type { Mutation, StateStore } from '../store/port.js';
import type { Persister } from './persister.js';
import type { SessionGate } from './session-load.js';
import type { World } from './world.js';

/** What every service needs: the in-memory world, the way to make changes durable, and time. */
export interface Ctx {
  world: World;
  persister: Persister;
  /** For reads of history (closed sessions, stopped servers); current state is in `world`. */
  store: StateStore;
  clock: Clock;
  /** Delivers a notice to a game server's SDK watch (best effort; standing notices replay). */
  notify: (serverId: string, notice: Notice) => void;
  /**
   * Present while open sessions may still be loading after a cold start (session-load.ts): an
   * operation that needs a session the world may not hold yet asks it first.
   */
  sessionLoad?: SessionGate;
  /**
   * Present while servers are still being re-adopted fleet by fleet after a large cold start
   * (fleet/fleet-adoption.ts): settles once the fleet's servers are adopted. Allocation asks it
   * before choosing a server.
   */
  fleetAdopted?: ((fleet: string) => Promise<void>) | undefined;
}

export function event(at: number, fleet: string | null, kind: string, subject: string, message: string, data: Record<string, unknown> = {}): Mutation {
  const e: NewEvent = { at, fleet, kind, subject, message, data };
  return { kind: 'appendEvent', event: e };
}
