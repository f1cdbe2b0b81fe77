import { describe, expect, it } from 'vitest';
import { DefaultServerUrl, expectPositionals, parseCommandArgs, resolveServerUrl, resolveServerUrls, splitInvocation, UsageError } from './usage.js';

describe('splitInvocation', () => {
  it('takes global flags before the command and leaves everything after it untouched', () => {
    expect(splitInvocation(['--json', '--server', 'http://h:1', 'get', 'fleets', '--server=x'])).toEqual({
      command: 'get',
      rest: ['fleets', '--server=x'],
      global: { json: true, server: 'http://h:1' },
      version: false,
    });
  });

  it('forwards the server command its flags verbatim, including ones the CLI also knows', () => {
    expect(splitInvocation(['server', '--help', '--port', '1'])).toMatchObject({ command: 'server', rest: ['--help', '--port', '1'] });
  });

  it('reports no command when there are only flags', () => {
    expect(splitInvocation(['-h'])).toEqual({ command: null, rest: [], global: { help: true }, version: false });
    expect(splitInvocation(['--version']).version).toBe(true);
  });

  it('rejects an unknown flag before the command and a --server without a value', () => {
    expect(() => splitInvocation(['--verbose', 'get'])).toThrow(UsageError);
    expect(() => splitInvocation(['--server'])).toThrow(/needs a URL/);
  });
});

describe('parseCommandArgs', () => {
  it('accepts the global flags after the command as well', () => {
    const { values, positionals } = parseCommandArgs('get', ['fleets', '--json', '--server', 'http://x'], {});
    expect(values).toMatchObject({ json: true, server: 'http://x' });
    expect(positionals).toEqual(['fleets']);
  });

  it('turns an unknown option into a usage error for that command, with the short message', () => {
    const error = (() => {
      try {
        parseCommandArgs('rollout start', ['--bild', 'x'], { build: { type: 'string' } });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({ command: 'rollout start', message: "Unknown option '--bild'" });
  });
});

describe('expectPositionals', () => {
  it('names what is missing and what is extra', () => {
    expect(() => expectPositionals('allocate', [], ['FLEET'])).toThrow('missing FLEET');
    expect(() => expectPositionals('allocate', ['a', 'b'], ['FLEET'])).toThrow('unexpected argument "b"');
    expect(expectPositionals('allocate', ['a'], ['FLEET'])).toEqual(['a']);
  });
});

describe('resolveServerUrl', () => {
  it('prefers the last --server, then HANDOFF_URL, then the default', () => {
    expect(resolveServerUrl([{ server: 'http://a:1' }, { server: 'http://b:2/' }], { HANDOFF_URL: 'http://c:3' })).toBe('http://b:2');
    expect(resolveServerUrl([{}], { HANDOFF_URL: 'http://c:3' })).toBe('http://c:3');
    expect(resolveServerUrl([{}], { HANDOFF_URL: '' })).toBe(DefaultServerUrl);
  });

  it('rejects something that is not an http URL', () => {
    expect(() => resolveServerUrl([{ server: 'localhost:7350' }], {})).toThrow(UsageError);
    expect(() => resolveServerUrl([{ server: 'not a url' }], {})).toThrow(/not a URL/);
  });

  it('reads a comma-separated list of replicas from HANDOFF_URL or --server, naming a bad entry', () => {
    expect(resolveServerUrls([{}], { HANDOFF_URL: 'http://a:1, http://b:2/,http://c:3' })).toEqual(['http://a:1', 'http://b:2', 'http://c:3']);
    expect(resolveServerUrls([{ server: 'http://x:1,http://y:2' }], { HANDOFF_URL: 'http://c:3' })).toEqual(['http://x:1', 'http://y:2']);
    expect(() => resolveServerUrls([{ server: 'http://x:1,ftp://y' }], {})).toThrow(/"ftp:\/\/y" must be an http/);
  });
});
