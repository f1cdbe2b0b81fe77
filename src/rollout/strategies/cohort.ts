/**
 * Cohorts: players a release sends to one build whatever the weights (canary testers, an A/B
 * segment). A cohort is written the way studios think of it and becomes routing cohort rules
 * (`allocation/routing.ts`), which the allocator applies on every allocation.
 */
import { z } from 'zod';
import type { CohortCondition, CohortRule } from '../../allocation/routing.js';

export interface Cohort {
  /** An allow-list of player ids. */
  players: string[];
  /** Allocation attributes the player must all have: `{ beta: 'true' }`; a list allows any of its values. */
  attributes: Record<string, string | string[]>;
  /** Allocation regions, any of them (with `attributes`: both must hold). */
  regions: string[];
}

/**
 * Attributes of an allocation are strings, so a cohort on `beta: true` (a boolean) or on a number
 * would never match anyone: it is refused with a message that says so, not accepted silently.
 */
const attributeValue = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
  error: 'a cohort attribute matches strings (allocation attributes are strings): write "true", not true, or a list of strings',
});

export const CohortSchema = z.strictObject({
  players: z.array(z.string().min(1)).default([]),
  attributes: z.record(z.string().min(1), attributeValue).default({}),
  regions: z.array(z.string().min(1)).default([]),
}) satisfies z.ZodType<Cohort, unknown>;

/**
 * The routing rules of a cohort sending players to `build`. The allow-list and the segment
 * (attributes AND regions) are alternatives: a listed player goes to `build`, and so does a
 * player matching every condition. A cohort with neither yields a rule without criteria, which
 * routing validation refuses (it would take everyone).
 */
export function cohortRules(cohort: Cohort | null, build: string, name: string): CohortRule[] {
  if (!cohort) return [];
  const when: CohortCondition[] = Object.entries(cohort.attributes).map(([key, v]) => ({ type: 'attribute', key, values: Array.isArray(v) ? v : [v] }));
  if (cohort.regions.length > 0) when.push({ type: 'region', values: cohort.regions });
  const rules: CohortRule[] = [];
  if (cohort.players.length > 0) rules.push({ name: `${name}-players`, build, players: cohort.players });
  if (when.length > 0) rules.push({ name: `${name}-segment`, build, when });
  return rules.length > 0 ? rules : [{ name, build }];
}

export function hasCohort(cohort: Cohort | null): boolean {
  return cohort !== null && (cohort.players.length > 0 || Object.keys(cohort.attributes).length > 0 || cohort.regions.length > 0);
}
