/**
 * Whether a routing table is usable, decided before a strategy stores it. Pure: no I/O.
 *
 * Tables reach strategies from manifests and flags, so this checks at run time what the types
 * already say (a condition type or an attribute value of the wrong kind arrives as JSON). The
 * allocator itself never refuses a stored table: it routes what it can (see `choose-route.ts`).
 */
import { HandoffError } from '../core/errors.js';
import { CohortConditionTypes, RoutingPreferences, type RoutingTable } from './routing.js';

/** Bounds that keep a fleet document (rewritten on every routing change) and its compiled sets small. */
export const MAX_COHORT_RULES = 100;
export const MAX_COHORT_PLAYERS = 10_000;

export const RoutingProblems = [
  'entries-missing',
  'build-missing',
  'build-duplicate',
  'weight-invalid',
  'rank-invalid',
  'nothing-routed',
  'prefer-unknown',
  'rank-missing',
  'rank-duplicate',
  'salt-invalid',
  'rules-invalid',
  'rule-build-unknown',
  'rule-matches-everyone',
  'players-invalid',
  'condition-type-unknown',
  'condition-key-missing',
  'condition-values-invalid',
  'fallback-invalid',
] as const;
export type RoutingProblem = (typeof RoutingProblems)[number];

export interface RoutingIssue {
  /** Where, e.g. `rules[0].when[1].type`. */
  path: string;
  problem: RoutingProblem;
  message: string;
}

export interface RoutingCheckOptions {
  /** A table that must send new sessions somewhere (default): its weights must sum above 0. */
  requireRouted?: boolean;
}

/** Every problem of a table, in document order; empty when it is usable. */
export function routingIssues(table: RoutingTable, opts: RoutingCheckOptions = {}): RoutingIssue[] {
  const issues: RoutingIssue[] = [];
  const add = (path: string, problem: RoutingProblem, message: string): void => {
    issues.push({ path, problem, message });
  };
  const entries: unknown = table.entries;
  if (!Array.isArray(entries)) {
    add('entries', 'entries-missing', 'entries must be a list of { build, weight }');
    return issues;
  }
  const builds = new Set<string>();
  let total = 0;
  entries.forEach((e: Partial<Record<'build' | 'weight' | 'rank', unknown>>, i) => {
    if (typeof e.build !== 'string' || e.build === '') add(`entries[${i}].build`, 'build-missing', 'every entry names a build');
    else if (builds.has(e.build)) add(`entries[${i}].build`, 'build-duplicate', `build ${e.build} is listed twice`);
    else builds.add(e.build);
    if (typeof e.weight !== 'number' || !Number.isFinite(e.weight) || e.weight < 0) {
      add(`entries[${i}].weight`, 'weight-invalid', 'a weight is a finite number, 0 or more');
    } else total += e.weight;
    if (e.rank !== undefined && (typeof e.rank !== 'number' || !Number.isFinite(e.rank))) add(`entries[${i}].rank`, 'rank-invalid', 'a rank is a finite number');
  });
  if ((opts.requireRouted ?? true) && total <= 0) add('entries', 'nothing-routed', 'the weights must sum above 0 for new sessions to go anywhere');
  checkPreference(table, add);
  if (table.salt !== undefined && typeof table.salt !== 'string') add('salt', 'salt-invalid', 'the salt is a string');
  checkRules(table.rules, builds, add);
  return issues;
}

/** Throws ROUTING_INVALID listing every problem (`details.problems`) unless the table is usable. */
export function validateRoutingTable(table: RoutingTable, opts: RoutingCheckOptions = {}): void {
  const problems = routingIssues(table, opts);
  const [first] = problems;
  if (first) throw new HandoffError('ROUTING_INVALID', `invalid routing table: ${first.path}: ${first.message}`, { problems });
}

type Add = (path: string, problem: RoutingProblem, message: string) => void;

function checkPreference(table: RoutingTable, add: Add): void {
  const prefer: unknown = table.prefer;
  if (prefer === undefined) return;
  if (!RoutingPreferences.some((p) => p === prefer)) {
    add('prefer', 'prefer-unknown', `prefer is one of ${RoutingPreferences.join(', ')}`);
    return;
  }
  if (prefer !== 'newest') return;
  // Without a rank on every routed build, "newest" would silently fall back to table order.
  const seen = new Set<number>();
  table.entries.forEach((e, i) => {
    if (!(e.weight > 0)) return;
    if (e.rank === undefined) add(`entries[${i}].rank`, 'rank-missing', "prefer: 'newest' needs a rank on every routed build");
    else if (seen.has(e.rank)) add(`entries[${i}].rank`, 'rank-duplicate', `two routed builds share rank ${e.rank}; which is newest is ambiguous`);
    else seen.add(e.rank);
  });
}

function checkRules(rules: unknown, builds: ReadonlySet<string>, add: Add): void {
  if (rules === undefined) return;
  if (!Array.isArray(rules) || rules.length > MAX_COHORT_RULES) {
    add('rules', 'rules-invalid', `rules are a list of at most ${MAX_COHORT_RULES} cohort rules`);
    return;
  }
  rules.forEach((r: Partial<Record<'build' | 'players' | 'when' | 'fallback', unknown>>, i) => {
    const at = `rules[${i}]`;
    if (typeof r.build !== 'string' || !builds.has(r.build)) {
      add(`${at}.build`, 'rule-build-unknown', 'a cohort rule sends players to a build listed in entries (a weight of 0 is enough)');
    }
    const players = r.players;
    if (players !== undefined && (!Array.isArray(players) || players.length > MAX_COHORT_PLAYERS || !players.every((p) => typeof p === 'string' && p !== ''))) {
      add(`${at}.players`, 'players-invalid', `players is a list of at most ${MAX_COHORT_PLAYERS} player ids`);
    }
    const when = r.when;
    if (when !== undefined && !Array.isArray(when)) add(`${at}.when`, 'condition-type-unknown', 'when is a list of conditions');
    else (when ?? []).forEach((c: unknown, j: number) => checkCondition(c, `${at}.when[${j}]`, add));
    const hasPlayers = Array.isArray(players) && players.length > 0;
    const hasConditions = Array.isArray(when) && when.length > 0;
    // A rule without criteria would take everyone: that is what weights are for.
    if (!hasPlayers && !hasConditions) add(at, 'rule-matches-everyone', 'a cohort rule names players, conditions or both');
    if (r.fallback !== undefined && typeof r.fallback !== 'boolean') add(`${at}.fallback`, 'fallback-invalid', 'fallback is true or false');
  });
}

function checkCondition(c: unknown, at: string, add: Add): void {
  const cond = (typeof c === 'object' && c !== null ? c : {}) as Partial<Record<'type' | 'key' | 'values', unknown>>;
  if (!CohortConditionTypes.some((t) => t === cond.type)) {
    add(`${at}.type`, 'condition-type-unknown', `a condition's type is one of ${CohortConditionTypes.join(', ')}`);
    return;
  }
  if (cond.type === 'attribute' && (typeof cond.key !== 'string' || cond.key === '')) add(`${at}.key`, 'condition-key-missing', 'an attribute condition names its key');
  const values = cond.values;
  // Allocation attributes and regions are strings: `true` (a boolean) would never match "true".
  if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'string')) {
    add(`${at}.values`, 'condition-values-invalid', 'values is a non-empty list of strings (attributes are strings: write "true", not true)');
  }
}
