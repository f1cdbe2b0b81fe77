import { z } from 'zod';
import { HandoffError } from '../../core/errors.js';
import { HOST_ID_PATTERN, HostSchedules, HostStates, type HostSchedule } from '../../hosts/model.js';
import type { HostListing, HostService } from '../../hosts/service.js';
import { DrainDeadlineSchema } from '../../rollout/checks.js';
import { defineRoute, type RouteDef } from '../../http/route.js';
import { listOf } from '../schemas.js';

/** What the host routes need; built by server/hosts.ts. */
export interface HostsApi {
  hosts: HostService;
  /** Game servers (not yet stopped) on a host. */
  serversOn(hostId: string): string[];
  issueToken(hostId: string): Promise<string>;
  now(): number;
}

/**
 * A drain's notice and deadline, as a release's `drain` says them: sessions still open
 * `deadlineSeconds` after the drain began are closed (as `migrated`), and the host's game servers
 * are told `noticeLeadSeconds` before that. No `drain` (or null): the host waits for its players.
 */
const HostDrainBodySchema = z.strictObject({ drain: DrainDeadlineSchema.nullable().default(null) });
const HostDrainViewSchema = z.object({
  since: z.number(), deadline: z.object({ deadlineSeconds: z.number(), noticeLeadSeconds: z.number() }).nullable(),
  noticeAt: z.number().nullable(), closedAt: z.number().nullable(),
});
const HostViewSchema = z.object({
  id: z.string(), zone: z.string(), region: z.string(), publicAddress: z.string(),
  portRange: z.object({ from: z.number(), to: z.number() }),
  capacity: z.object({ slots: z.number(), cpuMillis: z.number().nullable(), memoryMb: z.number().nullable() }),
  state: z.enum(HostStates), schedule: z.enum(HostSchedules), embedded: z.boolean(),
  registeredAt: z.number(), lastHeartbeatAt: z.number(),
  /** While Draining: its notice and deadline, and how far they went. */
  drain: HostDrainViewSchema.nullable(),
  servers: z.array(z.string()),
  /** Draining and nothing left on it: safe to reboot. */
  empty: z.boolean(),
});
const HostParams = z.object({ id: z.string().regex(HOST_ID_PATTERN, 'a host id of letters, digits, . _ -') });

function view(api: HostsApi, h: HostListing): z.output<typeof HostViewSchema> {
  const servers = api.serversOn(h.id);
  return { ...h, drain: h.drain ?? null, servers, empty: servers.length === 0 };
}

/** `/v1/hosts`: the host registry, maintenance (cordon, drain, uncordon) and agent tokens (docs/hosts.md). */
export function hostRoutes(api: HostsApi): RouteDef[] {
  const schedule = (path: string, to: HostSchedule, summary: string): RouteDef =>
    defineRoute({
      method: 'post', path: `/v1/hosts/{id}/${path}`, tag: 'hosts', role: 'operator', summary,
      params: HostParams, response: HostViewSchema, errors: ['HOST_NOT_FOUND', 'VALIDATION_FAILED'],
      handler: async ({ params }) => view(api, await api.hosts.setSchedule(params.id, to)),
    });
  return [
    defineRoute({
      method: 'get', path: '/v1/hosts', tag: 'hosts', role: 'viewer', summary: 'List hosts with their zone, region, address, state and game servers',
      response: listOf(HostViewSchema), errors: [],
      handler: () => ({ items: api.hosts.list(api.now()).map((h) => view(api, h)) }),
    }),
    defineRoute({
      method: 'get', path: '/v1/hosts/{id}', tag: 'hosts', role: 'viewer', summary: 'Get a host',
      params: HostParams, response: HostViewSchema, errors: ['HOST_NOT_FOUND', 'VALIDATION_FAILED'],
      handler: ({ params }) => {
        const h = api.hosts.list(api.now()).find((x) => x.id === params.id);
        if (!h) throw new HandoffError('HOST_NOT_FOUND', undefined, { hostId: params.id });
        return view(api, h);
      },
    }),
    schedule('cordon', 'Cordoned', 'Cordon a host: no new game servers there; what runs keeps running'),
    defineRoute({
      method: 'post', path: '/v1/hosts/{id}/drain', tag: 'hosts', role: 'operator',
      summary: 'Drain a host: no new servers or sessions there; its sessions finish (or, with a drain deadline, are told and closed at it), replacements start elsewhere, it reports empty',
      params: HostParams, body: HostDrainBodySchema, response: HostViewSchema, errors: ['HOST_NOT_FOUND', 'VALIDATION_FAILED'],
      handler: async ({ params, body }) => view(api, await api.hosts.setSchedule(params.id, 'Draining', body.drain)),
    }),
    schedule('uncordon', 'Ready', 'Make a cordoned or draining host Ready again'),
    defineRoute({
      method: 'post', path: '/v1/hosts/{id}/token', tag: 'hosts', role: 'admin', summary: "Issue a host's agent token (handoff agent --token)",
      params: HostParams, response: z.object({ hostId: z.string(), token: z.string() }), errors: ['VALIDATION_FAILED'],
      handler: async ({ params }) => ({ hostId: params.id, token: await api.issueToken(params.id) }),
    }),
  ];
}
