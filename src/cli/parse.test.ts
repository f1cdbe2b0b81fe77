import { describe, expect, it } from 'vitest';
import {
  parseDurationMs,
  parseDurationSeconds,
  parseKeyValues,
  parsePositiveInt,
  parseSmokeHttp,
  splitCommandLine,
} from './parse.js';
import { UsageError } from './usage.js';

describe('parseDurationMs', () => {
  it.each([
    ['90', 90_000],
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['500ms', 500],
    ['1.5m', 90_000],
    ['0', 0],
  ])('reads %s as %i ms', (text, ms) => {
    expect(parseDurationMs('--x', text)).toBe(ms);
  });

  it.each(['', 'soon', '5 m', '-5s', '1d', '5mm', 'm'])('rejects %j naming the flag', (text) => {
    expect(() => parseDurationMs('--drain-deadline', text)).toThrow(UsageError);
    expect(() => parseDurationMs('--drain-deadline', text)).toThrow(/--drain-deadline/);
  });
});

describe('parseDurationSeconds', () => {
  it('converts to the whole seconds the API takes', () => {
    expect(parseDurationSeconds('--x', '5m')).toBe(300);
    expect(parseDurationSeconds('--x', '2000ms')).toBe(2);
  });

  it('refuses a duration that is not a whole number of seconds', () => {
    expect(() => parseDurationSeconds('--old-idle', '1500ms')).toThrow(/whole number of seconds/);
  });
});

describe('parsePositiveInt', () => {
  it('accepts a positive integer', () => {
    expect(parsePositiveInt('--limit', '20')).toBe(20);
  });

  it.each(['0', '-1', '2.5', 'ten', ''])('rejects %j', (text) => {
    expect(() => parsePositiveInt('--limit', text)).toThrow(UsageError);
  });
});

describe('parseKeyValues', () => {
  it('collects repeated KEY=VALUE flags, keeping any = inside the value', () => {
    expect(parseKeyValues('--attr', ['mode=ranked', 'q=a=b', 'empty='])).toEqual({ mode: 'ranked', q: 'a=b', empty: '' });
  });

  it.each(['mode', '=ranked'])('rejects %j, which has no key', (pair) => {
    expect(() => parseKeyValues('--attr', [pair])).toThrow(/--attr/);
  });
});

describe('parseSmokeHttp', () => {
  it('splits the port name from the path at the first colon', () => {
    expect(parseSmokeHttp('--smoke-http', 'game:/healthz?deep=1:2')).toEqual({ port: 'game', path: '/healthz?deep=1:2' });
  });

  it.each(['/healthz', 'game', 'game:healthz', ':/healthz'])('rejects %j', (text) => {
    expect(() => parseSmokeHttp('--smoke-http', text)).toThrow(/PORT:PATH/);
  });
});

describe('splitCommandLine', () => {
  it.each([
    ['./check', ['./check']],
    ['  ./check   --port 7001 ', ['./check', '--port', '7001']],
    [`./check --map 'de dust' --name "a b"`, ['./check', '--map', 'de dust', '--name', 'a b']],
    [`./check ''`, ['./check', '']],
    [String.raw`./check a\ b`, ['./check', 'a b']],
    [String.raw`./check "say \"hi\""`, ['./check', 'say "hi"']],
    [String.raw`./check 'no \escape'`, ['./check', String.raw`no \escape`]],
    ['./check $HOME *', ['./check', '$HOME', '*']],
  ])('splits %j like a shell, without expanding anything', (text, argv) => {
    expect(splitCommandLine('--smoke-cmd', text)).toEqual(argv);
  });

  it('rejects an unterminated quote', () => {
    expect(() => splitCommandLine('--smoke-cmd', `./check 'oops`)).toThrow(/unterminated/);
  });

  it('rejects an empty command', () => {
    expect(() => splitCommandLine('--smoke-cmd', '   ')).toThrow(/empty/);
  });
});
