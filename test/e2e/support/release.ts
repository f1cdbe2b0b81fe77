/**
 * The release scenario the acceptance tests share: two arena builds, one fleet on the first,
 * players on it, a blue-green rollout to the second — and the invariants read back from the
 * API and the event log afterwards.
 */
import { expect } from 'vitest';
import { InterruptingReasons } from '../../../src/session/model.js';
import { must, type Api, type EventView, type RolloutStart, type RolloutView, type ServerView, type SessionView } from './api.js';
import { repoRoot } from './control-plane.js';
import { waitFor } from './wait.js';

export const FLEET = 'arena';
export const V1 = 'arena-v1';
export const V2 = 'arena-v2';

export interface FleetShape {
  sessionsPerServer: number;
  minServers: number;
  bufferServers: number;
  /** Default 8: room for a release's new servers beside the old ones. */
  maxServers?: number;
}

/** An arena build as the brief's tests launch it: this node, tsx, a short reconnect grace. */
export function arenaBuild(id: string, version: string, sessionsPerServer: number) {
  return {
    id,
    version,
    launch: {
      executable: process.execPath,
      args: ['--import', 'tsx', 'examples/arena/server.ts', '--version', version, '--reconnect-grace-ms', '500'],
      workingDir: repoRoot,
    },
    ports: [{ name: 'game', protocol: 'tcp' as const }],
    sessionsPerServer,
  };
}

/**
 * Registers both builds and the fleet on v1, then waits for `minServers` Ready v1 servers.
 * The fleet's own idle time is long (600 s) so only a release's `oldIdleSeconds` can explain
 * a server being retired within a test.
 */
export async function applyArenaFleet(api: Api, shape: FleetShape): Promise<void> {
  must(
    await api.apply({
      builds: [arenaBuild(V1, '1.0.0', shape.sessionsPerServer), arenaBuild(V2, '2.0.0', shape.sessionsPerServer)],
      fleets: [{
        name: FLEET,
        build: V1,
        capacity: { minServers: shape.minServers, maxServers: shape.maxServers ?? 8, bufferServers: shape.bufferServers, idleTimeoutSeconds: 600 },
        health: { timeoutSeconds: 15, startTimeoutSeconds: 45, stopGraceSeconds: 5 },
      }],
    }),
    'apply builds and fleet',
  );
  await waitFor(async () => (await api.servers(FLEET)).filter((s) => s.build === V1 && s.state === 'Ready').length >= shape.minServers, {
    what: `${shape.minServers} Ready ${V1} servers`,
    timeoutMs: 45_000,
  });
}

/** Starts a blue-green release to v2 and resolves once it has switched (phase Draining). */
export async function releaseUntilSwitched(api: Api, opts: Partial<RolloutStart> = {}): Promise<RolloutView> {
  const started = must(
    await api.startRollout({ fleet: FLEET, build: V2, strategy: 'blue-green', autoPromote: true, smoke: null, drain: null, oldIdleSeconds: 1, readyTimeoutSeconds: 60, maxStartFailures: 3, ...opts }),
    'start the rollout',
  );
  return waitForPhase(api, started.id, 'Draining');
}

/** Polls the rollout until `phase`; fails at once if it ends in another terminal phase. */
export async function waitForPhase(api: Api, id: string, phase: RolloutView['phase'], timeoutMs = 45_000): Promise<RolloutView> {
  const terminal: readonly string[] = ['Completed', 'Aborted', 'Failed'];
  const r = await waitFor(
    async () => {
      const view = must(await api.rollout(id), `get rollout ${id}`);
      return view.phase === phase || terminal.includes(view.phase) ? view : null;
    },
    { what: `rollout ${id} to reach ${phase}`, timeoutMs },
  );
  if (r.phase !== phase) throw new Error(`rollout ${id} ended ${r.phase} (${r.message}), not ${phase}`);
  return r;
}

/** Resolves once every server of `build` the API ever listed is terminal, and returns them. */
export async function waitForBuildStopped(api: Api, build: string, timeoutMs = 30_000): Promise<ServerView[]> {
  return waitFor(
    async () => {
      const all = (await api.servers(FLEET, { all: true })).filter((s) => s.build === build);
      return all.length > 0 && all.every((s) => s.state === 'Stopped' || s.state === 'Crashed') ? all : null;
    },
    { what: `every ${build} server to be stopped`, timeoutMs },
  );
}

/** No session in the log or the store was cut off by a stopped or crashed server. */
export function expectNoInterruptedSessions(events: readonly EventView[], sessions: readonly SessionView[]): void {
  const interrupting: readonly string[] = InterruptingReasons;
  const badEvents = events.filter((e) => e.kind === 'session.closed' && interrupting.includes(String(e.data.reason)));
  expect(badEvents, 'session.closed events with an interrupting reason').toEqual([]);
  const badSessions = sessions.filter((s) => s.closeReason !== null && interrupting.includes(s.closeReason));
  expect(badSessions, 'sessions closed with an interrupting reason').toEqual([]);
}

/**
 * For each server, every session it hosted was closed (event `session.closed`) before the
 * server was asked to stop (event `server.stopping`). Returns how many sessions were checked.
 */
export function expectStoppedOnlyWhenEmpty(servers: readonly ServerView[], sessions: readonly SessionView[], events: readonly EventView[]): number {
  let checked = 0;
  for (const server of servers) {
    const stopping = events.filter((e) => e.kind === 'server.stopping' && e.subject === server.id);
    expect(stopping, `server.stopping events of ${server.id}`).toHaveLength(1);
    const stoppingSeq = stopping[0]?.seq ?? -1;
    for (const session of sessions.filter((s) => s.server === server.id)) {
      const closed = events.find((e) => e.kind === 'session.closed' && e.subject === session.id);
      expect(closed, `session.closed event of ${session.id} (${session.playerId}) on ${server.id}`).toBeDefined();
      expect(closed?.seq, `${session.id} closed (seq ${closed?.seq}) before ${server.id} was stopped (seq ${stoppingSeq})`).toBeLessThan(stoppingSeq);
      checked++;
    }
  }
  return checked;
}
