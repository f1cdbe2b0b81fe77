import { fleetEndpoints } from '../../allocation/endpoints.js';
import { HandoffError } from '../../core/errors.js';
import { defineRoute, withStatus, type RouteDef } from '../../http/route.js';
import type { ApiDeps } from '../deps.js';
import { ApproveBodySchema, EndpointsQuerySchema, EndpointsViewSchema, type EndpointsView, ReleaseApplyResultSchema, ReleasePlanSchema, ReleaseViewSchema, toReleasePlan } from '../release-schemas.js';
import { releaseView } from '../release-views.js';
import { ListQuerySchema, NameParamsSchema, listOf } from '../schemas.js';

/** How often a long-poll looks again: the endpoints are derived in memory, so a look costs microseconds. */
const LONG_POLL_STEP_MS = 50;

export const PlanErrors = ['RELEASE_PLAN_INVALID', 'RELEASE_PLAN_CYCLE', 'RELEASE_WEBHOOK_UNKNOWN', 'RELEASE_IN_PROGRESS', 'FLEET_NOT_FOUND', 'BUILD_NOT_FOUND', 'ROLLOUT_INVALID_SPEC', 'ROLLOUT_NO_PROGRESS', 'ROUTING_INVALID', 'ROLLOUT_STEPS_INVALID', 'ROLLOUT_VARIANTS_INVALID'] as const;

/** The versions an `If-None-Match` names (`"v1", W/"v2"`; `*` matches any, so never holds). */
function heldVersions(header: string | null): Set<string> {
  if (!header) return new Set();
  return new Set(header.split(',').map((t) => t.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1')).filter((t) => t.length > 0 && t !== '*'));
}

export function releaseRoutes(d: ApiDeps): RouteDef[] {
  const { world, clock } = d.ctx;
  const endpointsOf = (name: string) => {
    const fleet = world.fleets.get(name);
    if (!fleet) throw new HandoffError('FLEET_NOT_FOUND', `no fleet named ${name}`, { fleet: name });
    return { fleet: name, ...fleetEndpoints(fleet.routing, world.fleetServers(name)) };
  };
  return [
    defineRoute({
      method: 'post', path: '/v1/releases', tag: 'releases', role: 'operator',
      summary: 'Apply a release plan (kind: ReleasePlan): several fleets, each with its build and strategy, in dependency order; an identical plan is unchanged',
      body: ReleasePlanSchema, response: ReleaseApplyResultSchema,
      errors: ['VALIDATION_FAILED', 'UNKNOWN_FIELD', 'MALFORMED_JSON', ...PlanErrors],
      handler: async ({ body }) => {
        const { result, release } = await d.releases.apply(toReleasePlan(body));
        return { result, release: releaseView(release) };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/releases', tag: 'releases', role: 'viewer', summary: 'List release plans, newest first',
      query: ListQuerySchema.omit({ fleet: true }), response: listOf(ReleaseViewSchema), errors: ['VALIDATION_FAILED', 'UNKNOWN_FIELD'],
      handler: async ({ query }) => ({ items: (await d.releases.list(query.limit)).map(releaseView) }),
    }),
    defineRoute({
      method: 'get', path: '/v1/releases/{name}', tag: 'releases', role: 'viewer', summary: 'Get a release plan and where each of its steps stands',
      params: NameParamsSchema, response: ReleaseViewSchema, errors: ['RELEASE_NOT_FOUND'],
      handler: async ({ params }) => releaseView(await d.releases.get(params.name)),
    }),
    defineRoute({
      method: 'post', path: '/v1/releases/{name}/approve', tag: 'releases', role: 'operator',
      summary: 'Pass the approval gate of a step (the one step waiting, or `step`)',
      params: NameParamsSchema, body: ApproveBodySchema, response: ReleaseViewSchema,
      errors: ['RELEASE_NOT_FOUND', 'RELEASE_INVALID_PHASE', 'VALIDATION_FAILED', 'UNKNOWN_FIELD', 'MALFORMED_JSON'],
      handler: async ({ params, body }) => releaseView(await d.releases.approve(params.name, body.step ?? null)),
    }),
    defineRoute({
      method: 'post', path: '/v1/releases/{name}/abort', tag: 'releases', role: 'operator',
      summary: 'Stop a release plan: running steps\' rollouts are aborted (session-aware), later steps never start',
      params: NameParamsSchema, response: ReleaseViewSchema, errors: ['RELEASE_NOT_FOUND', 'RELEASE_INVALID_PHASE'],
      handler: async ({ params }) => releaseView(await d.releases.abort(params.name)),
    }),
    defineRoute({
      method: 'get', path: '/v1/fleets/{name}/endpoints', tag: 'fleets', role: 'viewer',
      summary: 'Service discovery: the servers taking new traffic per the routing table, versioned (ETag). With If-None-Match naming the current version: 304, or with `?wait=30s` held until the list changes (304 if it does not)',
      params: NameParamsSchema, query: EndpointsQuerySchema, response: EndpointsViewSchema, errors: ['FLEET_NOT_FOUND', 'VALIDATION_FAILED', 'UNKNOWN_FIELD'],
      longPoll: true,
      handler: async ({ params, query, headers }) => {
        const held = heldVersions(headers.get('if-none-match'));
        let current = endpointsOf(params.name);
        const deadline = clock.now() + query.wait;
        while (held.has(current.version) && clock.now() < deadline) {
          await new Promise<void>((resolve) => clock.setTimeout(resolve, Math.min(LONG_POLL_STEP_MS, deadline - clock.now())));
          current = endpointsOf(params.name);
        }
        const etag = { etag: `"${current.version}"` };
        return held.has(current.version) ? withStatus(304, undefined as unknown as EndpointsView, etag) : withStatus(200, current, etag);
      },
    }),
  ];
}
