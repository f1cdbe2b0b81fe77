import { z } from 'zod';
import { HandoffError } from '../../core/errors.js';
import type { ApiDeps } from '../deps.js';
import { defineRoute, withStatus, type RouteDef } from '../../http/route.js';
import { AllocationRequestSchema, AllocationResponseSchema, IdParamsSchema, ListQuerySchema, SessionViewSchema, listOf } from '../schemas.js';

const SessionQuerySchema = ListQuerySchema.extend({
  open: z.enum(['true', 'false']).optional(),
  playerId: z.string().optional(),
  server: z.string().optional(),
});

export function sessionRoutes(d: ApiDeps): RouteDef[] {
  return [
    defineRoute({
      method: 'post', path: '/v1/allocations', tag: 'allocation', role: 'allocator',
      summary: 'Place a player: returns the session, its server and a join token (201 new, 200 reconnect or idempotent replay)',
      body: AllocationRequestSchema, response: AllocationResponseSchema, status: 201,
      errors: ['VALIDATION_FAILED', 'UNKNOWN_FIELD', 'MALFORMED_JSON', 'FLEET_NOT_FOUND', 'NO_CAPACITY', 'REGION_NOT_SERVED', 'CLIENT_UPDATE_REQUIRED', 'IDEMPOTENCY_KEY_REUSED', 'MIGRATION_TOKEN_INVALID', 'STORE_UNAVAILABLE', 'FLEET_NOT_ALLOCATABLE'],
      handler: async ({ body, headers }) => {
        const key = headers.get('idempotency-key');
        const req = key && body.idempotencyKey === null ? { ...body, idempotencyKey: key } : body;
        const { response, outcome } = await d.allocations.allocate(req);
        return withStatus(outcome === 'created' ? 201 : 200, response);
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/sessions', tag: 'sessions', role: 'viewer', summary: 'List sessions, newest first',
      query: SessionQuerySchema, response: listOf(SessionViewSchema), errors: ['VALIDATION_FAILED', 'UNKNOWN_FIELD'],
      handler: async ({ query }) => {
        await d.ctx.persister.drain();
        const items = await d.ctx.store.listSessions({
          limit: query.limit, fleet: query.fleet, playerId: query.playerId, server: query.server,
          open: query.open === undefined ? undefined : query.open === 'true',
        });
        return { items };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/sessions/{id}', tag: 'sessions', role: 'viewer', summary: 'Get a session',
      params: IdParamsSchema, response: SessionViewSchema, errors: ['SESSION_NOT_FOUND'],
      handler: async ({ params }) => {
        const open = d.ctx.world.sessions.get(params.id);
        if (open) return open;
        const s = await d.ctx.store.getSession(params.id);
        if (!s) throw new HandoffError('SESSION_NOT_FOUND', undefined, { sessionId: params.id });
        return s;
      },
    }),
    defineRoute({
      method: 'delete', path: '/v1/sessions/{id}', tag: 'sessions', role: 'allocator', summary: 'End a session (reason api)',
      params: IdParamsSchema, response: SessionViewSchema, errors: ['SESSION_NOT_FOUND', 'SESSION_CLOSED'],
      handler: ({ params }) => d.sessions.close(params.id, 'api'),
    }),
  ];
}
