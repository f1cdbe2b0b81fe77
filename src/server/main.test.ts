import { HandoffError } from '../core/errors.js';
import { describe, expect, it } from 'vitest';
import { parseServerArgs, startFailureStatus } from './main.js';
import { resolveServerOptions } from './options.js';

describe('handoff server arguments', () => {
  it('reads --webhook-allow and --webhook-deny, repeated or comma-separated, and refuses what is no CIDR', () => {
    const argv = ['--webhook-deny', '10.0.0.0/8,172.16.0.0/12', '--webhook-deny', 'fd00::/8', '--webhook-allow', '169.254.170.2'];
    expect(resolveServerOptions(parseServerArgs(argv).options)).toMatchObject({ webhookDeny: ['10.0.0.0/8', '172.16.0.0/12', 'fd00::/8'], webhookAllow: ['169.254.170.2'] });
    expect(resolveServerOptions(parseServerArgs([]).options)).toMatchObject({ webhookDeny: [], webhookAllow: [] });
    expect(() => resolveServerOptions(parseServerArgs(['--webhook-deny', 'internal']).options)).toThrow(/webhookDeny: "internal" is not an IP address or CIDR range/);
  });

  it('reads the embedded host id, zone and region (default local) and refuses blanks and bad ids', () => {
    expect(resolveServerOptions(parseServerArgs(['--host-id', 'cp-1', '--zone', 'eu-west-1a', '--region', 'eu-west']).options)).toMatchObject({ hostId: 'cp-1', zone: 'eu-west-1a', region: 'eu-west' });
    expect(resolveServerOptions(parseServerArgs([]).options)).toMatchObject({ hostId: 'local', zone: 'local', region: 'local' });
    expect(() => parseServerArgs(['--zone', ''])).toThrow(/--zone must be/);
    expect(() => parseServerArgs(['--region', 'eu west'])).toThrow(/--region must be/);
    expect(() => parseServerArgs(['--host-id', '../x'])).toThrow(/--host-id must be/);
  });

  it('reads --runtime and --sim-seed; local processes stay the default', () => {
    expect(parseServerArgs(['--runtime', 'simulated', '--sim-seed', '7']).options).toMatchObject({ runtime: 'simulated', simulationSeed: 7 });
    expect(resolveServerOptions(parseServerArgs([]).options)).toMatchObject({ runtime: 'local', simulationSeed: 1 });
  });

  it('reads the retention and game-server log flags; defaults keep 30 days and 10 MiB × 4 files per server', () => {
    const argv = ['--retain-events-days', '7', '--retain-events-max', '5000', '--retain-sessions-days', '1.5', '--retain-sessions-max', '900', '--retain-archive-dir', 'archive', '--server-log-max-bytes', '65536', '--server-log-files', '0', '--server-log-retain-days', '2'];
    expect(resolveServerOptions({ ...parseServerArgs(argv).options, cwd: '/srv' })).toMatchObject({
      retainEventsDays: 7, retainEventsMax: 5000, retainSessionsDays: 1.5, retainSessionsMax: 900, retainArchiveDir: '/srv/archive',
      serverLogMaxBytes: 65536, serverLogFiles: 0, serverLogRetainDays: 2,
    });
    expect(resolveServerOptions(parseServerArgs([]).options)).toMatchObject({
      retainEventsDays: 30, retainEventsMax: 1_000_000, retainSessionsDays: 30, retainSessionsMax: 1_000_000, retainArchiveDir: null,
      serverLogMaxBytes: 10 * 1024 * 1024, serverLogFiles: 3, serverLogRetainDays: 7,
    });
  });

  it('reads the host timeouts; by default a host is Unreachable after 10 s and its sessions are closed as host_lost after 5 minutes', () => {
    expect(resolveServerOptions(parseServerArgs(['--host-heartbeat-timeout-ms', '3000', '--host-lost-timeout-ms', '60000']).options)).toMatchObject({ hostHeartbeatTimeoutMs: 3000, hostLostTimeoutMs: 60_000 });
    expect(resolveServerOptions(parseServerArgs([]).options)).toMatchObject({ hostHeartbeatTimeoutMs: 10_000, hostLostTimeoutMs: 300_000 });
    expect(() => resolveServerOptions(parseServerArgs(['--host-heartbeat-timeout-ms', '3000', '--host-lost-timeout-ms', '2000']).options)).toThrow(/hostLostTimeoutMs must be .* no shorter than hostHeartbeatTimeoutMs/);
  });

  it.each([
    [['--host-lost-timeout-ms', '5m'], '--host-lost-timeout-ms must be a positive whole number'],
    [['--retain-events-days', '0'], '--retain-events-days must be a positive number of days'],
    [['--retain-sessions-max', 'many'], '--retain-sessions-max'],
    [['--server-log-files=1.5'], '--server-log-files must be a whole number'],
    [['--runtime', 'docker'], '--runtime must be one of local, simulated'],
    [['--sim-seed', 'abc'], '--sim-seed must be a whole number'],
    [['--store', 'postgres://db/h', '--retain-replicas-hours=-1'], '--retain-replicas-hours must be a number of hours'],
    [['--retain-replicas-hours', '24'], '--retain-replicas-hours need --store'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseServerArgs(argv)).toThrow(message);
  });

  it('reads --retain-replicas-hours into the replica retention; absent leaves the 24 h default to the replica', () => {
    expect(parseServerArgs(['--store', 'postgres://db/h', '--retain-replicas-hours', '1.5']).replica).toEqual({ retentionMs: 5_400_000 });
    expect(parseServerArgs(['--store', 'postgres://db/h', '--retain-replicas-hours', '0']).replica).toEqual({ retentionMs: 0 });
    expect(parseServerArgs(['--store', 'postgres://db/h']).replica).toEqual({});
  });

  it.each([
    { error: new HandoffError('STORE_SCHEMA_TOO_NEW'), replica: false, status: 78 },
    { error: new HandoffError('STORE_SCHEMA_TOO_NEW'), replica: true, status: 78 },
    { error: new HandoffError('STORE_UNAVAILABLE'), replica: true, status: 75 },
    { error: new HandoffError('STORE_UNAVAILABLE'), replica: false, status: 1 },
    { error: new Error('EADDRINUSE'), replica: true, status: 1 },
  ])('exits $status when a start fails with $error.message (replica: $replica)', ({ error, replica, status }) => {
    expect(startFailureStatus(error, replica)).toBe(status);
  });
});
