/**
 * Releases across real hosts: three `handoff agent` processes, each in its own network
 * namespace, in two zones; a fleet spread over them with real players playing; a blue-green
 * release to a second build, then a rolling release to a third. Every release completes, new
 * sessions land on the new build, every session is ended by its player and by nothing else,
 * the fleet stays spread over both zones, and the old servers retire.
 *
 * Its links are on 10.201.<130 + (pid % 25) * 4 + i>.0/24 and its namespaces are tagged `r<pid>`:
 * hosts-netns.test.ts uses 10.200.x and `<pid>`, so the two may run at the same time.
 * Skipped, saying why, where namespaces cannot be created (not root; CI runs it as root).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentProcess, type AgentProcess } from '../../src/agent/testing/agents.js';
import { startControlPlane, type ControlPlane } from '../../src/server/compose.js';
import { Api, must, type RolloutView } from '../e2e/support/api.js';
import { Player } from '../e2e/support/player.js';
import { FLEET, V1, V2, arenaBuild, expectNoInterruptedSessions, waitForBuildStopped, waitForPhase } from '../e2e/support/release.js';
import { waitFor } from '../e2e/support/wait.js';
import { apiRequest, createNetNs, destroyNetNs, netnsUnavailable, type NetNs } from './netns.js';

const unavailable = netnsUnavailable();
if (unavailable) console.warn(`hosts-release: skipped: ${unavailable}`);

const V3 = 'arena-v3';
const NET = '10.201';
const HOSTS = [
  { id: 'rel-a', zone: 'z1' },
  { id: 'rel-b', zone: 'z1' },
  { id: 'rel-c', zone: 'z2' },
] as const;
const ZONE: Record<string, string> = Object.fromEntries(HOSTS.map((h) => [h.id, h.zone]));

interface HostView { id: string; zone: string; state: string; servers: string[]; embedded: boolean }

describe.skipIf(unavailable !== null)('releases across hosts in their own network namespaces', () => {
  const tag = `r${process.pid % 10000}`;
  const base = 130 + (process.pid % 25) * 4;
  const spaces: NetNs[] = [];
  const agents: AgentProcess[] = [];
  const players: Player[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'handoff-hosts-release-'));
  let cp: ControlPlane;
  let api: Api;

  const request = apiRequest(() => cp.url);
  const hosts = async (): Promise<HostView[]> => (await request<{ items: HostView[] }>('GET', '/v1/hosts')).items;
  /** The zones running live servers of `build`. */
  const zonesOf = async (build: string): Promise<string[]> => {
    const live = new Set((await api.servers(FLEET)).filter((s) => s.build === build).map((s) => s.id));
    const zones = (await hosts()).filter((h) => h.servers.some((id) => live.has(id))).map((h) => ZONE[h.id] ?? `unexpected host ${h.id}`);
    return [...new Set(zones)].sort();
  };
  const join = async (playerId: string): Promise<Player> => {
    const p = await Player.join(api, FLEET, playerId);
    players.push(p);
    return p;
  };
  /**
   * Players leave (normally) once their server takes no new sessions, until the release ends.
   * How each socket closed is checked at the end (waitFor retries what throws).
   */
  const leaveDrainingUntilDone = async (id: string): Promise<RolloutView> => {
    const r = await waitFor(async () => {
      const servers = await api.servers(FLEET);
      for (const p of players.filter((x) => x.closed === null)) {
        if (servers.find((s) => s.id === p.serverId)?.state !== 'Draining') continue;
        await p.receivesTicks(1);
        await p.leave();
      }
      const view = must(await api.rollout(id), `get rollout ${id}`);
      return ['Completed', 'Failed', 'Aborted', 'Paused'].includes(view.phase) ? view : null;
    }, { what: `rollout ${id} to complete as players leave draining servers`, timeoutMs: 300_000, intervalMs: 500 });
    if (r.phase !== 'Completed') throw new Error(`rollout ${id} is ${r.phase}: ${r.message}`);
    return r;
  };

  beforeAll(async () => {
    HOSTS.forEach((_, i) => spaces.push(createNetNs(`${tag}${'abc'[i]}`, base + i, NET)));
    const [first] = spaces;
    if (!first) throw new Error('no namespace');
    cp = await startControlPlane({
      dataDir: path.join(dir, 'cp'), host: first.rootAddress, port: 0, sdkPort: 0, portRange: { from: 29_520, to: 29_529 },
      reconcileIntervalMs: 200, hostHeartbeatTimeoutMs: 10_000,
    }, { log: () => undefined });
    api = new Api(cp.url);
    // Everything runs on the agents: the control plane's own host takes nothing.
    await request('POST', '/v1/hosts/local/cordon', {});
    for (const [i, h] of HOSTS.entries()) {
      const ns = spaces[i];
      if (!ns) throw new Error('no namespace');
      const { token } = await request<{ token: string }>('POST', `/v1/hosts/${h.id}/token`, {});
      agents.push(startAgentProcess([
        '--control-plane', cp.url, '--host-id', h.id, '--zone', h.zone, '--region', 'eu', '--public-address', ns.address,
        '--port-range', '7400-7420', '--slots', '4', '--data-dir', path.join(dir, h.id), '--sdk-port', '7351', '--heartbeat-ms', '500',
      ], token, ns.exec));
    }
    await waitFor(async () => (await hosts()).filter((h) => !h.embedded && h.state === 'Ready').length === 3, { what: 'three agents registered', timeoutMs: 60_000 });
    must(await api.apply({
      builds: [arenaBuild(V1, '1.0.0', 2), arenaBuild(V2, '2.0.0', 2), arenaBuild(V3, '3.0.0', 2)],
      fleets: [{ name: FLEET, build: V1, capacity: { minServers: 3, maxServers: 8, bufferServers: 0, idleTimeoutSeconds: 600 }, health: { timeoutSeconds: 15, startTimeoutSeconds: 60, stopGraceSeconds: 5 } }],
    }), 'apply');
    await waitFor(async () => (await api.servers(FLEET)).filter((s) => s.state === 'Ready').length === 3, { what: '3 Ready v1 servers on the agents', timeoutMs: 120_000 });
  }, 240_000);

  afterAll(async () => {
    for (const p of players) if (p.closed === null) p.terminate();
    await cp?.close({ stopServers: true }).catch(() => undefined);
    await Promise.all(agents.map((a) => a.stop()));
    for (const ns of spaces) destroyNetNs(ns);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('spreads the fleet over the three hosts and both zones, players playing', async () => {
    expect(Object.fromEntries((await hosts()).map((h) => [h.id, h.servers.length]))).toEqual({ local: 0, 'rel-a': 1, 'rel-b': 1, 'rel-c': 1 });
    for (let i = 1; i <= 4; i++) await join(`v1-player-${i}`);
    expect(players.map((p) => p.build)).toEqual([V1, V1, V1, V1]);
    const addresses = new Set(spaces.map((s) => s.address));
    for (const p of players) {
      expect(addresses.has(p.allocation.server.address)).toBe(true);
      await p.receivesTicks(2);
    }
  }, 120_000);

  it('releases blue-green across the hosts: new sessions on v2, the v1 players finish, v1 retires, v2 spread over both zones', async () => {
    const started = must(await api.startRollout({
      fleet: FLEET, build: V2, strategy: 'blue-green', autoPromote: true, smoke: null, drain: null, oldIdleSeconds: 1, readyTimeoutSeconds: 120, maxStartFailures: 3,
    }), 'start the blue-green release');
    await waitForPhase(api, started.id, 'Draining', 180_000);
    expect(await zonesOf(V2)).toEqual(['z1', 'z2']);

    const late: Player[] = [];
    for (let i = 1; i <= 3; i++) late.push(await join(`v2-player-${i}`));
    expect(late.map((p) => p.build)).toEqual([V2, V2, V2]);
    for (const p of late) expect(p.welcomed?.version).toBe('2.0.0');

    // The v1 players were never told to go: they still play where they were, then leave.
    const early = players.filter((p) => p.build === V1);
    for (const p of early) {
      expect(p.connected, `${p.id} still connected`).toBe(true);
      await p.receivesTicks(2);
    }
    for (const p of early) expect(await p.leave(), `${p.id}'s close`).toEqual({ code: 1000, reason: 'bye', byServer: true });

    const done = await waitForPhase(api, started.id, 'Completed', 120_000);
    expect(done.completedAt).not.toBeNull();
    await waitForBuildStopped(api, V1, 60_000);
    expect(must(await api.fleet(FLEET), 'get fleet').currentBuild).toBe(V2);
    expect(await zonesOf(V2)).toEqual(['z1', 'z2']);
    for (const p of late) await p.receivesTicks(1);
  }, 420_000);

  it('releases rolling across the hosts: each v2 server leaves rotation, its players finish, v3 replaces it, spread over both zones', async () => {
    const started = must(await api.startRollout({
      fleet: FLEET, build: V3, strategy: 'rolling', maxSurge: 1, maxUnavailable: 1, batchReadyTimeoutSeconds: 120,
    }), 'start the rolling release');
    const done = await leaveDrainingUntilDone(started.id);
    expect(done.progressState).toMatchObject({ replaced: 3 });
    await waitForBuildStopped(api, V2, 60_000);
    expect(must(await api.fleet(FLEET), 'get fleet').currentBuild).toBe(V3);
    expect(await zonesOf(V3)).toEqual(['z1', 'z2']);

    const fresh = [await join('v3-player-1'), await join('v3-player-2')];
    expect(fresh.map((p) => p.build)).toEqual([V3, V3]);
    for (const p of fresh) {
      expect(p.welcomed?.version).toBe('3.0.0');
      await p.receivesTicks(2);
      expect(await p.leave(), `${p.id}'s close`).toEqual({ code: 1000, reason: 'bye', byServer: true });
    }
  }, 420_000);

  it('ended every session by its player and none by a stop, crash or deadline', async () => {
    const sessions = await api.sessions(FLEET);
    expect(sessions.map((s) => s.playerId).sort()).toEqual(players.map((p) => p.id).sort());
    await waitFor(async () => (await api.sessions(FLEET, { open: true })).length === 0, { what: 'every session closed', timeoutMs: 30_000 });
    const closed = await api.sessions(FLEET);
    expectNoInterruptedSessions(await api.events(FLEET), closed);
    expect(closed.filter((s) => s.closeReason !== 'ended').map((s) => `${s.playerId}: ${s.closeReason ?? 'open'}`)).toEqual([]);
    for (const p of players) expect(p.closed, `${p.id}'s close`).toEqual({ code: 1000, reason: 'bye', byServer: true });
  }, 60_000);

  it('drains a host with a notice and a deadline: its players hear the notice through the SDK tunnel, what is left is closed as migrated at the deadline, the host empties', async () => {
    const drained: Player[] = [];
    for (let i = 1; i <= 2; i++) drained.push(await Player.join(api, FLEET, `drain-player-${i}`));
    const [player] = drained;
    if (!player) throw new Error('no player');
    const host = (await hosts()).find((h) => h.servers.includes(player.serverId));
    if (!host) throw new Error(`no host runs ${player.serverId}`);
    const onHost = drained.filter((p) => host.servers.includes(p.serverId));
    const view = await request<{ state: string; drain: { since: number; deadline: { deadlineSeconds: number; noticeLeadSeconds: number } } }>('POST', `/v1/hosts/${host.id}/drain`, { drain: { deadlineSeconds: 12, noticeLeadSeconds: 8 } });
    expect(view).toMatchObject({ state: 'Draining', drain: { deadline: { deadlineSeconds: 12, noticeLeadSeconds: 8 } } });
    const deadline = view.drain.since + 12_000;

    for (const p of onHost) {
      const heard = await waitFor(() => p.heard.find((h) => h.message.type === 'notice' && h.message.kind === 'drain'), { what: `${p.id} to hear the drain notice`, timeoutMs: 60_000 });
      expect(heard.message).toEqual({ type: 'notice', kind: 'drain', reason: 'host-draining', deadline });
      expect(heard.at).toBeLessThan(deadline);
      expect(p.connected, `${p.id} still playing after the notice`).toBe(true);
    }
    for (const p of onHost) await waitFor(() => p.closed, { what: `${p.id}'s session to be closed at the deadline`, timeoutMs: 60_000 });
    const sessions = await api.sessions(FLEET);
    for (const p of onHost) expect(sessions.find((x) => x.id === p.sessionId)?.closeReason, `${p.id}'s close reason`).toBe('migrated');
    await waitFor(async () => (await request<{ empty: boolean }>('GET', `/v1/hosts/${host.id}`)).empty, { what: `${host.id} empty`, timeoutMs: 60_000 });
    expectNoInterruptedSessions(await api.events(FLEET), sessions);
    for (const p of drained) if (p.closed === null) await p.leave();
    await request('POST', `/v1/hosts/${host.id}/uncordon`, {});
  }, 240_000);
});
