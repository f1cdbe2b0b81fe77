/**
 * Complete, realistic API views for the CLI's tests (unit and integration), so each test
 * states only the fields it is about. Typed against the server's schemas: when a view
 * changes shape, these stop compiling before a test silently checks the old one.
 */
import type { BuildView, EventView, FleetView, RolloutView, ServerView, SessionView } from './views.js';

/** 2026-01-01T12:00:00Z: a fixed "now" for rendering. */
export const Noon = Date.UTC(2026, 0, 1, 12);

export function buildView(over: Partial<BuildView> = {}): BuildView {
  return {
    id: 'arena-1',
    version: '1.0.0',
    launch: { executable: './arena', args: [], env: {}, workingDir: null },
    ports: [{ name: 'game', protocol: 'tcp' }],
    sessionsPerServer: 8,
    compatibleClients: '*',
    labels: {},
    createdAt: Noon - 3_600_000,
    ...over,
  };
}

export function fleetView(over: Partial<FleetView> = {}): FleetView {
  return {
    name: 'arena',
    currentBuild: 'arena-1',
    capacity: { minServers: 1, maxServers: 10, bufferServers: 1, idleTimeoutSeconds: 600 },
    health: { timeoutSeconds: 15, startTimeoutSeconds: 60, stopGraceSeconds: 10 },
    region: null,
    partyPolicy: 'together',
    labels: {},
    joinTokens: 'required',
    placement: { policy: 'spread', zones: null },
    routing: { entries: [{ build: 'arena-1', weight: 100 }], rules: [], prefer: 'weights', salt: null, closed: null },
    status: {
      serversByState: { Ready: 1, Active: 2 },
      serversByBuild: { 'arena-1': 3 },
      openSessionsByBuild: { 'arena-1': 5 },
      freeSlots: 19,
      activeRollout: null,
    },
    createdAt: Noon - 86_400_000,
    updatedAt: Noon - 60_000,
    ...over,
  };
}

export function serverView(over: Partial<ServerView> = {}): ServerView {
  return {
    id: 'srv_a',
    fleet: 'arena',
    build: 'arena-1',
    state: 'Active',
    address: '127.0.0.1',
    ports: { game: 7001 },
    capacity: 8,
    sessions: 3,
    pid: 4242,
    logPath: null,
    createdAt: Noon - 12_000,
    readyAt: Noon - 10_000,
    lastHealthAt: Noon - 1000,
    drainReason: null,
    drainDeadline: null,
    stoppedAt: null,
    exitCode: null,
    exitSignal: null,
    ...over,
  };
}

export function sessionView(over: Partial<SessionView> = {}): SessionView {
  return {
    id: 'ses_a',
    fleet: 'arena',
    server: 'srv_a',
    build: 'arena-1',
    playerId: 'p1',
    partyId: null,
    clientVersion: null,
    region: null,
    attributes: {},
    state: 'Connected',
    openedAt: Noon - 180_000,
    connectedAt: Noon - 179_000,
    closedAt: null,
    closeReason: null,
    ...over,
  };
}

export function rolloutView(over: Partial<RolloutView> = {}): RolloutView {
  return {
    id: 'ro_1',
    fleet: 'arena',
    fromBuild: 'arena-1',
    toBuild: 'arena-2',
    strategy: 'blue-green',
    phase: 'Draining',
    message: 'waiting for 3 sessions on arena-1 to end',
    spec: {},
    targetServers: 2,
    startFailures: 0,
    smoke: null,
    progress: {
      builds: {
        'arena-2': { servers: { Ready: 1, Active: 1 }, sessions: 4, weight: 100 },
        'arena-1': { servers: { Draining: 2 }, sessions: 3, weight: 0 },
      },
      draining: [],
    },
    progressState: {},
    analyses: [],
    supersededBy: null,
    createdAt: Noon - 120_000,
    updatedAt: Noon - 5000,
    readyAt: Noon - 80_000,
    promotedAt: null,
    switchedAt: Noon - 68_000,
    drainNoticeAt: null,
    migratedAt: null,
    completedAt: null,
    abortedAt: null,
    failedAt: null,
    ...over,
  };
}

export function eventView(over: Partial<EventView> = {}): EventView {
  return {
    seq: 7,
    at: Noon - 3000,
    fleet: 'arena',
    kind: 'rollout.switched',
    subject: 'ro_1',
    message: 'new sessions go to arena-2',
    data: {},
    ...over,
  };
}
