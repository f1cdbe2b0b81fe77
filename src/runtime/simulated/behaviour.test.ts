import { describe, expect, it } from 'vitest';
import { behaviourFromArgs, DEFAULT_BEHAVIOUR } from './behaviour.js';

describe('behaviourFromArgs', () => {
  it.each([
    [['--sim-crash-at-start=0.25'], { crashAtStart: 0.25 }],
    [['--sim-start-latency-ms=100-900'], { startLatencyMs: { min: 100, max: 900 } }],
    [['--sim-start-latency-ms=300'], { startLatencyMs: { min: 300, max: 300 } }],
    [['--sim-exit-codes=1,139'], { exitCodes: [1, 139] }],
    [['--sim-ignore-sigterm=1', '--sim-drain-ms=0'], { ignoreSigterm: 1, drainMs: 0 }],
    [['--sim-crashes-per-hour=2', '--sim-stalls-per-hour=0.5', '--sim-stall-ms=20000'], { crashesPerHour: 2, stallsPerHour: 0.5, stallMs: 20_000 }],
    [['--import', 'tsx', 'server.ts', '--version', '2.0.0'], {}],
  ])('reads %j over the defaults', (args, expected) => {
    expect(behaviourFromArgs(DEFAULT_BEHAVIOUR, args)).toEqual({ ...DEFAULT_BEHAVIOUR, ...expected });
  });

  it.each([
    ['--sim-crash-at-start=1.5', /crash-at-start=1.5: expected a number in \[0, 1\]/],
    ['--sim-start-latency-ms=900-100', /expected a number in \[900/],
    ['--sim-exit-codes=0', /exit-codes=0/],
    ['--sim-drain-ms', /needs a value/],
    ['--sim-crash-rate=1', /unknown simulation argument --sim-crash-rate=1 \(known: --sim-start-latency-ms/],
  ])('refuses %s, naming it', (arg, message) => {
    expect(() => behaviourFromArgs(DEFAULT_BEHAVIOUR, [arg])).toThrow(message);
  });

  it('never changes the defaults it was given', () => {
    const defaults = structuredClone(DEFAULT_BEHAVIOUR);
    behaviourFromArgs(defaults, ['--sim-start-latency-ms=1-2', '--sim-exit-codes=3']);
    expect(defaults).toEqual(DEFAULT_BEHAVIOUR);
  });
});
