import { describe, expect, it } from 'vitest';
import { UsageError } from '../usage.js';
import { parseHost, type HostInput } from './host.js';
import { decideDrainWait, type DrainWaitVerdict } from './host-wait.js';

const input = (args: string[]): HostInput => {
  const p = parseHost('drain', args);
  if (p.help) throw new Error('help');
  return p.input;
};

describe('handoff host drain', () => {
  it.each<[string, string[], HostInput]>([
    ['no options: waits for the players, and returns at once', ['eu-1'], { host: 'eu-1', drain: { drain: null }, waitMs: null }],
    ['a deadline alone: the server fills in the notice lead', ['eu-1', '--deadline', '10m'], { host: 'eu-1', drain: { drain: { deadlineSeconds: 600 } }, waitMs: null }],
    ['a deadline and a notice, as a release says them', ['eu-1', '--deadline', '1h', '--notice', '5m'], { host: 'eu-1', drain: { drain: { deadlineSeconds: 3600, noticeLeadSeconds: 300 } }, waitMs: null }],
    ['a zero notice: told at the deadline', ['eu-1', '--deadline', '90', '--notice', '0'], { host: 'eu-1', drain: { drain: { deadlineSeconds: 90, noticeLeadSeconds: 0 } }, waitMs: null }],
    ['--wait: an hour by default', ['eu-1', '--wait'], { host: 'eu-1', drain: { drain: null }, waitMs: 3_600_000 }],
    ['--wait with a timeout', ['eu-1', '--wait', '--timeout', '90s'], { host: 'eu-1', drain: { drain: null }, waitMs: 90_000 }],
  ])('%s', (_name, args, expected) => {
    expect(input(args)).toEqual(expected);
  });

  it.each<[string, string[], RegExp]>([
    ['a negative deadline', ['eu-1', '--deadline=-5m'], /--deadline: "-5m" is not a duration/],
    ['a negative deadline as a separate word', ['eu-1', '--deadline', '-5m'], /--deadline/],
    ['an unparsable deadline', ['eu-1', '--deadline', 'soon'], /--deadline: "soon" is not a duration/],
    ['a zero deadline', ['eu-1', '--deadline', '0'], /--deadline must be at least 1s/],
    ['a deadline in part seconds', ['eu-1', '--deadline', '1500ms'], /whole number of seconds/],
    ['a negative notice', ['eu-1', '--deadline', '10m', '--notice=-1m'], /--notice: "-1m" is not a duration/],
    ['a notice without a deadline', ['eu-1', '--notice', '1m'], /--notice needs --deadline/],
    ['a timeout without --wait', ['eu-1', '--timeout', '1m'], /--timeout needs --wait/],
    ['an unparsable timeout', ['eu-1', '--wait', '--timeout', 'later'], /--timeout: "later" is not a duration/],
    ['no host', [], /HOST/],
  ])('refuses %s as a usage error, before any request', (_name, args, message) => {
    expect(() => parseHost('drain', args)).toThrow(UsageError);
    expect(() => parseHost('drain', args)).toThrow(message);
  });

  it('takes no drain options on cordon', () => {
    expect(() => parseHost('cordon', ['eu-1', '--deadline', '1m'])).toThrow(UsageError);
    expect(parseHost('cordon', ['eu-1'])).toMatchObject({ input: { host: 'eu-1', drain: null, waitMs: null } });
  });
});

describe('decideDrainWait', () => {
  const T0 = 1_000_000;
  it.each<[string, { schedule: string; empty: boolean } | null, number, DrainWaitVerdict]>([
    ['draining and empty: done', { schedule: 'Draining', empty: true }, T0 + 5, 'empty'],
    ['draining, players left: waits', { schedule: 'Draining', empty: false }, T0 + 59_999, 'wait'],
    ['draining, players left at the timeout: gives up', { schedule: 'Draining', empty: false }, T0 + 60_000, 'timed-out'],
    ['uncordoned meanwhile: called off, even when empty', { schedule: 'Ready', empty: true }, T0 + 5, 'called-off'],
    ['cordoned meanwhile: called off', { schedule: 'Cordoned', empty: false }, T0 + 5, 'called-off'],
    ['the last poll failed: waits', null, T0 + 5, 'wait'],
    ['the last poll failed at the timeout: gives up', null, T0 + 60_000, 'timed-out'],
  ])('%s', (_name, host, now, expected) => {
    expect(decideDrainWait(host, T0, now, 60_000)).toBe(expected);
  });
});
