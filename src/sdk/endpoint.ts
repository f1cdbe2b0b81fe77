import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HandoffError } from '../core/errors.js';
import { createHandler } from '../http/handler.js';
import { originPolicy } from '../http/request-guard.js';
import type { SdkBackend } from './backend.js';
import { SDK_PREFIX, SDK_PROTOCOL_HEADER, SDK_PROTOCOL_VERSION, negotiateProtocol } from './protocol.js';
import { SDK_MAX_BODY_BYTES, sdkRoutes } from './routes.js';
import { DEFAULT_PING_INTERVAL_MS, WatchStreams } from './watch-streams.js';

export interface SdkEndpointOptions {
  backend: SdkBackend;
  /** Loopback only: `127.0.0.1` (default), `::1` or `localhost`. */
  host?: string;
  /** 0 (default) picks an ephemeral port. */
  port?: number;
  /** Interval of the `: ping` comment on watch streams. */
  pingIntervalMs?: number;
  /** How long close() lets in-flight requests finish before cutting their connections. */
  closeGraceMs?: number;
  /** Requests in flight before the excess is answered 429 OVERLOADED. Default 1024. */
  maxInFlight?: number;
  /** Receives anything thrown that is not a HandoffError; defaults to console.error. */
  onUnexpectedError?: (e: unknown) => void;
}

const LOOPBACK_HOSTS: readonly string[] = ['127.0.0.1', '::1', 'localhost'];

/**
 * The per-host SDK endpoint game servers talk to (see protocol.ts). It does HTTP only and
 * calls the control plane through `SdkBackend`. It listens on loopback only: the bearer token
 * travels in clear text, and game servers always run on the same host as their endpoint.
 */
export class SdkEndpoint {
  /** Base URL, e.g. `http://127.0.0.1:7351`; hand it to game servers as HANDOFF_SDK_URL. */
  readonly url: string;
  readonly port: number;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    private readonly watches: WatchStreams,
    private readonly lifecycle: { closing: boolean },
    private readonly closeGraceMs: number,
  ) {
    const address = server.address() as AddressInfo;
    this.port = address.port;
    this.url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  }

  /** Validates the options, listens, and resolves once the endpoint accepts connections. */
  static async start(opts: SdkEndpointOptions): Promise<SdkEndpoint> {
    const host = opts.host ?? '127.0.0.1';
    if (!LOOPBACK_HOSTS.includes(host)) {
      throw new HandoffError(
        'VALIDATION_FAILED',
        `The SDK endpoint listens on loopback only (127.0.0.1, ::1 or localhost), not "${host}"`,
        { host },
      );
    }
    const watches = new WatchStreams(opts.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS);
    const lifecycle = { closing: false };
    const onUnexpected = opts.onUnexpectedError ?? ((e) => console.error('SDK endpoint: unexpected error', e));
    const { backend } = opts;
    const handler = createHandler<string>(sdkRoutes(backend, watches), {
      maxBodyBytes: SDK_MAX_BODY_BYTES,
      // Game servers in other languages send JSON with whatever type their HTTP library defaults
      // to (curl -d says form-urlencoded); the bearer token already rules out cross-site requests.
      bodyMediaType: 'any',
      maxInFlight: opts.maxInFlight ?? 1024,
      // Game servers reach the endpoint by a loopback name only; no browser page has business here.
      policy: originPolicy(host),
      authenticate: {
        prefix: SDK_PREFIX,
        check: (header) => {
          negotiateProtocol(header(SDK_PROTOCOL_HEADER));
          const match = /^Bearer\s+(\S+)\s*$/i.exec(header('authorization') ?? '');
          const serverId = match?.[1] === undefined ? undefined : backend.authenticate(match[1]);
          if (serverId === undefined) throw new HandoffError('SDK_UNAUTHORIZED');
          return serverId;
        },
      },
      responseHeaders: { [SDK_PROTOCOL_HEADER]: String(SDK_PROTOCOL_VERSION) },
      isClosing: () => lifecycle.closing,
      onUnexpectedError: (e) => onUnexpected(e),
    });
    const server = createServer(handler);
    await listen(server, opts.port ?? 0, host);

    // `localhost` is resolved by the OS; make sure it really meant loopback.
    const bound = (server.address() as AddressInfo).address;
    if (!isLoopbackAddress(bound)) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      throw new HandoffError('VALIDATION_FAILED', `"${host}" resolved to ${bound}, which is not loopback`, { host, bound });
    }
    return new SdkEndpoint(server, watches, lifecycle, opts.closeGraceMs ?? 2_000);
  }

  /** Number of open watch streams. */
  get watchCount(): number {
    return this.watches.size;
  }

  /**
   * Stops accepting connections, ends watch streams (clients reconnect to the next endpoint),
   * lets in-flight requests finish for up to `closeGraceMs`, then cuts what is left. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.lifecycle.closing = true;
      this.server.close(() => resolve());
      this.watches.endAll();
      this.server.closeIdleConnections();
      const cut = setTimeout(() => this.server.closeAllConnections(), this.closeGraceMs);
      cut.unref();
      this.server.once('close', () => clearTimeout(cut));
    });
    return this.closing;
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function isLoopbackAddress(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}
