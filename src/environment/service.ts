/**
 * The environment service: keeps environments in memory (loaded at start), applies manifests,
 * stages, snapshots and restores, and runs the cycle once a release completes. Decisions are
 * the pure functions of `spec.ts`, `cycle.ts` and `warm.ts`; this file reads and commits.
 *
 * It sits above the fleet and rollout domains (it reads fleets and starts releases; neither
 * knows it exists). The cycle is driven by polling what the fleets run, so a release started by
 * any means — the CLI, the API, a release plan — is followed the same way.
 */
import { z } from 'zod';
import type { LaunchValidator } from '../builds/service.js';
import { PeriodicPass } from '../core/periodic.js';
import { HandoffError } from '../core/errors.js';
import type { BuildRole } from '../fleet/plan-fleet.js';
import type { RolloutStart } from '../rollout/model.js';
import type { RolloutService } from '../rollout/service.js';
import { blueGreenOptions, type BlueGreenSpec } from '../rollout/strategies/blue-green/spec.js';
import { event, type Ctx } from '../state/context.js';
import type { Mutation } from '../store/port.js';
import { decideCycle, isSettled, planRestore, stage, takeSnapshot } from './cycle.js';
import { liveSlot, type Environment, type EnvironmentSpec, type EnvSnapshot, type FleetObservation } from './model.js';
import { createEnvironment, updateEnvironment, validateSpec } from './spec.js';
import { warmRoles, withWarm } from './warm.js';

export interface EnvironmentServiceOptions {
  /** How often the cycle looks at the fleets. */
  intervalMs: number;
  /** "Pre-loading" a build: the runtime's check that it can launch it (executable, directory). */
  checkLaunch: LaunchValidator;
  onError: (e: unknown) => void;
}

export interface StageInput {
  build?: string | undefined;
  /** Stage the build live in this other environment (promotion: the same build id). */
  from?: string | undefined;
  warmServers?: number | undefined;
}

export type ApplyEnvResult = 'created' | 'updated' | 'unchanged';

export class EnvironmentService {
  private readonly envs = new Map<string, Environment>();
  private readonly loop: PeriodicPass;

  private constructor(
    private readonly ctx: Ctx,
    private readonly rollouts: RolloutService,
    private readonly opts: EnvironmentServiceOptions,
  ) {
    this.loop = new PeriodicPass(ctx.clock, opts.intervalMs, () => this.tick());
  }

  static async create(ctx: Ctx, rollouts: RolloutService, opts: EnvironmentServiceOptions): Promise<EnvironmentService> {
    const s = new EnvironmentService(ctx, rollouts, opts);
    for (const e of await ctx.store.listEnvironments()) s.envs.set(e.name, e);
    return s;
  }

  list(): Environment[] {
    return [...this.envs.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): Environment {
    const e = this.envs.get(name);
    if (!e) throw new HandoffError('ENV_NOT_FOUND', `no environment named ${name}`, { environment: name });
    return e;
  }

  /** Checks declared environments against the control plane and the builds and fleets of the same request. */
  precheck(specs: readonly EnvironmentSpec[], pending: { builds: readonly string[]; fleets: ReadonlyArray<{ name: string; build: string }> }): void {
    const { world } = this.ctx;
    const seen = new Set<string>();
    for (const spec of specs) {
      if (seen.has(spec.name)) throw new HandoffError('VALIDATION_FAILED', `environment ${spec.name} appears twice`, { environment: spec.name });
      seen.add(spec.name);
      validateSpec(spec, {
        buildExists: (id) => world.builds.has(id) || pending.builds.includes(id),
        fleetBuild: (name) => world.fleets.get(name)?.currentBuild ?? pending.fleets.find((f) => f.name === name)?.build,
        ownerOf: (fleet) => this.ownerOf(fleet, specs),
      });
    }
  }

  async apply(specs: readonly EnvironmentSpec[]): Promise<{ name: string; result: ApplyEnvResult }[]> {
    this.precheck(specs, { builds: [], fleets: [] });
    const now = this.ctx.clock.now();
    const out: { name: string; result: ApplyEnvResult }[] = [];
    const mutations: Mutation[] = [];
    for (const spec of specs) {
      const existing = this.envs.get(spec.name);
      const running = this.ctx.world.fleets.get(spec.fleets[0] ?? '')?.currentBuild ?? '';
      const next = existing ? updateEnvironment(existing, spec, now) : createEnvironment(spec, running, now);
      out.push({ name: spec.name, result: next === null ? 'unchanged' : existing ? 'updated' : 'created' });
      if (next) mutations.push(...this.put(existing, next, now));
    }
    await this.ctx.persister.persist(mutations);
    return out;
  }

  async stage(name: string, input: StageInput): Promise<Environment> {
    const env = this.get(name);
    const build = input.from !== undefined ? liveSlot(this.get(input.from)).build : input.build;
    if (build === undefined) throw new HandoffError('VALIDATION_FAILED', 'give the build to stage, or the environment to promote it from', { fields: ['build', 'from'] });
    const b = this.ctx.world.builds.get(build);
    if (!b) throw new HandoffError('SLOT_BUILD_NOT_FOUND', `build ${build} is not registered`, { build, environment: name });
    // What "pre-loading" means for a build Handoff launches from a path: it is there and launchable.
    this.opts.checkLaunch(b);
    const now = this.ctx.clock.now();
    const next = stage(env, build, input.warmServers, !isSettled(env, this.observe(env)), now);
    await this.ctx.persister.persist(this.put(env, next, now));
    return next;
  }

  async snapshot(name: string): Promise<EnvSnapshot> {
    const env = this.get(name);
    const fleets = this.observe(env);
    if (!isSettled(env, fleets)) throw new HandoffError('ENV_BUSY', `environment ${name} has a release or restore in flight; a snapshot is taken between releases`, { environment: name });
    const now = this.ctx.clock.now();
    const taken = takeSnapshot(env, fleets, now, 'manual');
    await this.ctx.persister.persist([...this.put(env, taken.env, now), { kind: 'putEnvSnapshot', snapshot: taken.snapshot }]);
    return taken.snapshot;
  }

  snapshots(name: string, limit: number): Promise<EnvSnapshot[]> {
    this.get(name);
    return this.ctx.store.listEnvSnapshots({ environment: name, limit });
  }

  async getSnapshot(name: string, number: number): Promise<EnvSnapshot> {
    this.get(name);
    const snap = await this.ctx.store.getEnvSnapshot(name, number);
    if (!snap) throw new HandoffError('SNAPSHOT_NOT_FOUND', `environment ${name} has no snapshot #${number}`, { environment: name, snapshot: number });
    return snap;
  }

  /**
   * Restores a snapshot: a blue-green release of its live build to every fleet that left it
   * (open sessions finish on the build they are on; nobody is cut off), and the snapshot's slot
   * bindings once the fleets run it.
   */
  async restore(name: string, number: number, options?: Omit<BlueGreenSpec, 'strategy'>): Promise<{ environment: Environment; releases: { fleet: string; rollout: string }[] }> {
    const snap = await this.getSnapshot(name, number);
    const env = this.get(name);
    const fleets = this.observe(env);
    const missing = snap.builds.find((b) => !this.ctx.world.builds.has(b));
    if (missing !== undefined) throw new HandoffError('SLOT_BUILD_NOT_FOUND', `snapshot #${number} names build ${missing}, which is not registered`, { build: missing, snapshot: number });
    const now = this.ctx.clock.now();
    const plan = planRestore(env, snap, fleets, now);
    const spec: BlueGreenSpec = { strategy: 'blue-green', ...(options ?? z.object(blueGreenOptions).parse({})) };
    const starts: RolloutStart[] = plan.releases.map((fleet) => ({ fleet, build: plan.env.restoring?.build ?? '', replace: false, spec }));
    this.rollouts.precheck(starts, { builds: [], fleets: [] });
    await this.ctx.persister.persist(this.put(env, plan.env, now));
    const releases: { fleet: string; rollout: string }[] = [];
    for (const s of starts) releases.push({ fleet: s.fleet, rollout: (await this.rollouts.start(s)).id });
    return { environment: this.get(name), releases };
  }

  /** The fleet planner's roles with the warm servers of a staged idle slot added. */
  adjustRoles(fleet: string, roles: Map<string, BuildRole>): Map<string, BuildRole> {
    for (const env of this.envs.values()) {
      if (env.fleets.includes(fleet)) return withWarm(roles, warmRoles(env, fleet));
    }
    return roles;
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass of the cycle over every environment. */
  async tick(): Promise<void> {
    for (const env of [...this.envs.values()]) {
      try {
        const snap = env.restoring ? await this.ctx.store.getEnvSnapshot(env.name, env.restoring.snapshot) : undefined;
        // Read again after the await: an API call may have changed it meanwhile.
        const current = this.envs.get(env.name);
        if (!current) continue;
        const now = this.ctx.clock.now();
        const r = decideCycle(current, this.observe(current), now, snap);
        if (!r) continue;
        await this.ctx.persister.persist([...this.put(current, r.env, now), ...r.snapshots.map((s): Mutation => ({ kind: 'putEnvSnapshot', snapshot: s }))]);
      } catch (e) {
        this.opts.onError(e);
      }
    }
  }

  private observe(env: Environment): FleetObservation[] {
    const out: FleetObservation[] = [];
    for (const name of env.fleets) {
      const f = this.ctx.world.fleets.get(name);
      if (!f) continue;
      out.push({ name, currentBuild: f.currentBuild, routing: f.routing, capacity: f.capacity, releasing: this.ctx.world.activeRolloutOf(name) !== undefined });
    }
    return out;
  }

  private ownerOf(fleet: string, declared: readonly EnvironmentSpec[]): string | undefined {
    for (const e of this.envs.values()) {
      // An environment re-declared in this request gives up the fleets it no longer lists.
      const redeclared = declared.find((d) => d.name === e.name);
      if ((redeclared ? redeclared.fleets : e.fleets).includes(fleet)) return e.name;
    }
    return declared.filter((d) => !this.envs.has(d.name)).find((d) => d.fleets.includes(fleet))?.name;
  }

  /** Sets the environment in memory and returns its mutations: the record and one event per new history line. */
  private put(prev: Environment | undefined, next: Environment, now: number): Mutation[] {
    this.envs.set(next.name, next);
    const old = new Set(prev?.history ?? []);
    const events = next.history.filter((h) => !old.has(h)).map((h) =>
      event(now, null, `environment.${h.action}`, next.name, h.detail, { slot: h.slot, build: h.build, ...(h.snapshot !== undefined ? { snapshot: h.snapshot } : {}) }));
    return [{ kind: 'putEnvironment', environment: next }, ...events];
  }
}
