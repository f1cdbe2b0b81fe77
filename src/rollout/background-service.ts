/**
 * Runs the background analysis of active releases: the I/O around `background.ts`. Each fleet
 * pass asks whether a check is due (before the strategy plans), runs it beside the pass, and
 * stores the verdict with what it means in one commit: a fail re-routes new sessions to the
 * baseline before the next allocation is answered, as a failed analysis step does.
 */
import type { AnalysisResult } from '../analysis/judge/model.js';
import type { Ctx } from '../state/context.js';
import type { Mutation } from '../store/port.js';
import { runMetricsAnalysisSafely, verdictSummary, type AnalysisDeps } from './analysis-run.js';
import { decideBackgroundCheck, decideBackgroundVerdict, type BackgroundAnalysis, type Window } from './background.js';
import { backgroundCheck, withBackgroundVerdict } from './background-run.js';
import { planAnalysisFailure } from './commands.js';
import type { Rollout } from './model.js';
import { strategyOf } from './strategies/index.js';
import type { MetricsCheck, RolloutPlan, RolloutServer } from './strategy.js';

/** What the runner borrows from the rollout service: applying a plan, observing a fleet, a new pass. */
export interface BackgroundHost {
  apply(r: Rollout, plan: RolloutPlan, now: number): Mutation[];
  observe(fleet: string): readonly RolloutServer[];
  kick(fleet: string): void;
}

export class BackgroundAnalyses {
  /** Releases whose stored running check this process runs (one at a time per release). */
  private readonly running = new Set<string>();

  constructor(
    private readonly ctx: Ctx,
    private readonly deps: () => AnalysisDeps,
    private readonly host: BackgroundHost,
  ) {}

  /**
   * One step of the fleet pass: starts a due check (storing its window first, so a restart
   * runs it again), or re-runs one a restart left stored as running. Returns what to store.
   */
  step(r: Rollout, now: number): Mutation[] {
    const spec = r.spec.backgroundAnalysis;
    if (!spec) return [];
    const step = decideBackgroundCheck(r, strategyOf(r).abortable, this.running.has(r.id), now);
    if (step.kind === 'idle') return [];
    if (step.kind === 'rerun') {
      this.run(r, spec, step.window);
      return [];
    }
    const next: Rollout = { ...r, background: step.state, updatedAt: now };
    this.ctx.world.putRollout(next);
    this.run(next, spec, step.window);
    return [{ kind: 'putRollout', rollout: next }];
  }

  private run(r: Rollout, spec: BackgroundAnalysis, window: Window): void {
    this.running.add(r.id);
    const check = backgroundCheck(r, spec, window);
    void runMetricsAnalysisSafely(r.fleet, check, this.deps())
      .then((result) => this.record(r.id, check, result))
      .catch(() => undefined)
      .finally(() => this.running.delete(r.id));
  }

  /** Stores the verdict; a fail aborts the release in the same commit, a hold announces the pause. */
  private async record(id: string, check: MetricsCheck, result: AnalysisResult): Promise<void> {
    const r = this.ctx.world.rollouts.get(id);
    if (!r) return;
    const now = this.ctx.clock.now();
    const outcome = decideBackgroundVerdict(r, strategyOf(r).abortable, check.window, result.verdict, verdictSummary(result), now);
    if (outcome.kind === 'stale') return;
    const judged = withBackgroundVerdict(r, outcome, check, result, now);
    this.ctx.world.putRollout(judged.rollout);
    const mutations: Mutation[] = [{ kind: 'putRollout', rollout: judged.rollout }, ...judged.events];
    if (outcome.kind === 'abort') {
      mutations.push(...this.host.apply(judged.rollout, planAnalysisFailure(judged.rollout, this.host.observe(r.fleet), now, outcome.message), now));
    }
    await this.ctx.persister.persist(mutations).catch(() => undefined);
    this.host.kick(r.fleet);
  }
}
