import { defineCommand, ExitCodes, printResult, type Parsed } from '../command.js';
import { parseDurationSeconds, parseSmokeHttp, splitCommandLine } from '../parse.js';
import { expectPositionals, parseCommandArgs, UsageError } from '../usage.js';
import type { RolloutView } from '../views.js';
import { parseCohort, parseSteps, parseVariants, type CohortRequest, type SmokeRequest, type StepRequest, type VariantRequest } from './rollout-start-steps.js';

export const rolloutStartUsage = `Usage: handoff rollout start FLEET --build B [flags]

Release build B to FLEET without interrupting a session: start servers of B, optionally check
one, switch new sessions to B, and let the old build empty out.

  --build B                 the build to release (required)
  --strategy S              blue-green (default), canary, ab-test
  --no-auto-promote         blue-green: wait for \`handoff rollout promote\` before switching
  --steps "S, S, ..."       canary (required): 20 (a weight: share of new sessions), pause 30s,
                            pause (until promote), smoke-http PORT:PATH, smoke-cmd "CMD",
                            webhook URL [TIMEOUT]; the last step is 100
  --cohort-player ID        canary, ab-test: send this player to B whatever the weight
                            (repeatable, or comma-separated)
  --cohort-attr K=V         ... and players whose allocation has attribute K=V
  --cohort-region R         ... in region R (with --cohort-attr: both must hold)
  --variant [N:]BUILD=W     ab-test (repeatable, 2 or more, weights summing to 100): serve
                            BUILD to W% of new sessions, as variant N; B must be one of them
  --smoke-http PORT:PATH    before switching, GET PATH on the named port of one new server
  --smoke-cmd "CMD ARGS"    before switching, run this command (no shell; quotes group words)
  --drain-deadline D        close sessions still on the old build D after the switch
  --drain-notice D          warn old servers D before that deadline (server default 60s)
  --old-idle D              stop an emptied old server after D (default: the fleet's idle time)
  --ready-timeout D         fail when B is not ready within D (server default 5m)
  --json                    print the API response

Durations: 90 (seconds), 90s, 5m, 1h.`;

export type { SmokeRequest };

/** The `POST /v1/rollouts` body: the fields of the chosen strategy. Absent optional fields are left to the server's defaults. */
export interface RolloutStartRequest {
  fleet: string;
  build: string;
  strategy: string;
  autoPromote?: boolean;
  steps?: StepRequest[];
  cohort?: CohortRequest | null;
  variants?: VariantRequest[];
  smoke?: SmokeRequest | null;
  drain: { deadlineSeconds: number; noticeLeadSeconds?: number } | null;
  oldIdleSeconds: number | null;
  readyTimeoutSeconds?: number;
}

export function parseRolloutStart(args: readonly string[]): Parsed<RolloutStartRequest> {
  const { values, positionals } = parseCommandArgs('rollout start', args, {
    build: { type: 'string' },
    strategy: { type: 'string' },
    'no-auto-promote': { type: 'boolean' },
    'smoke-http': { type: 'string' },
    'smoke-cmd': { type: 'string' },
    'drain-deadline': { type: 'string' },
    'drain-notice': { type: 'string' },
    'old-idle': { type: 'string' },
    'ready-timeout': { type: 'string' },
    steps: { type: 'string' },
    'cohort-player': { type: 'string', multiple: true },
    'cohort-attr': { type: 'string', multiple: true },
    'cohort-region': { type: 'string', multiple: true },
    variant: { type: 'string', multiple: true },
  });
  if (values.help) return { global: values, help: true };
  const [fleet = ''] = expectPositionals('rollout start', positionals, ['FLEET']);
  if (!values.build) throw new UsageError('--build B is required', 'rollout start');
  // The server owns the list of strategies; an unknown one comes back as VALIDATION_FAILED.
  const strategy = values.strategy ?? 'blue-green';
  const only = (flag: string, given: boolean, strategies: readonly string[]): void => {
    if (given && !strategies.includes(strategy)) throw new UsageError(`${flag} applies to --strategy ${strategies.join(' or ')}`, 'rollout start');
  };
  only('--no-auto-promote', values['no-auto-promote'] === true, ['blue-green']);
  only('--steps', values.steps !== undefined, ['canary']);
  only('--variant', values.variant !== undefined, ['ab-test']);
  only('--smoke-http/--smoke-cmd', values['smoke-http'] !== undefined || values['smoke-cmd'] !== undefined, ['blue-green', 'canary']);
  const cohort = parseCohort(values['cohort-player'] ?? [], values['cohort-attr'] ?? [], values['cohort-region'] ?? []);
  only('--cohort-*', cohort !== null, ['canary', 'ab-test']);
  const common = {
    fleet,
    build: values.build,
    strategy,
    drain: drainFrom(values['drain-deadline'], values['drain-notice']),
    oldIdleSeconds: values['old-idle'] === undefined ? null : parseDurationSeconds('--old-idle', values['old-idle']),
  };
  const smoke = smokeFrom(values['smoke-http'], values['smoke-cmd']);
  let request: RolloutStartRequest;
  if (strategy === 'canary') {
    if (values.steps === undefined) throw new UsageError('--steps is required with --strategy canary (e.g. --steps "10, pause 5m, 50, pause, 100")', 'rollout start');
    request = { ...common, steps: parseSteps('--steps', values.steps), cohort, smoke };
  } else if (strategy === 'ab-test') {
    if (values.variant === undefined) throw new UsageError('--variant is required with --strategy ab-test (e.g. --variant A:v1=50 --variant B:v2=50)', 'rollout start');
    request = { ...common, variants: parseVariants(values.variant, values.build, cohort) };
  } else {
    request = { ...common, autoPromote: !values['no-auto-promote'], smoke };
  }
  if (values['ready-timeout'] !== undefined) {
    request.readyTimeoutSeconds = parseDurationSeconds('--ready-timeout', values['ready-timeout']);
  }
  return { global: values, help: false, input: request };
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

export const rolloutStartCommand = defineCommand({
  usage: rolloutStartUsage,
  parse: parseRolloutStart,
  async execute(input, session) {
    const res = await session.api.post<RolloutView>('/v1/rollouts', input);
    printResult(session, res.text, () => {
      const r = res.data;
      return [
        `rollout ${r.id} started: fleet ${r.fleet}, ${r.fromBuild} → ${r.toBuild} (${r.phase})`,
        `follow it with: handoff rollout status ${r.fleet} --watch`,
      ].join('\n');
    });
    return ExitCodes.ok;
  },
});
