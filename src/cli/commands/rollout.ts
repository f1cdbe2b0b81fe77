import { isTerminalPhase } from '../../rollout/model.js';
import { defineCommand, ExitCodes, printResult, type ExitCode, type Parsed, type Session } from '../command.js';
import { ApiError, ConnectionError, isRecord } from '../client.js';
import { parseDurationMs } from '../parse.js';
import { renderRolloutStatus, type DrainForecast } from '../rollout-status.js';
import { expectPositionals, parseCommandArgs } from '../usage.js';
import type { ListView, RolloutView } from '../views.js';

export const rolloutUsage = `Usage: handoff rollout <start|status|promote|abort> FLEET [flags]

  start FLEET --build B     release build B to FLEET (see: handoff rollout start --help)
  status FLEET [--watch]    the fleet's latest rollout: phase, builds, timings
  promote FLEET             switch a rollout waiting in AwaitingPromotion, continue a paused
                            canary, resume a paused rolling release, or end an A/B test
                            with --variant NAME
  abort FLEET               stop the rollout and keep the fleet on its old build`;

export const rolloutStatusUsage = `Usage: handoff rollout status FLEET [--watch] [--interval 1s]

Show FLEET's latest rollout.

  --watch           redraw until the rollout ends; exit 0 when it Completed, 1 when it
                    was Aborted or Failed
  --interval D      time between redraws (default 1s; 500ms, 2s, 1m ...)
  --json            print the API response (with --watch: one JSON document per line)`;

const ActionUsage = {
  promote: `Usage: handoff rollout promote FLEET [--variant NAME]

Blue-green: switch new sessions to the new build of FLEET's latest rollout, which waits in
AwaitingPromotion because it was started with --no-auto-promote.
Canary: continue past the pause the rollout waits at (Paused).
Rolling: resume a release that Paused (a batch not Ready in time, or failed starts) once the
cause is fixed.
A/B test: end the test; variant NAME (its name or build, see \`rollout status\`) takes every new
session and the other variants empty.

  --variant NAME    the A/B variant that wins (required for an A/B test, refused otherwise)`,
  abort: `Usage: handoff rollout abort FLEET

Abort FLEET's latest rollout. New sessions go to the old build again; servers of the new build
are drained (a session already on them is never cut off).`,
} as const;

export interface StatusInput {
  fleet: string;
  watch: boolean;
  intervalMs: number;
}

export function parseRolloutStatus(args: readonly string[]): Parsed<StatusInput> {
  const { values, positionals } = parseCommandArgs('rollout status', args, {
    watch: { type: 'boolean', short: 'w' },
    interval: { type: 'string' },
  });
  if (values.help) return { global: values, help: true };
  const [fleet = ''] = expectPositionals('rollout status', positionals, ['FLEET']);
  const intervalMs = values.interval === undefined ? 1000 : parseDurationMs('--interval', values.interval);
  return { global: values, help: false, input: { fleet, watch: values.watch ?? false, intervalMs } };
}

/** The fleet's most recent rollout, as the server orders them (newest first). */
export async function latestRolloutId(session: Session, fleet: string): Promise<string> {
  const res = await session.api.get<ListView<RolloutView>>('/v1/rollouts', { fleet, limit: 1 });
  const latest = res.data.items[0];
  if (!latest) {
    const message = `fleet ${fleet} has no rollout (start one with: handoff rollout start ${fleet} --build B)`;
    // Shaped like a server error so `--json` callers parse one format.
    throw new ApiError(404, 'ROLLOUT_NOT_FOUND', message, { error: { code: 'ROLLOUT_NOT_FOUND', message, retryable: false } });
  }
  return latest.id;
}

function rolloutPath(id: string): string {
  return `/v1/rollouts/${encodeURIComponent(id)}`;
}

export const rolloutStatusCommand = defineCommand({
  usage: rolloutStatusUsage,
  parse: parseRolloutStatus,
  async execute(input, session) {
    const id = await latestRolloutId(session, input.fleet);
    if (!input.watch) {
      const res = await session.api.get<RolloutView>(rolloutPath(id));
      const forecasts = session.json ? [] : await drainForecasts(session, res.data);
      printResult(session, res.text, () => renderRolloutStatus(res.data, session.io.now(), forecasts));
      return ExitCodes.ok;
    }
    return watch(session, id, input.intervalMs);
  },
});

/**
 * Polls until the rollout ends. On a terminal the screen is redrawn in place; into a pipe or a
 * log, a block is appended only when something other than the elapsed time changed, so a
 * ten-minute release does not write six hundred identical blocks to CI output. Unreachable
 * server and 5xx answers are reported and retried; other errors end the watch.
 */
async function watch(session: Session, id: string, intervalMs: number): Promise<ExitCode> {
  const { io } = session;
  let previous = '';
  for (;;) {
    const rollout = await pollOnce(session, id);
    if (rollout === null) {
      // A restart of the control plane must not end the watch; keep polling, gently.
      await io.sleep(Math.max(intervalMs, 1000));
      continue;
    }
    if (session.json) {
      io.out(JSON.stringify(rollout));
    } else if (io.isTTY) {
      io.out(`\x1b[H\x1b[2J${renderRolloutStatus(rollout, io.now())}`);
    } else {
      // Rendered at a fixed instant, the text changes only when the rollout does.
      const key = renderRolloutStatus(rollout, rollout.updatedAt);
      if (key !== previous) io.out(`${previous ? '\n' : ''}${renderRolloutStatus(rollout, io.now())}`);
      previous = key;
    }
    // A superseded release did not fail: a newer one took over.
    if (isTerminalPhase(rollout.phase)) return rollout.phase === 'Completed' || rollout.phase === 'Superseded' ? ExitCodes.ok : ExitCodes.apiError;
    await io.sleep(intervalMs);
  }
}

/**
 * Drain forecasts of the builds this release is emptying (its old build once switched, and any
 * earlier release's builds). Best effort: a control plane without the forecast route, or a
 * failed read, leaves them out rather than failing the status.
 */
async function drainForecasts(session: Session, r: RolloutView): Promise<DrainForecast[]> {
  if (isTerminalPhase(r.phase)) return [];
  const builds = [...(r.switchedAt !== null ? [r.fromBuild] : []), ...(r.progress.draining ?? []).map((d) => d.build)];
  const out: DrainForecast[] = [];
  for (const build of builds) {
    try {
      out.push((await session.api.get<DrainForecast>(`/v1/fleets/${encodeURIComponent(r.fleet)}/forecast`, { build })).data);
    } catch {
      // Leave it out.
    }
  }
  return out;
}

/** One poll; null after a failure worth retrying (unreachable, or a 5xx), which it reports. */
async function pollOnce(session: Session, id: string): Promise<RolloutView | null> {
  try {
    return (await session.api.get<RolloutView>(rolloutPath(id))).data;
  } catch (e) {
    const transient = e instanceof ConnectionError || (e instanceof ApiError && e.status >= 500);
    if (!transient) throw e;
    session.io.err(`still watching; last poll failed: ${e.message}`);
    return null;
  }
}

/** `promote FLEET [--variant NAME]`, `abort FLEET`. */
export function parseRolloutAction(action: keyof typeof ActionUsage, args: readonly string[]): Parsed<{ fleet: string; variant: string | null }> {
  const name = `rollout ${action}`;
  const { values, positionals } = parseCommandArgs(name, args, action === 'promote' ? { variant: { type: 'string' } } : {});
  if (values.help) return { global: values, help: true };
  const [fleet = ''] = expectPositionals(name, positionals, ['FLEET']);
  const variant = 'variant' in values && typeof values.variant === 'string' ? values.variant : null;
  return { global: values, help: false, input: { fleet, variant } };
}

function actionCommand(action: keyof typeof ActionUsage) {
  return defineCommand({
    usage: ActionUsage[action],
    parse: (args) => parseRolloutAction(action, args),
    async execute({ fleet, variant }, session) {
      const id = await latestRolloutId(session, fleet);
      const res = await session.api.post<unknown>(`${rolloutPath(id)}/${action}`, variant === null ? undefined : { variant });
      printResult(session, res.text, () => {
        const verb = action === 'promote' ? 'promoted' : 'aborted';
        const phase = isRecord(res.data) && typeof res.data.phase === 'string' ? `; phase ${res.data.phase}` : '';
        return `rollout ${id} (fleet ${fleet}) ${verb}${phase}`;
      });
      return ExitCodes.ok;
    },
  });
}

export const rolloutPromoteCommand = actionCommand('promote');
export const rolloutAbortCommand = actionCommand('abort');
