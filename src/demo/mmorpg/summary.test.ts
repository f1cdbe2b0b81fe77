import { describe, expect, it } from 'vitest';
import { tallySessions, type SessionRecord } from '../decide-session.js';
import { emptyStats } from '../player-stats.js';
import type { PaymentsStats } from './payments-client.js';
import { formatMmorpg, summarizeMmorpg, type MmorpgInput, type PlanStep } from './summary.js';

const step = (name: string, fleet: string, strategy: string, phase = 'Completed'): PlanStep => ({ name, fleet, strategy, build: `${fleet}-v2`, phase, message: `rollout of ${fleet} completed`, rolloutId: `ro_${fleet}` });
const plan = (phase = 'Completed', steps = [step('payments', 'payments', 'blue-green'), step('world', 'world', 'rolling'), step('raids', 'raids', 'canary'), step('hub-maintenance', 'hub', 'maintenance')]): MmorpgInput['plan'] => ({
  name: 'mmorpg-2', phase, message: phase === 'Completed' ? 'every step completed' : 'step world failed', completionOrder: steps.filter((s) => s.phase === 'Completed').map((s) => s.name), steps,
});
const ended = (id: string, build = 'world-v1'): SessionRecord => ({ id, build, playerId: `p-${id}`, closeReason: 'ended', closedAt: 10, notices: [], playerOutcome: { kind: 'completed' }, playerClosedAt: 10 });
const cut = (id: string): SessionRecord => ({ id, build: 'world-v1', playerId: `p-${id}`, closeReason: 'server_stopped', closedAt: 10, notices: [], playerOutcome: { kind: 'interrupted', cause: 'close:1006' }, playerClosedAt: 10 });
const charges = (failed = 0): PaymentsStats => ({ ok: 120, retried: failed + 1, failed, byVersion: { '1.0.0': 50, '2.0.0': 70 }, endpointVersions: 3 });
const services = (world: SessionRecord[]): MmorpgInput['services'] => [
  { fleet: 'world', tally: tallySessions(world), players: emptyStats() },
  { fleet: 'raids', tally: tallySessions([ended('r1', 'raids-v1')]), players: emptyStats() },
  { fleet: 'hub', tally: tallySessions([]), players: emptyStats() },
];

describe('the MMORPG demo summary', () => {
  it('passes when the plan completed, nobody was cut off and no charge failed, with one block per service', () => {
    const s = summarizeMmorpg({ plan: plan(), timedOut: false, services: services([ended('a'), ended('b')]), payments: { fleet: 'payments', stats: charges() } });
    expect(s.passed).toBe(true);
    const text = formatMmorpg(s);
    for (const head of ['world (rolling → world-v2)', 'raids (canary → raids-v2)', 'hub (maintenance → hub-v2)', 'payments (blue-green → payments-v2)']) expect(text).toContain(`release summary: ${head}`);
    expect(text).toContain('charges answered           120 (by version: 1.0.0=50, 2.0.0=70)');
    expect(text).toMatch(/^interrupted without notice 0$/m);
    expect(text).toContain('PASS');
  });

  it.each<[string, Partial<MmorpgInput>, RegExp]>([
    ['a player cut off without notice', { services: services([ended('a'), cut('b')]) }, /FAIL: players were disconnected without notice/],
    ['a charge that failed twice', { payments: { fleet: 'payments', stats: charges(1) } }, /FAIL: charges failed/],
    ['a plan that rolled back', { plan: plan('RolledBack', [step('world', 'world', 'rolling', 'RolledBack')]) }, /FAIL: the plan did not complete/],
    ['a plan that did not end in time', { timedOut: true }, /did not end in time/],
  ])('fails on %s', (_n, over, message) => {
    const s = summarizeMmorpg({ plan: plan(), timedOut: false, services: services([ended('a')]), payments: { fleet: 'payments', stats: charges() }, ...over });
    expect(s.passed).toBe(false);
    expect(formatMmorpg(s)).toMatch(message);
  });

  it('counts the interruptions of every service in the plan\'s total', () => {
    const s = summarizeMmorpg({ plan: plan(), timedOut: false, services: services([cut('a'), cut('b')]), payments: null });
    expect(s.interruptedWithoutNotice).toBe(2);
    expect(formatMmorpg(s)).toMatch(/^interrupted without notice 2$/m);
  });
});
