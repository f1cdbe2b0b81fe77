/**
 * The registry of release strategies. Adding a strategy: a folder beside `blue-green/` with its
 * spec, planner and table tests, its spec type in `RolloutSpec` (model.ts), and one line here.
 */
import { HandoffError } from '../../core/errors.js';
import { validateBackground } from '../background.js';
import type { Rollout, RolloutSpec, RolloutStrategy } from '../model.js';
import type { Strategy } from '../strategy.js';
import { abTest } from './ab-test/index.js';
import { blueGreen } from './blue-green/index.js';
import { maintenance } from './maintenance/index.js';
import { rolling } from './rolling/index.js';
import { dynamicPool } from './dynamic-pool/index.js';
import { canary } from './canary/index.js';

type Registry = { [K in RolloutStrategy]: Strategy<Extract<RolloutSpec, { strategy: K }>> };

export const strategies: Registry = {
  'blue-green': blueGreen,
  maintenance,
  rolling,
  'dynamic-pool': dynamicPool,
  canary,
  'ab-test': abTest,
};

export const strategyNames = Object.keys(strategies) as RolloutStrategy[];

/** The strategy of a spec or rollout, typed for the union (each plug-in only ever sees its own spec). */
export function strategyFor(spec: RolloutSpec): Strategy {
  const s = (strategies as unknown as Record<string, Strategy | undefined>)[spec.strategy];
  if (!s) throw new HandoffError('VALIDATION_FAILED', `unknown strategy ${spec.strategy}`, { strategy: spec.strategy, known: strategyNames });
  return s as unknown as Strategy;
}

export function strategyOf(r: Rollout): Strategy {
  return strategyFor(r.spec);
}

/**
 * Every check of a release's options the schema cannot express: its strategy's, then those of
 * the options every release takes (a background analysis on an unknown metric). Throws a coded
 * HandoffError before anything is applied.
 */
export function validateRolloutSpec(spec: RolloutSpec, now: number, release?: { build: string }): void {
  strategyFor(spec).validate(spec, now, release);
  validateBackground(spec);
}
