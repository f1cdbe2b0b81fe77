import { describe, expect, it } from 'vitest';
import { parseArenaOptions } from './options.js';

describe('parseArenaOptions', () => {
  it('uses defaults when no flags or environment are given', () => {
    expect(parseArenaOptions([], {})).toEqual({
      version: '0.0.0',
      crashOnStart: false,
      neverReady: false,
      reconnectGraceMs: 5_000,
      tickMs: 500,
    });
  });

  it('takes the version from HANDOFF_BUILD_VERSION when there is no flag', () => {
    expect(parseArenaOptions([], { HANDOFF_BUILD_VERSION: '2.0.0' }).version).toBe('2.0.0');
  });

  it('prefers the --version flag over the environment', () => {
    expect(parseArenaOptions(['--version', '3.1.0'], { HANDOFF_BUILD_VERSION: '2.0.0' }).version).toBe('3.1.0');
  });

  it('reads the boolean and numeric flags', () => {
    const opts = parseArenaOptions(
      ['--crash-on-start', '--never-ready', '--reconnect-grace-ms', '0', '--tick-ms=50'],
      {},
    );
    expect(opts).toMatchObject({ crashOnStart: true, neverReady: true, reconnectGraceMs: 0, tickMs: 50 });
  });

  it.each([
    [['--reconnect-grace-ms', '-1']],
    [['--reconnect-grace-ms', 'soon']],
    [['--tick-ms', '0']],
    [['--no-such-flag']],
  ])('rejects %j', (argv) => {
    expect(() => parseArenaOptions(argv, {})).toThrow();
  });
});
