/**
 * Reads served by a follower replica itself: the API's GET routes over a World loaded from the
 * shared store, reloaded when a read finds it older than `maxAgeMs`. So a follower answers reads
 * at most that stale (the `X-Handoff-State-Age-Ms` header says how much) and never writes: its
 * store refuses commits, and only GET requests reach it (the rest are forwarded to the leader).
 */
import { AllocationService } from '../allocation/service.js';
import type { ApiDeps } from '../api/deps.js';
import { clusterRoutes } from '../api/routes/cluster.js';
import { allRoutes } from '../api/routes/index.js';
import type { ClusterView } from '../cluster/model.js';
import type { Clock } from '../core/clock.js';
import { HandoffError } from '../core/errors.js';
import { EnvironmentService } from '../environment/service.js';
import { FleetService } from '../fleet/service.js';
import { createHandler, type RequestHandler } from '../http/handler.js';
import { originPolicy } from '../http/request-guard.js';
import { DefaultRetryPolicy } from '../notify/retry.js';
import { Notifier } from '../notify/service.js';
import { ReleaseService } from '../release/service.js';
import { RolloutService } from '../rollout/service.js';
import { SessionService } from '../session/service.js';
import type { Ctx } from '../state/context.js';
import { Persister } from '../state/persister.js';
import { World } from '../state/world.js';
import type { StateStore } from '../store/port.js';
import { loadLatestRollouts, MAX_BODY_BYTES } from './compose.js';
import type { ResolvedServerOptions } from './options.js';

export interface ReadPlane {
  handler: RequestHandler;
  loadedAt: number;
}

export class FollowerReads {
  private plane: ReadPlane | null = null;
  private loading: Promise<ReadPlane> | null = null;

  constructor(
    private readonly store: StateStore,
    private readonly options: ResolvedServerOptions,
    private readonly clock: Clock,
    private readonly cluster: { view(): Promise<ClusterView> },
    private readonly maxAgeMs: number,
    private readonly log: (line: string) => void,
  ) {}

  /** The read plane, reloaded first when it is older than `maxAgeMs`; concurrent reads share one reload. */
  async current(): Promise<ReadPlane> {
    const now = this.clock.now();
    if (this.plane && now - this.plane.loadedAt <= this.maxAgeMs) return this.plane;
    this.loading ??= this.load(now).finally(() => (this.loading = null));
    this.plane = await this.loading;
    return this.plane;
  }

  private async load(now: number): Promise<ReadPlane> {
    const world = World.fromSnapshot(await this.store.load(now));
    await loadLatestRollouts(world, this.store);
    // A follower never writes: anything that tried would be refused here, before the database.
    const readOnly = Object.assign(Object.create(this.store) as StateStore, {
      commit: () => Promise.reject(new HandoffError('NO_LEADER', 'a follower replica does not write; the leader does')),
    });
    const persister = new Persister(readOnly, { onFailure: (e) => this.log(`follower reads: a write was refused: ${String(e)}`) });
    const ctx: Ctx = { world, persister, clock: this.clock, store: readOnly, notify: () => undefined };
    const o = this.options;
    const joinSecret = world.meta['joinSecret'] ?? '';
    const sessions = new SessionService(ctx, { joinSecret, reservationTtlMs: o.reservationTtlMs });
    const rollouts = new RolloutService(ctx, sessions, { cwd: o.cwd, kick: () => undefined });
    // Built only to answer reads: none of their loops is started here.
    const loops = { intervalMs: o.reconcileIntervalMs, onError: (e: unknown) => this.log(`follower reads: ${String(e)}`) };
    const api: ApiDeps = {
      ctx,
      sessions,
      rollouts,
      fleets: new FleetService(ctx, () => undefined),
      allocations: new AllocationService(ctx, { joinSecret, joinTokenTtlMs: o.joinTokenTtlMs, idempotencyTtlMs: o.idempotencyTtlMs }, { allocated: () => undefined }),
      releases: new ReleaseService(ctx, rollouts, loops),
      environments: await EnvironmentService.create(ctx, rollouts, { ...loops, checkLaunch: () => undefined }),
      notifier: await Notifier.create(ctx, { ...loops, policy: DefaultRetryPolicy, timeoutMs: 10_000, random: Math.random }),
    };
    const routes = [...allRoutes(api), ...clusterRoutes(this.cluster)].filter((r) => r.method === 'get');
    const handler = createHandler(routes, {
      maxBodyBytes: MAX_BODY_BYTES,
      maxInFlight: o.maxInFlight,
      policy: originPolicy(o.host, o.allowedHosts, o.allowedOrigins),
      refusal: () => null,
      isClosing: () => false,
      onUnexpectedError: (e, c) => this.log(`follower reads: unexpected error ${c.errorId} on ${c.method} ${c.path}: ${String(e)}`),
    });
    return { handler, loadedAt: now };
  }
}
