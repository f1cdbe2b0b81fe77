import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simulateRelease, type SimInput } from '../simulation.js';
import { canary } from './index.js';
import { startedInPlace } from './testing.js';

/** Random fleets, counts, weights, players and event orders; the old build runs at least two servers. */
const fleets = (abort = false): fc.Arbitrary<SimInput & { servers: number; weights: [number, number] }> =>
  fc
    .record({
      maxServers: fc.integer({ min: 2, max: 8 }),
      minFraction: fc.double({ min: 0, max: 1, noNaN: true }),
      runningFraction: fc.double({ min: 0, max: 1, noNaN: true }),
      serversFraction: fc.double({ min: 0, max: 1, noNaN: true }),
      sessionsPerServer: fc.integer({ min: 1, max: 4 }),
      w1: fc.integer({ min: 0, max: 60 }),
      w2: fc.integer({ min: 0, max: 40 }),
      playPasses: fc.integer({ min: 0, max: 60 }),
      abortAt: abort ? fc.integer({ min: 0, max: 60 }) : fc.constant(null),
      random: fc.array(fc.nat(999), { minLength: 20, maxLength: 200 }),
    })
    .map((f) => {
      const running = 2 + Math.round(f.runningFraction * (f.maxServers - 2));
      return {
        maxServers: f.maxServers,
        minServers: Math.round(f.minFraction * f.maxServers),
        running,
        servers: 1 + Math.floor(f.serversFraction * (running - 1) * 0.999),
        weights: [f.w1, f.w1 + f.w2] as [number, number],
        sessionsPerServer: f.sessionsPerServer,
        abortAt: f.abortAt,
        playPasses: f.playPasses,
        random: f.random,
      };
    });

const simulate = (input: SimInput & { servers: number; weights: [number, number] }) =>
  simulateRelease(input, { strategy: canary, start: (capacity, running) => startedInPlace(input.servers, input.weights, capacity, running) });

describe('in-place canary simulated with the fleet planner (property)', () => {
  it('never stops a server that hosts a session, and closes no session', () => {
    fc.assert(
      fc.property(fleets(), (input) => {
        const out = simulate(input);
        expect(out.stoppedWithSessions).toEqual([]);
        expect(out.closedByRelease).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  it('never has more servers than the fleet\'s maxServers, from the start to the end of the release', () => {
    fc.assert(
      fc.property(fleets(), (input) => {
        expect(simulate(input).peak).toBeLessThanOrEqual(input.maxServers);
      }),
      { numRuns: 150 },
    );
  });

  it('completes: every old server is gone once its players have left', () => {
    fc.assert(
      fc.property(fleets(), (input) => {
        const out = simulate(input);
        expect(out.rollout.phase, out.rollout.message).toBe('Completed');
        expect(out.left.v1 ?? 0).toBe(0);
      }),
      { numRuns: 100 },
    );
  });

  it('after an abort, stops no server with a session and retires the canary servers once empty', () => {
    fc.assert(
      fc.property(fleets(true), (input) => {
        const out = simulate(input);
        expect(out.stoppedWithSessions).toEqual([]);
        if (out.rollout.phase === 'Aborted') expect(out.left.v2 ?? 0).toBe(0);
      }),
      { numRuns: 100 },
    );
  });
});
