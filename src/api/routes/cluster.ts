import { z } from 'zod';
import { ReplicaRoles, type ClusterView } from '../../cluster/model.js';
import { defineRoute, type RouteDef } from '../../http/route.js';

export const ClusterViewSchema = z.object({
  store: z.enum(['sqlite', 'postgres']),
  lease: z.string(),
  leader: z.object({ id: z.string(), url: z.string(), sdkUrl: z.string().optional() }).nullable(),
  epoch: z.number().nullable(),
  leaseExpiresAt: z.number().nullable(),
  self: z.string(),
  items: z.array(z.object({ id: z.string(), url: z.string(), sdkUrl: z.string().optional(), role: z.enum(ReplicaRoles), startedAt: z.number(), seenAt: z.number() })),
});

/** `GET /v1/cluster`; followers answer the same themselves (cluster/follower.ts). */
export function clusterRoutes(cluster: { view(): Promise<ClusterView> }): RouteDef[] {
  return [
    defineRoute({
      method: 'get', path: '/v1/cluster', tag: 'cluster', role: 'viewer',
      summary: 'The replicas sharing the store, which one leads and the fencing epoch of its lease (docs/ha.md)',
      response: ClusterViewSchema, errors: ['STORE_UNAVAILABLE'],
      handler: () => cluster.view(),
    }),
  ];
}
