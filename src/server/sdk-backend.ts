/** The control plane's side of the SDK: routes each SDK call to the service that owns it. */
import { HandoffError } from '../core/errors.js';
import type { ServerService } from '../fleet/servers.js';
import type { SdkBackend } from '../sdk/backend.js';
import type { NoticeHub } from '../sdk/notices.js';
import type { MetricReport, Notice, SdkSelf, SdkSessionView } from '../sdk/protocol.js';
import type { SignalService } from '../analysis/signals/service.js';
import type { Clock } from '../core/clock.js';
import { strategyOf } from '../rollout/strategies/index.js';
import type { CloseReason } from '../session/model.js';
import type { SessionService } from '../session/service.js';
import type { SessionGate } from '../state/session-load.js';
import type { World } from '../state/world.js';

export class ControlPlaneSdkBackend implements SdkBackend {
  constructor(
    private readonly world: World,
    private readonly servers: ServerService,
    private readonly sessions: SessionService,
    private readonly notices: NoticeHub,
    private readonly signals?: SignalService,
    private readonly clock?: Clock,
    /** Present while sessions may still load after a cold start (state/session-load.ts). */
    private readonly sessionLoad?: SessionGate,
  ) {}

  authenticate(token: string): string | undefined {
    return this.world.serverForToken(token)?.id;
  }

  ready(serverId: string): Promise<void> {
    return this.servers.ready(serverId);
  }

  health(serverId: string): void {
    this.servers.health(serverId);
  }

  sessionStarted(serverId: string, playerId: string, joinToken: string | null): Promise<SdkSessionView> {
    return this.sessions.started(serverId, playerId, joinToken);
  }

  sessionEnded(serverId: string, playerId: string, reason: CloseReason, sessionId: string | null): Promise<void> {
    return this.sessions.ended(serverId, playerId, reason, sessionId);
  }

  setCapacity(serverId: string, capacity: number): Promise<void> {
    return this.servers.setCapacity(serverId, capacity);
  }

  reportRoster(serverId: string, players: string[], sessions: Record<string, string>): Promise<void> {
    return this.sessions.reportRoster(serverId, { players, sessions });
  }

  reportMetrics(serverId: string, metrics: readonly MetricReport[]): void {
    if (this.signals && this.clock) this.signals.report(serverId, metrics, this.clock.now());
  }

  requestShutdown(serverId: string): Promise<void> {
    return this.servers.requestShutdown(serverId);
  }

  self(serverId: string): SdkSelf | Promise<SdkSelf> {
    // The server's sessions are part of the answer: all of them, also those not yet loaded.
    if (this.world.sessionsLoading && this.sessionLoad) return this.sessionLoad.server(serverId).then(() => this.selfNow(serverId));
    return this.selfNow(serverId);
  }

  private selfNow(serverId: string): SdkSelf {
    const s = this.world.servers.get(serverId);
    if (!s) throw new HandoffError('SERVER_NOT_FOUND', undefined, { serverId });
    return {
      serverId: s.id, fleet: s.fleet, build: s.build, version: this.world.builds.get(s.build)?.version ?? '',
      state: s.state, capacity: s.capacity, ports: s.ports,
      sessions: this.world.sessionsOn(s.id).map((x) => ({ sessionId: x.id, playerId: x.playerId, partyId: x.partyId, attributes: x.attributes })),
    };
  }

  subscribe(serverId: string, listener: (notice: Notice) => void): () => void {
    return this.notices.subscribe(serverId, listener);
  }
}

/**
 * Notices a server must see even if it connects its watch late: what its fleet's release keeps
 * standing (an announced maintenance) first, then an announced drain or migration.
 */
export function standingNotices(world: World, serverId: string, now: () => number): Notice[] {
  const s = world.servers.get(serverId);
  if (!s) return [];
  const release = world.activeRolloutOf(s.fleet);
  const notices = release ? (strategyOf(release).standing?.(release, s, now()) ?? []) : [];
  if (s.drainDeadline === null) return notices;
  if (s.migrateTo) return [...notices, { type: 'migrate', build: s.migrateTo, deadline: s.drainDeadline, at: now() }];
  return [...notices, { type: 'drain', reason: s.drainReason ?? 'release', deadline: s.drainDeadline, at: now() }];
}
