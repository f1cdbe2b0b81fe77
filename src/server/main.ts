/** `handoff server`: runs the control plane in the foreground until SIGINT/SIGTERM. */
import { parseArgs } from 'node:util';
import { isHandoffError } from '../core/errors.js';
import { HOST_ID_PATTERN } from '../hosts/model.js';
import { startControlPlane } from './compose.js';
import { startReplica, type ReplicaOptions } from './replica.js';
import { RuntimeKinds, type RuntimeKind, type ServerOptions } from './options.js';

const HELP = `Usage: handoff server [options]

Runs the Handoff control plane: the /v1 API, the SDK endpoint for game servers, the
reconcilers and the rollout engine. State lives in SQLite under --data-dir.

Options:
  --data-dir DIR          state and game-server logs (default ./.handoff)
  --host HOST             API bind address (default 127.0.0.1)
  --port N                API port (default 7350)
  --sdk-port N            SDK endpoint port on loopback (default 7351)
  --port-range A-B        ports handed to game servers (default 7400-7999)
  --public-address HOST   address players are sent to (default 127.0.0.1)
  --host-id ID            this machine's host id among the hosts (default local)
  --zone Z                this machine's zone, e.g. eu-west-1a (default local)
  --region R              this machine's region, e.g. eu-west (default local); its game
                          servers are in this zone and region (docs/hosts.md)
  --allowed-host NAME     another name the API may be addressed by (Host header), e.g.
                          a load balancer's; repeatable. Loopback names and the bind
                          address are always allowed (DNS-rebinding protection)
  --allowed-origin URL    a browser origin allowed to call the API cross-origin, e.g.
                          https://ops.example.com; repeatable (default: none)
  --max-in-flight N       API requests in flight before the excess is answered
                          429 OVERLOADED with Retry-After (default 256)
  --max-connections N     open API connections (default 4096)
  --stop-servers-on-exit  stop every game server on shutdown (default: leave them
                          running so a restarted control plane re-adopts them)
  --runtime KIND          what runs game servers: local (processes, the default) or
                          simulated (in-process servers that speak the SDK without
                          sockets, to try fleets and releases at scale without a game;
                          a build's --sim-* arguments set their behaviour, see
                          docs/simulation.md)
  --sim-seed N            seed of the simulated runtime (default 1)
  --store URL             keep state in PostgreSQL (postgres://user@host:port/db) instead
                          of SQLite under --data-dir. Several servers may share one
                          database: one leads, the others forward to it; see docs/ha.md
  --replica-id ID         with --store: this replica's id, unique and stable across
                          restarts (default <hostname>:<data dir>)
  --advertise-url URL     with --store: where the other replicas reach this one's API
                          (default http://<host>:<port>)
  --lease-ttl SECONDS     with --store: the leadership lease's time to live; a paused
                          leader is replaced this long after its last renewal, one whose
                          process died at once (default 10)
  --retain-replicas-hours N
                          with --store: the leader removes replicas silent for longer
                          than N hours from the cluster list (default 24; 0 keeps them)
  --prometheus-url URL    the Prometheus release analyses query when a query names
                          no address, e.g. http://127.0.0.1:9090 (default: none)
  --webhook-deny CIDR     refuse webhooks and Prometheus queries to this range too
                          (repeatable or comma-separated; link-local 169.254.0.0/16,
                          fe80::/10 and cloud metadata addresses are always refused)
  --webhook-allow CIDR    let webhooks call this range even if refused above
                          (repeatable or comma-separated); see docs/security.md
  --retain-events-days N  remove events older than N days (default 30)
  --retain-events-max N   keep at most the newest N events (default 1000000)
  --retain-sessions-days N
                          remove sessions closed more than N days ago (default 30)
  --retain-sessions-max N keep at most the newest N closed sessions (default 1000000)
  --retain-archive-dir DIR
                          append what retention removes to JSON lines in DIR first
                          (default: not archived; see handoff archive export)
  --server-log-max-bytes N
                          rotate a game server's log at N bytes (default 10485760)
  --server-log-files N    rotated log files kept per server (default 3)
  --server-log-retain-days N
                          remove a stopped server's logs after N days (default 7)
  --host-heartbeat-timeout-ms N
                          a host whose agent is silent this long is Unreachable: its
                          game servers are fenced (no new sessions) and replaced on
                          other hosts (default 10000; docs/hosts.md)
  --host-lost-timeout-ms N
                          an Unreachable host's sessions stay open this long, then are
                          closed as host_lost (default 300000)
  -h, --help
`;

export function parseServerArgs(argv: string[]): { options: ServerOptions; replica: ReplicaOptions; stopServers: boolean; help: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'sdk-port': { type: 'string' },
      'port-range': { type: 'string' },
      'public-address': { type: 'string' },
      'host-id': { type: 'string' },
      zone: { type: 'string' },
      region: { type: 'string' },
      'allowed-host': { type: 'string', multiple: true },
      'allowed-origin': { type: 'string', multiple: true },
      'max-in-flight': { type: 'string' },
      'max-connections': { type: 'string' },
      'stop-servers-on-exit': { type: 'boolean', default: false },
      runtime: { type: 'string' },
      'sim-seed': { type: 'string' },
      store: { type: 'string' },
      'replica-id': { type: 'string' },
      'advertise-url': { type: 'string' },
      'lease-ttl': { type: 'string' },
      'retain-replicas-hours': { type: 'string' },
      'prometheus-url': { type: 'string' },
      'webhook-allow': { type: 'string', multiple: true },
      'webhook-deny': { type: 'string', multiple: true },
      'retain-events-days': { type: 'string' },
      'retain-events-max': { type: 'string' },
      'retain-sessions-days': { type: 'string' },
      'retain-sessions-max': { type: 'string' },
      'retain-archive-dir': { type: 'string' },
      'server-log-max-bytes': { type: 'string' },
      'server-log-files': { type: 'string' },
      'server-log-retain-days': { type: 'string' },
      'host-heartbeat-timeout-ms': { type: 'string' },
      'host-lost-timeout-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const options: ServerOptions = {};
  if (values['data-dir']) options.dataDir = values['data-dir'];
  if (values.host) options.host = values.host;
  if (values.port) options.port = toPort(values.port, '--port');
  if (values['sdk-port']) options.sdkPort = toPort(values['sdk-port'], '--sdk-port');
  if (values['public-address']) options.publicAddress = values['public-address'];
  if (values['host-id'] !== undefined) {
    if (!HOST_ID_PATTERN.test(values['host-id'])) throw new RangeError('--host-id must be letters, digits, ".", "_" or "-" (at most 63)');
    options.hostId = values['host-id'];
  }
  for (const flag of ['zone', 'region'] as const) {
    const v = values[flag];
    if (v === undefined) continue;
    if (!/^\S{1,64}$/.test(v)) throw new RangeError(`--${flag} must be 1 to 64 characters without spaces`);
    options[flag] = v;
  }
  if (values['allowed-host']) options.allowedHosts = values['allowed-host'];
  if (values['allowed-origin']) options.allowedOrigins = values['allowed-origin'];
  if (values['max-in-flight']) options.maxInFlight = toCount(values['max-in-flight'], '--max-in-flight');
  if (values['max-connections']) options.maxConnections = toCount(values['max-connections'], '--max-connections');
  if (values['prometheus-url']) options.prometheusUrl = values['prometheus-url'];
  const cidrs = (v: string[] | undefined): string[] => (v ?? []).flatMap((x) => x.split(',')).map((x) => x.trim()).filter((x) => x !== '');
  if (values['webhook-allow']) options.webhookAllow = cidrs(values['webhook-allow']);
  if (values['webhook-deny']) options.webhookDeny = cidrs(values['webhook-deny']);
  if (values.runtime) {
    if (!(RuntimeKinds as readonly string[]).includes(values.runtime)) throw new RangeError(`--runtime must be one of ${RuntimeKinds.join(', ')}`);
    options.runtime = values.runtime as RuntimeKind;
  }
  if (values['sim-seed']) {
    const seed = Number(values['sim-seed']);
    if (!Number.isSafeInteger(seed)) throw new RangeError('--sim-seed must be a whole number');
    options.simulationSeed = seed;
  }
  if (values.store) options.store = values.store;
  if (values['retain-events-days']) options.retainEventsDays = toDays(values['retain-events-days'], '--retain-events-days');
  if (values['retain-events-max']) options.retainEventsMax = toCount(values['retain-events-max'], '--retain-events-max');
  if (values['retain-sessions-days']) options.retainSessionsDays = toDays(values['retain-sessions-days'], '--retain-sessions-days');
  if (values['retain-sessions-max']) options.retainSessionsMax = toCount(values['retain-sessions-max'], '--retain-sessions-max');
  if (values['retain-archive-dir']) options.retainArchiveDir = values['retain-archive-dir'];
  if (values['server-log-max-bytes']) options.serverLogMaxBytes = toCount(values['server-log-max-bytes'], '--server-log-max-bytes');
  if (values['server-log-files']) {
    const n = Number(values['server-log-files']);
    if (!Number.isInteger(n) || n < 0) throw new RangeError('--server-log-files must be a whole number');
    options.serverLogFiles = n;
  }
  if (values['server-log-retain-days']) options.serverLogRetainDays = toDays(values['server-log-retain-days'], '--server-log-retain-days');
  if (values['host-heartbeat-timeout-ms']) options.hostHeartbeatTimeoutMs = toCount(values['host-heartbeat-timeout-ms'], '--host-heartbeat-timeout-ms');
  if (values['host-lost-timeout-ms']) options.hostLostTimeoutMs = toCount(values['host-lost-timeout-ms'], '--host-lost-timeout-ms');
  if (values['port-range']) {
    const m = /^(\d+)-(\d+)$/.exec(values['port-range']);
    if (!m) throw new RangeError('--port-range must look like 7400-7999');
    options.portRange = { from: Number(m[1]), to: Number(m[2]) };
  }
  const replica: ReplicaOptions = {};
  if (values['replica-id']) replica.id = values['replica-id'];
  if (values['advertise-url']) {
    if (!/^https?:\/\/[^/\s]+\/?$/i.test(values['advertise-url'])) throw new RangeError('--advertise-url must look like http://host:port');
    replica.advertiseUrl = values['advertise-url'];
  }
  if (values['lease-ttl']) {
    const seconds = Number(values['lease-ttl']);
    if (!Number.isFinite(seconds) || seconds < 0.3) throw new RangeError('--lease-ttl must be a number of seconds, at least 0.3');
    replica.leaseTtlMs = Math.round(seconds * 1000);
  }
  if (values['retain-replicas-hours']) {
    const hours = Number(values['retain-replicas-hours']);
    if (!Number.isFinite(hours) || hours < 0) throw new RangeError('--retain-replicas-hours must be a number of hours, 0 or more');
    replica.retentionMs = Math.round(hours * 3_600_000);
  }
  if (Object.keys(replica).length > 0 && !values.store) throw new RangeError('--replica-id, --advertise-url, --lease-ttl and --retain-replicas-hours need --store postgres://…');
  return { options, replica, stopServers: values['stop-servers-on-exit'] ?? false, help: values.help ?? false };
}

function toCount(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${flag} must be a positive whole number`);
  return n;
}

function toDays(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`${flag} must be a positive number of days`);
  return n;
}

function toPort(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new RangeError(`${flag} must be a port number`);
  return n;
}

/** Runs until SIGINT/SIGTERM; resolves to the process exit status (1 when it could not start). */
export async function runServerCommand(argv: string[]): Promise<number> {
  const { options, replica, stopServers, help } = parseServerArgs(argv);
  if (help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (options.store) return runReplica(options, replica, stopServers);
  let cp: Awaited<ReturnType<typeof startControlPlane>>;
  try {
    cp = await startControlPlane(options);
  } catch (e) {
    // Start-up failures are the operator's to fix (a port in use, a locked or unreadable data
    // directory): say what, without a stack trace, and exit non-zero.
    process.stderr.write(`handoff server: cannot start: ${e instanceof Error ? e.message : String(e)}\n`);
    return startFailureStatus(e, false);
  }
  const simulated = cp.options.runtime === 'simulated' ? `, simulated game servers, seed ${cp.options.simulationSeed}` : '';
  process.stdout.write(`handoff server listening on ${cp.url} (SDK ${cp.sdkUrl}, data ${cp.options.dataDir}${simulated})\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      process.stdout.write(`${signal}: shutting down${stopServers ? ' and stopping game servers' : '; game servers keep running'}\n`);
      cp.close({ stopServers }).then(resolve, (e: unknown) => {
        process.stderr.write(`shutdown error: ${String(e)}\n`);
        resolve();
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}

/** Exit status of a server that could not start: sysexits.h's EX_CONFIG for a schema from a newer Handoff (cli/command.ts). */
export const ExitSchemaTooNew = 78;

/**
 * How a failed start ends. A schema a newer Handoff contracted is 78: restarting this version
 * cannot help, and a supervisor can be told not to (`RestartPreventExitStatus=78`). For a replica,
 * no usable database (down, or a standby not yet promoted) is temporary: 75, as after a failed
 * commit, so the supervisor keeps restarting until a primary is there. Anything else is 1.
 */
export function startFailureStatus(e: unknown, replica: boolean): number {
  if (isHandoffError(e) && e.code === 'STORE_SCHEMA_TOO_NEW') return ExitSchemaTooNew;
  return replica && isHandoffError(e) && e.code === 'STORE_UNAVAILABLE' ? 75 : 1;
}

/** A replica on a shared PostgreSQL store (see replica.ts); runs until SIGINT/SIGTERM, or exits 75 when it loses the lease. */
async function runReplica(options: ServerOptions, replicaOptions: ReplicaOptions, stopServers: boolean): Promise<number> {
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  let replica: Awaited<ReturnType<typeof startReplica>>;
  try {
    // Losing the lease ends in exit 75 (see replica.ts): a supervisor restarts this replica as a follower.
    replica = await startReplica(options, replicaOptions, {
      log,
      onLeading: (cp, fence) => void process.stdout.write(`handoff server listening on ${cp.url} (SDK ${cp.sdkUrl}, data ${cp.options.dataDir}, leader with epoch ${fence.epoch})\n`),
    });
  } catch (e) {
    process.stderr.write(`handoff server: cannot start: ${e instanceof Error ? e.message : String(e)}\n`);
    return startFailureStatus(e, true);
  }
  process.stdout.write(`handoff replica ${replica.id} listening on ${replica.url} (follows until it takes the leadership lease)\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      process.stdout.write(`${signal}: shutting down\n`);
      replica.close({ stopServers }).then(resolve, (e: unknown) => {
        process.stderr.write(`shutdown error: ${String(e)}\n`);
        resolve();
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}
