import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HandoffError } from '../core/errors.js';
import { chooseServer, type Candidate } from './choose.js';
import { MAX_COHORT_PLAYERS, routingIssues, validateRoutingTable, type RoutingProblem } from './decide-routing.js';
import type { RoutingTable } from './routing.js';

const canary = (over: Partial<RoutingTable> = {}): RoutingTable => ({
  entries: [{ build: 'v1', weight: 90 }, { build: 'v2', weight: 10 }],
  ...over,
});
/** Tables as they arrive from JSON, where the types promise nothing. */
const loose = (t: unknown): RoutingTable => t as RoutingTable;

describe('validateRoutingTable', () => {
  it.each([
    ['a single build (what the fleet is created with)', { entries: [{ build: 'v1', weight: 100 }] }],
    ['a table stored before cohort rules existed', JSON.parse('{"entries":[{"build":"v1","weight":0},{"build":"v2","weight":100}]}') as RoutingTable],
    ['a canary with an allow-list cohort on a build of weight 0', canary({ entries: [{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }], rules: [{ build: 'v2', players: ['alice'] }] })],
    ['an attribute and region cohort without fallback', canary({ rules: [{ name: 'eu-beta', build: 'v2', fallback: false, when: [{ type: 'attribute', key: 'beta', values: ['true'] }, { type: 'region', values: ['eu-west'] }] }] })],
    ['a three-way A/B test', { entries: [{ build: 'a', weight: 1 }, { build: 'b', weight: 1 }, { build: 'c', weight: 1 }] }],
    ['a dynamic pool preferring the newest build', { prefer: 'newest', entries: [{ build: 'v1', weight: 1, rank: 1 }, { build: 'v2', weight: 1, rank: 2 }, { build: 'v0', weight: 0 }] }],
    ['a salted table', canary({ salt: 'ro_123' })],
  ] as [string, RoutingTable][])('accepts %s', (_what, table) => {
    expect(routingIssues(table)).toEqual([]);
    expect(() => validateRoutingTable(table)).not.toThrow();
  });

  it.each([
    ['no entries list', loose({}), 'entries', 'entries-missing'],
    ['an entry without a build', loose({ entries: [{ weight: 1 }] }), 'entries[0].build', 'build-missing'],
    ['a build listed twice', canary({ entries: [{ build: 'v1', weight: 1 }, { build: 'v1', weight: 1 }] }), 'entries[1].build', 'build-duplicate'],
    ['a negative weight', canary({ entries: [{ build: 'v1', weight: 110 }, { build: 'v2', weight: -10 }] }), 'entries[1].weight', 'weight-invalid'],
    ['a weight that is not a number', loose({ entries: [{ build: 'v1', weight: '50' }, { build: 'v2', weight: 50 }] }), 'entries[0].weight', 'weight-invalid'],
    ['an infinite weight', canary({ entries: [{ build: 'v1', weight: Infinity }] }), 'entries[0].weight', 'weight-invalid'],
    ['weights summing to 0', canary({ entries: [{ build: 'v1', weight: 0 }, { build: 'v2', weight: 0 }] }), 'entries', 'nothing-routed'],
    ['no entries at all', canary({ entries: [] }), 'entries', 'nothing-routed'],
    ['a rank that is not a number', loose({ entries: [{ build: 'v1', weight: 1, rank: 'new' }] }), 'entries[0].rank', 'rank-invalid'],
    ['an unknown preference', loose({ ...canary(), prefer: 'oldest' }), 'prefer', 'prefer-unknown'],
    ["prefer: 'newest' without ranks", canary({ prefer: 'newest' }), 'entries[0].rank', 'rank-missing'],
    ["prefer: 'newest' with two routed builds of one rank", canary({ prefer: 'newest', entries: [{ build: 'v1', weight: 1, rank: 2 }, { build: 'v2', weight: 1, rank: 2 }] }), 'entries[1].rank', 'rank-duplicate'],
    ['a salt that is not a string', loose({ ...canary(), salt: 7 }), 'salt', 'salt-invalid'],
    ['rules that are not a list', loose({ ...canary(), rules: { build: 'v2' } }), 'rules', 'rules-invalid'],
    ['a rule naming a build not in the table', canary({ rules: [{ build: 'v3', players: ['alice'] }] }), 'rules[0].build', 'rule-build-unknown'],
    ['a rule without criteria', canary({ rules: [{ build: 'v2' }] }), 'rules[0]', 'rule-matches-everyone'],
    ['a rule with an empty allow-list', canary({ rules: [{ build: 'v2', players: [] }] }), 'rules[0]', 'rule-matches-everyone'],
    ['an allow-list with an empty id', canary({ rules: [{ build: 'v2', players: ['alice', ''] }] }), 'rules[0].players', 'players-invalid'],
    ['an allow-list that is too long', canary({ rules: [{ build: 'v2', players: Array.from({ length: MAX_COHORT_PLAYERS + 1 }, (_, i) => `p${i}`) }] }), 'rules[0].players', 'players-invalid'],
    ['a condition on an unknown attribute type', loose({ ...canary(), rules: [{ build: 'v2', when: [{ type: 'country', values: ['FR'] }] }] }), 'rules[0].when[0].type', 'condition-type-unknown'],
    ['conditions that are not a list', loose({ ...canary(), rules: [{ build: 'v2', players: ['a'], when: { type: 'region' } }] }), 'rules[0].when', 'condition-type-unknown'],
    ['an attribute condition without a key', loose({ ...canary(), rules: [{ build: 'v2', when: [{ type: 'attribute', values: ['true'] }] }] }), 'rules[0].when[0].key', 'condition-key-missing'],
    ['an attribute compared with a boolean', loose({ ...canary(), rules: [{ build: 'v2', when: [{ type: 'attribute', key: 'beta', values: [true] }] }] }), 'rules[0].when[0].values', 'condition-values-invalid'],
    ['a region condition without values', canary({ rules: [{ build: 'v2', when: [{ type: 'region', values: [] }] }] }), 'rules[0].when[0].values', 'condition-values-invalid'],
    ['a fallback that is not a boolean', loose({ ...canary(), rules: [{ build: 'v2', players: ['a'], fallback: 'yes' }] }), 'rules[0].fallback', 'fallback-invalid'],
  ] as [string, RoutingTable, string, RoutingProblem][])('refuses %s with ROUTING_INVALID', (_what, table, path, problem) => {
    expect(routingIssues(table)).toContainEqual(expect.objectContaining({ path, problem }));
    let thrown: unknown;
    try {
      validateRoutingTable(table);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(HandoffError);
    expect(thrown).toMatchObject({ code: 'ROUTING_INVALID', status: 422, retryable: false, details: { problems: expect.arrayContaining([expect.objectContaining({ path, problem })]) } });
  });

  it('lists every problem of a table at once', () => {
    const table = loose({ entries: [{ build: 'v1', weight: -1 }], rules: [{ build: 'v9' }] });
    expect(routingIssues(table).map((i) => i.problem)).toEqual(['weight-invalid', 'nothing-routed', 'rule-build-unknown', 'rule-matches-everyone']);
  });

  it('accepts a table that routes nothing when the caller allows it', () => {
    expect(routingIssues({ entries: [{ build: 'v1', weight: 0 }] }, { requireRouted: false })).toEqual([]);
  });

  it('gives every player a routed build under any table it accepts, when every build has room (property)', () => {
    const entry = fc.record({ build: fc.constantFrom('a', 'b', 'c', 'd'), weight: fc.oneof(fc.nat(100), fc.double({ min: 0, max: 100, noNaN: true })) });
    const tables = fc.record({ entries: fc.uniqueArray(entry, { selector: (e) => e.build, maxLength: 4 }), salt: fc.option(fc.string(), { nil: undefined }) });
    fc.assert(fc.property(tables, fc.string({ minLength: 1 }), fc.option(fc.string({ minLength: 1 }), { nil: null }), (table, playerId, partyId) => {
      fc.pre(routingIssues(table).length === 0);
      const candidates = table.entries.map((e): Candidate => ({ id: e.build, build: e.build, state: 'Ready', capacity: 1, used: 0, createdAt: 0, leaving: false }));
      const r = chooseServer({ playerId, partyId, clientVersion: null, routing: table, accepts: () => true, candidates, partyServers: [], partyPolicy: 'together' });
      expect(r.ok && table.entries.some((e) => e.build === r.build && e.weight > 0)).toBe(true);
    }));
  });
});
