import { defineCommand, ExitCodes, printResult, type Parsed } from '../command.js';
import { manifestToApplyRequest } from '../manifest.js';
import { expectPositionals, parseCommandArgs, UsageError } from '../usage.js';
import type { ApplyView } from '../views.js';

export const applyUsage = `Usage: handoff apply -f FILE

Register builds, create or update fleets and declare releases from a YAML or JSON manifest (\`-f -\` reads stdin).
A manifest is either a stream of documents, each with \`kind: Build\`, \`kind: Fleet\`,
\`kind: Rollout\`, \`kind: ReleasePlan\`, \`kind: Environment\` or \`kind: Webhook\` and the object's
fields, or one document with \`builds:\`, \`fleets:\`, \`rollouts:\`, \`releasePlans:\`, \`environments:\`
and \`webhooks:\` lists. Builds are immutable: re-applying the same build is "unchanged", changing
one under the same id is an error. A Rollout identical to the fleet's latest release is
"unchanged"; a different one starts a release (superseding one that already routes sessions).
A ReleasePlan identical to the stored plan is "unchanged"; a new one starts (see
\`handoff release --help\`).

  -f, --file FILE   the manifest; - for stdin
  --json            print the API response`;

export function parseApply(args: readonly string[]): Parsed<{ file: string }> {
  const { values, positionals } = parseCommandArgs('apply', args, { file: { type: 'string', short: 'f' } });
  if (values.help) return { global: values, help: true };
  expectPositionals('apply', positionals, []);
  if (values.file === undefined || values.file === '') throw new UsageError('-f FILE is required', 'apply');
  return { global: values, help: false, input: { file: values.file } };
}

/** One line per object, kubectl style: `build/arena-1.2 created`. */
export function renderApplyResult(view: ApplyView): string {
  const lines = [
    ...view.builds.map((b) => `build/${b.id} ${b.result}`),
    ...view.fleets.map((f) => `fleet/${f.name} ${f.result}`),
    ...(view.rollouts ?? []).map((r) => `rollout/${r.fleet} ${r.build} ${r.result} (${r.id})`),
    ...(view.environments ?? []).map((e) => `environment/${e.name} ${e.result}`),
    ...(view.webhooks ?? []).map((w) => `webhook/${w.name} ${w.result}`),
    ...(view.releasePlans ?? []).map((p) => `releaseplan/${p.name} ${p.result}`),
  ];
  return lines.length ? lines.join('\n') : 'Nothing to apply.';
}

export const applyCommand = defineCommand({
  usage: applyUsage,
  parse: parseApply,
  async execute({ file }, session) {
    const text = file === '-' ? await session.io.readStdin() : await readManifest(session.io.readFile, file);
    const request = manifestToApplyRequest(text, file === '-' ? 'stdin' : file);
    const res = await session.api.post<ApplyView>('/v1/apply', request);
    printResult(session, res.text, () => renderApplyResult(res.data));
    return ExitCodes.ok;
  },
});

/** A missing or unreadable file is the caller's mistake, not the server's: exit 2. */
export async function readManifest(readFile: (path: string) => Promise<string>, path: string): Promise<string> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${path}: ${code ?? (e instanceof Error ? e.message : String(e))}`, 'apply');
  }
}
