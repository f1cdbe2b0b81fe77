/**
 * The one error catalogue. Every error Handoff returns to a caller has a stable `code` listed
 * here, with its HTTP status and whether a retry can succeed. `docs/errors.md` documents each
 * code; a test fails when one is missing there. Messages may change; codes never do.
 */
export const ErrorCatalogue = {
  // Request shape
  MALFORMED_JSON: { status: 400, retryable: false, message: 'The request body is not valid JSON' },
  VALIDATION_FAILED: { status: 400, retryable: false, message: 'The request does not match the schema' },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false, message: 'The request body is too large' },
  ROUTE_NOT_FOUND: { status: 404, retryable: false, message: 'No such route' },
  METHOD_NOT_ALLOWED: { status: 405, retryable: false, message: 'Method not allowed on this route' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, retryable: false, message: 'Send the body as application/json' },
  MALFORMED_URL: { status: 400, retryable: false, message: 'The request URL is malformed (a bad percent-escape, or not a path)' },
  HOST_NOT_ALLOWED: { status: 403, retryable: false, message: 'The Host header names no address of this control plane (see --allowed-host)' },
  ORIGIN_NOT_ALLOWED: { status: 403, retryable: false, message: 'Cross-origin browser requests are refused unless the origin is allowed (see --allowed-origin)' },
  OVERLOADED: { status: 429, retryable: true, message: 'Too many requests in flight; retry after the Retry-After delay' },
  UNKNOWN_FIELD: { status: 400, retryable: false, message: 'The request has a field the schema does not know' },

  // Builds
  BUILD_NOT_FOUND: { status: 404, retryable: false, message: 'No build with this id' },
  BUILD_IMMUTABLE: { status: 409, retryable: false, message: 'A build with this id exists with a different spec; builds never change, register a new id' },
  BUILD_EXECUTABLE_NOT_FOUND: { status: 422, retryable: false, message: 'The build executable does not exist or is not executable' },
  BUILD_WORKDIR_NOT_FOUND: { status: 422, retryable: false, message: 'The build working directory does not exist' },
  BUILD_INVALID_CLIENT_RANGE: { status: 422, retryable: false, message: 'compatibleClients is not a valid semver range' },
  BUILD_IN_USE: { status: 409, retryable: false, message: 'The build is used by a fleet or a server and cannot be removed' },

  // Fleets
  FLEET_NOT_FOUND: { status: 404, retryable: false, message: 'No fleet with this name' },
  FLEET_INVALID_CAPACITY: { status: 422, retryable: false, message: 'The capacity policy is inconsistent (min <= max, buffer >= 0)' },
  FLEET_BUILD_CHANGE_NEEDS_ROLLOUT: { status: 409, retryable: false, message: 'A running fleet changes build only through a rollout' },

  // Servers
  SERVER_NOT_FOUND: { status: 404, retryable: false, message: 'No game server with this id' },
  PORT_RANGE_EXHAUSTED: { status: 503, retryable: true, message: 'No free port is left in the configured range' },
  SERVER_START_FAILED: { status: 500, retryable: true, message: 'The game server process could not be started' },

  // Hosts (src/hosts, src/agent)
  HOST_NOT_FOUND: { status: 404, retryable: false, message: 'No host with this id has registered' },
  HOST_UNREACHABLE: { status: 503, retryable: true, message: "The host's agent is not connected" },
  HOST_TOKEN_INVALID: { status: 401, retryable: false, message: 'The agent token is missing, malformed or for another host' },
  HOST_SERVER_NOT_OWNED: { status: 409, retryable: false, message: 'The agent reported a game server that runs on another host' },
  HOST_CAPACITY_EXHAUSTED: { status: 503, retryable: true, message: 'No schedulable host has room for another game server' },

  // Sessions and allocation
  SESSION_NOT_FOUND: { status: 404, retryable: false, message: 'No session with this id' },
  SESSION_CLOSED: { status: 409, retryable: false, message: 'The session is already closed' },
  SESSION_NOT_ALLOCATED: { status: 409, retryable: false, message: 'The player has no open session allocated on this server' },
  JOIN_TOKEN_INVALID: { status: 401, retryable: false, message: 'The join token is invalid, expired or for another server' },
  JOIN_TOKEN_REQUIRED: { status: 401, retryable: false, message: "The game server must pass the player's join token: the fleet requires join tokens" },
  NO_CAPACITY: { status: 503, retryable: true, message: 'No eligible game server has a free slot; retry shortly' },
  REGION_NOT_SERVED: { status: 422, retryable: false, message: 'The fleet does not serve the requested region' },
  CLIENT_UPDATE_REQUIRED: { status: 426, retryable: false, message: 'No running build accepts this client version; the client must update' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, retryable: false, message: 'The idempotency key was used for a different request' },
  FLEET_IN_MAINTENANCE: { status: 503, retryable: true, message: 'The fleet is in a maintenance window and takes no new sessions; retry after the Retry-After delay' },
  MIGRATION_TOKEN_INVALID: { status: 403, retryable: false, message: 'The migration token is forged, expired, for another player or fleet, or already used' },

  // Rollouts
  ROLLOUT_NOT_FOUND: { status: 404, retryable: false, message: 'No rollout with this id' },
  ROLLOUT_IN_PROGRESS: { status: 409, retryable: false, message: 'The fleet already has a rollout in progress' },
  ROLLOUT_SAME_BUILD: { status: 422, retryable: false, message: 'The fleet already runs this build' },
  ROLLOUT_INVALID_PHASE: { status: 409, retryable: false, message: 'The rollout is not in a phase that allows this action' },
  ROLLOUT_INVALID_SPEC: { status: 422, retryable: false, message: "The release's options are well-formed but cannot be carried out (e.g. a maintenance window in the past)" },
  ROLLOUT_NO_PROGRESS: { status: 422, retryable: false, message: 'The release options could never replace a server (maxSurge and maxUnavailable both 0)' },
  ROUTING_INVALID: { status: 422, retryable: false, message: 'The routing table is invalid (weights, ranks or cohort rules)' },
  ROLLOUT_STEPS_INVALID: { status: 422, retryable: false, message: 'The canary steps are invalid: weights must never decrease and the last step is setWeight 100' },
  ROLLOUT_VARIANTS_INVALID: { status: 422, retryable: false, message: 'The A/B variants are invalid, or promote does not name one of them' },

  // Release analysis
  ANALYSIS_UNKNOWN_METRIC: { status: 422, retryable: false, message: 'The analysis names a metric Handoff does not collect (a built-in signal or custom.NAME)' },
  // Release plans
  RELEASE_NOT_FOUND: { status: 404, retryable: false, message: 'No release plan with this name' },
  RELEASE_PLAN_INVALID: { status: 422, retryable: false, message: 'The release plan is inconsistent (duplicate step names or fleets, an `after` naming no step)' },
  RELEASE_PLAN_CYCLE: { status: 422, retryable: false, message: 'The steps of the release plan depend on each other in a cycle' },
  RELEASE_WEBHOOK_UNKNOWN: { status: 422, retryable: false, message: 'A gate names a webhook the release plan does not declare' },
  RELEASE_IN_PROGRESS: { status: 409, retryable: false, message: 'A different plan with this name is still running; abort it or wait for it to end' },
  RELEASE_INVALID_PHASE: { status: 409, retryable: false, message: 'The release plan is not in a state that allows this action (nothing waits for approval, or it has ended)' },
  FLEET_NOT_ALLOCATABLE: { status: 409, retryable: false, message: 'The fleet runs a service without sessions (its build declares no session capacity); clients find it through GET /v1/fleets/{name}/endpoints' },
  // Environments and notifications
  ENV_NOT_FOUND: { status: 404, retryable: false, message: 'No environment with this name' },
  ENV_FLEET_TAKEN: { status: 409, retryable: false, message: 'The fleet already belongs to another environment' },
  ENV_LIVE_BUILD_MISMATCH: { status: 409, retryable: false, message: "The environment's fleets run different builds, or the live slot names a build they do not run" },
  ENV_BUSY: { status: 409, retryable: true, message: 'The environment has a release or restore in flight' },
  ENV_STAGE_LIVE_BUILD: { status: 422, retryable: false, message: 'The build to stage is already live in the environment' },
  SLOT_BUILD_NOT_FOUND: { status: 404, retryable: false, message: 'An environment slot is bound to a build that is not registered' },
  SNAPSHOT_NOT_FOUND: { status: 404, retryable: false, message: 'The environment has no snapshot with this number' },
  WEBHOOK_NOT_FOUND: { status: 404, retryable: false, message: 'No webhook with this name' },
  WEBHOOK_URL_FORBIDDEN: { status: 422, retryable: false, message: 'A webhook or Prometheus URL points at an address the control plane may not call (link-local or cloud metadata by default)' },
  EVENT_KIND_RESERVED: { status: 422, retryable: false, message: 'Only chaos.* and annotation.* events may be posted; the control plane writes every other kind itself' },

  // Chaos experiments (the CLI's `handoff chaos`; never an HTTP answer of the control plane)
  CHAOS_EXPERIMENT_INVALID: { status: 422, retryable: false, message: 'The chaos experiment is malformed or inconsistent; nothing was injected' },
  CHAOS_TARGET_NOT_FOUND: { status: 422, retryable: false, message: "The fault's blast radius names nothing the experiment can reach (no running server, no such replica, no pid for it)" },
  CHAOS_INJECTION_FAILED: { status: 500, retryable: false, message: 'The fault could not be injected (not permitted, or its target vanished); whatever was injected is restored' },

  // Game-server SDK
  SDK_UNAUTHORIZED: { status: 401, retryable: false, message: 'Missing or unknown game-server token' },
  SDK_INVALID_TRANSITION: { status: 409, retryable: false, message: 'The server cannot make this lifecycle transition now' },
  SDK_PROTOCOL_UNSUPPORTED: { status: 400, retryable: false, message: 'The Handoff-Sdk-Protocol header names no protocol version this endpoint speaks' },

  // Platform
  STORE_UNAVAILABLE: { status: 503, retryable: true, message: 'The state store could not commit; nothing was changed' },
  STORE_FENCED: { status: 503, retryable: true, message: 'This control plane no longer holds the leadership lease (its fencing epoch is stale); nothing was changed' },
  STORE_SCHEMA_TOO_NEW: { status: 503, retryable: false, message: 'The database schema was changed by a newer Handoff in a way this version cannot run on (a contract step); run a newer Handoff' },
  BACKUP_INVALID: { status: 422, retryable: false, message: 'The backup file is not a complete Handoff backup (wrong format, unknown version, or truncated)' },
  RESTORE_TARGET_NOT_EMPTY: { status: 409, retryable: false, message: 'A backup restores only into an empty store; this one already holds state' },
  RESTORE_TARGET_IN_USE: { status: 409, retryable: false, message: 'A running control plane uses the restore target; stop it first' },
  SHUTTING_DOWN: { status: 503, retryable: true, message: 'The control plane is shutting down' },
  NO_LEADER: { status: 503, retryable: true, message: 'No replica leads the cluster right now, or the leader could not be reached; retry shortly' },
  INTERNAL: { status: 500, retryable: true, message: 'Internal error' },
} as const satisfies Record<string, { status: number; retryable: boolean; message: string }>;

export type ErrorCode = keyof typeof ErrorCatalogue;

/** JSON body of every error response: `{ error: { code, message, retryable, details? } }`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; retryable: boolean; details?: Record<string, unknown> };
}

export interface HandoffErrorOptions {
  /** Seconds a caller should wait before retrying (`Retry-After`). */
  retryAfterSeconds?: number;
}

/** The single error type crossing module boundaries. Carries context for operators. */
export class HandoffError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;
  /**
   * When a retry may succeed, the earliest sensible time for it; the HTTP layer sends it as the
   * `Retry-After` header. Undefined: no hint.
   */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>, options: HandoffErrorOptions = {}) {
    const entry = ErrorCatalogue[code];
    super(message ?? entry.message);
    this.name = 'HandoffError';
    this.code = code;
    this.status = entry.status;
    this.retryable = entry.retryable;
    this.details = details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        retryable: this.retryable,
        ...(this.details ? { details: this.details } : {}),
      },
    };
  }
}

export function isHandoffError(e: unknown): e is HandoffError {
  return e instanceof HandoffError;
}

/** Maps anything thrown to a HandoffError; unknown errors become INTERNAL without leaking internals. */
export function toHandoffError(e: unknown): HandoffError {
  if (isHandoffError(e)) return e;
  return new HandoffError('INTERNAL', undefined, { cause: e instanceof Error ? e.message : String(e) });
}

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ErrorCatalogue, code);
}
