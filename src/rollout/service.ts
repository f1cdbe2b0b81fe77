/**
 * Rollout service: the I/O around the strategies' pure planners. `start`, `promote` and `abort`
 * come from operators; `reconcile` runs inside each fleet pass. Every plan is applied in memory
 * first and committed in one transaction, so routing changes take effect on the next allocation.
 */
import type { AnalysisResult } from '../analysis/judge/model.js';
import type { RoutingTable } from '../allocation/routing.js';
import { runSmokeCheck } from '../analysis/smoke.js';
import { callWebhook } from '../analysis/webhook.js';
import { canonicalJson } from '../core/canonical-json.js';
import { HandoffError } from '../core/errors.js';
import { checkUrls, egressPolicy, type EgressPolicy } from '../net/egress.js';
import { newId } from '../core/ids.js';
import type { Fleet, GameServer } from '../fleet/model.js';
import type { CloseReason } from '../session/model.js';
import type { SessionService } from '../session/service.js';
import { event, type Ctx } from '../state/context.js';
import type { Mutation } from '../store/port.js';
import { isHeld } from './background.js';
import { BackgroundAnalyses } from './background-service.js';
import { planAbort, planPromote } from './commands.js';
import { FiguresReader } from './figures-reader.js';
import { analysisDepsOf, runMetricsAnalysisSafely, withVerdict, type AnalysisDeps } from './analysis-run.js';
import { isTerminalPhase, type Rollout, type RolloutStart } from './model.js';
import { strategyFor, strategyOf, validateRolloutSpec } from './strategies/index.js';
import type { AnalysisCheck, MetricsCheck, PromoteInput, RolloutPlan, RolloutServer, Strategy } from './strategy.js';
import { RolloutViews } from './view.js';

const UP = new Set(['Starting', 'Ready', 'Active']);
const DEFAULT_EGRESS = egressPolicy();

export class RolloutService {
  private readonly smokeRunning = new Set<string>();
  private figures: FiguresReader | null = null;
  private readonly background: BackgroundAnalyses;
  /** What the planners observe of each fleet with a release, kept up to date from what changed (view.ts). */
  private readonly views: RolloutViews;

  constructor(
    private readonly ctx: Ctx,
    private readonly sessions: SessionService,
    private readonly opts: { cwd: string; kick: (fleet: string) => void; signals?: Pick<AnalysisDeps, 'samplesFor'>; prometheusUrl?: string | null; egress?: EgressPolicy },
  ) {
    this.views = new RolloutViews(ctx.world);
    this.background = new BackgroundAnalyses(ctx, () => this.analysisDeps(), {
      apply: (r, plan, now) => this.apply(r, plan, now), observe: (fleet) => this.observe(fleet), kick: opts.kick,
    });
  }

  /**
   * Starts a release. A release whose build already takes new sessions does not block the next
   * one: it is superseded, and its old builds keep draining side by side (back-to-back
   * releases). One that has not routed a session yet is refused, or replaced with `replace`.
   */
  async start(req: RolloutStart): Promise<Rollout> {
    const { world } = this.ctx;
    const fleet = world.fleets.get(req.fleet);
    if (!fleet) throw new HandoffError('FLEET_NOT_FOUND', `no fleet named ${req.fleet}`, { fleet: req.fleet });
    if (!world.builds.has(req.build)) throw new HandoffError('BUILD_NOT_FOUND', `no build ${req.build}`, { build: req.build });
    const strategy = strategyFor(req.spec);
    const now = this.ctx.clock.now();
    validateRolloutSpec(req.spec, now, { build: req.build });
    checkUrls(req.spec, this.egress());
    for (const b of strategy.builds?.(req.spec) ?? []) {
      if (!world.builds.has(b)) throw new HandoffError('BUILD_NOT_FOUND', `no build ${b}`, { build: b });
    }
    const mutations: Mutation[] = [];
    const active = world.activeRolloutOf(fleet.name);
    const superseding = active && strategyOf(active).hasRouted(active) ? active : null;
    if (active && !superseding && !req.replace) {
      throw new HandoffError('ROLLOUT_IN_PROGRESS', `fleet ${fleet.name} has rollout ${active.id} (${active.phase}), which has not routed any session yet; abort it or start with replace`, { rollout: active.id });
    }
    // The build taking most new sessions now is the one this release moves away from. Decided
    // (with everything else that may refuse the request) before anything changes: a release that
    // has not routed a session left the main build where it was, so replacing it moves nothing here.
    const { from, first } = this.begin(fleet, req, now);
    if (active && !superseding) mutations.push(...this.apply(active, planAbort(active, this.observe(fleet.name), now), now));
    const current = world.fleets.get(fleet.name) ?? fleet;
    const rollout: Rollout = {
      id: newId('ro'), fleet: fleet.name, fromBuild: from, toBuild: req.build, spec: req.spec, ...first,
      startFailures: 0, lastFailure: null, smoke: null, previousRouting: current.routing, supersededBy: null,
      createdAt: now, updatedAt: now, readyAt: null, promotedAt: null, switchedAt: null, drainNoticeAt: null,
      migratedAt: null, completedAt: null, abortedAt: null, failedAt: null,
    };
    if (superseding) {
      // The superseded release's leaving builds keep retiring on its terms, beside this one.
      const draining: Record<string, number> = { ...superseding.drainingBuilds };
      for (const [build, role] of strategyOf(superseding).roles(superseding, fleet.capacity.idleTimeoutSeconds)) {
        if (role.role === 'retiring' && build !== req.build) draining[build] = role.idleSeconds;
      }
      rollout.drainingBuilds = draining;
      const prev: Rollout = { ...superseding, phase: 'Superseded', supersededBy: rollout.id, completedAt: now, updatedAt: now, message: `superseded by ${rollout.id} (${req.build}); ${superseding.fromBuild} keeps draining` };
      world.putRollout(prev);
      const nextFleet = { ...current, currentBuild: from, updatedAt: now };
      world.fleets.set(fleet.name, nextFleet);
      mutations.push({ kind: 'putRollout', rollout: prev }, { kind: 'putFleet', fleet: nextFleet }, event(now, fleet.name, 'rollout.superseded', prev.id, prev.message, { by: rollout.id }));
    }
    world.putRollout(rollout);
    mutations.push(
      { kind: 'putRollout', rollout },
      event(now, fleet.name, 'rollout.started', rollout.id, `${req.spec.strategy} release ${rollout.fromBuild} → ${rollout.toBuild}`, { target: rollout.targetServers }),
    );
    await this.ctx.persister.persist(mutations);
    this.opts.kick(fleet.name);
    return rollout;
  }

  /**
   * Checks declared releases before anything of their request is applied: their fleet and
   * build exist (or come in the same request), their options are valid, and none would be
   * refused for a release in progress. Throws the first coded error.
   */
  precheck(reqs: readonly RolloutStart[], pending: { builds: readonly string[]; fleets: readonly string[] }): void {
    const { world } = this.ctx;
    const now = this.ctx.clock.now();
    for (const req of reqs) {
      if (!world.fleets.has(req.fleet) && !pending.fleets.includes(req.fleet)) throw new HandoffError('FLEET_NOT_FOUND', `no fleet named ${req.fleet}`, { fleet: req.fleet });
      if (!world.builds.has(req.build) && !pending.builds.includes(req.build)) throw new HandoffError('BUILD_NOT_FOUND', `no build ${req.build}`, { build: req.build });
      validateRolloutSpec(req.spec, now);
      checkUrls(req.spec, this.egress());
      if (this.unchanged(req)) continue;
      // What the strategy refuses for this fleet (the same build is for `start` to judge: the
      // request may change the fleet first).
      const fleet = world.fleets.get(req.fleet);
      if (fleet) {
        try {
          this.begin(fleet, req, now);
        } catch (e) {
          if (!(e instanceof HandoffError) || e.code !== 'ROLLOUT_SAME_BUILD') throw e;
        }
      }
      const active = world.activeRolloutOf(req.fleet);
      if (active && !strategyOf(active).hasRouted(active) && !req.replace) {
        throw new HandoffError('ROLLOUT_IN_PROGRESS', `fleet ${req.fleet} has rollout ${active.id} (${active.phase}), which has not routed any session yet`, { rollout: active.id });
      }
    }
  }

  /**
   * Where a release would start from, and its first state: the build taking most new sessions
   * now is the one it moves away from. Throws what the strategy refuses for this fleet (an
   * in-place canary replacing more servers than run).
   */
  private begin(fleet: Fleet, req: RolloutStart, now: number): { from: string; first: ReturnType<Strategy['init']> } {
    const from = mainBuild(fleet.routing) ?? fleet.currentBuild;
    if (from === req.build) throw new HandoffError('ROLLOUT_SAME_BUILD', `fleet ${fleet.name} already runs ${req.build}`, { build: req.build });
    const running = this.ctx.world.fleetServers(fleet.name).filter((s) => s.build === from && UP.has(s.state)).length;
    return { from, first: strategyFor(req.spec).init(req.spec, { capacity: fleet.capacity, runningOld: running, fromBuild: from }, now) };
  }

  /** Declarative start (`kind: Rollout`): the same release as the fleet's latest is a no-op. */
  async declare(req: RolloutStart): Promise<{ result: 'created' | 'unchanged'; rollout: Rollout }> {
    const latest = this.unchanged(req);
    if (latest) return { result: 'unchanged', rollout: latest };
    return { result: 'created', rollout: await this.start(req) };
  }

  private unchanged(req: RolloutStart): Rollout | null {
    const latest = this.ctx.world.latestRolloutOf(req.fleet);
    return latest && latest.toBuild === req.build && canonicalJson(latest.spec) === canonicalJson(req.spec) ? latest : null;
  }

  async promote(id: string, input: PromoteInput = {}): Promise<Rollout> {
    const r = this.require(id);
    const now = this.ctx.clock.now();
    const next = { ...r, ...planPromote(r, input, now), updatedAt: now };
    this.ctx.world.putRollout(next);
    const chose = input.variant ? `; variant ${input.variant} chosen` : '';
    await this.ctx.persister.persist([{ kind: 'putRollout', rollout: next }, event(now, r.fleet, 'rollout.promoted', r.id, `promoted by operator${chose}`, input.variant ? { variant: input.variant } : {})]);
    this.opts.kick(r.fleet);
    return next;
  }

  async abort(id: string): Promise<Rollout> {
    const r = this.require(id);
    const now = this.ctx.clock.now();
    const plan = planAbort(r, this.observe(r.fleet), now);
    const mutations = this.apply(r, plan, now);
    await this.ctx.persister.persist(mutations);
    this.opts.kick(r.fleet);
    return this.ctx.world.rollouts.get(r.id) ?? r;
  }

  /** The rollout with per-variant session figures in `progressState.figures`, when its strategy reports them. */
  withFigures(r: Rollout): Promise<Rollout> {
    this.figures ??= new FiguresReader(this.ctx);
    return this.figures.withFigures(r);
  }

  /** One step of the fleet pass: plan the active rollout and apply the plan in memory. */
  reconcile(fleet: string, now: number): Mutation[] {
    const r = this.ctx.world.activeRolloutOf(fleet);
    if (!r) {
      this.views.forget(fleet);
      return [];
    }
    // A check still running after a restart (Verifying, or an analysis its strategy runs in
    // another phase, such as blue-green's post-switch one): run it again.
    if (r.smoke?.state === 'running' && !isTerminalPhase(r.phase) && !this.smokeRunning.has(r.id)) {
      const strategy = strategyOf(r);
      const check = strategy.runningCheck ? strategy.runningCheck(r) : r.phase === 'Verifying' ? specSmoke(r, r.smoke.serverId) : null;
      if (check) this.runCheck(r, check);
    }
    const background = this.background.step(r, now);
    const current = this.ctx.world.rollouts.get(r.id) ?? r;
    // Held by an inconclusive background verdict: the release waits for a person's promote.
    if (isHeld(current)) return background;
    return [...background, ...this.apply(current, strategyOf(current).plan({ rollout: current, servers: this.observe(fleet), now }), now)];
  }

  /** A server of the release's build failed to start or crashed before Ready; its strategy decides what that means. */
  recordStartFailure(server: GameServer, detail: string, now: number): Mutation[] {
    const r = this.ctx.world.activeRolloutOf(server.fleet);
    if (!r || isTerminalPhase(r.phase)) return [];
    // The release's new builds: its own, and any other it brings (A/B variants), not the one it leaves.
    const fresh = [r.toBuild, ...(strategyOf(r).builds?.(r.spec) ?? [])].filter((b) => b !== r.fromBuild);
    if (!fresh.includes(server.build)) return [];
    const next: Rollout = { ...r, startFailures: r.startFailures + 1, lastFailure: detail, updatedAt: now };
    this.ctx.world.putRollout(next);
    return [{ kind: 'putRollout', rollout: next }];
  }

  private apply(r: Rollout, plan: RolloutPlan, now: number): Mutation[] {
    const { world } = this.ctx;
    const out: Mutation[] = [];
    if (Object.keys(plan.patch).length > 0) {
      const next: Rollout = { ...r, ...plan.patch, updatedAt: now };
      world.putRollout(next);
      out.push({ kind: 'putRollout', rollout: next });
      if (plan.patch.phase && plan.patch.phase !== r.phase) {
        out.push(event(now, r.fleet, `rollout.${plan.patch.phase.toLowerCase()}`, r.id, next.message, { from: r.phase, to: plan.patch.phase }));
      }
    }
    const fleet = world.fleets.get(r.fleet);
    if (fleet && plan.routing && !plan.patch.phase && weightsOf(plan.routing) !== weightsOf(fleet.routing)) {
      // A step inside a phase (a canary weight, a rolling batch's switch): webhooks hear of it as `step`.
      out.push(event(now, r.fleet, 'rollout.step', r.id, `new sessions: ${weightsOf(plan.routing)}`, { routing: plan.routing.entries }));
    }
    if (fleet && (plan.routing || plan.completeFleetWith)) {
      const next = { ...fleet, routing: plan.routing ?? fleet.routing, currentBuild: plan.completeFleetWith ?? fleet.currentBuild, updatedAt: now };
      world.fleets.set(fleet.name, next);
      out.push({ kind: 'putFleet', fleet: next });
    }
    for (const { serverId, notice } of plan.notices) {
      const s = world.servers.get(serverId);
      // Announced deadlines stand (they are replayed to a watch that reconnects) until called off.
      const standing = notice.type === 'drain' ? { drainDeadline: notice.deadline, migrateTo: null }
        : notice.type === 'migrate' ? { drainDeadline: notice.deadline, migrateTo: notice.build }
          : notice.type === 'drain-cancelled' ? { drainDeadline: null, migrateTo: null } : null;
      if (s && standing) {
        const next = { ...s, ...standing };
        world.putServer(next);
        out.push({ kind: 'putServer', server: next });
      }
      this.ctx.notify(serverId, notice);
    }
    for (const { serverId, reason } of plan.drainServers ?? []) {
      const s = world.servers.get(serverId);
      // Only a server in rotation: one already Draining (or stopping) keeps its own reason.
      if (!s || (s.state !== 'Ready' && s.state !== 'Active')) continue;
      const next: GameServer = { ...s, state: 'Draining', drainReason: reason };
      world.putServer(next);
      out.push({ kind: 'putServer', server: next }, event(now, r.fleet, 'server.draining', s.id, `${s.id} out of rotation (${reason}): no new sessions, stops once empty`, { reason, rollout: r.id }));
    }
    if (plan.migrate.length > 0) {
      const to = plan.migrateTo ? { build: plan.migrateTo.build, tokenTtlMs: plan.migrateTo.tokenTtlSeconds * 1000 } : null;
      out.push(...this.sessions.migrateInMemory(plan.migrate, to, now));
    }
    const close = plan.closeSessions;
    if (close) for (const serverId of close.serverIds) out.push(...this.closeSessionsOn(serverId, close.reason, now));
    const check = plan.smokeOn ? specSmoke(r, plan.smokeOn) : (plan.check ?? null);
    if (check) this.runCheck(world.rollouts.get(r.id) ?? r, check);
    return out;
  }

  /** Closes every open session on the server with `reason` and tells the server, so it lets its players go. */
  private closeSessionsOn(serverId: string, reason: CloseReason, now: number): Mutation[] {
    const out: Mutation[] = [];
    const players: string[] = [];
    for (const s of this.ctx.world.sessionsOn(serverId)) {
      players.push(s.playerId);
      out.push(...this.sessions.closeInMemory(s.id, reason, now));
    }
    if (players.length > 0) this.ctx.notify(serverId, { type: 'sessions-closed', players, reason, at: now });
    return out;
  }


  /** Runs a smoke check or a webhook in the background; its outcome lands in the rollout's `smoke`. */
  private runCheck(r: Rollout, check: AnalysisCheck): void {
    if ('analysis' in check) return this.runAnalysis(r, check);
    const { serverId } = check;
    this.smokeRunning.add(r.id);
    const target = this.ctx.world.servers.get(serverId) ?? { id: serverId, address: '', ports: {} };
    const outcome =
      'smoke' in check
        ? runSmokeCheck(check.smoke, { serverId, address: target.address, ports: target.ports }, this.opts.cwd)
        : callWebhook(check.webhook, check.payload, this.egress());
    void outcome
      .then((o) => this.recordSmoke(r.id, serverId, o.passed, o.detail))
      .catch((e: unknown) => this.recordSmoke(r.id, serverId, false, String(e)))
      .finally(() => this.smokeRunning.delete(r.id));
  }

  /**
   * A metrics analysis is judged once its window has passed. Until then nothing runs: each fleet
   * pass asks again (see `reconcile`), which also resumes it after a restart.
   */
  private runAnalysis(r: Rollout, check: MetricsCheck): void {
    if (this.ctx.clock.now() < check.window.until) return;
    this.smokeRunning.add(r.id);
    void runMetricsAnalysisSafely(r.fleet, check, this.analysisDeps())
      .then((result) => this.recordVerdict(r.id, check, result))
      .finally(() => this.smokeRunning.delete(r.id));
  }

  /** The addresses webhooks and Prometheus queries may call: the server's, or the defaults. */
  private egress(): EgressPolicy {
    return this.opts.egress ?? DEFAULT_EGRESS;
  }

  /** Without a signal source every metric has no samples: inconclusive, never a pass. */
  private analysisDeps(): AnalysisDeps {
    return analysisDepsOf(this.opts.signals, this.opts.prometheusUrl ?? null, this.egress());
  }

  /**
   * Stores the verdict and applies what it means in the same commit: a failed analysis
   * re-routes new sessions to the baseline before the next allocation is answered.
   */
  private async recordVerdict(id: string, check: MetricsCheck, result: AnalysisResult): Promise<void> {
    const r = this.ctx.world.rollouts.get(id);
    const now = this.ctx.clock.now();
    const judged = r ? withVerdict(r, check, result, now) : null;
    if (!r || !judged) return;
    this.ctx.world.putRollout(judged.rollout);
    const plan = strategyOf(judged.rollout).plan({ rollout: judged.rollout, servers: this.observe(r.fleet), now });
    const mutations: Mutation[] = [{ kind: 'putRollout', rollout: judged.rollout }, judged.event, ...this.apply(judged.rollout, plan, now)];
    await this.ctx.persister.persist(mutations).catch(() => undefined);
    this.opts.kick(r.fleet);
  }

  private async recordSmoke(id: string, serverId: string, passed: boolean, detail: string): Promise<void> {
    const r = this.ctx.world.rollouts.get(id);
    if (!r || r.phase !== 'Verifying' || r.smoke?.serverId !== serverId) return;
    const now = this.ctx.clock.now();
    const next: Rollout = { ...r, smoke: { ...r.smoke, state: passed ? 'passed' : 'failed', finishedAt: now, detail }, updatedAt: now };
    this.ctx.world.putRollout(next);
    await this.ctx.persister.persist([{ kind: 'putRollout', rollout: next }, event(now, r.fleet, 'rollout.smoke', r.id, detail, { passed })]).catch(() => undefined);
    this.opts.kick(r.fleet);
  }

  private observe(fleet: string): readonly RolloutServer[] {
    return this.views.observe(fleet);
  }

  private require(id: string): Rollout {
    const r = this.ctx.world.rollouts.get(id);
    if (!r) throw new HandoffError('ROLLOUT_NOT_FOUND', `no rollout ${id}`, { rollout: id });
    return r;
  }
}

/** The spec's own smoke check against a server (blue-green's, a canary's first check), if it has one. */
function specSmoke(r: Rollout, serverId: string): AnalysisCheck | null {
  return 'smoke' in r.spec && r.spec.smoke ? { serverId, smoke: r.spec.smoke } : null;
}

/** The routed build with the largest share (the first such entry on a tie), if any. */
function mainBuild(routing: { entries: readonly { build: string; weight: number }[] }): string | null {
  let best: { build: string; weight: number } | null = null;
  for (const e of routing.entries) if (e.weight > 0 && (!best || e.weight > best.weight)) best = e;
  return best?.build ?? null;
}

/** A routing table's weights in one line (`v1 90, v2 10`), to tell a step from a tick that changed nothing. */
function weightsOf(t: RoutingTable): string {
  return t.entries.map((e) => `${e.build} ${e.weight}`).join(', ');
}
