/**
 * The SDK endpoint's routes (see protocol.ts), declared like the `/v1` API's and served by the
 * same HTTP stack: the same limits, validation, error shape and crash safety.
 */
import { z } from 'zod';
import { defineRoute, noContent, type RouteDef } from '../http/route.js';
import type { SdkBackend } from './backend.js';
import { SDK_PREFIX, SDK_PROTOCOL_HEADER, negotiateProtocol, noticeForProtocol } from './protocol.js';
import { CapacitySchema, MetricsSchema, RosterSchema, SessionEndedSchema, SessionStartedSchema } from './schemas.js';
import type { WatchStreams } from './watch-streams.js';

/** Game servers send small bodies; a smaller limit than the API's bounds what one can make us buffer. */
export const SDK_MAX_BODY_BYTES = 64 * 1024;

const Empty = z.undefined();
const SessionViewSchema = z.object({
  sessionId: z.string(),
  playerId: z.string(),
  partyId: z.string().nullable(),
  attributes: z.record(z.string(), z.string()),
});

export function sdkRoutes(backend: SdkBackend, watches: WatchStreams): RouteDef[] {
  const route = <B, R>(def: Omit<RouteDef<unknown, unknown, B, R, string>, 'tag' | 'role' | 'errors' | 'maxBodyBytes'> & { errors?: RouteDef['errors'] }): RouteDef =>
    defineRoute<unknown, unknown, B, R, string>({
      ...def, path: SDK_PREFIX + def.path, tag: 'sdk', role: 'game-server', maxBodyBytes: SDK_MAX_BODY_BYTES,
      errors: ['SDK_UNAUTHORIZED', ...(def.errors ?? [])],
    });
  return [
    route({ method: 'post', path: '/ready', summary: 'The server can host sessions', response: Empty, errors: ['SDK_INVALID_TRANSITION'],
      handler: async ({ principal }) => (await backend.ready(principal), noContent()) }),
    route({ method: 'post', path: '/health', summary: 'Liveness ping', response: Empty,
      handler: ({ principal }) => (backend.health(principal), noContent()) }),
    route({ method: 'post', path: '/sessions/started', summary: 'A player connected', body: SessionStartedSchema, response: SessionViewSchema,
      errors: ['VALIDATION_FAILED', 'SESSION_NOT_ALLOCATED', 'JOIN_TOKEN_INVALID'],
      handler: ({ principal, body }) => backend.sessionStarted(principal, body.playerId, body.joinToken) }),
    route({ method: 'post', path: '/sessions/ended', summary: 'A player left', body: SessionEndedSchema, response: Empty, errors: ['VALIDATION_FAILED'],
      handler: async ({ principal, body }) => (await backend.sessionEnded(principal, body.playerId, body.reason, body.sessionId), noContent()) }),
    route({ method: 'put', path: '/capacity', summary: 'Change the session slots', body: CapacitySchema, response: Empty, errors: ['VALIDATION_FAILED'],
      handler: async ({ principal, body }) => (await backend.setCapacity(principal, body.capacity), noContent()) }),
    route({ method: 'put', path: '/roster', summary: 'The players this server really hosts (protocol 2)', body: RosterSchema, response: Empty, errors: ['VALIDATION_FAILED'],
      handler: async ({ principal, body }) => (await backend.reportRoster(principal, body.players, body.sessions), noContent()) }),
    route({ method: 'post', path: '/metrics', summary: 'Custom metrics the game reports (protocol 4)', body: MetricsSchema, response: Empty, errors: ['VALIDATION_FAILED'],
      handler: ({ principal, body }) => (backend.reportMetrics(principal, body.metrics), noContent()) }),
    route({ method: 'post', path: '/shutdown', summary: 'Drain and stop this server', response: Empty,
      handler: async ({ principal }) => (await backend.requestShutdown(principal), noContent()) }),
    route({ method: 'get', path: '/self', summary: 'This server as the control plane sees it', response: z.unknown(),
      handler: async ({ principal }) => backend.self(principal) }),
    route({ method: 'get', path: '/watch', summary: 'Notices as Server-Sent Events', response: z.unknown(),
      handler: ({ principal, headers }) => {
        // Notices go out in the shape the stream's protocol version knows (see noticeForProtocol).
        const version = negotiateProtocol(headers.get(SDK_PROTOCOL_HEADER));
        return watches.open((listener) => backend.subscribe(principal, (n) => listener(noticeForProtocol(n, version))));
      } }),
  ];
}
