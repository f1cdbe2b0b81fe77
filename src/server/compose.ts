/**
 * The one wiring file: builds every component of the control plane from resolved options.
 * Ports (store, runtime, clock) can be injected; everything else is constructed here.
 */
import { egressPolicy } from '../net/egress.js';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { AllocationService } from '../allocation/service.js';
import type { ApiDeps } from '../api/deps.js';
import { Metrics } from '../api/metrics.js';
import { openApiDocument } from '../api/openapi.js';
import { clusterRoutes } from '../api/routes/cluster.js';
import { hostRoutes } from '../api/routes/hosts.js';
import { allRoutes } from '../api/routes/index.js';
import { SystemClock, type Clock } from '../core/clock.js';
import { HandoffError } from '../core/errors.js';
import { createHandler, type RequestHandler } from '../http/handler.js';
import { originPolicy } from '../http/request-guard.js';
import { FleetReconciler } from '../reconcile/reconciler.js';
import { ServerService } from '../fleet/servers.js';
import { FleetAdoption, inSlices } from '../fleet/fleet-adoption.js';
import { FleetService } from '../fleet/service.js';
import { ReleaseService } from '../release/service.js';
import { analysisDepsOf } from '../rollout/analysis-run.js';
import { resolveRetentionPolicy } from '../retention/plan.js';
import { RetentionService } from '../retention/service.js';
import { RolloutService } from '../rollout/service.js';
import { LocalRuntime } from '../runtime/local/local-runtime.js';
import { validateLocalLaunch } from '../runtime/local/validate.js';
import type { RuntimeProvider } from '../runtime/port.js';
import { gameServerProgram } from '../runtime/simulated/game-server.js';
import { SimulatedHost } from '../runtime/simulated/host.js';
import { SimulatedRuntime } from '../runtime/simulated/simulated-runtime.js';
import { SignalService } from '../analysis/signals/service.js';
import type { ClusterView } from '../cluster/model.js';
import { singleNodeView } from '../cluster/view.js';
import { SdkEndpoint } from '../sdk/endpoint.js';
import { NoticeHub } from '../sdk/notices.js';
import { SessionService } from '../session/service.js';
import { EnvironmentService } from '../environment/service.js';
import { CursorKey, Notifier } from '../notify/service.js';
import { DefaultRetryPolicy } from '../notify/retry.js';
import type { LaunchValidator } from '../builds/service.js';
import type { Ctx } from '../state/context.js';
import { Persister } from '../state/persister.js';
import type { World } from '../state/world.js';
import type { StateStore } from '../store/port.js';
import { openStore } from '../store/open.js';
import { resolveServerOptions, type ResolvedServerOptions, type ServerOptions } from './options.js';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { gateWrites, loadState, type ColdStartOptions } from './cold-start.js';
import { ControlPlaneSdkBackend, standingNotices } from './sdk-backend.js';
import { hostDrains, wireHostLoss, wireHosts } from './hosts.js';

export const VERSION = '0.1.0';
/** A start slower than this logs where its time went (the cold-start target, issue 8). */
const SlowStartMs = 2_000;
/** Servers re-adopted per event-loop turn when adopting after listening (fleet-adoption.ts). */
const AdoptSlice = 1_000;
/** The API's default body limit; the SDK endpoint's is smaller (see sdk/routes.ts). */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface ControlPlaneDeps {
  clock?: Clock;
  store?: StateStore;
  runtime?: RuntimeProvider;
  log?: (line: string) => void;
  /** What to do after a failed commit. Default: exit with status 75 for a supervisor to restart. */
  onFatal?: (e: unknown) => void;
  /** The replicas sharing a PostgreSQL store, for `GET /v1/cluster`; absent: this one alone. */
  cluster?: { view(): Promise<ClusterView> };
  /**
   * Every replica's SDK endpoint, this one's first: game servers are given the list (as
   * HANDOFF_SDK_URLS, and as HANDOFF_SDK_URL to builds that read a list; src/fleet/sdk-env.ts)
   * so they can fail over. Absent: this control plane's endpoint alone.
   */
  sdkUrls?: () => readonly string[];
  /** How open sessions are read at start (cold-start.ts); tests make the load lazy at any size, or slow. */
  coldStart?: ColdStartOptions;
  /**
   * Log where the start's time went (`listening after store …, state …, recover … ms`). Default:
   * only for a start slower than 2 s — wall times would make a fake-clock simulation's log
   * differ from one replay to the next.
   */
  logStartTimings?: boolean;
}

export interface ControlPlane {
  readonly options: ResolvedServerOptions;
  readonly url: string;
  readonly sdkUrl: string;
  /** The node:http request handler serving /v1, /healthz, /metrics and /openapi.json. */
  readonly handler: RequestHandler;
  readonly world: World;
  readonly store: StateStore;
  readonly reconciler: FleetReconciler;
  /**
   * The services behind the API routes, for in-process drivers that must not go through sockets
   * (the fake-clock simulation, src/sim). Everything else uses the HTTP API.
   */
  readonly api: ApiDeps;
  /** Settles once every open session is in `world` (they may load after the API opens). */
  readonly sessionsLoaded: Promise<void>;
  /** Stops the control plane. Game servers keep running unless `stopServers` is set. */
  close(opts?: { stopServers?: boolean }): Promise<void>;
  /**
   * Stops as after a failed commit: new requests are refused with `refusal`, those in flight
   * answer, then `onFatal` runs (default: exit 75). For a replica that lost its lease.
   */
  failStop(refusal: HandoffError): void;
}

export async function startControlPlane(input: ServerOptions = {}, deps: ControlPlaneDeps = {}): Promise<ControlPlane> {
  const options = resolveServerOptions(input);
  const log = deps.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const clock = deps.clock ?? new SystemClock();
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const lock = lockDataDir(options.dataDir);
  const started: (() => Promise<void> | void)[] = [() => lock.release()];
  try {
    return await assemble(options, deps, log, clock, started, lock);
  } catch (e) {
    // Undo what was started, newest first, so a failed start leaves nothing listening or locked.
    for (const undo of started.reverse()) await Promise.resolve(undo()).catch(() => undefined);
    throw e;
  }
}

async function assemble(
  options: ResolvedServerOptions,
  deps: ControlPlaneDeps,
  log: (line: string) => void,
  clock: Clock,
  started: (() => Promise<void> | void)[],
  lock: DataDirLock,
): Promise<ControlPlane> {
  // Where a cold start's time goes, logged once listening (docs/scale.md reads it at 100,000 servers).
  // CPU beside wall: on a shared machine a phase's wall time is partly other processes'.
  const phases: string[] = [];
  const cpuPhases: string[] = [];
  const startedAtMs = performance.now();
  let phaseAt = startedAtMs;
  let cpuAt = process.cpuUsage();
  const phase = (name: string): void => {
    const t = performance.now();
    const cpu = process.cpuUsage(cpuAt);
    phases.push(`${name} ${Math.round(t - phaseAt)}`);
    const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
    if (cpuMs >= 10) cpuPhases.push(`${name} ${cpuMs}`);
    phaseAt = t;
    cpuAt = process.cpuUsage();
  };
  const store = deps.store ?? (await openStore(options.store, options.dataDir));
  started.push(() => store.close());
  phase('store');
  // Sessions stream in once the API listens (cold-start.ts): before, they would slow the start.
  // With servers adopted fleet by fleet (below), sessions stream in once every fleet is adopted.
  let listening = (_adopted?: Promise<void>): void => undefined;
  const startAfter = new Promise<void>((resolve) => (listening = (adopted) => resolve(adopted)));
  const { world, gate, lazy } = await loadState(store, clock.now(), { startAfter, ...deps.coldStart }, log);
  phase('state');
  await loadLatestRollouts(world, store);
  const metrics = new Metrics(world);
  const signals = new SignalService(world, clock.now());
  const fatal: { error: HandoffError | null; handler: RequestHandler | null; storeClosed: boolean } = { error: null, handler: null, storeClosed: false };
  const persister = new Persister(store, {
    onCommit: (n, ms) => metrics.committed(n, ms),
    onCommitted: (batch) => signals.committed(batch),
    onFailure: (e) => {
      // Work still finishing after shutdown (a smoke check's result) finds the store closed: that
      // change is dropped, as a restart redoes it (the smoke check runs again), not a store failure.
      if (fatal.storeClosed) return log(`a change made after shutdown was dropped: ${String(e)}`);
      log(`store commit failed; stopping so a restart recovers from the store (game servers keep running): ${String(e)}`);
      failStop(e, new HandoffError('STORE_UNAVAILABLE', 'the state store failed; the control plane is restarting'));
    },
  });
  /**
   * Refuse everything new, let the requests in flight answer (a failed or fenced commit answers
   * 503), then exit: a reset connection would tell a client nothing. Once only.
   */
  const failStop = (e: unknown, refusal: HandoffError): void => {
    if (fatal.error) return;
    fatal.error = refusal;
    const answered = fatal.handler ? fatal.handler.admission.idle(2_000) : Promise.resolve();
    void answered.then(() => (deps.onFatal ?? (() => process.exit(75)))(e));
  };
  const joinSecret = await ensureSecret(world, persister);
  phase('secret');

  const hub = new NoticeHub((id) => standingNotices(world, id, () => clock.now()));
  const ctx: Ctx = { world, persister, clock, store, notify: (id, n) => hub.send(id, n), ...(lazy ? { sessionLoad: gate } : {}) };
  const kick = (): void => reconcilerRef.current?.kick();
  const reconcilerRef: { current: FleetReconciler | null } = { current: null };

  const inner = deps.runtime ?? createRuntime(options, clock);
  let sdkUrl = '';
  const serversRef: { current: ServerService | null } = { current: null };
  // Game servers run on this machine (the embedded agent) and on every connected `handoff agent`.
  const hostsWiring = await wireHosts(ctx, options, {
    inner, multiHost: !deps.runtime && options.runtime === 'local', sdkUrl: () => sdkUrl, kickAll: kick, log,
    drainServer: async (id, host) => serversRef.current?.drainForHost(id, host),
  });
  const runtime = hostsWiring.runtime;
  phase('hosts');
  started.push(() => runtime.close());
  // Host liveness is a function of time: re-read every second so a silent host's servers stop
  // taking new sessions (and a returning one's resume) without waiting for a request to notice.
  const hostSweep = setInterval(() => hostsWiring.hosts.sweep(), 1000);
  hostSweep.unref();
  started.push(() => clearInterval(hostSweep));
  const sessions = new SessionService(ctx, { joinSecret, reservationTtlMs: options.reservationTtlMs });
  const drains = hostDrains(ctx, hostsWiring, sessions, options.reconcileIntervalMs, log);
  // One egress guard for every operator-supplied URL: webhooks, gates, Prometheus (docs/security.md).
  const egress = egressPolicy({ allow: options.webhookAllow, deny: options.webhookDeny });
  const rollouts = new RolloutService(ctx, sessions, { cwd: options.cwd, kick, signals, prometheusUrl: options.prometheusUrl || null, egress });
  const servers = new ServerService(ctx, runtime, sessions, {
    onStartFailure: (server, detail, now) => rollouts.recordStartFailure(server, detail, now),
    sdkUrls: () => [sdkUrl, ...(deps.sdkUrls?.() ?? []).filter((u) => u !== sdkUrl)], backoffBaseMs: options.backoffBaseMs, backoffMaxMs: options.backoffMaxMs, kick,
  });
  serversRef.current = servers;
  const hostLoss = wireHostLoss(ctx, options, hostsWiring, { servers, sessions, kick, log });
  const checkLaunch: LaunchValidator = inner instanceof SimulatedRuntime ? (b) => inner.validateLaunch(b) : (b) => validateLocalLaunch(b, options.cwd, process.env['PATH']);
  const onLoopError = (what: string) => (e: unknown) => log(`${what} error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  const environments = await EnvironmentService.create(ctx, rollouts, { intervalMs: options.reconcileIntervalMs, checkLaunch, onError: onLoopError('environment') });
  const notifier = await Notifier.create(ctx, { intervalMs: options.reconcileIntervalMs, policy: DefaultRetryPolicy, timeoutMs: 10_000, random: Math.random, onError: onLoopError('notifier'), egress });
  const reconciler = new FleetReconciler(ctx, clock, servers, sessions, rollouts, {
    adjustRoles: (fleet, roles) => environments.adjustRoles(fleet, roles),
    intervalMs: options.reconcileIntervalMs,
    onError: (e) => log(`reconcile error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
    onStall: (ms) => log(`control plane stalled for ${ms} ms; health and start deadlines restart from now`),
  });
  reconcilerRef.current = reconciler;
  phase('services');
  const fleets = new FleetService(ctx, checkLaunch);
  const allocations = new AllocationService(ctx, { joinSecret, joinTokenTtlMs: options.joinTokenTtlMs, idempotencyTtlMs: options.idempotencyTtlMs }, {
    allocated: (fleet, build, result, seconds, tried) => {
      metrics.allocated(fleet, build, result, seconds);
      if (build !== null) signals.allocated(fleet, clock.now(), { build, ms: seconds * 1000 });
      else if (result === 'NO_CAPACITY' && tried) signals.allocated(fleet, clock.now(), { tried });
    },
  });

  runtime.onExit((exit) => {
    servers.onExit(exit).catch((e: unknown) => log(`exit handling failed for ${exit.serverId}: ${String(e)}`));
  });
  const backend = new ControlPlaneSdkBackend(world, servers, sessions, hub, signals, clock, lazy ? gate : undefined);
  const sdk = await SdkEndpoint.start({ backend, host: '127.0.0.1', port: options.sdkPort }).catch((e: unknown) => {
    throw portError(e, options.sdkPort, '--sdk-port');
  });
  started.push(() => sdk.close());
  sdkUrl = sdk.url;
  phase('sdk');
  // Simulated game servers reach this backend in-process; unplugged when the endpoint closes.
  const unplugSdk = inner instanceof SimulatedRuntime ? inner.connectSdk(backend) : () => undefined;
  started.push(unplugSdk);
  // Apart: it is the simulated game servers' own work (in service they are other processes).
  if (inner instanceof SimulatedRuntime) phase('simulated link');
  // Re-attach to game servers started before a restart before anything plans new ones: all of
  // them now, or — a large start, its sessions loaded after listening — fleet by fleet after
  // listening, each fleet before its first allocation (fleet-adoption.ts says why that is as safe).
  const adoption = lazy ? new FleetAdoption(world.fleetsWithServers(), (fleet) => inSlices(world.fleetServers(fleet), AdoptSlice, (slice) => servers.recover(slice))) : null;
  if (adoption) ctx.fleetAdopted = (fleet) => adoption.fleet(fleet);
  else await servers.recover();
  phase('recover');
  // Indexed once, now that servers, their open counts and the hosts' locations are all known.
  world.buildCapacityIndex();
  phase('index');

  const releases = new ReleaseService(ctx, rollouts, {
    intervalMs: options.reconcileIntervalMs,
    // Analysis gates judge with what the rollout service's analysis steps do.
    analysis: analysisDepsOf(signals, options.prometheusUrl || null, egress),
    egress,
    onError: (e) => log(`release plan error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
  });
  const api: ApiDeps = { ctx, fleets, allocations, sessions, rollouts, releases, environments, notifier };
  // The URL is known once listening; the route is only called after that.
  const self = { url: '' };
  const startedAt = clock.now();
  const cluster = deps.cluster ?? { view: () => Promise.resolve(singleNodeView(`${hostname()}:${options.dataDir}`, self.url, startedAt, clock.now())) };
  const hostsApi = {
    hosts: hostsWiring.hosts, issueToken: hostsWiring.issueToken, now: () => clock.now(),
    serversOn: (hostId: string) => [...world.servers.values()].filter((s) => hostsWiring.hostOf(s.id) === hostId).map((s) => s.id),
  };
  const declared = [...allRoutes(api), ...clusterRoutes(cluster), ...hostRoutes(hostsApi)];
  const routes = lazy ? gateWrites(declared, gate) : declared;
  // Built on first request: generating it costs ~0.3 s of a cold start that nothing else waits on.
  let openapiText: string | null = null;
  let closing = false;
  const handler = createHandler(routes, {
    raw: [
      { method: 'GET', path: '/healthz', handler: async () => ({ status: 200, contentType: 'application/json', body: JSON.stringify({ ok: true, version: VERSION }) }) },
      { method: 'GET', path: '/openapi.json', handler: async () => ({ status: 200, contentType: 'application/json', body: (openapiText ??= JSON.stringify(openApiDocument(routes, VERSION))) }) },
      { method: 'GET', path: '/metrics', handler: async () => ({ status: 200, contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }) },
    ],
    maxBodyBytes: MAX_BODY_BYTES,
    maxInFlight: options.maxInFlight,
    policy: originPolicy(options.host, options.allowedHosts, options.allowedOrigins),
    refusal: () => fatal.error ?? (closing ? new HandoffError('SHUTTING_DOWN') : null),
    isClosing: () => closing,
    onUnexpectedError: (e, c) => log(`unexpected error ${c.errorId} on ${c.method} ${c.path}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
  });
  fatal.handler = handler;
  phase('routes');
  metrics.observeAdmission(handler.admission);
  const http = await listen(handler, options.host, options.port, options.maxConnections).catch((e: unknown) => {
    throw portError(e, options.port, '--port');
  });
  self.url = serverUrl(http);
  phase('listen');
  if (adoption) {
    const adopted = adoption.all().then(() => (ctx.fleetAdopted = undefined));
    // A failure fails the session load too, which stops the control plane (below).
    adopted.catch(() => undefined);
    listening(adopted);
  } else listening();
  if (deps.logStartTimings ?? performance.now() - startedAtMs > SlowStartMs) {
    log(`listening after ${phases.join(', ')} ms; CPU ${cpuPhases.join(', ') || 'none over 10'} ms (${world.servers.size} servers${lazy ? ', sessions loading' : ''})`);
  }
  // Agents connect to the API listener (docs/hosts.md); their token is checked before the upgrade.
  http.on('upgrade', hostsWiring.gateway.handleUpgrade);
  started.push(() => hostsWiring.gateway.close());
  started.push(() => hostLoss.stop());
  const DayMs = 86_400_000;
  const retention = new RetentionService({
    store, clock, persist: (m) => persister.persist(m), archiveDir: options.retainArchiveDir,
    policy: resolveRetentionPolicy({ eventsMaxAgeMs: options.retainEventsDays * DayMs, eventsMax: options.retainEventsMax, sessionsMaxAgeMs: options.retainSessionsDays * DayMs, sessionsMax: options.retainSessionsMax, intervalMs: options.retainIntervalMs }),
    onError: (e) => log(`retention pass failed: ${String(e)}`),
    // Webhooks must still hear of events their outbox has not fanned out.
    eventsReadUpTo: () => (notifier.list().length > 0 ? Number(world.meta[CursorKey] ?? '0') : null),
  });
  notifier.start();
  let closed = false;
  // Passes, releases, environments and retention decide over every session: they start once all
  // are loaded (at once unless the load is lazy). Allocations are answered meanwhile.
  const startLoops = async (): Promise<void> => {
    if (closed) return;
    reconciler.start();
    hostLoss.start();
    drains.start();
    retention.start();
    environments.start();
    await releases.start();
  };
  if (lazy) {
    gate.loaded.then(startLoops).catch((e: unknown) => {
      // Closed while loading: the store was closed under the load, and that is no failure.
      if (closed) return;
      log(`re-adopting servers or loading open sessions failed; stopping so a restart does it again: ${String(e)}`);
      failStop(e, new HandoffError('STORE_UNAVAILABLE', 'the state store could not be read; the control plane is restarting'));
    });
  } else {
    await startLoops();
  }

  return {
    options, handler, world, store, reconciler, api, sessionsLoaded: gate.loaded,
    url: serverUrl(http),
    failStop: (refusal) => failStop(refusal, refusal),
    sdkUrl,
    async close(opts = {}) {
      if (closed) return;
      closed = true;
      closing = true;
      await releases.stop();
      await reconciler.stop();
      await hostLoss.stop();
      await drains.stop();
      await retention.stop();
      await environments.stop();
      await notifier.stop();
      clearInterval(hostSweep);
      await hostsWiring.gateway.close();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      if (opts.stopServers) {
        const now = clock.now();
        const stops = [...world.servers.values()].map((s) => {
          const graceMs = (world.fleets.get(s.fleet)?.health.stopGraceSeconds ?? 10) * 1000;
          hub.send(s.id, { type: 'shutdown', graceMs, at: now });
          return runtime.stop(s.id, { graceMs });
        });
        await Promise.allSettled(stops);
        // Let exit bookkeeping land before the store closes.
        await new Promise((r) => setImmediate(r));
      }
      unplugSdk();
      await sdk.close();
      await persister.drain();
      await runtime.close();
      fatal.storeClosed = true;
      await store.close();
      metrics.close();
      lock.release();
    },
  };
}

/** The runtime the options name: local processes, or simulated servers on a host of their own. */
function createRuntime(options: ResolvedServerOptions, clock: Clock): RuntimeProvider {
  if (options.runtime === 'simulated') {
    const host = new SimulatedHost({ clock, seed: options.simulationSeed, defaultProgram: gameServerProgram() });
    return SimulatedRuntime.create({ host, portRange: options.portRange, address: options.publicAddress, clock });
  }
  return LocalRuntime.create({
    logDir: path.join(options.dataDir, 'logs'), portRange: options.portRange, address: options.publicAddress, clock,
    logMaxBytes: options.serverLogMaxBytes, logFiles: options.serverLogFiles, logRetainMs: options.serverLogRetainDays * 86_400_000,
  });
}

function portError(e: unknown, port: number, flag: string): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new Error(`port ${port} is already in use (${flag})`);
  if (code === 'EACCES') return new Error(`no permission to listen on port ${port} (${flag})`);
  return e;
}

/** A finished rollout still decides how its leaving build retires, so each fleet's latest is kept. */
export async function loadLatestRollouts(world: World, store: StateStore): Promise<void> {
  for (const name of world.fleets.keys()) {
    const [latest] = await store.listRollouts({ fleet: name, limit: 1 });
    if (latest && !world.rollouts.has(latest.id)) world.putRollout(latest);
  }
}

async function ensureSecret(world: World, persister: Persister): Promise<string> {
  const existing = world.meta['joinSecret'];
  if (existing) return existing;
  const secret = randomBytes(32).toString('base64url');
  world.meta['joinSecret'] = secret;
  await persister.persist([{ kind: 'putMeta', key: 'joinSecret', value: secret }]);
  return secret;
}

export function listen(handler: RequestHandler, host: string, port: number, maxConnections = 4096): Promise<Server> {
  const server = createServer(handler);
  server.keepAliveTimeout = 65_000;
  // Bounded connections and slow-client timeouts: a flood or a slowloris costs sockets, not memory.
  server.maxConnections = maxConnections;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

export function serverUrl(server: Server): string {
  const a = server.address() as AddressInfo;
  return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
}

