/**
 * `handoff release apply|status|approve|abort`: release plans (several fleets' releases in
 * dependency order, with gates and a failure policy) through `/v1/releases`.
 */
import type { ReleaseView } from '../../api/release-schemas.js';
import { defineCommand, ExitCodes, printResult, type Parsed } from '../command.js';
import { manifestToApplyRequest } from '../manifest.js';
import { renderTable } from '../table.js';
import { expectPositionals, parseCommandArgs, UsageError } from '../usage.js';
import { readManifest } from './apply.js';

export const releaseUsage = `Usage: handoff release <apply|status|approve|abort> [flags]

  apply -f FILE             apply the release plan(s) in FILE (kind: ReleasePlan)
  status NAME               the plan's phase and each step's phase, gate and rollout
  approve NAME [--step S]   pass the approval gate a step waits at
  abort NAME                stop the plan: running steps' rollouts are aborted, the rest never start`;

const ApplyUsage = `Usage: handoff release apply -f FILE

Apply the release plans of a YAML or JSON manifest (documents with \`kind: ReleasePlan\`; \`-f -\`
reads stdin). A plan identical to the stored one is "unchanged"; a new one starts. The whole
plan is checked first (dependency cycle, unknown webhook, fleet or build): nothing is applied
when it is refused. Builds and fleets belong in \`handoff apply\`, which also takes plans.

  -f, --file FILE   the manifest; - for stdin
  --json            print the API response`;

const StatusUsage = `Usage: handoff release status NAME

Show release plan NAME: its phase, and each step's fleet, build, strategy, phase, gate and rollout.

  --json            print the API response`;

const ApproveUsage = `Usage: handoff release approve NAME [--step STEP]

Pass the approval gate of the step of plan NAME that waits for one (name it with --step when
several do).`;

const AbortUsage = `Usage: handoff release abort NAME

Stop plan NAME. Running steps' rollouts are aborted (new sessions go back to the old build; a
session already on the new build is never cut off); steps not yet started never start.`;

function parseApply(args: readonly string[]): Parsed<{ file: string }> {
  const { values, positionals } = parseCommandArgs('release apply', args, { file: { type: 'string', short: 'f' } });
  if (values.help) return { global: values, help: true };
  expectPositionals('release apply', positionals, []);
  if (values.file === undefined || values.file === '') throw new UsageError('-f FILE is required', 'release apply');
  return { global: values, help: false, input: { file: values.file } };
}

export const releaseApplyCommand = defineCommand({
  usage: ApplyUsage,
  parse: parseApply,
  async execute({ file }, session) {
    const text = file === '-' ? await session.io.readStdin() : await readManifest(session.io.readFile, file);
    const source = file === '-' ? 'stdin' : file;
    const { releasePlans = [], ...rest } = manifestToApplyRequest(text, source);
    const others = (Object.entries(rest) as [string, unknown[]][]).filter(([, v]) => v.length > 0).map(([k]) => k);
    if (others.length > 0) throw new UsageError(`${source}: has ${others.join(', ')}; apply those with \`handoff apply -f\` (which takes plans too)`, 'release apply');
    if (releasePlans.length === 0) throw new UsageError(`${source}: no kind: ReleasePlan document`, 'release apply');
    for (const plan of releasePlans) {
      const res = await session.api.post<{ result: string; release: ReleaseView }>('/v1/releases', plan);
      printResult(session, res.text, () => `releaseplan/${res.data.release.name} ${res.data.result} (${res.data.release.phase})`);
    }
    return ExitCodes.ok;
  },
});

function nameOnly(command: string, extra: 'step' | null) {
  return (args: readonly string[]): Parsed<{ name: string; step: string | null }> => {
    const { values, positionals } = parseCommandArgs(command, args, extra ? { step: { type: 'string' } } : {});
    if (values.help) return { global: values, help: true };
    const [name = ''] = expectPositionals(command, positionals, ['NAME']);
    const step = 'step' in values && typeof values.step === 'string' ? values.step : null;
    return { global: values, help: false, input: { name, step } };
  };
}

const planPath = (name: string): string => `/v1/releases/${encodeURIComponent(name)}`;

/** The plan's headline and one row per step, in the plan's order. */
export function renderRelease(r: ReleaseView): string {
  const rows = r.steps.map((s) => [
    s.name, s.fleet, s.build, s.strategy, s.after.join(',') || '-', s.phase,
    s.gate ? `${s.gate.kind} ${s.gate.state}` : '-', s.rolloutId ?? '-', s.message || '-',
  ]);
  return [
    `Release plan ${r.name}: ${r.phase} — ${r.message}`,
    `failure policy: ${r.failurePolicy}${r.completionOrder.length ? `; completed: ${r.completionOrder.join(' → ')}` : ''}`,
    '',
    renderTable(['STEP', 'FLEET', 'BUILD', 'STRATEGY', 'AFTER', 'PHASE', 'GATE', 'ROLLOUT', 'MESSAGE'], rows),
    ...gateVerdicts(r),
  ].join('\n');
}

/** Each analysis gate's verdicts with their numbers: one line per judged step and metric. */
function gateVerdicts(r: ReleaseView): string[] {
  const out: string[] = [];
  for (const s of r.steps) {
    const a = s.gate?.analysis;
    if (!a) continue;
    out.push('', `Analysis gate of ${s.name}: ${a.verdict}`);
    for (const v of a.verdicts) {
      out.push(`  ${v.step} (${v.fleet}): ${v.canary} vs ${v.baseline}: ${v.verdict}`);
      for (const m of v.metrics) {
        const p = m.test ? ` p=${m.test.pValue.toPrecision(3)}` : '';
        out.push(`    ${m.metric} ${m.verdict}: canary ${side(m.canary)}, baseline ${side(m.baseline)}${p} — ${m.reason}`);
      }
    }
  }
  return out;
}

const side = (x: { n: number; value: number | null }): string => `${x.value === null ? '-' : Number(x.value.toPrecision(4))} (n=${x.n})`;

export const releaseStatusCommand = defineCommand({
  usage: StatusUsage,
  parse: nameOnly('release status', null),
  async execute({ name }, session) {
    const res = await session.api.get<ReleaseView>(planPath(name));
    printResult(session, res.text, () => renderRelease(res.data));
    return ExitCodes.ok;
  },
});

export const releaseApproveCommand = defineCommand({
  usage: ApproveUsage,
  parse: nameOnly('release approve', 'step'),
  async execute({ name, step }, session) {
    const res = await session.api.post<ReleaseView>(`${planPath(name)}/approve`, step === null ? {} : { step });
    printResult(session, res.text, () => `release plan ${name} approved${step ? ` (step ${step})` : ''}; ${res.data.phase} — ${res.data.message}`);
    return ExitCodes.ok;
  },
});

export const releaseAbortCommand = defineCommand({
  usage: AbortUsage,
  parse: nameOnly('release abort', null),
  async execute({ name }, session) {
    const res = await session.api.post<ReleaseView>(`${planPath(name)}/abort`);
    printResult(session, res.text, () => `release plan ${name} aborted; ${res.data.phase} — ${res.data.message}`);
    return ExitCodes.ok;
  },
});
