/**
 * Runs a scenario against the control plane: send its release request, then poll the rollout
 * and the fleet until the release ends (or the scenario's time is up), letting the scenario act
 * on each poll. A request the control plane refuses fails at once with the reason: a strategy
 * that has not landed must not leave the demo waiting for a release that never started.
 */
import { phaseOf, TerminalPhases } from './figures.js';
import { ApiError, type DemoApi, type DriveContext, type ReleaseEnv, type RolloutRecord, type Scenario, type TraceSample } from './types.js';

/** The control plane would not start (or steer) the scenario's release. */
export class ScenarioRefusedError extends Error {
  override readonly name = 'ScenarioRefusedError';
}

/** Why a release request was refused, in words that say what to do about it. Pure. */
export function refusalMessage(scenario: Pick<Scenario, 'strategy' | 'landed'>, e: ApiError, what = 'release'): string {
  const base = `the control plane refused the ${scenario.strategy} ${what}: ${e.status} ${e.code}: ${e.message}`;
  const issues = Array.isArray(e.details['issues']) ? (e.details['issues'] as { path?: unknown }[]) : [];
  const onStrategy = e.code === 'VALIDATION_FAILED' && issues.some((i) => typeof i.path === 'string' && /(^|\.)strategy$/.test(i.path));
  // A strict schema names the strategy's own fields as unknown before it looks at `strategy`.
  const shapeRefused = onStrategy || e.code === 'UNKNOWN_FIELD';
  if (!shapeRefused) return base;
  if (!scenario.landed) return `${base}\n  This build of Handoff does not run the ${scenario.strategy} strategy yet (issue 6); the scenario is ready for it.`;
  return `${base}\n  The ${scenario.strategy} request no longer matches the control plane's schema: update src/demo/scenarios/${scenario.strategy}.ts.`;
}

/** Sends the scenario's release request; resolves with the created rollout. */
export async function startRelease(api: DemoApi, scenario: Scenario, env: ReleaseEnv): Promise<RolloutRecord> {
  try {
    return await api.call('POST', '/v1/rollouts', scenario.request(env));
  } catch (e) {
    if (e instanceof ApiError && e.status >= 400 && e.status < 500) throw new ScenarioRefusedError(refusalMessage(scenario, e));
    throw e;
  }
}

export interface DriveResult {
  rollout: RolloutRecord;
  trace: TraceSample[];
  /** The release had not ended when the scenario's time ran out. */
  timedOut: boolean;
}

export interface DriveOptions {
  pollMs: number;
  timeoutMs: number;
  sleep(ms: number): Promise<void>;
}

/** Polls until the rollout reaches a terminal phase or `timeoutMs` passes. */
export async function driveRelease(ctx: DriveContext, scenario: Scenario, opts: DriveOptions): Promise<DriveResult> {
  const trace: TraceSample[] = [];
  const until = ctx.now() + opts.timeoutMs;
  const route = `/v1/rollouts/${encodeURIComponent(ctx.rolloutId)}`;
  let rollout = await ctx.api.call('GET', route);
  for (;;) {
    trace.push(await sampleFleet(ctx.api, ctx.env.fleet, phaseOf(rollout), ctx.now()));
    if (TerminalPhases.includes(phaseOf(rollout))) return { rollout, trace, timedOut: false };
    if (ctx.now() >= until) return { rollout, trace, timedOut: true };
    try {
      await scenario.step?.(ctx, rollout, trace);
    } catch (e) {
      if (e instanceof ApiError && e.status >= 400 && e.status < 500) throw new ScenarioRefusedError(refusalMessage(scenario, e, 'command'));
      throw e;
    }
    await opts.sleep(opts.pollMs);
    rollout = await ctx.api.call('GET', route);
  }
}

/** Routing weights and live servers per build and state, from the public API. */
export async function sampleFleet(api: DemoApi, fleet: string, phase: string, at: number): Promise<TraceSample> {
  const [f, list] = [await api.call('GET', `/v1/fleets/${encodeURIComponent(fleet)}`), await api.call('GET', `/v1/servers?fleet=${encodeURIComponent(fleet)}&limit=1000`)];
  const weights: Record<string, number> = {};
  const entries = (f['routing'] as { entries?: { build: string; weight: number }[] } | undefined)?.entries ?? [];
  for (const e of entries) weights[e.build] = e.weight;
  const servers: Record<string, Record<string, number>> = {};
  for (const s of (list['items'] as { build: string; state: string }[] | undefined) ?? []) {
    if (s.state === 'Stopped' || s.state === 'Crashed') continue;
    const byState = (servers[s.build] ??= {});
    byState[s.state] = (byState[s.state] ?? 0) + 1;
  }
  return { at, phase, weights, servers };
}
