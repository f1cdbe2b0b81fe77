import { runLoadtest, type LoadtestPlan } from '../loadtest/driver.js';
import { renderLoadtest, summarizeLoadtest } from '../loadtest/report.js';
import { defineCommand, ExitCodes, type Parsed } from '../command.js';
import { parseDurationMs, parsePositiveInt } from '../parse.js';
import { DefaultServerUrl, expectPositionals, parseCommandArgs, resolveServerUrl, UsageError } from '../usage.js';

export const loadtestUsage = `Usage: handoff loadtest --fleet F --rate N --duration D [--url URL[,URL...]] [flags]

Offer allocations to a Handoff deployment at a fixed rate (open loop) and report what it
answered: allocations/s, latency p50/p99/p99.9 and errors by code. Latency is measured from
each request's scheduled send time, so a stall is charged to every request it delayed.
Every request places a new player: run it against a fleet with room, or read NO_CAPACITY
as the answer. Reserved sessions nobody joins expire with the fleet's reservation timeout.

  --url URL[,URL...]      the control plane(s); several take requests in turn
                          (default: --server, HANDOFF_URL, ${DefaultServerUrl})
  --fleet F               the fleet to allocate in (required)
  --rate N                allocations offered per second (required)
  --duration D            how long to offer them: 10s, 2m (required)
  --connections N         keep-alive connections per URL (default 256)
  --timeout D             a request unanswered this long counts as TIMEOUT (default 10s)
  --player-prefix P       player ids are P-0, P-1, ... (default lt-<time>)
  --json                  print the figures as JSON

Exit code 0 when at least one allocation succeeded, 1 when none did.`;

export type LoadtestInput = Omit<LoadtestPlan, 'urls'> & { urls: string[] | null };

export function parseLoadtest(args: readonly string[], now: number = Date.now()): Parsed<LoadtestInput> {
  const { values, positionals } = parseCommandArgs('loadtest', args, {
    url: { type: 'string' },
    fleet: { type: 'string' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    connections: { type: 'string' },
    timeout: { type: 'string' },
    'player-prefix': { type: 'string' },
  });
  if (values.help) return { global: values, help: true };
  expectPositionals('loadtest', positionals, []);
  for (const flag of ['fleet', 'rate', 'duration'] as const) {
    if (!values[flag]) throw new UsageError(`--${flag} is required`, 'loadtest');
  }
  const urls = values.url === undefined ? null : values.url.split(',').map((u) => u.trim()).filter((u) => u !== '');
  if (urls !== null) {
    if (urls.length === 0) throw new UsageError('--url: no URL given', 'loadtest');
    // The same check as --server, one URL at a time, so a typo is named before any request.
    for (const u of urls) resolveServerUrl([{ server: u }], {});
  }
  const durationMs = parseDurationMs('--duration', values.duration as string);
  if (durationMs <= 0) throw new UsageError('--duration must be longer than 0', 'loadtest');
  return {
    global: values, help: false,
    input: {
      urls,
      fleet: values.fleet as string,
      ratePerS: parsePositiveInt('--rate', values.rate as string),
      durationMs,
      connections: values.connections === undefined ? 256 : parsePositiveInt('--connections', values.connections),
      timeoutMs: values.timeout === undefined ? 10_000 : parseDurationMs('--timeout', values.timeout),
      playerPrefix: values['player-prefix'] ?? `lt-${now.toString(36)}`,
    },
  };
}

export const loadtestCommand = defineCommand({
  usage: loadtestUsage,
  parse: (args) => parseLoadtest(args),
  async execute(input, session) {
    const urls = input.urls ?? [...session.api.urls];
    if (!session.json) session.io.err(`offering ${input.ratePerS} allocations/s to fleet ${input.fleet} for ${input.durationMs / 1000} s …`);
    const report = summarizeLoadtest(await runLoadtest({ ...input, urls }));
    session.io.out(session.json ? JSON.stringify(report) : renderLoadtest(report));
    return report.ok > 0 ? ExitCodes.ok : ExitCodes.apiError;
  },
});
