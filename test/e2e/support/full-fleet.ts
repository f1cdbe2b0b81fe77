/**
 * A fleet with no spare capacity (minServers = maxServers, no buffer), for the releases that
 * replace servers in place (rolling, the in-place canary), and how to check they kept to it.
 */
import { must, type Api, type ServerView } from './api.js';
import { FLEET, V1, V2, arenaBuild } from './release.js';
import { waitFor } from './wait.js';

/** Both builds, and the fleet on v1 with exactly `max` servers, no warm buffer; resolves once all are Ready. */
export async function applyFullFleet(api: Api, max: number, sessionsPerServer = 4): Promise<void> {
  must(
    await api.apply({
      builds: [arenaBuild(V1, '1.0.0', sessionsPerServer), arenaBuild(V2, '2.0.0', sessionsPerServer)],
      fleets: [{
        name: FLEET,
        build: V1,
        capacity: { minServers: max, maxServers: max, bufferServers: 0, idleTimeoutSeconds: 600 },
        health: { timeoutSeconds: 15, startTimeoutSeconds: 45, stopGraceSeconds: 5 },
      }],
    }),
    'apply builds and fleet',
  );
  await waitFor(async () => (await api.servers(FLEET)).filter((s) => s.build === V1 && s.state === 'Ready').length === max, {
    what: `${max} Ready ${V1} servers`,
    timeoutMs: 45_000,
  });
}

export async function waitForServer(api: Api, id: string | undefined, cond: (s: ServerView) => boolean): Promise<ServerView> {
  return waitFor(async () => (await api.servers(FLEET, { all: true })).find((s) => s.id === id && cond(s)), { what: `server ${id} to change`, timeoutMs: 30_000 });
}

/** Most servers alive at once, from each server's record (created before its spawn) to its exit. */
export function peakServers(servers: readonly ServerView[]): number {
  const edges = servers.flatMap((s) => [
    { at: s.createdAt, delta: 1 },
    { at: s.stoppedAt ?? Number.POSITIVE_INFINITY, delta: -1 },
  ]);
  // An exit and a record at the same instant: the exit first, the slot was free.
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let live = 0;
  let peak = 0;
  for (const e of edges) peak = Math.max(peak, (live += e.delta));
  return peak;
}
