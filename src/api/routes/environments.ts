import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { defineRoute, type RouteDef } from '../../http/route.js';
import { ListQuerySchema, NameParamsSchema, listOf } from '../schemas.js';
import { EnvHistoryViewSchema, EnvironmentInputSchema, EnvironmentViewSchema, EnvSnapshotViewSchema, RestoreRequestSchema, SnapshotParamsSchema, StageRequestSchema } from '../env-schemas.js';

const ApplyEnvResultSchema = z.object({ name: z.string(), result: z.enum(['created', 'updated', 'unchanged']) });

/** `/v1/environments`: blue/green slots over fleets, their snapshots, staging and restore (docs/environments.md). */
export function environmentRoutes(d: ApiDeps): RouteDef[] {
  const envs = d.environments;
  return [
    defineRoute({
      method: 'get', path: '/v1/environments', tag: 'environments', role: 'viewer', summary: 'List environments with their slots',
      query: ListQuerySchema, response: listOf(EnvironmentViewSchema), errors: ['VALIDATION_FAILED', 'UNKNOWN_FIELD'],
      handler: ({ query }) => ({ items: envs.list().slice(0, query.limit) }),
    }),
    defineRoute({
      method: 'get', path: '/v1/environments/{name}', tag: 'environments', role: 'viewer', summary: 'Get an environment: slots, live build, history',
      params: NameParamsSchema, response: EnvironmentViewSchema, errors: ['ENV_NOT_FOUND'],
      handler: ({ params }) => envs.get(params.name),
    }),
    defineRoute({
      method: 'get', path: '/v1/environments/{name}/history', tag: 'environments', role: 'viewer',
      summary: "The environment's history of slots and builds, newest first (binds, relabels, snapshots, clones, stages, restores)",
      params: NameParamsSchema, query: ListQuerySchema, response: listOf(EnvHistoryViewSchema), errors: ['ENV_NOT_FOUND', 'VALIDATION_FAILED', 'UNKNOWN_FIELD'],
      handler: ({ params, query }) => ({ items: [...envs.get(params.name).history].reverse().slice(0, query.limit) }),
    }),
    defineRoute({
      method: 'put', path: '/v1/environments/{name}', tag: 'environments', role: 'operator',
      summary: 'Create an environment over fleets, or update its fleets and launch settings',
      params: NameParamsSchema, body: EnvironmentInputSchema.omit({ name: true }), response: ApplyEnvResultSchema,
      errors: ['VALIDATION_FAILED', 'UNKNOWN_FIELD', 'FLEET_NOT_FOUND', 'ENV_FLEET_TAKEN', 'ENV_LIVE_BUILD_MISMATCH', 'SLOT_BUILD_NOT_FOUND'],
      handler: async ({ params, body }) => {
        const [result] = await envs.apply([{ ...body, name: params.name }]);
        return result ?? { name: params.name, result: 'unchanged' as const };
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/environments/{name}/stage', tag: 'environments', role: 'operator',
      summary: 'Stage a build in the idle slot (warm servers included), or queue it while a release runs',
      params: NameParamsSchema, body: StageRequestSchema, response: EnvironmentViewSchema,
      errors: ['VALIDATION_FAILED', 'UNKNOWN_FIELD', 'ENV_NOT_FOUND', 'SLOT_BUILD_NOT_FOUND', 'ENV_STAGE_LIVE_BUILD', 'BUILD_EXECUTABLE_NOT_FOUND', 'BUILD_WORKDIR_NOT_FOUND'],
      handler: ({ params, body }) => envs.stage(params.name, body),
    }),
    defineRoute({
      method: 'get', path: '/v1/environments/{name}/snapshots', tag: 'environments', role: 'viewer', summary: "List an environment's snapshots, newest first",
      params: NameParamsSchema, query: ListQuerySchema, response: listOf(EnvSnapshotViewSchema), errors: ['ENV_NOT_FOUND', 'VALIDATION_FAILED', 'UNKNOWN_FIELD'],
      handler: async ({ params, query }) => ({ items: await envs.snapshots(params.name, query.limit) }),
    }),
    defineRoute({
      method: 'post', path: '/v1/environments/{name}/snapshots', tag: 'environments', role: 'operator', summary: "Save the environment's configuration as the next numbered snapshot",
      params: NameParamsSchema, response: EnvSnapshotViewSchema, status: 201, errors: ['ENV_NOT_FOUND', 'ENV_BUSY'],
      handler: ({ params }) => envs.snapshot(params.name),
    }),
    defineRoute({
      method: 'get', path: '/v1/environments/{name}/snapshots/{number}', tag: 'environments', role: 'viewer', summary: 'Get one snapshot',
      params: SnapshotParamsSchema, response: EnvSnapshotViewSchema, errors: ['ENV_NOT_FOUND', 'SNAPSHOT_NOT_FOUND', 'VALIDATION_FAILED'],
      handler: ({ params }) => envs.getSnapshot(params.name, params.number),
    }),
    defineRoute({
      method: 'post', path: '/v1/environments/{name}/restore', tag: 'environments', role: 'operator',
      summary: 'Restore a snapshot: a session-aware release back to its build, then its slot bindings',
      params: NameParamsSchema, body: RestoreRequestSchema, status: 202,
      response: z.object({ environment: EnvironmentViewSchema, releases: z.array(z.object({ fleet: z.string(), rollout: z.string() })) }),
      errors: ['VALIDATION_FAILED', 'UNKNOWN_FIELD', 'ENV_NOT_FOUND', 'SNAPSHOT_NOT_FOUND', 'SLOT_BUILD_NOT_FOUND', 'ENV_BUSY', 'ROLLOUT_IN_PROGRESS'],
      handler: ({ params, body }) => envs.restore(params.name, body.snapshot, body.release),
    }),
  ];
}
