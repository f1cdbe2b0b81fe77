/**
 * Declarative fleet management: `apply` validates every document first and commits them all
 * in one transaction, so a bad document leaves the store exactly as it was.
 */
import { singleBuildRouting } from '../allocation/routing.js';
import { planBuild, type ApplyResult, type LaunchValidator } from '../builds/service.js';
import type { Build, BuildSpec } from '../builds/model.js';
import { HandoffError } from '../core/errors.js';
import { event, type Ctx } from '../state/context.js';
import type { Mutation } from '../store/port.js';
import { fleetPlacement, joinTokenPolicy, type Fleet, type FleetSpec } from './model.js';

export type { FleetSpec };

/** Builds to register and fleets to create or update, all or nothing. */
export interface ApplyRequest {
  builds: readonly BuildSpec[];
  fleets: readonly FleetSpec[];
}

export interface ApplyOutcome {
  builds: { id: string; result: ApplyResult }[];
  fleets: { name: string; result: ApplyResult }[];
}

export class FleetService {
  constructor(
    private readonly ctx: Ctx,
    private readonly validateLaunch: LaunchValidator,
  ) {}

  async apply(req: ApplyRequest): Promise<ApplyOutcome> {
    const now = this.ctx.clock.now();
    const { world } = this.ctx;
    const newBuilds = new Map<string, Build>();
    const outcome: ApplyOutcome = { builds: [], fleets: [] };
    const mutations: Mutation[] = [];
    for (const spec of req.builds) {
      if (newBuilds.has(spec.id)) throw new HandoffError('VALIDATION_FAILED', `build ${spec.id} appears twice`, { build: spec.id });
      const build = planBuild(this.ctx, spec, now, this.validateLaunch);
      if (build) newBuilds.set(build.id, build);
      outcome.builds.push({ id: spec.id, result: build ? 'created' : 'unchanged' });
    }
    const fleets: Fleet[] = [];
    const seen = new Set<string>();
    for (const spec of req.fleets) {
      if (seen.has(spec.name)) throw new HandoffError('VALIDATION_FAILED', `fleet ${spec.name} appears twice`, { fleet: spec.name });
      seen.add(spec.name);
      const fleet = this.planFleetSpec(spec, now, (id) => newBuilds.has(id) || world.builds.has(id));
      if (fleet) fleets.push(fleet);
      outcome.fleets.push({ name: spec.name, result: fleet ? (world.fleets.has(spec.name) ? 'updated' : 'created') : 'unchanged' });
    }
    // Everything is valid: apply in memory and commit in one transaction.
    for (const b of newBuilds.values()) {
      world.putBuild(b);
      mutations.push({ kind: 'putBuild', build: b }, event(now, null, 'build.registered', b.id, `build ${b.id} (${b.version}) registered`));
    }
    for (const f of fleets) {
      world.fleets.set(f.name, f);
      mutations.push({ kind: 'putFleet', fleet: f }, event(now, f.name, 'fleet.applied', f.name, `fleet ${f.name} applied`, { build: f.currentBuild }));
    }
    await this.ctx.persister.persist(mutations);
    return outcome;
  }

  /** Returns the fleet to store, or null when nothing changes. */
  private planFleetSpec(spec: FleetSpec, now: number, buildExists: (id: string) => boolean): Fleet | null {
    const c = spec.capacity;
    if (c.minServers > c.maxServers || c.bufferServers > c.maxServers) {
      throw new HandoffError('FLEET_INVALID_CAPACITY', `fleet ${spec.name}: need minServers <= maxServers and bufferServers <= maxServers`, { fleet: spec.name, capacity: c });
    }
    if (!buildExists(spec.build)) throw new HandoffError('BUILD_NOT_FOUND', `fleet ${spec.name} names unknown build ${spec.build}`, { build: spec.build });
    const existing = this.ctx.world.fleets.get(spec.name);
    if (!existing) {
      return {
        name: spec.name, currentBuild: spec.build, capacity: spec.capacity, health: spec.health,
        routing: singleBuildRouting(spec.build), region: spec.region, partyPolicy: spec.partyPolicy, labels: spec.labels, joinTokens: spec.joinTokens,
        placement: spec.placement, createdAt: now, updatedAt: now,
      };
    }
    if (existing.currentBuild !== spec.build) {
      const active = this.ctx.world.activeRolloutOf(spec.name);
      if (active) throw new HandoffError('ROLLOUT_IN_PROGRESS', `fleet ${spec.name} has rollout ${active.id} in progress`, { rollout: active.id });
      throw new HandoffError('FLEET_BUILD_CHANGE_NEEDS_ROLLOUT', `fleet ${spec.name} runs ${existing.currentBuild}; release ${spec.build} with \`handoff rollout start ${spec.name} --build ${spec.build}\``, { fleet: spec.name, currentBuild: existing.currentBuild });
    }
    const next: Fleet = { ...existing, capacity: spec.capacity, health: spec.health, region: spec.region, partyPolicy: spec.partyPolicy, labels: spec.labels, joinTokens: spec.joinTokens, placement: spec.placement };
    const fields = (f: Fleet) => JSON.stringify([f.capacity, f.health, f.region, f.partyPolicy, f.labels, joinTokenPolicy(f), fleetPlacement(f)]);
    const same = fields(existing) === fields(next);
    return same ? null : { ...next, updatedAt: now };
  }
}
