import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DemoStrategies, DemoUsageError, parseDemoOptions } from './options.js';

const ROOT = '/repo';
const parse = (...argv: string[]) => parseDemoOptions(argv, ROOT);

describe('parseDemoOptions', () => {
  it('defaults to a blue-green release that keeps serving, on port 7350, with 24 players', () => {
    expect(parse()).toEqual({
      scenario: 'arena', strategy: 'blue-green', canaryServers: 'new', exit: false, json: false, players: 24, port: 7350, releaseAfterMs: 8000,
      dataDir: path.resolve(ROOT, '.handoff/demo'), gamePorts: null, faultyBuild: false, help: false,
    });
  });

  it.each(DemoStrategies)('accepts --strategy %s', (s) => {
    expect(parse('--strategy', s).strategy).toBe(s);
    expect(parse(`--strategy=${s}`).strategy).toBe(s);
  });

  it('reads every flag', () => {
    expect(parse('--exit', '--json', '--players', '6', '--port', '0', '--release-after', '3', '--data-dir', '/tmp/d', '--game-ports', '20000-20049')).toEqual({
      scenario: 'arena', strategy: 'blue-green', canaryServers: 'new', exit: true, json: true, players: 6, port: 0, releaseAfterMs: 3000, dataDir: '/tmp/d', gamePorts: { from: 20_000, to: 20_049 }, faultyBuild: false, help: false,
    });
  });

  it('takes --faulty-build with the canary strategy only', () => {
    expect(parse('--strategy', 'canary', '--faulty-build').faultyBuild).toBe(true);
    expect(() => parse('--faulty-build')).toThrow(DemoUsageError);
    expect(() => parse('--strategy', 'rolling', '--faulty-build')).toThrow(/--strategy canary/);
  });

  it('runs the canary in place with --canary-servers in-place, and on new servers by default', () => {
    expect(parse('--strategy', 'canary', '--canary-servers', 'in-place').canaryServers).toBe('in-place');
    expect(parse('--strategy=canary', '--canary-servers=new').canaryServers).toBe('new');
    expect(parse('--strategy', 'canary').canaryServers).toBe('new');
  });

  it('accepts --scenario mmorpg', () => {
    expect(parse('--scenario', 'mmorpg', '--exit').scenario).toBe('mmorpg');
  });

  it('resolves a relative data directory against the repository, not the shell', () => {
    expect(parse('--data-dir', 'tmp/demo').dataDir).toBe('/repo/tmp/demo');
  });

  it.each<[string, string[], RegExp]>([
    ['an unknown strategy, naming the valid ones', ['--strategy', 'blue_green'], /unknown strategy "blue_green"; use one of: blue-green, rolling, canary, ab-test, maintenance, dynamic-pool/],
    ['an empty strategy', ['--strategy', ''], /unknown strategy ""/],
    ['an unknown scenario, naming the valid ones', ['--scenario', 'mmo'], /unknown scenario "mmo"; use one of: arena, mmorpg/],
    ['an unknown flag', ['--strat', 'canary'], /--strat/],
    ['a positional argument', ['canary'], /canary/],
    ['a flag without its value', ['--strategy'], /--strategy/],
    ['--canary-servers with another strategy', ['--strategy', 'rolling', '--canary-servers', 'in-place'], /--canary-servers applies to --strategy canary, not rolling/],
    ['--canary-servers with the default strategy', ['--canary-servers', 'in-place'], /not blue-green/],
    ['an unknown canary server mode', ['--strategy', 'canary', '--canary-servers', 'inplace'], /--canary-servers must be one of: new, in-place, got "inplace"/],
    ['a value for a boolean flag', ['--exit=yes'], /--exit/],
    ['no players', ['--players', '0'], /--players must be a whole number from 1 to 10000, got "0"/],
    ['a fractional player count', ['--players', '2.5'], /--players/],
    ['a port out of range', ['--port', '70000'], /--port must be a whole number from 0 to 65535/],
    ['a negative delay', ['--release-after', '-1'], /--release-after/],
    ['a reversed port range', ['--game-ports', '7999-7400'], /--game-ports must look like 7400-7999, got "7999-7400"/],
    ['a port range that is not one', ['--game-ports', '7400'], /--game-ports/],
  ])('refuses %s with a usage error', (_name, argv, message) => {
    expect(() => parse(...argv)).toThrow(DemoUsageError);
    expect(() => parse(...argv)).toThrow(message);
  });
});
