/**
 * Declaring environments (`kind: Environment`): validation, creation and update, as pure
 * functions. Everything is checked before anything is applied, so a refused manifest changes
 * nothing.
 */
import { HandoffError } from '../core/errors.js';
import { record } from './history.js';
import { otherSlot, SlotNames, type Environment, type EnvironmentSpec, type SlotProfile } from './model.js';

/** What validation needs to know about the rest of the control plane (and the same request). */
export interface SpecContext {
  buildExists(id: string): boolean;
  /** The build a fleet runs (or is declared with in the same request); undefined: no such fleet. */
  fleetBuild(name: string): string | undefined;
  /** The environment that owns a fleet, if any. */
  ownerOf(fleet: string): string | undefined;
}

/**
 * Refuses a spec that cannot be applied: a fleet that does not exist or belongs to another
 * environment, fleets that run different builds, a slot bound to a build that is not
 * registered, or a live slot bound to a build the fleets do not run.
 */
export function validateSpec(spec: EnvironmentSpec, ctx: SpecContext): void {
  if (spec.fleets.length === 0) throw new HandoffError('VALIDATION_FAILED', `environment ${spec.name} needs at least one fleet`, { fields: ['fleets'] });
  const builds = new Set<string>();
  for (const fleet of spec.fleets) {
    const build = ctx.fleetBuild(fleet);
    if (build === undefined) throw new HandoffError('FLEET_NOT_FOUND', `environment ${spec.name} names fleet ${fleet}, which does not exist`, { fleet, environment: spec.name });
    const owner = ctx.ownerOf(fleet);
    if (owner !== undefined && owner !== spec.name) {
      throw new HandoffError('ENV_FLEET_TAKEN', `fleet ${fleet} already belongs to environment ${owner}`, { fleet, environment: owner });
    }
    builds.add(build);
  }
  if (builds.size > 1) {
    throw new HandoffError('ENV_LIVE_BUILD_MISMATCH', `the fleets of environment ${spec.name} run different builds (${[...builds].sort().join(', ')}); an environment's fleets run one build`, { builds: [...builds].sort() });
  }
  for (const slot of SlotNames) {
    const build = spec.slots[slot]?.build;
    if (build !== undefined && !ctx.buildExists(build)) {
      throw new HandoffError('SLOT_BUILD_NOT_FOUND', `slot ${slot} of environment ${spec.name} is bound to build ${build}, which is not registered`, { slot, build, environment: spec.name });
    }
  }
  const running = [...builds][0];
  const liveBuild = spec.slots[spec.live]?.build;
  if (liveBuild !== undefined && liveBuild !== running) {
    throw new HandoffError('ENV_LIVE_BUILD_MISMATCH', `the live slot ${spec.live} is bound to ${liveBuild} but the fleets run ${running ?? '?'}; release it first, or bind the idle slot`, { slot: spec.live, build: liveBuild, running });
  }
}

/**
 * A new environment. The live slot takes what the fleets run; the idle slot is a clone of it
 * unless the spec binds it to another build, which is then staged (warm servers included).
 */
export function createEnvironment(spec: EnvironmentSpec, running: string, now: number): Environment {
  const idle = otherSlot(spec.live);
  const live: SlotProfile = { build: running, warmServers: spec.slots[spec.live]?.warmServers ?? 0, stagedAt: null, boundAt: now };
  const idleBuild = spec.slots[idle]?.build ?? running;
  const idleProfile: SlotProfile = {
    build: idleBuild,
    warmServers: spec.slots[idle]?.warmServers ?? 0,
    stagedAt: idleBuild === running ? null : now,
    boundAt: now,
  };
  const env: Environment = {
    name: spec.name, fleets: [...spec.fleets], live: spec.live,
    slots: { [spec.live]: live, [idle]: idleProfile } as Record<typeof spec.live, SlotProfile>,
    lastSnapshot: 0, restoring: null, next: null, history: [], createdAt: now, updatedAt: now,
  };
  return record(env, now, { action: 'created', slot: spec.live, build: running, detail: `created with ${spec.fleets.join(', ')}; ${spec.live} live on ${running}` });
}

/**
 * Re-applying a manifest updates what an operator owns — the fleets and each slot's launch
 * settings — and nothing the cycle owns: which slot is live and what each is bound to change
 * only through releases, `stage` and `restore`. Returns null when nothing changes.
 */
export function updateEnvironment(env: Environment, spec: EnvironmentSpec, now: number): Environment | null {
  const warm = (slot: 'blue' | 'green') => spec.slots[slot]?.warmServers ?? env.slots[slot].warmServers;
  const sameFleets = env.fleets.length === spec.fleets.length && env.fleets.every((f, i) => f === spec.fleets[i]);
  if (sameFleets && SlotNames.every((s) => warm(s) === env.slots[s].warmServers)) return null;
  const next: Environment = {
    ...env,
    fleets: [...spec.fleets],
    slots: { blue: { ...env.slots.blue, warmServers: warm('blue') }, green: { ...env.slots.green, warmServers: warm('green') } },
    updatedAt: now,
  };
  return record(next, now, { action: 'updated', slot: env.live, build: env.slots[env.live].build, detail: `fleets ${spec.fleets.join(', ')}; warm servers blue ${warm('blue')}, green ${warm('green')}` });
}
