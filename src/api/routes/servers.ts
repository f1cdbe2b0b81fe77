import { z } from 'zod';
import { HandoffError } from '../../core/errors.js';
import type { ApiDeps } from '../deps.js';
import { defineRoute, type RouteDef } from '../../http/route.js';
import { EventViewSchema, IdParamsSchema, ListQuerySchema, ServerViewSchema, listOf } from '../schemas.js';
import { serverView } from '../views.js';
import type { NewEvent } from '../../core/events.js';

/**
 * Kinds anyone may post. Every other kind is the control plane's own (sessions, servers,
 * releases) and release analysis reads them: a posted `session.closed` would be a forged signal.
 */
const PostableKind = /^(chaos|annotation)\.[a-z0-9][a-z0-9_.-]{0,62}$/;

const EventInputSchema = z.strictObject({
  kind: z.string().min(1).max(80),
  subject: z.string().min(1).max(200),
  fleet: z.string().min(1).max(63).nullable().default(null),
  message: z.string().max(2000).default(''),
  data: z.record(z.string(), z.unknown()).default({}),
});

export function serverRoutes(d: ApiDeps): RouteDef[] {
  const { world } = d.ctx;
  return [
    defineRoute({
      method: 'get', path: '/v1/servers', tag: 'servers', role: 'viewer', summary: 'List game servers (add all=true for stopped ones)',
      query: ListQuerySchema.extend({ all: z.enum(['true', 'false']).default('false') }),
      response: listOf(ServerViewSchema), errors: ['VALIDATION_FAILED', 'UNKNOWN_FIELD'],
      handler: async ({ query }) => {
        const live = [...world.servers.values()].filter((s) => !query.fleet || s.fleet === query.fleet);
        const items = live.sort((a, b) => b.createdAt - a.createdAt).map((s) => serverView(world, s));
        if (query.all === 'true') {
          await d.ctx.persister.drain();
          const stored = await d.ctx.store.listServers({ fleet: query.fleet, includeTerminal: true, limit: query.limit });
          for (const s of stored) if (!world.servers.has(s.id)) items.push(serverView(world, s));
        }
        return { items: items.slice(0, query.limit) };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/servers/{id}', tag: 'servers', role: 'viewer', summary: 'Get a game server',
      params: IdParamsSchema, response: ServerViewSchema, errors: ['SERVER_NOT_FOUND'],
      handler: async ({ params }) => {
        const s = world.servers.get(params.id) ?? (await d.ctx.store.getServer(params.id));
        if (!s) throw new HandoffError('SERVER_NOT_FOUND', undefined, { serverId: params.id });
        return serverView(world, s);
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/events', tag: 'events', role: 'viewer', summary: 'Read the event log, oldest first; follow with after=<seq>',
      query: ListQuerySchema.extend({ after: z.coerce.number().int().min(0).optional() }),
      response: listOf(EventViewSchema), errors: ['VALIDATION_FAILED', 'UNKNOWN_FIELD'],
      handler: async ({ query }) => {
        await d.ctx.persister.drain();
        return { items: await d.ctx.store.listEvents({ fleet: query.fleet, afterSeq: query.after, limit: query.limit }) };
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/events', tag: 'events', role: 'operator', status: 201,
      summary: 'Append a chaos.* or annotation.* event to the event log (chaos experiments record themselves here)',
      body: EventInputSchema, response: EventViewSchema.omit({ seq: true }), errors: ['VALIDATION_FAILED', 'UNKNOWN_FIELD', 'EVENT_KIND_RESERVED', 'STORE_UNAVAILABLE'],
      handler: async ({ body }) => {
        if (!PostableKind.test(body.kind)) throw new HandoffError('EVENT_KIND_RESERVED', undefined, { kind: body.kind });
        if (JSON.stringify(body.data).length > 16_384) throw new HandoffError('VALIDATION_FAILED', 'data is larger than 16 KiB', { field: 'data' });
        const e: NewEvent = { at: d.ctx.clock.now(), fleet: body.fleet, kind: body.kind, subject: body.subject, message: body.message, data: body.data };
        await d.ctx.persister.persist([{ kind: 'appendEvent', event: e }]);
        return e;
      },
    }),
  ];
}
