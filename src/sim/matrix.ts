/**
 * From one row describing a strategy's release — its request, as data — to the scenarios that
 * exercise it: the release alone, an abort in each phase it passes through, a control-plane
 * restart in each phase, back-to-back releases (v0 → v1 → v2 while v0 and v1 still host
 * sessions), and an abort at a seeded random moment. Adding a strategy to the simulation is
 * adding a row.
 */
import { hash32 } from '../core/random.js';
import type { RolloutPhase } from '../rollout/model.js';
import type { PromoteInput } from '../rollout/strategy.js';
import type { Scenario, ScenarioStep } from './scenario.js';

export interface StrategyRow {
  name: string;
  /** `POST /v1/rollouts` without `fleet` and `build`: the strategy and its options. */
  request: Record<string, unknown>;
  /**
   * Phases the release passes through in which the matrix aborts it and restarts the control
   * plane, one scenario each (another row may cover the phases rows share).
   */
  interruptIn: RolloutPhase[];
  /** A phase in which the release already sends new sessions to its build: back-to-back starts v2 then. Default Draining. */
  routedIn?: RolloutPhase;
  /** How the release ends when nothing interferes. Default Completed. */
  outcome?: RolloutPhase;
  /** How long after a phase begins the abort or restart lands in it (default 0; a draining build is given time to host sessions). */
  settleInPhaseMs?: Partial<Record<RolloutPhase, number>>;
  /** An operator promotes a release waiting for it after this long. */
  promote?: { afterMs: number; input?: PromoteInput };
  /** Also run v0 → v1 → v2 back to back. Default: when the release completes. */
  backToBack?: boolean;
  /**
   * How long after `routedIn` begins v2 is released (default 45 s, time for v1 to host sessions).
   * Shorter where the old build empties fast, as a maintenance window's deadline makes it.
   */
  backToBackAfterMs?: number;
  /** Anything else the row's scenarios share (fleet shape, server behaviour, workload, build arguments). */
  scenario?: Partial<Scenario>;
}

export interface MatrixOptions {
  /** Mixed into every scenario's seed: the same base seed replays the same runs. */
  baseSeed: number;
  /** When the first release starts. Default 60 s. */
  releaseAtMs?: number;
  /** How long players keep arriving. Default 240 s. */
  arrivalsForMs?: number;
  /** How long a restart keeps the control plane down. Default 8 s. */
  downtimeMs?: number;
}

export type ScenarioKind = 'release' | 'abort' | 'restart' | 'back-to-back' | 'random-abort';

export function scenariosFor(row: StrategyRow, opts: MatrixOptions, kinds: readonly ScenarioKind[] = ['release', 'abort', 'restart', 'back-to-back', 'random-abort']): Scenario[] {
  const releaseAtMs = opts.releaseAtMs ?? 60_000;
  const outcome = row.outcome ?? 'Completed';
  const release = (build: string): ScenarioStep['action'] => ({ do: 'release', build, request: row.request });
  const first: ScenarioStep = { when: { atMs: releaseAtMs }, action: release('v1') };
  const inPhase = (phase: RolloutPhase): ScenarioStep['when'] => ({ phase, afterMs: row.settleInPhaseMs?.[phase] ?? 0 });
  const make = (what: string, steps: ScenarioStep[], expectPhases: Scenario['expectPhases'], builds = ['v0', 'v1']): Scenario => {
    const name = `${row.name}: ${what}`;
    return {
      arrivalsForMs: opts.arrivalsForMs ?? 240_000,
      ...row.scenario,
      name, seed: hash32(`${opts.baseSeed}/${name}`), builds, steps, expectPhases,
      ...(row.promote ? { operator: { promoteAfterMs: row.promote.afterMs, ...(row.promote.input ? { input: row.promote.input } : {}) } } : {}),
    };
  };
  const out: Scenario[] = [];
  if (kinds.includes('release')) out.push(make('release', [first], [outcome]));
  if (kinds.includes('abort')) {
    for (const phase of row.interruptIn) out.push(make(`abort in ${phase}`, [first, { when: inPhase(phase), action: { do: 'abort' } }], ['Aborted']));
  }
  if (kinds.includes('restart')) {
    for (const phase of row.interruptIn) {
      out.push(make(`control-plane restart in ${phase}`, [first, { when: inPhase(phase), action: { do: 'restart', downtimeMs: opts.downtimeMs ?? 8_000 } }], [outcome]));
    }
  }
  if (kinds.includes('back-to-back') && (row.backToBack ?? outcome === 'Completed')) {
    out.push(make('back-to-back v0 → v1 → v2', [
      first,
      // v2 starts while v0 (its leavers) and v1 (the new sessions) both still host players.
      { when: { phase: row.routedIn ?? 'Draining', afterMs: row.backToBackAfterMs ?? 45_000 }, action: release('v2'), requires: { hosting: ['v0', 'v1'] } },
    ], ['Superseded', outcome], ['v0', 'v1', 'v2']));
  }
  if (kinds.includes('random-abort')) {
    // Anywhere from before the switch to well into the drain; after completion the abort is refused.
    out.push(make('abort at a random moment', [first, { when: { randomMs: [0, 120_000] }, action: { do: 'abort' } }], [['Aborted', outcome]]));
  }
  return out;
}
