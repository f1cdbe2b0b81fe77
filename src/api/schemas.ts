/**
 * Request and response schemas of the public `/v1` API. One schema library (zod) serves both
 * request validation and the OpenAPI document, so the two cannot drift.
 *
 * Request schemas are strict (`z.strictObject`): an unknown field is refused as UNKNOWN_FIELD
 * with the closest valid name (see `core/validation.ts`), never ignored, so a typo cannot
 * silently fall back to a default. Response schemas stay plain objects.
 */
import semver from 'semver';
import { z } from 'zod';
import type { AllocationRequest, AllocationResponse } from '../allocation/model.js';
import type { BuildSpec } from '../builds/model.js';
import { JoinTokenPolicies, PartyPolicies, ServerStates, type FleetSpec } from '../fleet/model.js';
import { CloseReasons, SessionStates } from '../session/model.js';
import { SmokeCheckSchema, SmokeStates } from '../rollout/checks.js';
import { Verdicts } from '../analysis/judge/model.js';
import { RolloutPhases, type RolloutSpec, type RolloutStart, type RolloutStrategy } from '../rollout/model.js';
import { commonRolloutOptions } from '../rollout/background.js';
import { strategies, strategyNames } from '../rollout/strategies/index.js';
import { RoutingPreferences } from '../allocation/routing.js';
import { MaxPreferredLocations, RegionFallbacks } from '../allocation/regions.js';
import { PlacementPolicies } from '../hosts/place.js';
import { EnvironmentInputSchema, WebhookInputSchema } from './env-schemas.js';
import { ReleasePlanSchema } from './release-schemas.js';

const name = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'lowercase letters, digits, . _ -; at most 63 characters');
/** Path parameters are validated with the request, like bodies: a malformed one is a 400, never a 500. */
export const NameParamsSchema = z.object({ name });
export const BuildIdParamsSchema = z.object({ id: name });
/** Generated ids (`srv_…`, `ses_…`, `ro_…`): URL-safe characters only. */
export const IdParamsSchema = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'an id of letters, digits, _ and -') });
const labels = z.record(z.string(), z.string()).default({});
const seconds = z.number().int().nonnegative();

export const PortSpecSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/),
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
});

export const BuildInputSchema = z.strictObject({
  id: name,
  version: z.string().min(1).max(64),
  launch: z.strictObject({
    executable: z.string().min(1),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    workingDir: z.string().min(1).nullable().default(null),
  }),
  ports: z.array(PortSpecSchema).max(16).default([{ name: 'game', protocol: 'tcp' }]),
  /** 0: a service without sessions (request/response, e.g. payments): found through its endpoints, never allocated. */
  sessionsPerServer: z.number().int().min(0).max(10_000),
  compatibleClients: z.string().min(1).default('*'),
  /** The game server reads HANDOFF_SDK_URL as a comma-separated list (docs/ha.md). No default: a build registered before the field existed stays equal to its manifest. */
  sdkUrlList: z.boolean().optional(),
  labels,
});
export type BuildInput = z.input<typeof BuildInputSchema>;

/**
 * The most servers one fleet may ask for: what one control plane is measured to carry in all
 * (100,000 simulated servers, docs/scale.md). Above it: VALIDATION_FAILED, nothing applied.
 */
export const MaxFleetServers = 100_000;

export const CapacitySchema = z.strictObject({
  minServers: z.number().int().min(0).max(MaxFleetServers),
  maxServers: z.number().int().min(1).max(MaxFleetServers),
  bufferServers: z.number().int().min(0).max(MaxFleetServers).default(1),
  idleTimeoutSeconds: seconds.default(600),
});

export const HealthSchema = z.strictObject({
  timeoutSeconds: z.number().int().min(1).default(15),
  startTimeoutSeconds: z.number().int().min(1).default(60),
  stopGraceSeconds: z.number().int().min(0).default(10),
});

/** A zone or region name as hosts declare them: no blanks, no surrounding spaces. */
const locationName = z.string().min(1).max(64).regex(/^\S(.*\S)?$/, 'a zone or region name without surrounding spaces');

export const FleetPlacementSchema = z.strictObject({
  policy: z.enum(PlacementPolicies).default('spread'),
  zones: z.array(locationName).min(1).max(MaxPreferredLocations).nullable().default(null),
});

export const FleetInputSchema = z.strictObject({
  name,
  build: name,
  capacity: CapacitySchema,
  health: HealthSchema.default({ timeoutSeconds: 15, startTimeoutSeconds: 60, stopGraceSeconds: 10 }),
  region: z.string().min(1).nullable().default(null),
  /** `together`: a party member joins the party's server even on a build routing has left. */
  partyPolicy: z.enum(PartyPolicies).default('together'),
  labels,
  /** `optional` lets game servers start sessions without the player's join token. */
  joinTokens: z.enum(JoinTokenPolicies).default('required'),
  /** Where new game servers go among the hosts (docs/hosts.md): `spread`/`pack` within a zone, only `zones` if given. */
  placement: FleetPlacementSchema.default({ policy: 'spread', zones: null }),
});
export type FleetInput = z.input<typeof FleetInputSchema>;

export const ApplyRequestSchema = z.strictObject({
  builds: z.array(BuildInputSchema).default([]),
  fleets: z.array(FleetInputSchema).default([]),
  /** Declared releases (`kind: Rollout`): identical to a fleet's latest release → unchanged; otherwise started. */
  rollouts: z.array(z.lazy(() => RolloutStartSchema)).default([]),
  /** Environments (`kind: Environment`) and webhooks (`kind: Webhook`); see docs/environments.md, docs/notifications.md. */
  environments: z.array(EnvironmentInputSchema).default([]),
  webhooks: z.array(WebhookInputSchema).default([]),
  /** Declared release plans (`kind: ReleasePlan`): identical to the stored plan → unchanged; otherwise started. */
  releasePlans: z.array(ReleasePlanSchema).default([]),
});

/**
 * A client version must be semver (a leading `v` is tolerated, as semver does): anything else
 * is malformed input, not an old client to send to the update screen.
 */
const clientVersion = z.string().min(1).max(64).refine((v) => semver.valid(v) !== null, 'a semver version such as 1.4.2 or 1.5.0-beta.1');

export const AllocationRequestSchema = z.strictObject({
  fleet: name,
  playerId: z.string().min(1).max(128),
  partyId: z.string().min(1).max(128).nullable().default(null),
  clientVersion: clientVersion.nullable().default(null),
  region: z.string().min(1).max(64).nullable().default(null),
  attributes: z.record(z.string(), z.string()).default({}),
  /** Also accepted as the `Idempotency-Key` header. */
  idempotencyKey: z.string().min(1).max(128).nullable().default(null),
  /** A migration token the player got when a release migrated them: places them on the release's build, with their party. */
  migrationToken: z.string().min(1).max(4096).nullable().default(null),
  /** Preferred regions, most preferred first; tried in order, then anywhere unless `regionFallback` is `none`. */
  regions: z.array(locationName).min(1).max(MaxPreferredLocations).optional(),
  /** Preferred zones, most preferred first; tried before `regions`. */
  zones: z.array(locationName).min(1).max(MaxPreferredLocations).optional(),
  /** `any` (default): after the preferred zones and regions, any server with room; `none`: only those. */
  regionFallback: z.enum(RegionFallbacks).optional(),
}).superRefine((v, ctx) => {
  // Without a preference `none` would refuse every request: a mistake to report, not to obey.
  if (v.regionFallback === 'none' && !v.regions && !v.zones) ctx.addIssue({ code: 'custom', path: ['regionFallback'], message: 'regionFallback none needs regions or zones' });
});
export type { AllocationRequest };

export { SmokeCheckSchema };

const rolloutCommon = {
  fleet: name,
  build: name,
  /** Replace a release of the fleet that has not routed any session yet, instead of being refused. */
  replace: z.boolean().default(false),
};

/**
 * `POST /v1/rollouts`: the fields every release has, plus the options of its strategy, one
 * strict object per strategy in the registry (the `strategy` field picks it; blue-green when
 * absent). The domain takes `{ fleet, build, replace, spec }`: see `toRolloutStart`.
 */
export const RolloutStartSchema = z.preprocess(
  (v) => (typeof v === 'object' && v !== null && !Array.isArray(v) && !('strategy' in v) ? { ...v, strategy: 'blue-green' } : v),
  z.discriminatedUnion(
    'strategy',
    strategyNames.map((n) => z.strictObject({ ...rolloutCommon, strategy: z.literal(n), ...strategies[n].options, ...commonRolloutOptions })) as unknown as [z.ZodObject, ...z.ZodObject[]],
  ),
);
export type RolloutStartRequest = { fleet: string; build: string; replace: boolean; strategy: RolloutStrategy } & Record<string, unknown>;

/** The API's request as the rollout domain's input. */
export function toRolloutStart(body: RolloutStartRequest): RolloutStart {
  const { fleet, build, replace, ...spec } = body;
  return { fleet, build, replace, spec: spec as unknown as RolloutSpec };
}

/** `POST /v1/rollouts/{id}/promote`: an A/B test names the variant that wins (its name or build). */
export const PromoteBodySchema = z.strictObject({ variant: z.string().min(1).max(64).optional() });

// ---- Views (responses) ----

export const BuildViewSchema = BuildInputSchema.extend({ createdAt: z.number() });

/** A fleet's routing table with its defaults filled in (see `allocation/routing.ts`). */
export const RoutingViewSchema = z.object({
  entries: z.array(z.object({ build: z.string(), weight: z.number(), rank: z.number().optional() })),
  rules: z.array(z.object({
    name: z.string().nullable(),
    build: z.string(),
    players: z.array(z.string()),
    when: z.array(z.discriminatedUnion('type', [
      z.object({ type: z.literal('attribute'), key: z.string(), values: z.array(z.string()) }),
      z.object({ type: z.literal('region'), values: z.array(z.string()) }),
    ])),
    fallback: z.boolean(),
  })),
  prefer: z.enum(RoutingPreferences),
  salt: z.string().nullable(),
  /** A maintenance window: no new session until `until` (expected, ms since epoch) or later. */
  closed: z.object({ until: z.number(), reason: z.string() }).nullable(),
});

export const FleetViewSchema = z.object({
  name: z.string(),
  currentBuild: z.string(),
  capacity: CapacitySchema,
  health: HealthSchema,
  region: z.string().nullable(),
  partyPolicy: z.enum(PartyPolicies),
  labels: z.record(z.string(), z.string()),
  joinTokens: z.enum(JoinTokenPolicies),
  placement: z.object({ policy: z.enum(PlacementPolicies), zones: z.array(z.string()).nullable() }),
  routing: RoutingViewSchema,
  status: z.object({
    serversByState: z.record(z.string(), z.number()),
    serversByBuild: z.record(z.string(), z.number()),
    openSessionsByBuild: z.record(z.string(), z.number()),
    freeSlots: z.number(),
    activeRollout: z.string().nullable(),
  }),
  createdAt: z.number(),
  updatedAt: z.number(),
});

export const ServerViewSchema = z.object({
  id: z.string(),
  fleet: z.string(),
  build: z.string(),
  state: z.enum(ServerStates),
  address: z.string(),
  ports: z.record(z.string(), z.number()),
  capacity: z.number(),
  sessions: z.number(),
  pid: z.number().nullable(),
  logPath: z.string().nullable(),
  createdAt: z.number(),
  readyAt: z.number().nullable(),
  lastHealthAt: z.number().nullable(),
  drainReason: z.string().nullable(),
  drainDeadline: z.number().nullable(),
  /** When its host was declared Unreachable: fenced, never allocatable again (docs/hosts.md). Absent when never fenced. */
  fencedAt: z.number().nullable().optional(),
  stoppedAt: z.number().nullable(),
  exitCode: z.number().nullable(),
  exitSignal: z.string().nullable(),
});

export const SessionViewSchema = z.object({
  id: z.string(),
  fleet: z.string(),
  server: z.string(),
  build: z.string(),
  playerId: z.string(),
  partyId: z.string().nullable(),
  clientVersion: z.string().nullable(),
  region: z.string().nullable(),
  attributes: z.record(z.string(), z.string()),
  state: z.enum(SessionStates),
  openedAt: z.number(),
  connectedAt: z.number().nullable(),
  closedAt: z.number().nullable(),
  closeReason: z.enum(CloseReasons).nullable(),
  /** On a session a release closed as `migrated`: the player's migration token, for their next allocation. */
  migrationToken: z.string().optional(),
  /** On a session a migration token placed: the token's id (the session it replaced). */
  migratedFrom: z.string().optional(),
});

export const AllocationResponseSchema = z.object({
  sessionId: z.string(),
  fleet: z.string(),
  playerId: z.string(),
  /** True when the player already had this open session (reconnect). */
  reconnected: z.boolean(),
  server: z.object({
    id: z.string(),
    build: z.string(),
    version: z.string(),
    address: z.string(),
    ports: z.record(z.string(), z.number()),
    /** The region and zone of the server's host (null when unknown). Added after v0.1.0: older clients ignore them. */
    region: z.string().nullable().optional(),
    zone: z.string().nullable().optional(),
  }),
  /** Present to the game server on connect; it verifies it through the SDK. */
  joinToken: z.string(),
});
export type { AllocationResponse };

const MetricSideSchema = z.object({ n: z.number(), value: z.number().nullable() });
/** One stored verdict (see `AnalysisRecord` in rollout/model.ts). */
export const AnalysisRecordSchema = z.object({
  step: z.string(),
  /** `step`: a gate of the strategy's (a canary analysis step, pre/post-switch, a batch); `background`: the repeating background analysis. */
  kind: z.enum(['step', 'background']).optional(),
  verdict: z.enum(Verdicts),
  window: z.object({ since: z.number(), until: z.number() }),
  canary: z.string(),
  baseline: z.string(),
  at: z.number(),
  result: z.object({
    verdict: z.enum(Verdicts),
    metrics: z.array(z.object({
      metric: z.string(),
      verdict: z.enum(Verdicts),
      canary: MetricSideSchema,
      baseline: MetricSideSchema,
      test: z.object({ name: z.string(), statistic: z.number(), pValue: z.number(), effect: z.number() }).nullable().optional(),
      reason: z.string(),
    })),
  }),
});

export const RolloutViewSchema = z.object({
  id: z.string(),
  fleet: z.string(),
  fromBuild: z.string(),
  toBuild: z.string(),
  strategy: z.string(),
  phase: z.enum(RolloutPhases),
  message: z.string(),
  spec: z.record(z.string(), z.unknown()),
  targetServers: z.number(),
  startFailures: z.number(),
  smoke: z
    .object({
      state: z.enum(SmokeStates),
      serverId: z.string(),
      startedAt: z.number(),
      finishedAt: z.number().nullable(),
      detail: z.string(),
    })
    .nullable(),
  /** Strategy-owned progress (batch, step, per-variant figures). */
  progressState: z.record(z.string(), z.unknown()),
  /** The release that took over from this one (phase Superseded). */
  supersededBy: z.string().nullable(),
  /** Every analysis verdict of the release, oldest first, with its numbers per metric. */
  analyses: z.array(AnalysisRecordSchema),
  /** The background analysis's schedule (null without one): when the next check is due, the one running, and a hold. */
  background: z.object({
    nextAt: z.number(),
    running: z.object({ since: z.number(), until: z.number() }).nullable(),
    runs: z.number(),
    /** Set while an inconclusive verdict holds the release for `promote` (onInconclusive: pause). */
    heldAt: z.number().nullable(),
  }).nullable().optional(),
  progress: z.object({
    /** Per build of this release: servers by state, open sessions and routing weight. */
    builds: z.record(
      z.string(),
      z.object({ servers: z.record(z.string(), z.number()), sessions: z.number(), weight: z.number() }),
    ),
    /** Builds of earlier releases that take no new sessions and still have servers (back-to-back releases). */
    draining: z.array(z.object({ build: z.string(), servers: z.number(), sessions: z.number() })),
  }),
  createdAt: z.number(),
  updatedAt: z.number(),
  readyAt: z.number().nullable(),
  promotedAt: z.number().nullable(),
  switchedAt: z.number().nullable(),
  drainNoticeAt: z.number().nullable(),
  /** The migration deadline announced at `drainNoticeAt` (gentle migration). */
  migrationDeadline: z.number().nullable().optional(),
  migratedAt: z.number().nullable(),
  completedAt: z.number().nullable(),
  abortedAt: z.number().nullable(),
  failedAt: z.number().nullable(),
});

export const EventViewSchema = z.object({
  seq: z.number(),
  at: z.number(),
  fleet: z.string().nullable(),
  kind: z.string(),
  subject: z.string(),
  message: z.string(),
  data: z.record(z.string(), z.unknown()),
});

export const ErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    retryable: z.boolean(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

export const ListQuerySchema = z.strictObject({
  fleet: name.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item) });
}

// ---- Types of the views, for clients (CLI, tests) that must not drift from the server ----
export type BuildView = z.output<typeof BuildViewSchema>;
export type FleetView = z.output<typeof FleetViewSchema>;
export type RoutingView = z.output<typeof RoutingViewSchema>;
export type ServerView = z.output<typeof ServerViewSchema>;
export type SessionView = z.output<typeof SessionViewSchema>;
export type RolloutView = z.output<typeof RolloutViewSchema>;
export type EventView = z.output<typeof EventViewSchema>;
export type ErrorBodyView = z.output<typeof ErrorBodySchema>;
export type ApplyInput = z.input<typeof ApplyRequestSchema>;
export type RolloutStartInput = { fleet: string; build: string; strategy?: RolloutStrategy; replace?: boolean } & Record<string, unknown>;

// Compile-time checks: what the API accepts is what the domains take (the API depends on the
// domain types, never the reverse).
type Fits<_A extends B, B> = true;
export type _DomainChecks = [
  Fits<z.output<typeof BuildInputSchema>, BuildSpec>,
  Fits<z.output<typeof FleetInputSchema>, FleetSpec>,
  Fits<z.output<typeof AllocationRequestSchema>, AllocationRequest>,
  Fits<z.output<typeof AllocationResponseSchema>, AllocationResponse>,
  Fits<AllocationResponse, z.output<typeof AllocationResponseSchema>>,
];
