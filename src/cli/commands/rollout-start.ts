import { defineCommand, ExitCodes, printResult, type Parsed } from '../command.js';
import { parseDurationSeconds, parsePositiveInt, parseSmokeHttp, splitCommandLine } from '../parse.js';
import { expectPositionals, parseCommandArgs, UsageError } from '../usage.js';
import type { RolloutView } from '../views.js';
import { backgroundFlags, backgroundUsage, parseBackground, type BackgroundRequest } from './rollout-start-background.js';
import { givenMaintenanceFlags, maintenanceFlags, maintenanceUsage, parseMaintenanceStart, type MaintenanceStartRequest } from './rollout-start-maintenance.js';
import { parseCohort, parseSteps, parseVariants, type CohortRequest, type SmokeRequest, type StepRequest, type VariantRequest } from './rollout-start-steps.js';

export const rolloutStartUsage = `Usage: handoff rollout start FLEET --build B [flags]

Release build B to FLEET without interrupting a session: start servers of B, optionally check
one, switch new sessions to B, and let the old build empty out (blue-green); or replace old
servers batch by batch as they empty (rolling).

  --build B                 the build to release (required)
  --strategy S              blue-green (default), rolling, canary, ab-test, maintenance,
                            dynamic-pool
  --no-auto-promote         blue-green: wait for \`handoff rollout promote\` before switching
  --steps "S, S, ..."       canary (required): 20 (a weight: share of new sessions), pause 30s,
                            pause (until promote), smoke-http PORT:PATH, smoke-cmd "CMD",
                            webhook URL [TIMEOUT]; the last step is 100
  --cohort-player ID        canary, ab-test: send this player to B whatever the weight
                            (repeatable, or comma-separated)
  --cohort-attr K=V         ... and players whose allocation has attribute K=V
  --cohort-region R         ... in region R (with --cohort-attr: both must hold)
  --servers new|in-place    canary: start canary servers beside the old build's (default), or
                            replace some old servers in place as they empty (never above max)
  --in-place-servers N|P%   canary in place: old servers to replace (server default 1)
  --variant [N:]BUILD=W     ab-test (repeatable, 2 or more, weights summing to 100): serve
                            BUILD to W% of new sessions, as variant N; B must be one of them
  --smoke-http PORT:PATH    before switching, GET PATH on the named port of one new server
  --smoke-cmd "CMD ARGS"    before switching, run this command (no shell; quotes group words)
  --drain-deadline D        close sessions still on the old build D after the switch
  --drain-notice D          warn old servers D before that deadline (server default 60s)
  --old-idle D              stop an emptied old server after D (blue-green default: the fleet's
                            idle time; dynamic-pool default 10m)
  --ready-timeout D         fail when B is not ready within D (server default 5m)
  --json                    print the API response

rolling (no spare capacity needed; the smoke and drain flags apply per batch and per old server):
  --max-surge N|P%          servers of B allowed above the fleet's size (server default 0)
  --max-unavailable N|P%    old servers out of rotation at once (server default 1)
  --batch-ready-timeout D   pause when a batch's new servers are not Ready within D (default 5m);
                            resume with \`handoff rollout promote\`

${maintenanceUsage}

${backgroundUsage}

dynamic-pool (servers of B join the pool; new sessions fill the newest build first, older
servers stop once empty for --old-idle; no switch, no promote):
  --servers N|match         servers of B that join the pool: N, or as many as the old build
                            runs (default match)

Gentle migration (blue-green and dynamic-pool): once a trigger holds, old servers are told
(the game shows a message); at the deadline the sessions left are closed as migrated and each
player gets a migration token that places them on B with their party.
  --migrate-after D         trigger: D after the switch (B joining the pool)
  --migrate-below N         trigger: fewer than N players left on the old build
  --migrate-notice D        from the trigger to the deadline (server default 60s)
  --migrate-token-ttl D     how long a migration token is valid (server default 2m)

Durations: 90 (seconds), 90s, 5m, 1h.`;

export type { SmokeRequest };

/**
 * The `POST /v1/rollouts` body. Absent optional fields are left to the server's defaults. A
 * blue-green request spells out its defaults; another strategy's carries only the flags given,
 * and the server refuses one its strategy does not take.
 */
export interface RolloutStartRequest {
  fleet: string;
  build: string;
  strategy: string;
  autoPromote?: boolean;
  steps?: StepRequest[];
  cohort?: CohortRequest | null;
  variants?: VariantRequest[];
  smoke?: SmokeRequest | null;
  drain?: { deadlineSeconds: number; noticeLeadSeconds?: number } | null;
  oldIdleSeconds?: number | null;
  readyTimeoutSeconds?: number;
  maxSurge?: number | string;
  maxUnavailable?: number | string;
  batchReadyTimeoutSeconds?: number;
  /** Canary: where its servers run. */
  servers?: 'new' | 'in-place';
  inPlaceServers?: number | string;
  migration?: MigrationRequest;
  backgroundAnalysis?: BackgroundRequest;
}

/** Gentle migration as the API takes it; absent fields are left to the server's defaults. */
export interface MigrationRequest {
  afterSeconds?: number;
  belowPlayers?: number;
  noticeSeconds?: number;
  tokenTtlSeconds?: number;
}

/** The `POST /v1/rollouts` body of a dynamic pool. */
export interface DynamicPoolStartRequest {
  fleet: string;
  build: string;
  strategy: 'dynamic-pool';
  servers?: number | 'match';
  oldIdleSeconds?: number;
  readyTimeoutSeconds?: number;
  migration?: MigrationRequest;
}


/** The blue-green flags: refused with a strategy they mean nothing to. */
const blueGreenFlags = ['no-auto-promote', 'smoke-http', 'smoke-cmd', 'drain-deadline', 'drain-notice', 'old-idle', 'ready-timeout'] as const;

const startFlags = {
  ...maintenanceFlags,
  ...backgroundFlags,
  build: { type: 'string' },
  strategy: { type: 'string' },
  'no-auto-promote': { type: 'boolean' },
  'smoke-http': { type: 'string' },
  'smoke-cmd': { type: 'string' },
  'drain-deadline': { type: 'string' },
  'drain-notice': { type: 'string' },
  'old-idle': { type: 'string' },
  'ready-timeout': { type: 'string' },
  'max-surge': { type: 'string' },
  'max-unavailable': { type: 'string' },
  'batch-ready-timeout': { type: 'string' },
  servers: { type: 'string' },
  'in-place-servers': { type: 'string' },
  'migrate-after': { type: 'string' },
  'migrate-below': { type: 'string' },
  'migrate-notice': { type: 'string' },
  'migrate-token-ttl': { type: 'string' },
  steps: { type: 'string' },
  'cohort-player': { type: 'string', multiple: true },
  'cohort-attr': { type: 'string', multiple: true },
  'cohort-region': { type: 'string', multiple: true },
  variant: { type: 'string', multiple: true },
} as const;

export function parseRolloutStart(args: readonly string[], now: () => number = Date.now): Parsed<RolloutStartRequest | MaintenanceStartRequest | DynamicPoolStartRequest> {
  const { values, positionals } = parseCommandArgs('rollout start', args, startFlags);
  if (values.help) return { global: values, help: true };
  const parsed = parseStart(values, positionals, now);
  // A background analysis is every strategy's: it rides on whichever request the flags made.
  const background = parseBackground(values);
  return background && !parsed.help ? { ...parsed, input: { ...parsed.input, backgroundAnalysis: background } } : parsed;
}

type StartValues = ReturnType<typeof parseCommandArgs<typeof startFlags>>['values'];

function parseStart(values: StartValues, positionals: string[], now: () => number): Parsed<RolloutStartRequest | MaintenanceStartRequest | DynamicPoolStartRequest> {
  const [fleet = ''] = expectPositionals('rollout start', positionals, ['FLEET']);
  if (!values.build) throw new UsageError('--build B is required', 'rollout start');
  if (values.strategy === 'maintenance') {
    const foreign = blueGreenFlags.filter((f) => values[f] !== undefined).map((f) => `--${f}`);
    if (foreign.length > 0) throw new UsageError(`${foreign.join(', ')} do not apply to --strategy maintenance`, 'rollout start');
    return { global: values, help: false, input: parseMaintenanceStart(fleet, values.build, values, now) };
  }
  const misplaced = givenMaintenanceFlags(values);
  if (misplaced.length > 0) throw new UsageError(`${misplaced.join(', ')} need --strategy maintenance`, 'rollout start');
  // The server owns the list of strategies; an unknown one comes back as VALIDATION_FAILED.
  const strategy = values.strategy ?? 'blue-green';
  const only = (flag: string, given: boolean, strategies: readonly string[]): void => {
    if (given && !strategies.includes(strategy)) throw new UsageError(`${flag} applies to --strategy ${strategies.join(' or ')}`, 'rollout start');
  };
  only('--steps', values.steps !== undefined, ['canary']);
  only('--variant', values.variant !== undefined, ['ab-test']);
  only('--max-surge/--max-unavailable/--batch-ready-timeout', [values['max-surge'], values['max-unavailable'], values['batch-ready-timeout']].some((v) => v !== undefined), ['rolling']);
  const cohort = parseCohort(values['cohort-player'] ?? [], values['cohort-attr'] ?? [], values['cohort-region'] ?? []);
  only('--cohort-*', cohort !== null, ['canary', 'ab-test']);
  const migration = migrationFrom(values);
  if (strategy === 'dynamic-pool') return { global: values, help: false, input: dynamicPoolFrom(fleet, values.build, values, migration) };
  only('--servers', values.servers !== undefined, ['dynamic-pool', 'canary']);
  only('--in-place-servers', values['in-place-servers'] !== undefined, ['canary']);
  only('--no-auto-promote', values['no-auto-promote'] === true, ['blue-green']);
  only('--smoke-http/--smoke-cmd', values['smoke-http'] !== undefined || values['smoke-cmd'] !== undefined, ['blue-green', 'canary', 'rolling']);
  only('--migrate-*', migration !== null, ['blue-green']);
  if (migration && values['drain-deadline'] !== undefined) {
    throw new UsageError('--drain-deadline is a migration after a time: give it or --migrate-*, not both', 'rollout start');
  }
  const smoke = smokeFrom(values['smoke-http'], values['smoke-cmd']);
  const drain = drainFrom(values['drain-deadline'], values['drain-notice']);
  const oldIdleSeconds = values['old-idle'] === undefined ? null : parseDurationSeconds('--old-idle', values['old-idle']);
  // Blue-green spells out its defaults (as 0.1.0 did); another strategy carries only the flags given.
  const request: RolloutStartRequest =
    strategy === 'blue-green'
      ? { fleet, build: values.build, strategy, autoPromote: !values['no-auto-promote'], smoke, drain, oldIdleSeconds }
      : {
          fleet, build: values.build, strategy,
          ...(smoke ? { smoke } : {}),
          ...(drain ? { drain } : {}),
          ...(oldIdleSeconds !== null ? { oldIdleSeconds } : {}),
        };
  if (strategy === 'canary') {
    if (values.steps === undefined) throw new UsageError('--steps is required with --strategy canary (e.g. --steps "10, pause 5m, 50, pause, 100")', 'rollout start');
    request.steps = parseSteps('--steps', values.steps);
    request.cohort = cohort;
    if (values.servers !== undefined) {
      if (values.servers !== 'new' && values.servers !== 'in-place') throw new UsageError(`--servers: "${values.servers}" is not new or in-place (a canary's servers)`, 'rollout start');
      request.servers = values.servers;
    }
    if (values['in-place-servers'] !== undefined) {
      if (request.servers !== 'in-place') throw new UsageError('--in-place-servers needs --servers in-place', 'rollout start');
      request.inPlaceServers = parseServerBudget('--in-place-servers', values['in-place-servers']);
    }
  }
  if (strategy === 'ab-test') {
    if (values.variant === undefined) throw new UsageError('--variant is required with --strategy ab-test (e.g. --variant A:v1=50 --variant B:v2=50)', 'rollout start');
    request.variants = parseVariants(values.variant, values.build, cohort);
  }
  if (values['ready-timeout'] !== undefined) {
    request.readyTimeoutSeconds = parseDurationSeconds('--ready-timeout', values['ready-timeout']);
  }
  if (values['max-surge'] !== undefined) request.maxSurge = parseServerBudget('--max-surge', values['max-surge']);
  if (values['max-unavailable'] !== undefined) request.maxUnavailable = parseServerBudget('--max-unavailable', values['max-unavailable']);
  if (values['batch-ready-timeout'] !== undefined) {
    request.batchReadyTimeoutSeconds = parseDurationSeconds('--batch-ready-timeout', values['batch-ready-timeout']);
  }
  if (migration) request.migration = migration;
  return { global: values, help: false, input: request };
}

/** `2` → 2 servers; `25%` → a share of the fleet's size, which the server resolves. */
function parseServerBudget(flag: string, text: string): number | string {
  if (/^\d+$/.test(text)) return Number(text);
  if (/^\d+%$/.test(text)) return text;
  throw new UsageError(`${flag}: "${text}" is not a count or a percentage (examples: 0, 2, 25%)`, 'rollout start');
}

type StartFlags = Partial<Record<'servers' | 'old-idle' | 'ready-timeout' | 'smoke-http' | 'smoke-cmd' | 'drain-deadline' | 'drain-notice' | 'migrate-after' | 'migrate-below' | 'migrate-notice' | 'migrate-token-ttl', string>> & { 'no-auto-promote'?: boolean };

/** A dynamic pool's request: only the flags given, the server fills its defaults. */
function dynamicPoolFrom(fleet: string, build: string, values: StartFlags, migration: MigrationRequest | null): DynamicPoolStartRequest {
  for (const flag of ['smoke-http', 'smoke-cmd', 'drain-deadline', 'drain-notice', 'no-auto-promote'] as const) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} does not apply to a dynamic pool (no switch, no promote)`, 'rollout start');
  }
  const request: DynamicPoolStartRequest = { fleet, build, strategy: 'dynamic-pool' };
  if (values.servers !== undefined) request.servers = values.servers === 'match' ? 'match' : parsePositiveInt('--servers', values.servers);
  if (values['old-idle'] !== undefined) request.oldIdleSeconds = parseDurationSeconds('--old-idle', values['old-idle']);
  if (values['ready-timeout'] !== undefined) request.readyTimeoutSeconds = parseDurationSeconds('--ready-timeout', values['ready-timeout']);
  if (migration) request.migration = migration;
  return request;
}

function migrationFrom(values: StartFlags): MigrationRequest | null {
  const m: MigrationRequest = {};
  if (values['migrate-after'] !== undefined) m.afterSeconds = parseDurationSeconds('--migrate-after', values['migrate-after']);
  if (values['migrate-below'] !== undefined) m.belowPlayers = parsePositiveInt('--migrate-below', values['migrate-below']);
  if (values['migrate-notice'] !== undefined) m.noticeSeconds = parseDurationSeconds('--migrate-notice', values['migrate-notice']);
  if (values['migrate-token-ttl'] !== undefined) m.tokenTtlSeconds = parseDurationSeconds('--migrate-token-ttl', values['migrate-token-ttl']);
  if (Object.keys(m).length === 0) return null;
  if (m.afterSeconds === undefined && m.belowPlayers === undefined) {
    throw new UsageError('a gentle migration needs a trigger: --migrate-after D, --migrate-below N or both', 'rollout start');
  }
  return m;
}

function smokeFrom(http: string | undefined, cmd: string | undefined): SmokeRequest | null {
  if (http !== undefined && cmd !== undefined) {
    throw new UsageError('--smoke-http and --smoke-cmd are alternatives; give one', 'rollout start');
  }
  if (http !== undefined) return { kind: 'http', ...parseSmokeHttp('--smoke-http', http) };
  if (cmd !== undefined) return { kind: 'command', command: splitCommandLine('--smoke-cmd', cmd) };
  return null;
}

function drainFrom(deadline: string | undefined, notice: string | undefined): RolloutStartRequest['drain'] {
  if (deadline === undefined) {
    if (notice !== undefined) throw new UsageError('--drain-notice needs --drain-deadline', 'rollout start');
    return null;
  }
  const deadlineSeconds = parseDurationSeconds('--drain-deadline', deadline);
  if (notice === undefined) return { deadlineSeconds };
  return { deadlineSeconds, noticeLeadSeconds: parseDurationSeconds('--drain-notice', notice) };
}

/** A maintenance window's schedule, as the server fixed it. */
function windowLines(r: RolloutView): string[] {
  const { noticeAt, startsAt, endsAt } = r.progressState;
  if (typeof noticeAt !== 'number' || typeof startsAt !== 'number' || typeof endsAt !== 'number') return [];
  const at = (ms: number): string => new Date(ms).toISOString();
  return [`window: players told at ${at(noticeAt)}; allocations stop at ${at(startsAt)}, expected back by ${at(endsAt)}`];
}

export const rolloutStartCommand = defineCommand({
  usage: rolloutStartUsage,
  parse: (args) => parseRolloutStart(args),
  async execute(input, session) {
    const res = await session.api.post<RolloutView>('/v1/rollouts', input);
    printResult(session, res.text, () => {
      const r = res.data;
      return [
        `rollout ${r.id} started: fleet ${r.fleet}, ${r.fromBuild} → ${r.toBuild} (${r.phase})`,
        ...windowLines(r),
        `follow it with: handoff rollout status ${r.fleet} --watch`,
      ].join('\n');
    });
    return ExitCodes.ok;
  },
});
