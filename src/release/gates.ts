/**
 * Runs a plan's webhook and analysis gates in the background (I/O), one run per gate at a time,
 * and hands each answer to the release service, which folds it into the plan on its next pass:
 * nothing a gate says is written while a pass is under way.
 */
import { analysisDepsOf, runMetricsAnalysisSafely, type AnalysisDeps } from '../rollout/analysis-run.js';
import type { GateJudgement, GateWindow } from './analysis-gate.js';
import type { GateVerdict, ReleaseRecord } from './model.js';

export interface WebhookAnswer {
  kind: 'webhook';
  passed: boolean;
  detail: string;
  at: number;
}

export interface AnalysisAnswer {
  kind: 'analysis';
  window: GateWindow;
  verdicts: GateVerdict[];
  at: number;
}

export class GateRunner {
  /** Gates being run, as `plan\0step`: the planner asks on every pass, one run is enough. */
  private readonly running = new Set<string>();
  /** Without analysis deps every metric lacks samples: a gate is inconclusive, never passed. */
  private readonly deps: AnalysisDeps;

  constructor(
    private readonly opts: {
      now: () => number;
      onError: (e: unknown) => void;
      answered: (release: string, step: string, answer: WebhookAnswer | AnalysisAnswer) => void;
      analysis?: AnalysisDeps;
    },
  ) {
    this.deps = opts.analysis ?? analysisDepsOf(undefined, null);
  }

  /** Calls a webhook gate; its answer passes or fails the gate. */
  webhook(r: ReleaseRecord, step: string): void {
    const spec = r.spec.steps.find((s) => s.name === step);
    const gate = spec?.gate && 'webhook' in spec.gate ? spec.gate.webhook : null;
    const hook = gate && 'name' in gate ? r.spec.webhooks.find((w) => w.name === gate.name) : gate;
    if (!spec || !hook) return;
    const payload = { release: r.name, step, fleet: spec.fleet, build: spec.build, strategy: spec.spec.strategy };
    this.run(r.name, step, async () => ({ kind: 'webhook', ...(await this.deps.webhook(hook, payload)), at: this.opts.now() }));
  }

  /** Judges an analysis gate's builds over its window, as a canary's analysis step does. */
  analysis(r: ReleaseRecord, step: string, window: GateWindow, judged: readonly GateJudgement[]): void {
    const spec = r.spec.steps.find((s) => s.name === step);
    const analysis = spec?.gate && 'analysis' in spec.gate ? spec.gate.analysis : null;
    if (!analysis) return;
    this.run(r.name, step, async () => {
      const verdicts = await Promise.all(judged.map(async (j): Promise<GateVerdict> => {
        const payload = { release: r.name, gate: step, step: j.step, fleet: j.fleet, canary: j.canary, baseline: j.baseline };
        const check = { serverId: '', analysis, window, canary: j.canary, baseline: j.baseline, label: `gate of ${step}`, payload };
        const result = await runMetricsAnalysisSafely(j.fleet, check, this.deps);
        return { ...j, verdict: result.verdict, metrics: result.metrics };
      }));
      return { kind: 'analysis', window, verdicts, at: this.opts.now() };
    });
  }

  private run(release: string, step: string, answer: () => Promise<WebhookAnswer | AnalysisAnswer>): void {
    const key = `${release}\u0000${step}`;
    if (this.running.has(key)) return;
    this.running.add(key);
    void answer()
      .then((a) => this.opts.answered(release, step, a))
      .catch((e: unknown) => this.opts.onError(e))
      .finally(() => this.running.delete(key));
  }
}
