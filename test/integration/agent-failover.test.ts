/**
 * The control plane's high availability extends to its hosts (docs/hosts.md, docs/ha.md): two
 * real `handoff server --store postgres://…` replicas and one real `handoff agent` on loopback
 * whose `--control-plane` lists the follower first. The follower refuses the agent's WebSocket
 * with NO_LEADER and the agent goes on to the leader; after kill -9 of the leader the agent
 * connects to the new leader, its game servers keep running, and the new leader lists the host
 * and the same servers again (re-adopted by the agent's hello, nothing duplicated).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startAgentProcess, type AgentProcess } from '../../src/agent/testing/agents.js';
import { freePortRange } from '../e2e/support/ports.js';
import { ReplicaSet, type Json } from '../e2e/support/replicas.js';
import { waitFor } from '../e2e/support/wait.js';
import { fixtureBuild } from '../support/control-plane.js';
import { describePg, dropDatabase, freshDatabase } from '../support/postgres.js';

describePg('an agent over two control-plane replicas when the leader is killed', () => {
  let url = '';
  let set: ReplicaSet | undefined;
  let agent: AgentProcess | undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'handoff-agent-failover-'));
  const pids: number[] = [];

  beforeAll(async () => {
    url = await freshDatabase('agentfo');
    set = await ReplicaSet.start('agentfo', url, ['r1', 'r2'], 2);
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    // The agent leaves its game servers running when it stops (by design): ended here by pid.
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await set?.teardown(false);
    rmSync(dir, { recursive: true, force: true });
    if (url) await dropDatabase(url);
  });

  /** GET on one replica (not through the failover transport): which one answers is the point. */
  const get = async (base: string, route: string): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${base}${route}`);
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it('reconnects to the new leader, keeps its game servers running and is listed with the same servers', async () => {
    if (!set) throw new Error('no replicas');
    const leader = await set.leader();
    const follower = [...set.replicas].find(([id]) => id !== leader.id)?.[1];
    if (!follower) throw new Error('no follower');

    const { token } = await set.send('POST', '/v1/hosts/h1/token', {});
    const ports = await freePortRange('agentfo-host');
    agent = startAgentProcess([
      // Follower first: it refuses the upgrade and the agent goes on to the leader.
      '--control-plane', `${follower.url},${leader.cp.url}`, '--host-id', 'h1', '--zone', 'remote-1a', '--region', 'remote',
      '--public-address', '127.0.0.1', '--port-range', `${ports.from}-${ports.to}`, '--slots', '4',
      '--data-dir', path.join(dir, 'h1'), '--sdk-port', '0', '--heartbeat-ms', '500',
    ], token as string);
    // Listed by either replica: the follower forwards GET /v1/hosts to the leader.
    for (const base of [follower.url, leader.cp.url]) {
      await waitFor(async () => (await get(base, '/v1/hosts/h1')).body?.state === 'Ready', { what: `h1 Ready through ${base}: ${agent?.output() ?? ''}`, timeoutMs: 60_000 });
    }
    expect(agent.output()).toContain('not the leader');
    expect((await get(follower.url, '/v1/hosts')).body.items.map((h: Json) => h.id)).toContain('h1');

    await set.send('POST', '/v1/apply', {
      builds: [fixtureBuild('v1', [], 4)],
      fleets: [{ name: 'arena', build: 'v1', capacity: { minServers: 2, maxServers: 2, bufferServers: 0 }, health: { timeoutSeconds: 30, startTimeoutSeconds: 60, stopGraceSeconds: 2 }, placement: { policy: 'pack', zones: ['remote-1a'] } }],
    });
    const before = await waitFor(async () => {
      const items = (await get(leader.cp.url, '/v1/servers?fleet=arena')).body.items as Json[];
      return items.length === 2 && items.every((s) => s.state === 'Ready') ? items : null;
    }, { what: 'two Ready servers on h1', timeoutMs: 90_000 });
    for (const s of before) pids.push(s.pid as number);
    const ids = before.map((s) => s.id as string).sort();
    expect((await get(leader.cp.url, '/v1/hosts/h1')).body.servers.sort()).toEqual(ids);

    const old = { id: leader.id, epoch: leader.epoch };
    await leader.cp.kill9();
    const next = await set.waitForNewLeader(old, Date.now());
    const newLeader = set.replicas.get(next.id);
    if (!newLeader) throw new Error(`no replica ${next.id}`);

    // The agent found the new leader by itself and said hello with what it runs.
    await waitFor(async () => {
      const h = (await get(newLeader.url, '/v1/hosts/h1')).body;
      return h?.state === 'Ready' && [...(h.servers as string[])].sort().join() === ids.join();
    }, { what: `h1 Ready with its servers on the new leader: ${agent.output()}`, timeoutMs: 90_000 });
    expect(pids.every(alive)).toBe(true);
    // Re-adopted, not replaced: the same two servers, the same processes, none started besides.
    await waitFor(async () => {
      const items = (await get(newLeader.url, '/v1/servers?fleet=arena')).body.items as Json[];
      return items.length === 2 && items.every((s) => s.state === 'Ready') ? items : null;
    }, { what: 'the two servers Ready on the new leader', timeoutMs: 60_000 });
    const after = (await get(newLeader.url, '/v1/servers')).body.items as Json[];
    expect(after.map((s) => [s.id, s.pid]).sort()).toEqual(before.map((s) => [s.id, s.pid]).sort());
    expect((await get(newLeader.url, '/v1/hosts')).body.items.filter((h: Json) => h.id === 'h1')).toHaveLength(1);
    expect(pids.every(alive)).toBe(true);
  }, 300_000);
});
