import { describe, expect, it } from 'vitest';
import { HandoffError } from '../core/errors.js';
import { World } from '../state/world.js';
import { sampleBuild } from '../store/fixtures.js';
import type { BuildSpec } from './model.js';
import { planBuild } from './service.js';

const noCheck = (): void => undefined;

function specOf(overrides: Partial<BuildSpec> = {}): BuildSpec {
  const { createdAt: _c, ...spec } = sampleBuild(overrides);
  return spec;
}

function worldWith(spec: BuildSpec): World {
  const world = new World();
  world.putBuild({ ...spec, createdAt: 1 });
  return world;
}

describe('planBuild and sdkUrlList', () => {
  it('stores sdkUrlList: false as absent, the way a build registered before the field reads', () => {
    const build = planBuild({ world: new World() }, specOf({ sdkUrlList: false }), 5, noCheck);
    expect(build).not.toBeNull();
    expect(build && 'sdkUrlList' in build).toBe(false);
  });

  it.each([
    { stored: {}, applied: { sdkUrlList: false } },
    { stored: {}, applied: {} },
    { stored: { sdkUrlList: true }, applied: { sdkUrlList: true } },
  ])('re-applies $applied over a stored $stored as a no-op', ({ stored, applied }) => {
    expect(planBuild({ world: worldWith(specOf(stored)) }, specOf(applied), 5, noCheck)).toBeNull();
  });

  it('refuses to turn sdkUrlList on for a registered build: builds are immutable', () => {
    const plan = () => planBuild({ world: worldWith(specOf()) }, specOf({ sdkUrlList: true }), 5, noCheck);
    expect(plan).toThrow(HandoffError);
    expect(() => plan()).toThrow(expect.objectContaining({ code: 'BUILD_IMMUTABLE' }));
  });
});
