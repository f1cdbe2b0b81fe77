/**
 * The hosts part of the wiring (kept beside compose.ts, which calls it): the host registry, the
 * gateway agents connect to, and the runtime over every host — the control plane's own (the
 * embedded agent: the local runtime as before) and each agent's.
 */
import { randomBytes } from 'node:crypto';
import { AgentGateway } from '../agent/gateway.js';
import { HandoffError } from '../core/errors.js';
import { DefaultPlacement, fleetPlacement } from '../fleet/model.js';
import { placeForFleet } from '../hosts/place.js';
import { HostService } from '../hosts/service.js';
import { hostToken, verifyHostToken } from '../hosts/token.js';
import { placementHosts } from '../hosts/view.js';
import { MultiHostRuntime } from '../runtime/hosts/multi-host-runtime.js';
import type { RuntimeProvider } from '../runtime/port.js';
import { RemoteRuntime } from '../runtime/remote/remote-runtime.js';
import type { Ctx } from '../state/context.js';
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
      deps.kickAll();
    },
    heartbeat: (id) => hosts.heartbeat(id),
    sdkUrl: deps.sdkUrl,
    disconnected: (id) => deps.log(`host ${id}: agent disconnected`),
    log: deps.log,
  });
  if (!deps.multiHost) return { hosts, gateway, runtime: deps.inner, hostOf, issueToken };
  const remotes = new Map<string, RemoteRuntime>();
  ref.multi = new MultiHostRuntime({
    embedded: { hostId: options.hostId, runtime: deps.inner },
    remote: (id) => {
      const rt = remotes.get(id) ?? new RemoteRuntime(gateway.link(id));
      remotes.set(id, rt);
      return rt;
    },
    place: (launch, usage) => {
      const view = placementHosts(hosts.all(), usage, launch.fleet, ctx.clock.now(), options.hostHeartbeatTimeoutMs, hosts.alwaysAlive);
      // Builds declare no cpu/memory yet: slots alone. The fleet chooses spread or pack, and its zones.
      const fleet = ctx.world.fleets.get(launch.fleet);
      const p = placeForFleet(view, { cpuMillis: 0, memoryMb: 0 }, fleet ? fleetPlacement(fleet) : DefaultPlacement);
      if (p.hostId === null) throw new HandoffError('HOST_CAPACITY_EXHAUSTED', undefined, { fleet: launch.fleet, reason: p.reason });
      return p.hostId;
    },
    connectedHosts: () => hosts.all().map((h) => h.id).filter((id) => gateway.link(id).connected),
    fleetOf: (id) => ctx.world.servers.get(id)?.fleet,
  });
  return { hosts, gateway, runtime: ref.multi, hostOf, issueToken };
}

async function ensureHostSecret(ctx: Ctx): Promise<string> {
  const existing = ctx.world.meta['hostSecret'];
  if (existing) return existing;
  const secret = randomBytes(32).toString('base64url');
  ctx.world.meta['hostSecret'] = secret;
  await ctx.persister.persist([{ kind: 'putMeta', key: 'hostSecret', value: secret }]);
  return secret;
}
