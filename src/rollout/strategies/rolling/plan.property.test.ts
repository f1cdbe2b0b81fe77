import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rollingSize } from './spec.js';
import { simulateRolling, type RollingSimInput as SimInput } from './testing.js';

const smoke = { kind: 'http' as const, port: 'game', path: '/', expectStatus: 200, timeoutSeconds: 5 };

/** Random fleets, budgets, players and event orders (no drain deadline: nothing may close a session). */
const fleets = (over: { maxSurge?: fc.Arbitrary<number>; abort?: boolean } = {}): fc.Arbitrary<SimInput> =>
  fc
    .record({
      maxServers: fc.integer({ min: 1, max: 6 }),
      minFraction: fc.double({ min: 0, max: 1, noNaN: true }),
      runningFraction: fc.double({ min: 0, max: 1, noNaN: true }),
      sessionsPerServer: fc.integer({ min: 1, max: 4 }),
      maxSurge: over.maxSurge ?? fc.integer({ min: 0, max: 2 }),
      maxUnavailable: fc.integer({ min: 0, max: 2 }),
      withSmoke: fc.boolean(),
      playPasses: fc.integer({ min: 0, max: 40 }),
      abortAt: over.abort ? fc.integer({ min: 0, max: 60 }) : fc.constant(null),
      random: fc.array(fc.nat(999), { minLength: 20, maxLength: 200 }),
    })
    .filter((f) => f.maxSurge + f.maxUnavailable > 0)
    .map((f) => ({
      maxServers: f.maxServers,
      minServers: Math.round(f.minFraction * f.maxServers),
      running: Math.round(f.runningFraction * f.maxServers),
      sessionsPerServer: f.sessionsPerServer,
      spec: { maxSurge: f.maxSurge, maxUnavailable: f.maxUnavailable, batchReadyTimeoutSeconds: 5, smoke: f.withSmoke ? smoke : null },
      abortAt: f.abortAt,
      playPasses: f.playPasses,
      random: f.random,
    }));

describe('rolling release simulated with the fleet planner (property)', () => {
  it('never stops a server that hosts a session and closes no session: old servers only leave rotation', () => {
    fc.assert(
      fc.property(fleets(), (input) => {
        const out = simulateRolling(input);
        expect(out.stoppedWithSessions).toEqual([]);
        expect(out.closedByRelease).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  it('with zero surge never has more servers than the fleet\'s maxServers', () => {
    fc.assert(
      fc.property(fleets({ maxSurge: fc.constant(0) }), (input) => {
        expect(simulateRolling(input).peak).toBeLessThanOrEqual(input.maxServers);
      }),
      { numRuns: 150 },
    );
  });

  it('never has more servers than the release\'s size plus maxSurge', () => {
    fc.assert(
      fc.property(fleets(), (input) => {
        const size = rollingSize(input, input.running);
        expect(simulateRolling(input).peak).toBeLessThanOrEqual(size + Number(input.spec.maxSurge));
      }),
      { numRuns: 150 },
    );
  });

  it('replaces every old server once its players have left, and completes', () => {
    fc.assert(
      fc.property(fleets(), (input) => {
        const out = simulateRolling(input);
        expect(out.rollout.phase, out.rollout.message).toBe('Completed');
        expect(out.left.v1 ?? 0).toBe(0);
        expect(out.left.v2 ?? 0).toBeGreaterThan(0);
      }),
      { numRuns: 150 },
    );
  });

  it('after an abort, retires every new server once empty without stopping one with a session', () => {
    fc.assert(
      fc.property(fleets({ abort: true }), (input) => {
        const out = simulateRolling(input);
        expect(out.stoppedWithSessions).toEqual([]);
        expect(out.closedByRelease).toBe(0);
        if (out.rollout.phase === 'Aborted') expect(out.left.v2 ?? 0).toBe(0);
      }),
      { numRuns: 100 },
    );
  });
});
