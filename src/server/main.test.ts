import { describe, expect, it } from 'vitest';
import { parseServerArgs } from './main.js';
import { resolveServerOptions } from './options.js';

describe('handoff server arguments', () => {
  it('reads --runtime and --sim-seed; local processes stay the default', () => {
    expect(parseServerArgs(['--runtime', 'simulated', '--sim-seed', '7']).options).toMatchObject({ runtime: 'simulated', simulationSeed: 7 });
    expect(resolveServerOptions(parseServerArgs([]).options)).toMatchObject({ runtime: 'local', simulationSeed: 1 });
  });

  it.each([
    [['--runtime', 'docker'], '--runtime must be one of local, simulated'],
    [['--sim-seed', 'abc'], '--sim-seed must be a whole number'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseServerArgs(argv)).toThrow(message);
  });
});
