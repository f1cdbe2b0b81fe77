/**
 * Build registration. Builds are immutable: re-registering the same id with the same spec is
 * a no-op (so `apply` is repeatable), with a different spec it is refused.
 */
import semver from 'semver';
import { HandoffError } from '../core/errors.js';
import type { Ctx } from '../state/context.js';
import type { Build, BuildSpec } from './model.js';

export type { BuildSpec };
export type ApplyResult = 'created' | 'updated' | 'unchanged';

/** Checks that a build can be launched by the runtime (executable, working directory). */
export type LaunchValidator = (build: Build) => void;

/**
 * Validates one build spec against the world and the runtime. Pure apart from the validator;
 * returns the build to store, or null when an identical build is already registered.
 */
export function planBuild(ctx: Pick<Ctx, 'world'>, given: BuildSpec, now: number, validate: LaunchValidator): Build | null {
  // `sdkUrlList: false` is the default spelled out: stored as absent, so it equals a build
  // registered before the field existed and re-applying either manifest is a no-op.
  const { sdkUrlList, ...rest } = given;
  const spec: BuildSpec = sdkUrlList ? given : rest;
  if (semver.validRange(spec.compatibleClients) === null) {
    throw new HandoffError('BUILD_INVALID_CLIENT_RANGE', `compatibleClients "${spec.compatibleClients}" is not a semver range`, { build: spec.id });
  }
  const names = new Set<string>();
  for (const p of spec.ports) {
    if (names.has(p.name)) throw new HandoffError('VALIDATION_FAILED', `port name ${p.name} is declared twice`, { build: spec.id });
    names.add(p.name);
  }
  const existing = ctx.world.builds.get(spec.id);
  if (existing) {
    const { createdAt: _c, ...stored } = existing;
    if (JSON.stringify(canonical(stored)) === JSON.stringify(canonical(spec))) return null;
    throw new HandoffError('BUILD_IMMUTABLE', `build ${spec.id} exists with a different spec`, { build: spec.id });
  }
  const build: Build = { ...spec, createdAt: now };
  validate(build);
  return build;
}

/** JSON with sorted object keys, so spec comparison ignores key order. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, canonical(x)]));
  }
  return v;
}
