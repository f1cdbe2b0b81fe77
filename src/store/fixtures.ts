import { singleBuildRouting } from '../allocation/routing.js';
import type { Build } from '../builds/model.js';
import type { NewEvent } from '../core/events.js';
import type { Fleet, GameServer } from '../fleet/model.js';
import type { Rollout } from '../rollout/model.js';
import type { MigrationTokenRecord, Session } from '../session/model.js';
import type { IdempotencyRecord } from './port.js';

/**
 * Valid, fully populated sample records for tests. Every field is set — nested objects are
 * non-empty and nullable fields mix values and nulls — so a store or serializer that drops or
 * mangles a field fails a deep-equality check. Defaults are deterministic and consistent with
 * each other (the session's server hosts the session's build in the session's fleet); pass
 * overrides for anything a test cares about, including `id` when it needs several records.
 */

/** FakeClock's default start; every sample timestamp is this plus a few seconds. */
export const sampleTime = Date.UTC(2026, 0, 1);

export function sampleBuild(overrides: Partial<Build> = {}): Build {
  return {
    id: 'bld_1',
    version: '1.4.2',
    launch: {
      executable: './arena-server',
      args: ['--mode', 'ranked'],
      env: { LOG_LEVEL: 'info', MAP_POOL: 'dust,harbor' },
      workingDir: '/opt/arena/1.4.2',
    },
    ports: [
      { name: 'game', protocol: 'udp' },
      { name: 'query', protocol: 'tcp' },
    ],
    sessionsPerServer: 4,
    compatibleClients: '>=1.4.0 <2',
    labels: { channel: 'stable' },
    createdAt: sampleTime,
    ...overrides,
  };
}

export function sampleFleet(overrides: Partial<Fleet> = {}): Fleet {
  return {
    name: 'arena',
    currentBuild: 'bld_1',
    capacity: { minServers: 1, maxServers: 10, bufferServers: 1, idleTimeoutSeconds: 600 },
    health: { timeoutSeconds: 15, startTimeoutSeconds: 60, stopGraceSeconds: 30 },
    routing: singleBuildRouting('bld_1'),
    region: 'eu-west',
    partyPolicy: 'together',
    labels: { team: 'arena' },
    joinTokens: 'required',
    createdAt: sampleTime,
    updatedAt: sampleTime + 1_000,
    ...overrides,
  };
}

export function sampleServer(overrides: Partial<GameServer> = {}): GameServer {
  return {
    id: 'srv_1',
    fleet: 'arena',
    build: 'bld_1',
    state: 'Active',
    address: '127.0.0.1',
    ports: { game: 7777, query: 27015 },
    capacity: 4,
    token: 'tok_sample_server_secret',
    pid: 4242,
    identity: 'linux:starttime=123456',
    logPath: '/var/log/handoff/srv_1.log',
    createdAt: sampleTime + 2_000,
    readyAt: sampleTime + 3_000,
    lastHealthAt: sampleTime + 4_000,
    emptySince: null,
    drainReason: null,
    drainDeadline: null,
    stopRequestedAt: null,
    stoppedAt: null,
    exitCode: null,
    exitSignal: null,
    ...overrides,
  };
}

export function sampleSession(overrides: Partial<Session> = {}): Session {
  return {
    id: 'ses_1',
    fleet: 'arena',
    server: 'srv_1',
    build: 'bld_1',
    playerId: 'player-1',
    partyId: 'party-7',
    clientVersion: '1.4.2',
    region: 'eu-west',
    attributes: { mode: 'ranked', map: 'harbor' },
    state: 'Connected',
    openedAt: sampleTime + 5_000,
    connectedAt: sampleTime + 6_000,
    closedAt: null,
    closeReason: null,
    ...overrides,
  };
}

export function sampleRollout(overrides: Partial<Rollout> = {}): Rollout {
  return {
    id: 'ro_1',
    fleet: 'arena',
    fromBuild: 'bld_1',
    toBuild: 'bld_2',
    spec: {
      strategy: 'blue-green',
      autoPromote: true,
      smoke: { kind: 'http', port: 'query', path: '/healthz', expectStatus: 200, timeoutSeconds: 5 },
      drain: { deadlineSeconds: 1_800, noticeLeadSeconds: 300 },
      oldIdleSeconds: null,
      readyTimeoutSeconds: 120,
      maxStartFailures: 3,
    },
    phase: 'Verifying',
    message: 'Smoke-checking srv_9 on bld_2',
    targetServers: 2,
    startFailures: 1,
    lastFailure: 'exit code 1 (log: /var/log/handoff/srv_8.log)',
    smoke: { state: 'running', serverId: 'srv_9', startedAt: sampleTime + 8_000, finishedAt: null, detail: '' },
    // A stored verdict, so the contract suites prove verdicts survive a reopen with their numbers.
    analyses: [{
      step: 'step 2/3', verdict: 'fail', window: { since: sampleTime, until: sampleTime + 30_000 }, canary: 'bld_2', baseline: 'bld_1', at: sampleTime + 30_000,
      result: { verdict: 'fail', metrics: [{ metric: 'crash_rate', verdict: 'fail', canary: { n: 4, value: 0.75 }, baseline: { n: 6, value: 0 }, test: { name: 'fisher-exact', statistic: 3, pValue: 0.033, effect: 0.75 }, reason: 'crash_rate is higher.' }] },
    }],
    createdAt: sampleTime + 7_000,
    updatedAt: sampleTime + 8_000,
    readyAt: sampleTime + 8_000,
    promotedAt: null,
    switchedAt: null,
    drainNoticeAt: null,
    migratedAt: null,
    completedAt: null,
    abortedAt: null,
    failedAt: null,
    ...overrides,
  };
}

export function sampleIdempotency(overrides: Partial<IdempotencyRecord> = {}): IdempotencyRecord {
  return {
    key: 'idem_1',
    fleet: 'arena',
    requestHash: 'sha256:9f86d081884c7d659a2feaa0c55ad015',
    response: { sessionId: 'ses_1', server: { address: '127.0.0.1', ports: { game: 7777 } } },
    createdAt: sampleTime + 5_000,
    expiresAt: sampleTime + 5_000 + 86_400_000,
    ...overrides,
  };
}

export function sampleMigrationToken(overrides: Partial<MigrationTokenRecord> = {}): MigrationTokenRecord {
  return {
    id: 'ses_0',
    fleet: 'arena',
    playerId: 'player-1',
    partyId: 'party-7',
    build: 'bld_2',
    issuedAt: sampleTime + 5_000,
    expiresAt: sampleTime + 5_000 + 300_000,
    usedAt: sampleTime + 9_000,
    usedBy: 'ses_1',
    ...overrides,
  };
}

export function sampleEvent(overrides: Partial<NewEvent> = {}): NewEvent {
  return {
    at: sampleTime + 5_000,
    fleet: 'arena',
    kind: 'session.opened',
    subject: 'ses_1',
    message: 'player-1 placed on srv_1',
    data: { server: 'srv_1', build: 'bld_1', nested: { reasons: ['fits', 'routed'] } },
    ...overrides,
  };
}
