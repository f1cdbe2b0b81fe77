/**
 * The light simulator's cases, from the same strategy rows as the heavy simulation
 * (`src/sim/rows.ts`): each row released alone, aborted in each phase it lists, with the control
 * plane restarted in each, back to back and aborted at a random moment; the situations (a build
 * that crashes on boot, servers that crash often, heavy-tailed MMO sessions) released and
 * restarted. Adding a row there adds its cases here.
 */
import { hash32 } from '../../core/random.js';
import { rows, situations } from '../rows.js';
import type { StrategyRow } from '../matrix.js';
import type { NinesBehaviour, NinesCase, NinesFleet, NinesWorkload, Variant } from './model.js';

/**
 * A fleet of server processes hosting many players each (200 seats: a process running several
 * matches), so one reconcile pass serves many sessions — the planners' cost grows with servers,
 * the allocator's with sessions; the row's own fleet shape (an in-place canary's full fleet) overrides.
 */
export const NINES_FLEET: NinesFleet = {
  minServers: 4, maxServers: 120, bufferServers: 2, idleTimeoutSeconds: 60, sessionsPerServer: 200,
  health: { timeoutSeconds: 10, startTimeoutSeconds: 60 },
};

/** Log-normal matches: median 90 s, σ 0.6 (the heavy simulation's players), cut at 6 minutes. */
export const MATCHES: NinesWorkload = { arrivalsPerSecond: 80, sessionMedianSeconds: 90, sessionSigma: 0.6, maxSessionSeconds: 360 };

export const NINES_BEHAVIOUR: NinesBehaviour = {
  bootMs: [500, 2_000], crashAtStart: 0, crashesPerHour: 0.5, drainMs: 100, watchLagMs: [0, 1_000], reconnectMs: [100, 2_000],
  checkMs: 1_000, checkFails: false,
};

export interface CaseOptions {
  baseSeed: number;
  /** Releases per run (each a new build). Default 3. */
  releases?: number;
  /** Scales every workload's arrival rate (a smaller run for tests). Default 1. */
  arrivalFactor?: number;
}

/** Every case of one round; `round` varies the seeds. */
export function ninesCases(opts: CaseOptions, round = 0): NinesCase[] {
  const all: { row: StrategyRow; variants: Variant[] }[] = [
    ...rows.map((row) => ({ row, variants: variantsOf(row, true) })),
    ...situations.map((row) => ({ row, variants: variantsOf(row, false) })),
  ];
  return all.flatMap(({ row, variants }) => variants.map((v) => caseOf(row, v, opts, round)));
}

function variantsOf(row: StrategyRow, full: boolean): Variant[] {
  const out: Variant[] = [{ kind: 'release' }];
  if (full) for (const phase of row.interruptIn) out.push({ kind: 'abort', phase });
  for (const phase of row.interruptIn) out.push({ kind: 'restart', phase });
  if (!full) return out;
  if (row.backToBack ?? (row.outcome ?? 'Completed') === 'Completed') out.push({ kind: 'back-to-back' });
  out.push({ kind: 'random-abort' });
  return out;
}

export function variantName(v: Variant): string {
  if (v.kind === 'abort') return `abort in ${v.phase}`;
  if (v.kind === 'restart') return `control-plane restart in ${v.phase}`;
  if (v.kind === 'back-to-back') return 'back-to-back';
  if (v.kind === 'random-abort') return 'abort at a random moment';
  return 'release';
}

function caseOf(row: StrategyRow, variant: Variant, opts: CaseOptions, round: number): NinesCase {
  const name = `${row.name}: ${variantName(variant)}`;
  const sc = row.scenario ?? {};
  const w = sc.workload ?? {};
  const mmo = (w.sessionMedianSeconds ?? 0) >= 600;
  const workload: NinesWorkload = {
    // Heavy-tailed MMO sessions: fewer, longer players (the row's shape), on bigger servers (400 seats).
    arrivalsPerSecond: (mmo ? 16 : MATCHES.arrivalsPerSecond) * (opts.arrivalFactor ?? 1),
    sessionMedianSeconds: w.sessionMedianSeconds ?? MATCHES.sessionMedianSeconds,
    sessionSigma: w.sessionSigma ?? MATCHES.sessionSigma,
    maxSessionSeconds: w.maxSessionSeconds ?? MATCHES.maxSessionSeconds,
  };
  const fleet: NinesFleet = { ...NINES_FLEET, ...(mmo ? { sessionsPerServer: 400 } : {}) };
  if (sc.fleet?.minServers !== undefined) {
    // A fixed fleet (in place): as many servers as the workload needs, and no room beside them.
    const needed = Math.ceil((workload.arrivalsPerSecond * workload.sessionMedianSeconds * 1.4) / fleet.sessionsPerServer) + 2;
    fleet.minServers = needed;
    fleet.maxServers = needed;
    fleet.bufferServers = sc.fleet.bufferServers ?? 0;
  }
  const crashAtStart = Object.values(sc.buildArgs ?? {}).flat().some((a) => a === '--sim-crash-at-start=1') ? 1 : 0;
  const checkFails = row.outcome === 'Failed' && 'smoke' in row.request;
  return {
    name, seed: hash32(`${opts.baseSeed}/${round}/${name}`), row, variant, fleet, workload,
    behaviour: { ...NINES_BEHAVIOUR, crashAtStart, checkFails, crashesPerHour: sc.behaviour?.crashesPerHour ?? NINES_BEHAVIOUR.crashesPerHour },
    tickMs: sc.stepMs ?? 500,
    releases: opts.releases ?? 3,
    warmupMs: mmo ? 900_000 : 240_000,
    gapMs: 30_000,
    downtimeMs: [2_000, 10_000],
  };
}
