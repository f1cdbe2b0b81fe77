import { describe, expect, it } from 'vitest';
import { UsageError } from '../usage.js';
import { parseRolloutStart } from './rollout-start.js';
import { parseSteps } from './rollout-start-steps.js';

function requestOf(args: string[]): object {
  const parsed = parseRolloutStart(args);
  if (parsed.help) throw new Error('expected a request, got help');
  return parsed.input;
}

describe('canary steps on the command line', () => {
  it.each([
    ['20, pause 30s, 50, pause, 100', [{ setWeight: 20 }, { pause: { seconds: 30 } }, { setWeight: 50 }, { pause: {} }, { setWeight: 100 }]],
    ['0.5%,100%', [{ setWeight: 0.5 }, { setWeight: 100 }]],
    ['10, smoke-http game:/healthz, 100', [{ setWeight: 10 }, { analysis: { smoke: { kind: 'http', port: 'game', path: '/healthz' } } }, { setWeight: 100 }]],
    [`10, smoke-cmd ./check.sh --map 'de dust', 100`, [{ setWeight: 10 }, { analysis: { smoke: { kind: 'command', command: ['./check.sh', '--map', 'de dust'] } } }, { setWeight: 100 }]],
    ['5, webhook https://ci.example/check, webhook http://127.0.0.1:8080/ok 20s, 100', [
      { setWeight: 5 }, { analysis: { webhook: { url: 'https://ci.example/check' } } }, { analysis: { webhook: { url: 'http://127.0.0.1:8080/ok', timeoutSeconds: 20 } } }, { setWeight: 100 },
    ]],
  ])('reads "%s"', (text, steps) => {
    expect(parseSteps('--steps', text)).toEqual(steps);
  });

  it.each([
    ['20,,100', /empty step/],
    ['150, 100', /weight 150 is not between 0 and 100/],
    ['-5, 100', /not a step/],
    ['20, wait 5m, 100', /"wait 5m" is not a step/],
    ['20, pause soon, 100', /"soon" is not a duration/],
    ['20, webhook ftp://x, 100', /not an http/],
    ['20, smoke-http /healthz, 100', /PORT:PATH/],
  ])('refuses "%s"', (text, message) => {
    expect(() => parseSteps('--steps', text)).toThrow(UsageError);
    expect(() => parseSteps('--steps', text)).toThrow(message);
  });
});

describe('parseRolloutStart for canary and ab-test', () => {
  it('builds a canary request with steps, a cohort and a smoke check, and no blue-green fields', () => {
    expect(requestOf([
      'arena', '--build', 'v2', '--strategy', 'canary', '--steps', '10, pause, 100', '--cohort-player', 'alice,bob', '--cohort-player', 'cy',
      '--cohort-attr', 'beta=true', '--cohort-attr', 'tier=gold', '--cohort-attr', 'tier=silver', '--cohort-region', 'eu-west', '--smoke-http', 'game:/', '--old-idle', '5s',
    ])).toEqual({
      fleet: 'arena', build: 'v2', strategy: 'canary',
      steps: [{ setWeight: 10 }, { pause: {} }, { setWeight: 100 }],
      cohort: { players: ['alice', 'bob', 'cy'], attributes: { beta: 'true', tier: ['gold', 'silver'] }, regions: ['eu-west'] },
      smoke: { kind: 'http', port: 'game', path: '/' },
      oldIdleSeconds: 5,
    });
  });

  it('builds an in-place canary request: which servers, and how many old ones to replace', () => {
    expect(requestOf(['arena', '--build', 'v2', '--strategy', 'canary', '--steps', '25, 100', '--servers', 'in-place', '--in-place-servers', '25%'])).toEqual({
      fleet: 'arena', build: 'v2', strategy: 'canary', steps: [{ setWeight: 25 }, { setWeight: 100 }], cohort: null, servers: 'in-place', inPlaceServers: '25%',
    });
    expect(requestOf(['arena', '--build', 'v2', '--strategy', 'canary', '--steps', '100', '--servers', 'new'])).toMatchObject({ servers: 'new' });
  });

  it('builds an A/B request with named variants in order, the cohort on the release build', () => {
    expect(requestOf(['arena', '--build', 'v2', '--strategy', 'ab-test', '--variant', 'A:v1=50', '--variant', 'v2=50', '--cohort-player', 'alice', '--drain-deadline', '10m'])).toEqual({
      fleet: 'arena', build: 'v2', strategy: 'ab-test',
      variants: [{ name: 'A', build: 'v1', weight: 50 }, { build: 'v2', weight: 50, cohort: { players: ['alice'] } }],
      drain: { deadlineSeconds: 600 },
    });
  });

  it.each([
    [['--strategy', 'canary'], /--steps is required/],
    [['--strategy', 'ab-test'], /--variant is required/],
    [['--steps', '100'], /--steps applies to --strategy canary/],
    [['--strategy', 'canary', '--steps', '100', '--variant', 'v1=50'], /--variant applies to --strategy ab-test/],
    [['--strategy', 'canary', '--steps', '100', '--no-auto-promote'], /--no-auto-promote applies to --strategy blue-green/],
    [['--cohort-player', 'alice'], /--cohort-\* applies to --strategy canary or ab-test/],
    [['--strategy', 'ab-test', '--variant', 'v1=50', '--variant', 'v3=50', '--cohort-player', 'alice'], /no --variant names/],
    [['--strategy', 'ab-test', '--variant', 'v1:50'], /\[NAME:\]BUILD=WEIGHT/],
    [['--strategy', 'ab-test', '--variant', 'v1=101', '--variant', 'b=0'], /weight 101 is not between 0 and 100/],
    [['--strategy', 'canary', '--steps', '100', '--cohort-attr', 'beta'], /"beta" is not KEY=VALUE/],
    [['--strategy', 'canary', '--steps', '100', '--servers', 'inplace'], /--servers: "inplace" is not new or in-place/],
    [['--strategy', 'canary', '--steps', '100', '--in-place-servers', '2'], /--in-place-servers needs --servers in-place/],
    [['--strategy', 'canary', '--steps', '100', '--servers', 'in-place', '--in-place-servers', 'two'], /--in-place-servers: "two" is not a count or a percentage/],
    [['--strategy', 'rolling', '--in-place-servers', '2'], /--in-place-servers applies to --strategy canary/],
  ])('rejects %j', (flags, message) => {
    expect(() => parseRolloutStart(['arena', '--build', 'v2', ...flags])).toThrow(message);
  });
});
