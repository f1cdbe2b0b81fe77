/**
 * The hosts part of the wiring (kept beside compose.ts, which calls it): the host registry, the
 * gateway agents connect to, and the runtime over every host — the control plane's own (the
 * embedded agent: the local runtime as before) and each agent's.
 */
import { randomBytes } from 'node:crypto';
import { AgentGateway } from '../agent/gateway.js';
import { HandoffError } from '../core/errors.js';
import { DefaultPlacement, fleetPlacement, isTerminal, type GameServer } from '../fleet/model.js';
import { HostDrainService } from '../hosts/drain-service.js';
import { HostPlacer } from '../hosts/placer.js';
import { HOST_DRAIN_REASON } from '../hosts/plan-drain.js';
import { HostService } from '../hosts/service.js';
import { hostToken, verifyHostToken } from '../hosts/token.js';
import { MultiHostRuntime } from '../runtime/hosts/multi-host-runtime.js';
import type { RuntimeProvider } from '../runtime/port.js';
import { RemoteRuntime } from '../runtime/remote/remote-runtime.js';
import type { SessionService } from '../session/service.js';
import type { Ctx } from '../state/context.js';
import type { ServerService } from '../fleet/servers.js';
import { HostLossService } from '../hosts/loss-service.js';
import type { ResolvedServerOptions } from './options.js';

export interface HostsWiring {
  hosts: HostService;
  gateway: AgentGateway;
  /** The runtime the control plane uses: over every host, or `inner` alone when hosts are off. */
  runtime: RuntimeProvider;
  /** The host a game server runs on. */
  hostOf(serverId: string): string | undefined;
  /** Issues the agent token of a host (`handoff host token`); creates the secret on first use. */
  issueToken(hostId: string): Promise<string>;
  /** Late-bound: host loss needs the server and session services, which need the runtime first. */
  loss: { current: HostLossService | null };
}

export interface HostsWiringDeps {
  /** The runtime of the control plane's own host. */
  inner: RuntimeProvider;
  /** False when the runtime was injected or is simulated: the runtime is used as it is, alone. */
  multiHost: boolean;
  sdkUrl: () => string;
  /** Late-bound: the server service exists only after the runtime. */
  drainServer: (serverId: string, hostId: string) => Promise<void>;
  kickAll: () => void;
  log: (line: string) => void;
}

export async function wireHosts(ctx: Ctx, options: ResolvedServerOptions, deps: HostsWiringDeps): Promise<HostsWiring> {
  // Created on the first token issued, not at start: a control plane with no agents writes nothing.
  const secret = (): string | undefined => ctx.world.meta['hostSecret'];
  const loss: { current: HostLossService | null } = { current: null };
  const issueToken = async (hostId: string): Promise<string> => hostToken(await ensureHostSecret(ctx), hostId);
  const { from, to } = options.portRange;
  const ref: { multi: MultiHostRuntime | null } = { multi: null };
  const hostOf = (serverId: string): string | undefined => (ref.multi ? ref.multi.hostOf(serverId) : ctx.world.servers.has(serverId) ? options.hostId : undefined);
  const hosts = await HostService.create(ctx, {
    heartbeatTimeoutMs: options.hostHeartbeatTimeoutMs,
    embedded: {
      id: options.hostId, zone: options.zone, region: options.region, publicAddress: options.publicAddress, portRange: options.portRange,
      // Every server needs at least one port: the range bounds the slots; the runtime still has the last word.
      capacity: { slots: to - from + 1, cpuMillis: null, memoryMb: null },
    },
    drainServers: async (hostId) => {
      for (const s of [...ctx.world.servers.values()]) if (hostOf(s.id) === hostId) await deps.drainServer(s.id, hostId);
    },
    drainCalledOff: drainCalledOff(ctx, hostOf),
  });
  const gateway = new AgentGateway({
    authenticate: (id, token) => {
      const s = secret();
      return s !== undefined && verifyHostToken(s, id, token);
    },
    registered: async (reg, servers) => {
      // Checked before anything is recorded: a refused hello changes nothing.
      for (const s of servers) {
        const owner = hostOf(s.serverId);
        if (owner !== undefined && owner !== reg.id) {
          throw new HandoffError('HOST_SERVER_NOT_OWNED', `host ${reg.id} reports ${s.serverId}, which runs on ${owner}`, { hostId: reg.id, serverId: s.serverId, owner });
        }
      }
      await hosts.register(reg);
      ref.multi?.hostReported(reg.id, servers.map((s) => s.serverId));
      await loss.current?.rejoined(reg.id, servers.map((s) => s.serverId));
      deps.kickAll();
    },
    heartbeat: (id) => hosts.heartbeat(id),
    sdkUrl: deps.sdkUrl,
    disconnected: (id, how) => {
      deps.log(`host ${id}: agent disconnected${how.byHost ? ' (closed by the host)' : ''}`);
      // A newer connection may already be attached: then the host is back, nothing left.
      if (how.byHost && !gateway.link(id).connected) hosts.agentLeft(id);
    },
    log: deps.log,
  });
  if (!deps.multiHost) return { hosts, gateway, runtime: deps.inner, hostOf, issueToken, loss };
  const remotes = new Map<string, RemoteRuntime>();
  const placer = new HostPlacer(hosts, { heartbeatTimeoutMs: options.hostHeartbeatTimeoutMs, alwaysAlive: hosts.alwaysAlive });
  ref.multi = new MultiHostRuntime({
    embedded: { hostId: options.hostId, runtime: deps.inner },
    remote: (id) => {
      const rt = remotes.get(id) ?? new RemoteRuntime(gateway.link(id));
      remotes.set(id, rt);
      return rt;
    },
    place: (launch, usage) => {
      // Builds declare no cpu/memory yet: slots alone. The fleet chooses spread or pack, and its zones.
      const fleet = ctx.world.fleets.get(launch.fleet);
      const p = placer.place(usage, launch.fleet, launch.build.id, { cpuMillis: 0, memoryMb: 0 }, fleet ? fleetPlacement(fleet) : DefaultPlacement, ctx.clock.now());
      if (p.hostId === null) throw new HandoffError('HOST_CAPACITY_EXHAUSTED', undefined, { fleet: launch.fleet, reason: p.reason });
      return p.hostId;
    },
    connectedHosts: () => hosts.all().map((h) => h.id).filter((id) => gateway.link(id).connected),
    fleetOf: (id) => {
      const s = ctx.world.servers.get(id);
      return s ? { fleet: s.fleet, build: s.build } : undefined;
    },
  });
  return { hosts, gateway, runtime: ref.multi, hostOf, issueToken, loss };
}

export interface HostLossWiringDeps {
  servers: ServerService;
  sessions: SessionService;
  kick: () => void;
  log: (line: string) => void;
}

/**
 * Host loss (src/hosts/loss-service.ts) over the wiring's hosts and runtime: fences the servers
 * of an Unreachable host, closes their sessions as `host_lost` past the lost timeout, and applies
 * the fencing rule when the host re-joins. Started by the caller, which also stops it.
 */
export function wireHostLoss(ctx: Ctx, options: ResolvedServerOptions, wiring: HostsWiring, deps: HostLossWiringDeps): HostLossService {
  const { world } = ctx;
  const service = new HostLossService(ctx, ctx.clock, {
    hosts: () => wiring.hosts.all().map((h) => ({ id: h.id, lastHeartbeatAt: h.lastHeartbeatAt, alwaysAlive: wiring.hosts.alwaysAlive.has(h.id), agentLeft: wiring.hosts.hasAgentLeft(h.id) })),
    serversOn: (hostIds) => [...world.servers.values()].flatMap((s) => {
      const host = wiring.hostOf(s.id);
      if (host === undefined || !hostIds.has(host)) return [];
      return [{ id: s.id, host, terminal: s.state === 'Crashed' || s.state === 'Stopped', fenced: (s.fencedAt ?? null) !== null, stopRequested: s.stopRequestedAt !== null }];
    }),
    sessionsOn: (ids) => ids.flatMap((id) => world.sessionsOn(id).map((s) => ({ id: s.id, server: s.server }))),
    fence: (id, host, now) => deps.servers.fence(id, host, now),
    closeHostLost: (id, now) => deps.sessions.closeInMemory(id, 'host_lost', now),
    disconnect: (host) => wiring.gateway.disconnect(host),
    resendStop: (id) => deps.servers.resendStop(id),
    markUnverified: (id) => deps.sessions.rosters.markUnverified(id),
    kick: deps.kick,
    onError: (e) => deps.log(`host loss pass failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
  }, { heartbeatTimeoutMs: options.hostHeartbeatTimeoutMs, lostTimeoutMs: options.hostLostTimeoutMs, intervalMs: Math.min(options.reconcileIntervalMs, 1_000) });
  wiring.loss.current = service;
  return service;
}

/**
 * A host's announced drain deadline was called off (uncordoned, cordoned, or drained again with
 * other options): its servers stay out of rotation (Draining) but are no longer under a deadline,
 * so the standing notice goes and the game is told (`drain-cancelled`) to stop counting down.
 */
export function drainCalledOff(ctx: Ctx, hostOf: (serverId: string) => string | undefined): (hostId: string) => Promise<void> {
  return async (hostId) => {
    const now = ctx.clock.now();
    const changed = [...ctx.world.servers.values()]
      .filter((s) => hostOf(s.id) === hostId && !isTerminal(s.state) && s.drainDeadline !== null && !s.migrateTo)
      .map((s): GameServer => ({ ...s, drainDeadline: null }));
    for (const s of changed) ctx.world.putServer(s);
    await ctx.persister.persist(changed.map((server) => ({ kind: 'putServer', server })));
    for (const s of changed) ctx.notify(s.id, { type: 'drain-cancelled', at: now });
  };
}

/**
 * Host drains' notices and deadlines (src/hosts/drain-service.ts): a server is told through its
 * SDK watch (a standing notice, replayed to a watch that reconnects), and the sessions left at
 * the deadline are closed as a release closes them, `migrated`, with a `sessions-closed` notice.
 */
export function hostDrains(ctx: Ctx, wiring: Pick<HostsWiring, 'hosts' | 'hostOf'>, sessions: SessionService, intervalMs: number, log: (line: string) => void): HostDrainService {
  const { world } = ctx;
  return new HostDrainService(ctx, {
    hosts: wiring.hosts,
    serversOn: (hostId) => [...world.servers.values()].filter((s) => !isTerminal(s.state) && wiring.hostOf(s.id) === hostId).map((s) => ({ id: s.id, used: world.used(s.id) })),
    announce: (serverId, deadline, now) => {
      const s = world.servers.get(serverId);
      if (!s || isTerminal(s.state)) return [];
      const next: GameServer = { ...s, drainDeadline: deadline, migrateTo: null };
      world.putServer(next);
      ctx.notify(serverId, { type: 'drain', reason: HOST_DRAIN_REASON, deadline, at: now });
      return [{ kind: 'putServer', server: next }];
    },
    close: (serverIds, now) => sessions.migrateInMemory(serverIds, null, now),
    intervalMs,
    onError: (e) => log(`host drain pass error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
  });
}

async function ensureHostSecret(ctx: Ctx): Promise<string> {
  const existing = ctx.world.meta['hostSecret'];
  if (existing) return existing;
  const secret = randomBytes(32).toString('base64url');
  ctx.world.meta['hostSecret'] = secret;
  await ctx.persister.persist([{ kind: 'putMeta', key: 'hostSecret', value: secret }]);
  return secret;
}
