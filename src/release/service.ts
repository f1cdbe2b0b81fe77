/**
 * Release service: the I/O around the release planner. It keeps the plans still running in
 * memory, and on its own tick (and after every change) plans each one and carries out the
 * planner's actions through the rollout service: start a step's rollout, call a webhook gate,
 * abort a rollout, or release a fleet back to its previous build. The rollout domain never
 * calls back: the plan reads its rollouts' phases on the next tick.
 */
import { checkUrls, egressPolicy, type EgressPolicy } from '../net/egress.js';
import { z } from 'zod';
import type { MetricResult } from '../analysis/judge/model.js';
import { canonicalJson } from '../core/canonical-json.js';
import type { TimerHandle } from '../core/clock.js';
import { HandoffError, isHandoffError } from '../core/errors.js';
import type { AnalysisDeps } from '../rollout/analysis-run.js';
import type { RolloutPhase, RolloutSpec } from '../rollout/model.js';
import type { RolloutService } from '../rollout/service.js';
import { strategies } from '../rollout/strategies/index.js';
import { event, type Ctx } from '../state/context.js';
import type { Mutation } from '../store/port.js';
import { gateWithVerdicts } from './analysis-gate.js';
import { GateRunner, type AnalysisAnswer, type WebhookAnswer } from './gates.js';
import { initialSteps, isTerminalRelease, type ReleasePlanSpec, type ReleaseRecord, type StepRollouts, type StepState } from './model.js';
import { planRelease, type ReleaseAction } from './plan-release.js';
import { validatePlan } from './validate.js';

/** A rollback is a blue-green release with its defaults: the build it leaves keeps every open session until it ends. */
const ROLLBACK_SPEC = { strategy: 'blue-green', ...z.object(strategies['blue-green'].options).parse({}) } as RolloutSpec;

export class ReleaseService {
  /** Plans still running, by name. Ended ones are read from the store. */
  private readonly active = new Map<string, ReleaseRecord>();
  private readonly gates: GateRunner;
  /**
   * What arrived between passes: approvals, webhook answers, abort requests. A pass folds them
   * in before it plans, so nothing an operator or a webhook says is overwritten by a pass that
   * was already under way.
   */
  private readonly inbox = new Map<string, Inbox>();
  private timer: TimerHandle | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;

  constructor(
    private readonly ctx: Ctx,
    private readonly rollouts: RolloutService,
    /** `analysis`: what analysis gates judge with (the rollout service's signals, Prometheus, webhook); without it every metric lacks samples, so a gate is inconclusive, never passed. */
    private readonly opts: { intervalMs: number; onError: (e: unknown) => void; analysis?: AnalysisDeps; egress?: EgressPolicy },
  ) {
    this.gates = new GateRunner({
      now: () => ctx.clock.now(), onError: opts.onError, ...(opts.analysis ? { analysis: opts.analysis } : {}),
      answered: (release, step, answer) => {
        const box = this.inboxOf(release);
        if (answer.kind === 'webhook') box.answers.set(step, answer);
        else box.verdicts.set(step, answer);
        this.kick();
      },
    });
  }

  /** Loads the plans that were running before a restart and starts ticking. */
  async start(): Promise<void> {
    for (const r of await this.ctx.store.listReleasePlans({ active: true, limit: 10_000 })) this.active.set(r.name, r);
    this.stopped = false;
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.ctx.clock.clearTimeout(this.timer);
    await this.running;
  }

  /**
   * Checks plans before anything of their request is applied (fleets and builds may come in the
   * same request). A plan identical to the stored one is not checked again: re-applying it is a
   * no-op even once, say, its maintenance window's start has passed.
   */
  async precheck(plans: readonly ReleasePlanSpec[], pending: { builds: readonly string[]; fleets: readonly string[] }): Promise<void> {
    const { world } = this.ctx;
    const now = this.ctx.clock.now();
    for (const plan of plans) {
      if (await this.identical(plan)) continue;
      checkUrls(plan, this.opts.egress ?? egressPolicy());
      validatePlan(plan, { hasFleet: (f) => world.fleets.has(f) || pending.fleets.includes(f), hasBuild: (b) => world.builds.has(b) || pending.builds.includes(b) }, now);
      const running = this.active.get(plan.name);
      if (running && canonicalJson(running.spec) !== canonicalJson(plan)) {
        throw new HandoffError('RELEASE_IN_PROGRESS', `release plan ${plan.name} is ${running.phase}; abort it or wait for it to end`, { release: plan.name, phase: running.phase });
      }
    }
  }

  /** Declares a plan: identical to the stored plan of that name → unchanged; otherwise a new run starts. */
  async apply(plan: ReleasePlanSpec): Promise<{ result: 'created' | 'unchanged'; release: ReleaseRecord }> {
    const existing = await this.identical(plan);
    if (existing) return { result: 'unchanged', release: existing };
    await this.precheck([plan], { builds: [], fleets: [] });
    const now = this.ctx.clock.now();
    const release: ReleaseRecord = {
      name: plan.name, spec: plan, phase: 'Running', message: 'starting', steps: initialSteps(plan), completionOrder: [],
      abortRequested: false, createdAt: now, updatedAt: now, finishedAt: null,
    };
    this.active.set(plan.name, release);
    await this.ctx.persister.persist([{ kind: 'putReleasePlan', release }, event(now, null, 'release.started', plan.name, `release plan ${plan.name}: ${plan.steps.length} steps`, { steps: plan.steps.map((s) => s.name) })]);
    this.kick();
    return { result: 'created', release };
  }

  private async identical(plan: ReleasePlanSpec): Promise<ReleaseRecord | null> {
    const existing = this.active.get(plan.name) ?? (await this.ctx.store.getReleasePlan(plan.name));
    return existing && canonicalJson(existing.spec) === canonicalJson(plan) ? existing : null;
  }

  async get(name: string): Promise<ReleaseRecord> {
    const r = this.active.get(name) ?? (await this.ctx.store.getReleasePlan(name));
    if (!r) throw new HandoffError('RELEASE_NOT_FOUND', `no release plan ${name}`, { release: name });
    return r;
  }

  async list(limit: number): Promise<ReleaseRecord[]> {
    await this.ctx.persister.drain();
    const stored = await this.ctx.store.listReleasePlans({ limit });
    return stored.map((r) => this.active.get(r.name) ?? r);
  }

  /** Passes the approval gate of `step` (or an analysis gate that was inconclusive), or of the one step waiting for a person. */
  async approve(name: string, step: string | null): Promise<ReleaseRecord> {
    const r = await this.get(name);
    const waiting = r.steps.filter((s) => s.phase === 'Gated' && waitsForPerson(s));
    const target = step === null ? (waiting.length === 1 ? waiting[0] : undefined) : waiting.find((s) => s.name === step);
    if (!this.active.has(name) || !target) {
      const why = step !== null ? `step ${step} is not waiting for approval` : waiting.length > 1 ? `several steps wait for approval (${waiting.map((s) => s.name).join(', ')}); name one with --step` : 'no step waits for approval';
      throw new HandoffError('RELEASE_INVALID_PHASE', `release plan ${name}: ${why}`, { release: name, phase: r.phase, waiting: waiting.map((s) => s.name) });
    }
    this.inboxOf(name).approvals.set(target.name, this.ctx.clock.now());
    await this.passNow();
    return this.get(name);
  }

  /** Stops the plan: running steps' rollouts are aborted (session-aware), the rest never start. */
  async abort(name: string): Promise<ReleaseRecord> {
    const r = await this.get(name);
    if (!this.active.has(name) || isTerminalRelease(r.phase)) throw new HandoffError('RELEASE_INVALID_PHASE', `release plan ${name} has ended (${r.phase})`, { release: name, phase: r.phase });
    this.inboxOf(name).abort = true;
    await this.passNow();
    return this.get(name);
  }

  private inboxOf(name: string) {
    let box = this.inbox.get(name);
    if (!box) this.inbox.set(name, (box = { approvals: new Map(), answers: new Map(), verdicts: new Map(), abort: false }));
    return box;
  }

  /** The plan with what arrived since the last pass folded in, and the events that record it. */
  private fold(r: ReleaseRecord, out: Mutation[]): ReleaseRecord {
    const box = this.inbox.get(r.name);
    if (!box) return r;
    this.inbox.delete(r.name);
    const steps = r.steps.map((s) => {
      const approvedAt = box.approvals.get(s.name);
      const answer = box.answers.get(s.name);
      const judged = box.verdicts.get(s.name);
      if (approvedAt !== undefined && s.phase === 'Gated' && s.gate && waitsForPerson(s)) {
        out.push(event(approvedAt, null, 'release.approved', r.name, `step ${s.name} approved`, { step: s.name }));
        return { ...s, gate: { ...s.gate, state: 'passed' as const, detail: 'approved by operator', at: approvedAt } };
      }
      // A verdict for a window the gate has left (a stale run) changes nothing.
      if (judged && s.phase === 'Gated' && s.gate?.kind === 'analysis' && s.gate.state === 'checking' && s.gate.at === judged.window.since) {
        const gate = gateWithVerdicts(s.gate, judged.window, judged.verdicts, judged.at);
        const figures = judged.verdicts.map((v) => ({ ...v, metrics: v.metrics.map(figuresOf) }));
        out.push(event(judged.at, null, 'release.verdict', r.name, `step ${s.name}'s gate: ${gate.detail}`, { step: s.name, verdict: gate.analysis?.verdict ?? null, window: judged.window, judged: figures }));
        return { ...s, gate, message: gate.state === 'inconclusive' ? 'the analysis gate was inconclusive: waiting for a person' : s.message };
      }
      if (answer && s.phase === 'Gated' && s.gate?.state === 'checking') {
        out.push(event(answer.at, null, 'release.gate', r.name, `step ${s.name}: ${answer.detail}`, { step: s.name, passed: answer.passed }));
        return { ...s, gate: { kind: 'webhook' as const, state: answer.passed ? ('passed' as const) : ('failed' as const), detail: answer.detail, at: answer.at } };
      }
      return s;
    });
    return { ...r, steps, abortRequested: r.abortRequested || box.abort };
  }

  /** Ask for a pass soon. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else setImmediate(() => void this.passNow());
  }

  private async passNow(): Promise<void> {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const pass = (async () => {
      do {
        this.again = false;
        for (const name of [...this.active.keys()]) {
          try {
            await this.passPlan(name);
          } catch (e) {
            this.opts.onError(e);
          }
        }
      } while (this.again && !this.stopped);
    })();
    this.running = pass;
    try {
      await pass;
    } finally {
      this.running = null;
      if (!this.stopped) {
        if (this.timer) this.ctx.clock.clearTimeout(this.timer);
        this.timer = this.ctx.clock.setTimeout(() => void this.passNow(), this.opts.intervalMs);
      }
    }
  }

  private async passPlan(name: string): Promise<void> {
    const stored = this.active.get(name);
    if (!stored) return;
    const now = this.ctx.clock.now();
    const mutations: Mutation[] = [];
    const r = this.fold(stored, mutations);
    // After a restart, a gate that was being checked is checked again.
    for (const s of r.steps) if (s.phase === 'Gated' && s.gate?.state === 'checking') this.gates.webhook(r, s.name);
    const seen: Record<string, StepRollouts> = {};
    for (const s of r.steps) seen[s.name] = { rollout: await this.phaseOf(s.rolloutId), rollback: await this.phaseOf(s.rollbackRolloutId) };
    const d = planRelease(r.spec, r, seen, now);
    let next: ReleaseRecord = { ...r, phase: d.phase, message: d.message, steps: d.steps, completionOrder: d.completionOrder, finishedAt: d.finishedAt, updatedAt: now };
    const changed = canonicalJson({ ...next, updatedAt: 0 }) !== canonicalJson({ ...stored, updatedAt: 0 });
    if (!changed && d.actions.length === 0) return;
    this.active.set(name, next);
    for (const a of d.actions) next = await this.carryOut(next, a, now);
    mutations.push({ kind: 'putReleasePlan', release: next }, ...stepEvents(r, next, now));
    if (next.phase !== r.phase) mutations.push(event(now, null, `release.${next.phase.toLowerCase()}`, name, next.message, { from: r.phase, to: next.phase }));
    if (isTerminalRelease(next.phase)) this.active.delete(name);
    else this.active.set(name, next);
    await this.ctx.persister.persist(mutations);
    // A step that started, failed or was skipped may let the next move happen at once.
    if (d.actions.length > 0 || next.phase !== r.phase) this.again = true;
  }

  private async carryOut(r: ReleaseRecord, a: ReleaseAction, now: number): Promise<ReleaseRecord> {
    const spec = r.spec.steps.find((s) => s.name === a.step);
    if (!spec) return r;
    switch (a.kind) {
      case 'start': {
        const fleet = this.ctx.world.fleets.get(spec.fleet);
        const from = fleet ? (mainBuild(fleet.routing) ?? fleet.currentBuild) : null;
        if (from === spec.build) return this.withStep(r, a.step, { phase: 'Completed', completedAt: now, fromBuild: null, message: `fleet ${spec.fleet} already runs ${spec.build}` }, now, true);
        try {
          const { rollout } = await this.rollouts.declare({ fleet: spec.fleet, build: spec.build, replace: false, spec: spec.spec });
          return this.withStep(r, a.step, { rolloutId: rollout.id, fromBuild: rollout.fromBuild, message: `rollout ${rollout.id}: ${rollout.fromBuild} → ${rollout.toBuild} (${spec.spec.strategy})` }, now);
        } catch (e) {
          return this.withStep(r, a.step, { phase: 'Failed', message: `could not start: ${messageOf(e)}` }, now);
        }
      }
      case 'checkGate':
        this.gates.webhook(r, a.step);
        return r;
      case 'analyzeGate':
        this.gates.analysis(r, a.step, a.window, a.judged);
        return r;
      case 'abort':
        await this.rollouts.abort(a.rolloutId).catch((e: unknown) => this.opts.onError(e));
        return r;
      case 'rollback':
        try {
          const back = await this.rollouts.start({ fleet: a.fleet, build: a.toBuild, replace: true, spec: ROLLBACK_SPEC });
          return this.withStep(r, a.step, { rollbackRolloutId: back.id }, now);
        } catch (e) {
          if (isHandoffError(e) && e.code === 'ROLLOUT_SAME_BUILD') return this.withStep(r, a.step, { phase: 'RolledBack', message: `fleet ${a.fleet} already runs ${a.toBuild}` }, now);
          return this.withStep(r, a.step, { phase: 'RollbackFailed', message: `could not start the rollback: ${messageOf(e)}` }, now);
        }
    }
  }

  private async phaseOf(rolloutId: string | null): Promise<RolloutPhase | null> {
    if (rolloutId === null) return null;
    const r = this.ctx.world.rollouts.get(rolloutId) ?? (await this.ctx.store.getRollout(rolloutId));
    return r?.phase ?? null;
  }

  private withStep(r: ReleaseRecord, step: string, patch: Partial<StepState>, now: number, completed = false): ReleaseRecord {
    const next = { ...r, updatedAt: now, steps: r.steps.map((s) => (s.name === step ? { ...s, ...patch } : s)), completionOrder: completed ? [...r.completionOrder, step] : r.completionOrder };
    this.active.set(r.name, next);
    return next;
  }
}

interface Inbox {
  approvals: Map<string, number>;
  answers: Map<string, WebhookAnswer>;
  verdicts: Map<string, AnalysisAnswer>;
  abort: boolean;
}

/** A gate a person passes: an approval, or an analysis that was inconclusive. */
function waitsForPerson(s: StepState): boolean {
  return (s.gate?.kind === 'approval' && s.gate.state === 'waiting') || (s.gate?.kind === 'analysis' && s.gate.state === 'inconclusive');
}

/** A metric's numbers for the `release.verdict` event, as `rollout.verdict` carries them. */
function figuresOf(m: MetricResult) {
  return { metric: m.metric, verdict: m.verdict, canary: m.canary, baseline: m.baseline, pValue: m.test?.pValue ?? null };
}

/** One event per step whose phase changed, naming its fleet. */
function stepEvents(before: ReleaseRecord, after: ReleaseRecord, now: number): Mutation[] {
  const out: Mutation[] = [];
  for (const s of after.steps) {
    const prev = before.steps.find((p) => p.name === s.name);
    if (prev?.phase === s.phase) continue;
    const fleet = after.spec.steps.find((p) => p.name === s.name)?.fleet ?? null;
    // A step that reaches its gate is its own kind, so webhooks subscribed to `gate-waiting` hear it.
    const kind = s.phase === 'Gated' ? 'release.gate.waiting' : 'release.step';
    out.push(event(now, fleet, kind, after.name, `step ${s.name}: ${prev?.phase ?? 'Pending'} → ${s.phase}${s.message ? ` (${s.message})` : ''}`, { step: s.name, from: prev?.phase ?? null, to: s.phase }));
  }
  return out;
}

/** The routed build with the largest share, as the rollout service picks the build a release leaves. */
function mainBuild(routing: { entries: readonly { build: string; weight: number }[] }): string | null {
  let best: { build: string; weight: number } | null = null;
  for (const e of routing.entries) if (e.weight > 0 && (!best || e.weight > best.weight)) best = e;
  return best?.build ?? null;
}

function messageOf(e: unknown): string {
  return isHandoffError(e) ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);
}
