import { z } from 'zod';
import { HandoffError } from '../../core/errors.js';
import type { ApiDeps } from '../deps.js';
import { defineRoute, type RouteDef } from '../../http/route.js';
import { toRolloutStart, type RolloutStartRequest } from '../schemas.js';
import { ApplyRequestSchema, BuildIdParamsSchema, BuildInputSchema, BuildViewSchema, FleetInputSchema, FleetViewSchema, ListQuerySchema, NameParamsSchema, listOf } from '../schemas.js';
import { fleetView } from '../views.js';
import { toReleasePlan } from '../release-schemas.js';
import { PlanErrors } from './releases.js';

const MaintenanceNoticeSchema = z.strictObject({
  message: z.string().min(1).max(500),
  /** When the maintenance starts (ms since epoch), if known. */
  startsAt: z.number().int().positive().nullable().default(null),
});

const ApplyResultSchema = z.object({
  builds: z.array(z.object({ id: z.string(), result: z.enum(['created', 'updated', 'unchanged']) })),
  fleets: z.array(z.object({ name: z.string(), result: z.enum(['created', 'updated', 'unchanged']) })),
  rollouts: z.array(z.object({ fleet: z.string(), build: z.string(), id: z.string(), result: z.enum(['created', 'unchanged']) })),
  environments: z.array(z.object({ name: z.string(), result: z.enum(['created', 'updated', 'unchanged']) })),
  webhooks: z.array(z.object({ name: z.string(), result: z.enum(['created', 'updated', 'unchanged']) })),
  releasePlans: z.array(z.object({ name: z.string(), result: z.enum(['created', 'unchanged']) })),
});

export function fleetRoutes(d: ApiDeps): RouteDef[] {
  const { world } = d.ctx;
  const requireFleet = (name: string) => {
    const f = world.fleets.get(name);
    if (!f) throw new HandoffError('FLEET_NOT_FOUND', `no fleet named ${name}`, { fleet: name });
    return f;
  };
  return [
    defineRoute({
      method: 'post', path: '/v1/apply', tag: 'fleets', role: 'operator',
      summary: 'Register builds, create or update fleets, and declare releases; checked in full before anything is applied',
      body: ApplyRequestSchema, response: ApplyResultSchema,
      errors: ['VALIDATION_FAILED', 'UNKNOWN_FIELD', 'MALFORMED_JSON', 'BUILD_IMMUTABLE', 'BUILD_EXECUTABLE_NOT_FOUND', 'BUILD_WORKDIR_NOT_FOUND', 'BUILD_INVALID_CLIENT_RANGE', 'BUILD_NOT_FOUND', 'FLEET_NOT_FOUND', 'FLEET_INVALID_CAPACITY', 'FLEET_BUILD_CHANGE_NEEDS_ROLLOUT', 'ROLLOUT_IN_PROGRESS', 'ROLLOUT_SAME_BUILD', 'ENV_FLEET_TAKEN', 'ENV_LIVE_BUILD_MISMATCH', 'SLOT_BUILD_NOT_FOUND', ...PlanErrors],
      handler: async ({ body }) => {
        const releases = body.rollouts.map((r) => toRolloutStart(r as RolloutStartRequest));
        const plans = body.releasePlans.map(toReleasePlan);
        // Releases, plans, environments and webhooks are checked against the builds and fleets of
        // the same request before anything is committed.
        const pending = { builds: body.builds.map((b) => b.id), fleets: body.fleets.map((f) => f.name) };
        d.rollouts.precheck(releases, pending);
        await d.releases.precheck(plans, pending);
        d.environments.precheck(body.environments, { builds: pending.builds, fleets: body.fleets.map((f) => ({ name: f.name, build: f.build })) });
        d.notifier.precheck(body.webhooks);
        const out = await d.fleets.apply(body);
        const rollouts = [];
        for (const r of releases) {
          const { result, rollout } = await d.rollouts.declare(r);
          rollouts.push({ fleet: r.fleet, build: r.build, id: rollout.id, result });
        }
        const environments = await d.environments.apply(body.environments);
        const webhooks = await d.notifier.apply(body.webhooks);
        const releasePlans = [];
        for (const p of plans) releasePlans.push({ name: p.name, result: (await d.releases.apply(p)).result });
        return { ...out, rollouts, environments, webhooks, releasePlans };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/builds', tag: 'builds', role: 'viewer', summary: 'List builds',
      query: ListQuerySchema, response: listOf(BuildViewSchema), errors: ['VALIDATION_FAILED', 'UNKNOWN_FIELD'],
      handler: async ({ query }) => ({ items: [...world.builds.values()].sort((a, b) => b.createdAt - a.createdAt).slice(0, query.limit) }),
    }),
    defineRoute({
      method: 'get', path: '/v1/builds/{id}', tag: 'builds', role: 'viewer', summary: 'Get a build',
      params: BuildIdParamsSchema, response: BuildViewSchema, errors: ['BUILD_NOT_FOUND'],
      handler: async ({ params }) => {
        const b = world.builds.get(params.id);
        if (!b) throw new HandoffError('BUILD_NOT_FOUND', `no build ${params.id}`, { build: params.id });
        return b;
      },
    }),
    defineRoute({
      method: 'put', path: '/v1/builds/{id}', tag: 'builds', role: 'operator', summary: 'Register a build (idempotent; builds are immutable)',
      params: BuildIdParamsSchema, body: BuildInputSchema.omit({ id: true }), response: BuildViewSchema,
      errors: ['VALIDATION_FAILED', 'UNKNOWN_FIELD', 'BUILD_IMMUTABLE', 'BUILD_EXECUTABLE_NOT_FOUND', 'BUILD_WORKDIR_NOT_FOUND', 'BUILD_INVALID_CLIENT_RANGE'],
      handler: async ({ params, body }) => {
        const spec = BuildInputSchema.parse({ ...body, id: params.id });
        await d.fleets.apply({ builds: [spec], fleets: [] });
        return world.builds.get(params.id) as NonNullable<ReturnType<typeof world.builds.get>>;
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/fleets', tag: 'fleets', role: 'viewer', summary: 'List fleets with live status',
      query: ListQuerySchema, response: listOf(FleetViewSchema), errors: ['VALIDATION_FAILED', 'UNKNOWN_FIELD'],
      handler: async ({ query }) => ({ items: [...world.fleets.values()].slice(0, query.limit).map((f) => fleetView(world, f)) }),
    }),
    defineRoute({
      method: 'get', path: '/v1/fleets/{name}', tag: 'fleets', role: 'viewer', summary: 'Get a fleet with live status',
      params: NameParamsSchema, response: FleetViewSchema, errors: ['FLEET_NOT_FOUND'],
      handler: async ({ params }) => fleetView(world, requireFleet(params.name)),
    }),
    defineRoute({
      method: 'post', path: '/v1/fleets/{name}/notices', tag: 'fleets', role: 'operator',
      summary: 'Send a maintenance notice to every running game server of the fleet (shown to players by the game)',
      params: NameParamsSchema, body: MaintenanceNoticeSchema,
      response: z.object({ servers: z.number() }), status: 202, errors: ['FLEET_NOT_FOUND', 'VALIDATION_FAILED', 'UNKNOWN_FIELD'],
      handler: async ({ params, body }) => {
        requireFleet(params.name);
        const at = d.ctx.clock.now();
        const targets = world.fleetServers(params.name).filter((s) => s.state !== 'Starting');
        for (const s of targets) d.ctx.notify(s.id, { type: 'maintenance', message: body.message, startsAt: body.startsAt, at });
        return { servers: targets.length };
      },
    }),
    defineRoute({
      method: 'put', path: '/v1/fleets/{name}', tag: 'fleets', role: 'operator', summary: 'Create or update a fleet',
      params: NameParamsSchema, body: FleetInputSchema.omit({ name: true }), response: FleetViewSchema,
      errors: ['VALIDATION_FAILED', 'UNKNOWN_FIELD', 'BUILD_NOT_FOUND', 'FLEET_INVALID_CAPACITY', 'FLEET_BUILD_CHANGE_NEEDS_ROLLOUT', 'ROLLOUT_IN_PROGRESS'],
      handler: async ({ params, body }) => {
        await d.fleets.apply({ builds: [], fleets: [FleetInputSchema.parse({ ...body, name: params.name })] });
        return fleetView(world, requireFleet(params.name));
      },
    }),
  ];
}
