/**
 * Runs one experiment: the thin I/O around the pure machine. It offers the load, follows the
 * control plane's event log for interrupted sessions, feeds both to the machine on every tick
 * and carries out what the machine says (inject, restore, record). Decisions live in
 * machine.ts; nothing here decides when to abort.
 */
import { InterruptingReasons } from '../session/model.js';
import { startMachine, step, type MachineAction, type MachineInput, type MachineState } from './machine.js';
import type { AllocationSample, Experiment, Interruption } from './model.js';
import type { ChaosApi, Fault } from './ports.js';
import { buildReport, type ExperimentReport } from './report.js';

export interface LoadHandle {
  /** Stops offering allocations and resolves when those in flight have answered. */
  stop(): Promise<void>;
}

export interface RunnerDeps {
  api: ChaosApi;
  fault: Fault;
  /** Starts the open-loop allocation load; every answer is reported as it arrives. */
  startLoad(onAnswer: (a: { ok: boolean; latencyMs: number; code: string | null }) => void): LoadHandle;
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Progress lines for the operator (stderr). */
  log(line: string): void;
  /** Aborted by the operator (SIGINT): the fault is lifted at once. */
  interrupt?: AbortSignal;
  /** How often the hypothesis is judged. */
  tickMs?: number;
}

const reasons: readonly string[] = InterruptingReasons;

export async function runExperiment(exp: Experiment, deps: RunnerDeps): Promise<ExperimentReport> {
  // Resolved before anything happens: a radius that names nothing stops the run here, uninjected.
  const blastRadius = await deps.fault.blastRadius();
  const samples: AllocationSample[] = [];
  const interruptions: Interruption[] = [];
  const recordings: Promise<void>[] = [];
  const recordErrors: string[] = [];
  let recorded = 0;

  const record = (event: string, message: string, data: Record<string, unknown>): Promise<void> => {
    const p = deps.api.record({ kind: `chaos.${event}`, subject: exp.name, fleet: exp.load.fleet, message, data: { fault: exp.fault.type, ...data } })
      .then(() => void recorded++, (e: unknown) => void recordErrors.push(`chaos.${event}: ${e instanceof Error ? e.message : String(e)}`));
    recordings.push(p);
    return p;
  };

  // Interruptions are counted from here: the event log's position before the experiment starts.
  await record('started', `chaos experiment ${exp.name}: ${exp.fault.type}`, { blastRadius, hypothesis: exp.hypothesis });
  let cursor = await lastSeq(deps.api);
  let polling: Promise<void> | null = null;
  const poll = (): void => {
    if (polling) return; // a slow event log (its database cut off) never piles up requests
    polling = (async () => {
      for (;;) {
        const page = await deps.api.events(cursor, null);
        for (const e of page) {
          cursor = Math.max(cursor, e.seq);
          const reason = e.data.reason;
          if (e.kind === 'session.closed' && typeof reason === 'string' && reasons.includes(reason)) interruptions.push({ at: deps.now(), session: e.subject, reason });
        }
        if (page.length < 1000) return;
      }
    })().catch(() => undefined).finally(() => { polling = null; });
  };

  const load = deps.startLoad((a) => samples.push({ at: deps.now(), ok: a.ok, latencyMs: a.ok ? a.latencyMs : null, code: a.code }));
  // The first requests pay for new connections on both sides; the baseline starts after them.
  if (exp.warmupMs > 0) await deps.sleep(exp.warmupMs);
  let state: MachineState = startMachine(deps.now());
  deps.log(`baseline: measuring the steady state for ${exp.baselineMs} ms …`);
  const apply = async (input: MachineInput): Promise<void> => {
    const s = step(exp, state, input);
    state = s.state;
    for (const action of s.actions) await carryOut(action);
  };
  const carryOut = async (a: MachineAction): Promise<void> => {
    if (a.kind === 'record') return void record(a.event, a.message, a.data);
    if (a.kind === 'inject') {
      deps.log(`inject: ${exp.fault.type} on ${blastRadius.join('; ')}`);
      try {
        await deps.fault.inject();
        await apply({ kind: 'injected', now: deps.now() });
      } catch (e) {
        await apply({ kind: 'inject-failed', now: deps.now(), reason: e instanceof Error ? e.message : String(e) });
      }
      return;
    }
    deps.log('restore: lifting the fault …');
    try {
      await deps.fault.restore();
      await apply({ kind: 'restored', now: deps.now() });
    } catch (e) {
      await apply({ kind: 'restore-failed', now: deps.now(), reason: e instanceof Error ? e.message : String(e) });
    }
  };
  let interruptSeen = false;
  try {
    while (state.phase !== 'done') {
      await deps.sleep(deps.tickMs ?? 100);
      poll();
      // Handled between ticks, never concurrently with one: the machine sees one input at a time.
      if (deps.interrupt?.aborted === true && !interruptSeen) {
        interruptSeen = true;
        await apply({ kind: 'interrupt', now: deps.now() });
      }
      await apply({ kind: 'tick', now: deps.now(), samples, interruptions });
    }
  } finally {
    // A run cut short by an exception still lifts its fault.
    if (state.restored === null && state.marks.injectedAt !== null) await deps.fault.restore().catch(() => undefined);
    await load.stop();
  }
  await Promise.all(recordings);
  return buildReport(exp, state, samples, interruptions, { blastRadius, recorded, recordErrors });
}

/** The newest event's seq: pages through the log once, at the start. */
async function lastSeq(api: ChaosApi): Promise<number> {
  let cursor = 0;
  for (;;) {
    const page = await api.events(cursor, null);
    const last = page[page.length - 1];
    if (last) cursor = last.seq;
    if (page.length < 1000) return cursor;
  }
}
