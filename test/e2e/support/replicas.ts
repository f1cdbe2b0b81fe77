/**
 * Three `handoff server --store postgres://…` replicas on one host (local game servers are
 * re-adopted by pid, so a new leader must run where they run), a supervisor that restarts a
 * killed replica, and an API reached through `handoff/client`'s failover transport, so the
 * test itself rides through take-overs the way a matchmaker would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FailoverTransport } from '../../../src/client/transport.js';
import { ControlPlane } from './control-plane.js';
import { freePort, freePortRange } from './ports.js';
import { killHard, scanGameProcessTree } from './procs.js';
import { waitFor } from './wait.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export class ReplicaSet {
  private supervising: NodeJS.Timeout | null = null;
  /** Replicas the supervisor leaves down (a test's deliberate pause). */
  private readonly held = new Set<string>();
  readonly api: FailoverTransport;

  private constructor(readonly replicas: Map<string, ControlPlane>, readonly root: string, readonly log: string[]) {
    this.api = new FailoverTransport([...replicas.values()].map((r) => r.url), { retry: { budgetMs: 60_000 }, timeoutMs: 15_000 });
  }

  /** Starts `ids.length` replicas on one database; resolves once one leads and all are in the cluster view. */
  static async start(name: string, dbUrl: string, ids: readonly string[], leaseTtlSeconds: number): Promise<ReplicaSet> {
    const root = mkdtempSync(path.join(tmpdir(), `handoff-${name}-`));
    const portRange = await freePortRange(name);
    const replicas = new Map<string, ControlPlane>();
    for (const id of ids) {
      replicas.set(id, await ControlPlane.start({
        dataDir: path.join(root, id), port: await freePort(), sdkPort: await freePort(), portRange, role: 'follower',
        extraArgs: ['--store', dbUrl, '--replica-id', id, '--lease-ttl', String(leaseTtlSeconds)],
      }));
    }
    const set = new ReplicaSet(replicas, root, []);
    await waitFor(async () => {
      const view = await set.cluster().catch(() => null);
      return view?.leader && view.items.filter((r: Json) => r.role !== 'gone').length === ids.length;
    }, { what: `a leader among ${ids.length} replicas`, timeoutMs: 60_000 });
    return set;
  }

  async get(route: string): Promise<Json> {
    return (await this.api.request<Json>({ method: 'GET', path: route })).data;
  }

  /** A write the test knows is safe to repeat (declarative, or refused as a duplicate). */
  async send(method: string, route: string, body: unknown): Promise<Json> {
    return (await this.api.request<Json>({ method, path: route, body, idempotent: true })).data;
  }

  async cluster(): Promise<Json> {
    return this.get('/v1/cluster');
  }

  /** The leading replica, asked of the leader itself (it answers with `self` = its id). */
  async leader(): Promise<{ id: string; epoch: number; cp: ControlPlane }> {
    for (const [id, cp] of this.replicas) {
      if (!cp.running) continue;
      const view = await fetch(`${cp.url}/v1/cluster`).then((r) => r.json() as Promise<Json>, () => null);
      if (view?.leader?.id === id && view.self === id) return { id, epoch: Number(view.epoch), cp };
    }
    throw new Error('no replica leads right now');
  }

  /** Restarts, as followers, replicas that died and are not held down; checks every 250 ms. */
  supervise(): void {
    const tick = async (): Promise<void> => {
      for (const [id, cp] of this.replicas) {
        if (cp.running || this.held.has(id)) continue;
        this.log.push(`${new Date().toISOString()} supervisor: restarting ${id}`);
        await cp.restart().catch((e: unknown) => this.log.push(`supervisor: ${id} did not restart: ${String(e)}`));
      }
      if (this.supervising) this.supervising = setTimeout(() => void tick(), 250);
    };
    this.supervising = setTimeout(() => void tick(), 250);
  }

  /** kill -9 of the current leader; the supervisor restarts it after `downMs`. Returns its id and epoch. */
  async killLeader(downMs: number): Promise<{ id: string; epoch: number }> {
    const { id, epoch, cp } = await this.leader();
    this.held.add(id);
    await cp.kill9();
    setTimeout(() => this.held.delete(id), downMs);
    return { id, epoch };
  }

  /**
   * Milliseconds from `since` until a leadership newer than `old` answers as the leader. Judged by
   * epoch, not by id: the killed replica, restarted by the supervisor, may legitimately win the
   * next lease itself (a replica retakes the lease it held before a restart without waiting for
   * it to expire), and that is a failover like any other.
   */
  async waitForNewLeader(old: { id: string; epoch: number }, since: number): Promise<{ id: string; ms: number }> {
    const found = await waitFor(async () => {
      const l = await this.leader().catch(() => null);
      return l && l.epoch > old.epoch ? l : null;
    }, { what: `a new leader after ${old.id} (epoch ${old.epoch})`, timeoutMs: 60_000, intervalMs: 50 });
    return { id: found.id, ms: Date.now() - since };
  }

  output(): string {
    return [...this.replicas].map(([id, cp]) => `--- ${id} ---\n${cp.recentOutput()}`).join('\n') + `\n--- supervisor ---\n${this.log.join('\n')}`;
  }

  /** Stops supervising, kills every replica and every game server they started. */
  async teardown(keep: boolean): Promise<void> {
    if (this.supervising) clearTimeout(this.supervising);
    this.supervising = null;
    for (const cp of this.replicas.values()) await cp.kill9();
    for (const cp of this.replicas.values()) {
      for (const p of scanGameProcessTree({ sdkUrl: cp.sdkUrl, dataDir: cp.config.dataDir })) killHard(p.pid);
    }
    if (!keep) rmSync(this.root, { recursive: true, force: true });
  }
}
