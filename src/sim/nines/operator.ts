/**
 * What happens to each release of a light-simulator run: it is started, then interfered with as
 * the case's variant says (an abort or a control-plane restart once it has been in a phase for a
 * while, an abort at a random moment, a second release back to back), promoted by an operator
 * when it waits for one, and judged on how it ended. Then the fleet settles and the next starts.
 */
import { planAbort, planPromote } from '../../rollout/commands.js';
import { isTerminalPhase, type Rollout, type RolloutPhase } from '../../rollout/model.js';
import { strategyOf } from '../../rollout/strategies/index.js';
import { applyRolloutPlan, reconcilePass } from './pass.js';
import { startRelease } from './release.js';
import type { NinesSim } from './sim.js';

/** A release that has not ended this long after it started is stuck (a rolling release replaces servers one by one). */
const STUCK_MS = 4 * 3_600_000;
const RANDOM_ABORT_MS: [number, number] = [0, 120_000];

interface Cycle {
  startedAt: number;
  ids: string[];
  expect: RolloutPhase[][];
  fired: boolean;
  randomAt: number;
  phase: RolloutPhase;
  phaseSince: number;
  endedAt: number | null;
  /** When the variant's trigger phase was first seen: it fires its settle time later, whatever the phase then. */
  armedAt: number | null;
  /** The phase each release of the cycle ended in (a superseded one is recorded when superseded). */
  ended: Map<string, RolloutPhase>;
}

export class Operator {
  private cycle: Cycle | null = null;
  private started = 0;
  private nextAt: number;
  finished = false;

  constructor(private readonly sim: NinesSim) {
    this.nextAt = sim.c.warmupMs;
  }

  /** Runs before each pass while the control plane is up. */
  tick(): void {
    const { sim } = this;
    if (this.finished) return;
    if (!this.cycle) {
      if (sim.now >= this.nextAt) this.begin();
      return;
    }
    const cy = this.cycle;
    const r = sim.world.rollout;
    if (!r) return;
    if (r.phase !== cy.phase) {
      cy.phase = r.phase;
      cy.phaseSince = sim.now;
    }
    if (cy.endedAt === null) {
      this.interfere(cy, r);
      if (sim.cpUp) this.promote(cy, sim.world.rollout ?? r);
      const latest = sim.world.rollout ?? r;
      if (isTerminalPhase(latest.phase)) this.end(cy, latest);
      else if (sim.now - cy.startedAt > STUCK_MS) this.judge(cy, latest.id, latest.phase, `stuck in ${latest.phase}`);
      return;
    }
    // Settled once every server left is of a build taking new sessions (the leavers are gone), or after long enough.
    const routed = new Set(sim.world.routing.entries.filter((e) => e.weight > 0).map((e) => e.build));
    const settled = sim.world.liveServers().every((s) => routed.has(s.build));
    if (settled || sim.now - cy.endedAt > (sim.c.workload.maxSessionSeconds + sim.c.fleet.idleTimeoutSeconds + 120) * 1000) {
      this.cycle = null;
      this.nextAt = sim.now + sim.c.gapMs;
      if (this.started >= sim.c.releases) this.finished = true;
    }
  }

  private begin(): void {
    const { sim } = this;
    const r = this.release();
    if (!r) {
      this.finished = true;
      return;
    }
    const { variant, row } = sim.c;
    const outcome = row.outcome ?? 'Completed';
    const expect: RolloutPhase[][] =
      variant.kind === 'abort' ? [['Aborted']]
        : variant.kind === 'random-abort' ? [['Aborted', outcome]]
          : variant.kind === 'back-to-back' ? [['Superseded'], [outcome]]
            : [[outcome]];
    this.cycle = {
      startedAt: sim.now, ids: [r.id], expect, fired: false, randomAt: sim.now + sim.random.uniform(...RANDOM_ABORT_MS),
      phase: r.phase, phaseSince: sim.now, endedAt: null, armedAt: null, ended: new Map(),
    };
  }

  private release(): Rollout | null {
    this.started += 1;
    this.sim.tally.releases += 1;
    return startRelease(this.sim, `v${this.started}`, this.started);
  }

  private interfere(cy: Cycle, r: Rollout): void {
    const { sim } = this;
    const { variant, row } = sim.c;
    if (cy.fired) return;
    // As the heavy simulation's trigger: armed when the phase is first seen, fired `afterMs` later.
    const inPhase = (phase: RolloutPhase, afterMs: number): boolean => {
      if (cy.armedAt === null && r.phase === phase) cy.armedAt = sim.now;
      return cy.armedAt !== null && sim.now - cy.armedAt >= afterMs;
    };
    const settle = (phase: RolloutPhase): number => row.settleInPhaseMs?.[phase] ?? 0;
    if (variant.kind === 'abort' && inPhase(variant.phase, settle(variant.phase))) {
      cy.fired = true;
      if (strategyOf(r).abortable.includes(r.phase)) this.abort(r);
    } else if (variant.kind === 'random-abort' && sim.now >= cy.randomAt) {
      cy.fired = true;
      if (strategyOf(r).abortable.includes(r.phase)) this.abort(r);
    } else if (variant.kind === 'restart' && inPhase(variant.phase, settle(variant.phase))) {
      cy.fired = true;
      // Half the restarts tear a pass: the release's plan ran and its notices left, its commit did not.
      const snap = sim.world.commit();
      if (sim.random.chance(0.5)) {
        reconcilePass(sim, true);
        sim.world.restore(snap);
      }
      sim.controlPlaneDown();
    } else if (variant.kind === 'back-to-back' && inPhase(row.routedIn ?? 'Draining', row.backToBackAfterMs ?? 45_000) && cy.ids.length === 1) {
      cy.fired = true;
      const next = this.release();
      if (next) {
        cy.ended.set(r.id, 'Superseded');
        cy.ids.push(next.id);
        cy.phase = next.phase;
        cy.phaseSince = sim.now;
      }
    }
  }

  private abort(r: Rollout): void {
    const { sim } = this;
    sim.tally.aborts += 1;
    applyRolloutPlan(sim, r, planAbort(r, sim.world.rolloutServers(), sim.now));
  }

  /** As the heavy simulation's operator: promotes a release that has waited for it long enough. */
  private promote(cy: Cycle, r: Rollout): void {
    const { sim } = this;
    const p = sim.c.row.promote;
    const waiting = r.phase === 'AwaitingPromotion' || r.phase === 'Paused' || (r.phase === 'Progressing' && Boolean(p?.input?.variant));
    if (!p || !waiting || sim.now - cy.phaseSince < p.afterMs) return;
    try {
      sim.world.rollout = { ...r, ...planPromote(r, p.input ?? {}, sim.now), updatedAt: sim.now };
    } catch {
      // Not promotable in this phase (a canary's timed pause): it resumes on its own.
    }
    cy.phaseSince = sim.now;
  }

  private end(cy: Cycle, latest: Rollout): void {
    cy.ended.set(latest.id, latest.phase);
    if (cy.expect.length > 1 && cy.ids.length < 2) {
      // Back to back whose second release never came (the first ended first): a premise missed.
      this.judge(cy, latest.id, latest.phase, 'the second release never started');
      return;
    }
    cy.ids.forEach((id, i) => {
      const phase = cy.ended.get(id) ?? 'unknown';
      this.sim.tally.outcomes[phase] = (this.sim.tally.outcomes[phase] ?? 0) + 1;
      if (!(cy.expect[i] ?? []).includes(phase as RolloutPhase)) this.unexpected(`${id} ended ${phase}, expected ${(cy.expect[i] ?? []).join(' or ')}`);
    });
    if (!cy.fired && this.sim.c.variant.kind !== 'release' && this.sim.c.variant.kind !== 'random-abort') this.unexpected(`${this.sim.c.variant.kind} never fired`);
    cy.endedAt = this.sim.now;
  }

  private judge(cy: Cycle, id: string, phase: RolloutPhase, why: string): void {
    this.sim.tally.outcomes[phase] = (this.sim.tally.outcomes[phase] ?? 0) + 1;
    this.unexpected(`${id}: ${why}`);
    cy.endedAt = this.sim.now;
    this.finished = true;
  }

  private unexpected(detail: string): void {
    this.sim.tally.unexpected += 1;
    this.sim.note('unexpected', detail);
  }
}
