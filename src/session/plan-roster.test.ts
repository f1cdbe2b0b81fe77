import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keptRoster, planRoster, type PlayerHistory, type RosterInput, type RosterSession } from './plan-roster.js';

const NOW = 1_000_000;
const GRACE = 10_000;
const connected = (id: string, playerId: string, connectedAt = NOW - 60_000): RosterSession => ({ id, playerId, state: 'Connected', connectedAt });
const reserved = (id: string, playerId: string): RosterSession => ({ id, playerId, state: 'Reserved', connectedAt: null });
const input = (players: string[], over: Partial<RosterInput> = {}): RosterInput => ({
  players, onServer: [], elsewhere: new Set(), history: new Map(), now: NOW, graceMs: GRACE, ...over,
});
const lost = (reuseId: string | null): PlayerHistory => ({ closedByControlPlane: false, reuseId });

describe('planRoster', () => {
  it.each([
    ['changes nothing when store and roster agree', input(['p1'], { onServer: [connected('s1', 'p1')] }), {}],
    ['recovers a session the store lost, under the id the server knows', input(['p1'], { history: new Map([['p1', lost('s1')]]) }), { recover: [{ playerId: 'p1', sessionId: 's1' }] }],
    ['recovers a session under a new id when the server knows none', input(['p1'], { history: new Map([['p1', lost(null)]]) }), { recover: [{ playerId: 'p1', sessionId: null }] }],
    ['leaves undecided a player whose session was closed while the store was read', input(['p1']), { undecided: ['p1'] }],
    ['confirms a Reserved session whose confirmation the store lost', input(['p1'], { onServer: [reserved('s1', 'p1')] }), { confirm: ['s1'] }],
    ['closes a Connected session of a player who is gone', input([], { onServer: [connected('s1', 'p1')] }), { close: ['s1'] }],
    ['keeps a session confirmed within the grace (report and confirmation crossed)', input([], { onServer: [connected('s1', 'p1', NOW - 5_000)] }), {}],
    ['never closes a Reserved session: the player has not arrived yet', input([], { onServer: [reserved('s1', 'p1')] }), {}],
    ['keeps a player whose open session is on another server, without a second session', input(['p1'], { elsewhere: new Set(['p1']) }), { elsewhere: ['p1'] }],
    ['does not bring back a session the control plane closed', input(['p1'], { history: new Map([['p1', { closedByControlPlane: true, reuseId: null }]]) }), { stale: ['p1'] }],
    ['counts a player listed twice once', input(['p1', 'p1'], { history: new Map([['p1', lost(null)]]) }), { recover: [{ playerId: 'p1', sessionId: null }] }],
  ])('%s', (_what, given, expected) => {
    expect(planRoster(given)).toEqual({ confirm: [], recover: [], close: [], elsewhere: [], stale: [], undecided: [], ...expected });
  });

  it('keeps every reported player on the roster except those the control plane closed', () => {
    expect(keptRoster(['p1', 'p2', 'p2', 'p3'], { stale: ['p2'] })).toEqual(['p1', 'p3']);
  });

  it('puts each reported player in at most one outcome and never touches Reserved or reported sessions (property)', () => {
    const player = fc.constantFrom('p1', 'p2', 'p3', 'p4', 'p5', 'p6').map((p): string => p);
    const session = fc.record({
      playerId: player,
      state: fc.constantFrom('Reserved' as const, 'Connected' as const),
      connectedAt: fc.integer({ min: NOW - 60_000, max: NOW }),
    });
    fc.assert(fc.property(fc.array(player), fc.uniqueArray(session, { selector: (s) => s.playerId }), fc.array(player), fc.array(fc.tuple(player, fc.boolean())), (players, sessions, elsewhereList, hist) => {
      const onServer = sessions.map((s, i) => ({ ...s, id: `s${i}`, connectedAt: s.state === 'Reserved' ? null : s.connectedAt }));
      const elsewhere = new Set(elsewhereList.filter((p) => !onServer.some((s) => s.playerId === p)));
      const history = new Map(hist.map(([p, closed]) => [p, { closedByControlPlane: closed, reuseId: null }]));
      const plan = planRoster(input(players, { onServer, elsewhere, history }));
      const outcomes = [...plan.recover.map((r) => r.playerId), ...plan.elsewhere, ...plan.stale, ...plan.undecided,
        ...plan.confirm.map((id) => onServer.find((s) => s.id === id)?.playerId)];
      expect(new Set(outcomes).size).toBe(outcomes.length);
      for (const id of plan.close) {
        const s = onServer.find((x) => x.id === id);
        expect(s?.state).toBe('Connected');
        expect(players).not.toContain(s?.playerId);
      }
      // No one gets a second open session in the fleet.
      for (const r of plan.recover) expect(elsewhere.has(r.playerId) || onServer.some((s) => s.playerId === r.playerId)).toBe(false);
    }));
  });
});
