/**
 * The chaos experiment's view of the control plane (src/chaos/ports.ts) over `/v1`, across
 * several replica URLs: a call that cannot connect (the experiment may have just killed that
 * replica) or finds no leader is tried on the next URL.
 */
import type { ChaosApi, ChaosEventInput, ClusterInfo, LoggedEvent, ServerInfo } from '../../chaos/ports.js';
import { ApiClient, ApiError, ConnectionError } from '../client.js';

export function chaosApi(urls: readonly string[], timeoutMs = 3000): ChaosApi {
  const clients = urls.map((u) => new ApiClient(u, { timeoutMs }));
  const anyReplica = async <T>(call: (c: ApiClient) => Promise<T>): Promise<T> => {
    let last: unknown = new Error('no control-plane URL');
    for (const c of clients) {
      try {
        return await call(c);
      } catch (e) {
        last = e;
        const failover = e instanceof ConnectionError || (e instanceof ApiError && (e.code === 'NO_LEADER' || e.status === 502));
        if (!failover) throw e;
      }
    }
    throw last;
  };
  return {
    servers: (fleet) => anyReplica(async (c) => (await c.get<{ items: ServerInfo[] }>('/v1/servers', { fleet, limit: 1000 })).data.items),
    cluster: () => anyReplica(async (c) => (await c.get<ClusterInfo>('/v1/cluster')).data),
    events: (afterSeq, fleet) => anyReplica(async (c) => (await c.get<{ items: LoggedEvent[] }>('/v1/events', { after: afterSeq, limit: 1000, fleet: fleet ?? undefined })).data.items),
    record: (event: ChaosEventInput) => anyReplica(async (c) => void (await c.post('/v1/events', event))),
  };
}
