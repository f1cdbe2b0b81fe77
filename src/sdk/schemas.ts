/**
 * Request-body schemas of the SDK endpoint. Unknown fields are dropped rather than refused so
 * a newer game-server SDK can talk to an older control plane.
 *
 * Deliberately not strict, unlike the `/v1` schemas (see `api/schemas.ts`): the `/v1` API is
 * written by people and manifests, where an unknown field is a typo to report; this endpoint
 * is spoken by SDK builds shipped inside game servers, which outlive control-plane upgrades in
 * both directions. Its wire protocol is versioned, so a field an old control plane does not
 * know is an extension it may ignore, and refusing it would take a newer game server offline.
 */
import { z } from 'zod';
import type { CloseReason } from '../session/model.js';
import {
  MetricKinds,
  SdkEndReasons,
  type CapacityRequest,
  type MetricsRequest,
  type RosterRequest,
  type SdkEndReason,
  type SessionEndedRequest,
  type SessionStartedRequest,
} from './protocol.js';


const playerId = z.string().min(1).max(128);

export const SessionStartedSchema = z.object({
  playerId,
  joinToken: z.string().min(1).max(1024).nullable().default(null),
});

export const SessionEndedSchema = z.object({
  playerId,
  reason: z.enum(SdkEndReasons).default('ended'),
  /** When given, only this session is closed: a late, retried report cannot close a newer one. */
  sessionId: z.string().min(1).max(128).nullable().default(null),
});

/** Same upper bound as a build's sessionsPerServer; 0 lets a server stop taking players. */
export const CapacitySchema = z.object({
  capacity: z.number().int().min(0).max(10_000),
});

/** At most a build's sessionsPerServer players; ids as in `sessions/started`. */
export const RosterSchema = z.object({
  players: z.array(playerId).max(10_000),
  sessions: z.record(playerId, z.string().min(1).max(128)).default({}),
});

/**
 * A name an analysis can refer to; a value that is a number. A report that breaks either fails the
 * whole batch here (a client bug, seen at once), while a name beyond a build's quota is dropped quietly.
 */
export const MetricsSchema = z.object({
  metrics: z.array(z.object({
    name: z.string().regex(/^(?=.{1,57}$)[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/, 'lower case letters, digits and _, dot-separated segments, starting with a letter, at most 57 characters'),
    value: z.number(),
    kind: z.enum(MetricKinds).default('sample'),
    sessionId: z.string().min(1).max(128).nullable().default(null),
  })).max(1_000),
});

// Compile-time checks: the schemas accept what protocol.ts says clients send, and every reason a
// game server may give is one the session model knows.
type Accepts<S extends z.ZodType, _T extends z.input<S>> = true;
type Extends<_A extends B, B> = true;
export type _SchemaChecks = [
  Accepts<typeof SessionStartedSchema, SessionStartedRequest>,
  Accepts<typeof SessionEndedSchema, SessionEndedRequest>,
  Accepts<typeof CapacitySchema, CapacityRequest>,
  Accepts<typeof RosterSchema, RosterRequest>,
  Accepts<typeof MetricsSchema, MetricsRequest>,
  Extends<SdkEndReason, CloseReason>,
];
