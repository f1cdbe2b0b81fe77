/**
 * The control plane under simulation: the real composition (`startControlPlane`) on a fake
 * clock, a SQLite file in a private directory (fsync skipped: durability is not what is being
 * simulated, and a disk wait would make runs slow and their interleavings real-time dependent),
 * and a `SimulatedRuntime` over a host that outlives every incarnation — so `restart` is a real
 * close and start on the same store, and the new control plane re-adopts the host's servers.
 *
 * Requests go to the services behind the API routes, parsed with the API's own schemas: what a
 * client could send over HTTP, without sockets, so every run interleaves the same way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ReleasePlanSchema, toReleasePlan } from '../api/release-schemas.js';
import { ApplyRequestSchema, AllocationRequestSchema, RolloutStartSchema, toRolloutStart, type AllocationResponse, type RolloutStartRequest } from '../api/schemas.js';
import type { FakeClock } from '../core/clock.js';
import { isHandoffError } from '../core/errors.js';
import type { ReleaseRecord } from '../release/model.js';
import type { Rollout } from '../rollout/model.js';
import type { PromoteInput } from '../rollout/strategy.js';
import type { SimulatedHost } from '../runtime/simulated/host.js';
import { SimulatedRuntime } from '../runtime/simulated/simulated-runtime.js';
import { startControlPlane, type ControlPlane } from '../server/compose.js';
import type { ServerOptions } from '../server/options.js';
import type { World } from '../state/world.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';

/** An API answer: the value, or the error code a client would have seen. */
export type Answer<T> = { ok: true; value: T } | { ok: false; code: string; message: string; retryable: boolean; retryAfterSeconds?: number };

export interface SimControlPlaneOptions {
  clock: FakeClock;
  host: SimulatedHost;
  /** Options of every incarnation (ports and data directory are the simulation's). */
  server?: ServerOptions;
  /** Told of control-plane log lines (reconcile errors, failed exit handling, …). */
  log: (line: string) => void;
  /** A failed commit: the control plane would exit. */
  onFatal: (e: unknown) => void;
}

export class SimControlPlane {
  private cp: ControlPlane | null = null;
  private readonly dataDir = mkdtempSync(path.join(tmpdir(), 'handoff-sim-'));
  /** Incarnations started so far. */
  starts = 0;

  constructor(private readonly opts: SimControlPlaneOptions) {}

  /** Up and answering. While it is down (or closing), every request answers UNAVAILABLE. */
  get up(): boolean {
    return this.cp !== null;
  }

  /** The running incarnation's in-memory state. Throws while down. */
  get world(): World {
    if (!this.cp) throw new Error('the control plane is down');
    return this.cp.world;
  }

  get store(): ControlPlane['store'] | null {
    return this.cp?.store ?? null;
  }

  async start(): Promise<void> {
    if (this.cp) return;
    const store = SqliteStore.open(path.join(this.dataDir, 'handoff.db'), { fsync: (_fd, done) => done(null) });
    const runtime = SimulatedRuntime.create({ host: this.opts.host, clock: this.opts.clock });
    this.cp = await startControlPlane(
      { reconcileIntervalMs: 500, ...this.opts.server, dataDir: this.dataDir, port: 0, sdkPort: 0, host: '127.0.0.1' },
      { clock: this.opts.clock, store, runtime, log: this.opts.log, onFatal: this.opts.onFatal },
    );
    this.starts += 1;
  }

  /** Closes the incarnation (game servers keep running); requests fail from this instant. */
  async stop(): Promise<void> {
    const cp = this.cp;
    this.cp = null;
    await cp?.close();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Stops for good and deletes the data directory. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** POST /v1/apply */
  apply(doc: unknown): Promise<Answer<unknown>> {
    return this.request((cp) => cp.api.fleets.apply(ApplyRequestSchema.parse(doc)));
  }

  /** POST /v1/allocations. The decision is taken synchronously, inside this call. */
  allocate(req: Record<string, unknown>): Promise<Answer<AllocationResponse & { outcome: string }>> {
    return this.request(async (cp) => {
      const { response, outcome } = await cp.api.allocations.allocate(AllocationRequestSchema.parse(req));
      return { ...response, outcome };
    });
  }

  /** POST /v1/rollouts: `body` is the API's request (fleet, build, strategy and its options). */
  startRelease(body: Record<string, unknown>): Promise<Answer<Rollout>> {
    return this.request((cp) => cp.api.rollouts.start(toRolloutStart(RolloutStartSchema.parse(body) as RolloutStartRequest)));
  }

  promote(id: string, input: PromoteInput = {}): Promise<Answer<Rollout>> {
    return this.request((cp) => cp.api.rollouts.promote(id, input));
  }

  abort(id: string): Promise<Answer<Rollout>> {
    return this.request((cp) => cp.api.rollouts.abort(id));
  }

  /** POST /v1/releases: `body` is the API's plan (`kind: ReleasePlan` without its kind). */
  applyPlan(body: Record<string, unknown>): Promise<Answer<{ result: string; release: ReleaseRecord }>> {
    return this.request((cp) => cp.api.releases.apply(toReleasePlan(ReleasePlanSchema.parse(body))));
  }

  /** GET /v1/releases/{name} */
  plan(name: string): Promise<Answer<ReleaseRecord>> {
    return this.request((cp) => cp.api.releases.get(name));
  }

  /** POST /v1/releases/{name}/approve */
  approvePlan(name: string, step: string | null = null): Promise<Answer<ReleaseRecord>> {
    return this.request((cp) => cp.api.releases.approve(name, step));
  }

  /** DELETE /v1/sessions/{id} (reason `api`). */
  closeSession(id: string): Promise<Answer<unknown>> {
    return this.request((cp) => cp.api.sessions.close(id, 'api'));
  }

  private async request<T>(run: (cp: ControlPlane) => Promise<T>): Promise<Answer<T>> {
    const cp = this.cp;
    if (!cp) return { ok: false, code: 'UNAVAILABLE', message: 'the control plane is down', retryable: true };
    try {
      return { ok: true, value: await run(cp) };
    } catch (e) {
      // A schema error is the scenario's mistake, not an answer to simulate: let it fail the run.
      if (!isHandoffError(e)) throw e;
      return { ok: false, code: e.code, message: e.message, retryable: e.retryable, ...(e.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: e.retryAfterSeconds }) };
    }
  }
}
