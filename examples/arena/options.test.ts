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
      crashRate: 0,
      abnormalCloseRate: 0,
      slowTickMs: 0,
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

  it('reads the fault switches', () => {
    expect(parseArenaOptions(['--crash-rate', '0.2', '--abnormal-close-rate=1', '--slow-tick-ms', '40'], {})).toMatchObject({ crashRate: 0.2, abnormalCloseRate: 1, slowTickMs: 40 });
  });

  it.each([
    [['--reconnect-grace-ms', '-1']],
    [['--reconnect-grace-ms', 'soon']],
    [['--tick-ms', '0']],
    [['--crash-rate', '1.5']],
    [['--abnormal-close-rate', 'often']],
    [['--crash-rate', '']],
    [['--slow-tick-ms', '-5']],
    [['--no-such-flag']],
  ])('rejects %j', (argv) => {
    expect(() => parseArenaOptions(argv, {})).toThrow();
  });
});
