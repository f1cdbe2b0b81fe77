import { HandoffError } from '../../core/errors.js';
import type { Rollout } from '../../rollout/model.js';
import type { ApiDeps } from '../deps.js';
import { defineRoute, type RouteDef } from '../../http/route.js';
import { IdParamsSchema, ListQuerySchema, PromoteBodySchema, RolloutStartSchema, RolloutViewSchema, listOf, toRolloutStart, type RolloutStartRequest } from '../schemas.js';
import { rolloutView } from '../views.js';

export function rolloutRoutes(d: ApiDeps): RouteDef[] {
  const { world } = d.ctx;
  const find = async (id: string): Promise<Rollout> => {
    const r = world.rollouts.get(id) ?? (await d.ctx.store.getRollout(id));
    if (!r) throw new HandoffError('ROLLOUT_NOT_FOUND', `no rollout ${id}`, { rollout: id });
    return r;
  };
  /** Commands apply to rollouts the control plane still tracks; older ones are finished. */
  const command = async (id: string, run: (id: string) => Promise<Rollout>): Promise<Rollout> => {
    const r = await find(id);
    if (!world.rollouts.has(r.id)) throw new HandoffError('ROLLOUT_INVALID_PHASE', `rollout ${id} is ${r.phase}`, { phase: r.phase });
    return run(r.id);
  };
  const idParam = IdParamsSchema;
  return [
    defineRoute({
      method: 'post', path: '/v1/rollouts', tag: 'rollouts', role: 'operator',
      summary: 'Start a release of a build to a fleet under a session-aware strategy',
      body: RolloutStartSchema, response: RolloutViewSchema, status: 201,
      errors: [
        'VALIDATION_FAILED', 'UNKNOWN_FIELD', 'MALFORMED_JSON', 'FLEET_NOT_FOUND', 'BUILD_NOT_FOUND', 'ROLLOUT_IN_PROGRESS', 'ROLLOUT_SAME_BUILD',
        'ROLLOUT_NO_PROGRESS', 'ROUTING_INVALID', 'ROLLOUT_STEPS_INVALID', 'ROLLOUT_VARIANTS_INVALID',
      ],
      handler: async ({ body }) => rolloutView(world, await d.rollouts.start(toRolloutStart(body as RolloutStartRequest))),
    }),
    defineRoute({
      method: 'get', path: '/v1/rollouts', tag: 'rollouts', role: 'viewer', summary: 'List rollouts, newest first',
      query: ListQuerySchema, response: listOf(RolloutViewSchema), errors: ['VALIDATION_FAILED', 'UNKNOWN_FIELD'],
      handler: async ({ query }) => {
        await d.ctx.persister.drain();
        const stored = await d.ctx.store.listRollouts({ fleet: query.fleet, limit: query.limit });
        return { items: stored.map((r) => rolloutView(world, world.rollouts.get(r.id) ?? r)) };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/rollouts/{id}', tag: 'rollouts', role: 'viewer',
      summary: 'Get a rollout with live progress (and per-variant session figures for canaries and A/B tests)',
      params: idParam, response: RolloutViewSchema, errors: ['ROLLOUT_NOT_FOUND'],
      handler: async ({ params }) => rolloutView(world, await d.rollouts.withFigures(await find(params.id))),
    }),
    defineRoute({
      method: 'post', path: '/v1/rollouts/{id}/promote', tag: 'rollouts', role: 'operator',
      summary: 'Switch a rollout waiting for promotion, continue a paused canary, or end an A/B test with the chosen variant',
      params: idParam, body: PromoteBodySchema, response: RolloutViewSchema,
      errors: ['ROLLOUT_NOT_FOUND', 'ROLLOUT_INVALID_PHASE', 'ROLLOUT_VARIANTS_INVALID', 'VALIDATION_FAILED', 'UNKNOWN_FIELD', 'MALFORMED_JSON'],
      handler: async ({ params, body }) => rolloutView(world, await command(params.id, (id) => d.rollouts.promote(id, { variant: body.variant ?? null }))),
    }),
    defineRoute({
      method: 'post', path: '/v1/rollouts/{id}/abort', tag: 'rollouts', role: 'operator',
      summary: 'Route new sessions back to the old build at once; the new build\'s sessions finish',
      params: idParam, response: RolloutViewSchema, errors: ['ROLLOUT_NOT_FOUND', 'ROLLOUT_INVALID_PHASE'],
      handler: async ({ params }) => rolloutView(world, await command(params.id, (id) => d.rollouts.abort(id))),
    }),
  ];
}
