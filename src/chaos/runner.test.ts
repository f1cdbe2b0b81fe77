import { describe, expect, it } from 'vitest';
import type { Experiment } from './model.js';
import type { ChaosApi, ChaosEventInput, Fault, LoggedEvent } from './ports.js';
import { runExperiment } from './runner.js';

const exp: Experiment = {
  name: 'fake', description: '',
  hypothesis: { minAllocationSuccess: 0.9, maxSessionsInterrupted: 0, maxP99LatencyMs: null, windowMs: 1000, minSamples: 5 },
  load: { fleet: 'arena', ratePerS: 10, timeoutMs: 1000 },
  fault: { type: 'hang-servers', radius: { fleet: 'arena', count: 1 } },
  warmupMs: 0, baselineMs: 1000, durationMs: 3000, afterMs: 1000,
};

/**
 * A fake world on a fake clock: every `sleep` advances time, one allocation answers per 100 ms,
 * and it fails while the fault is on if `faultBreaks`. The event log gets a `server_crashed`
 * session close on injection if `cutsSessions`.
 */
function world(opts: { faultBreaks?: boolean; cutsSessions?: boolean; injectThrows?: boolean }) {
  let now = 0;
  let faulty = false;
  let onAnswer: ((a: { ok: boolean; latencyMs: number; code: string | null }) => void) | null = null;
  const log: LoggedEvent[] = [];
  const recorded: ChaosEventInput[] = [];
  const calls: string[] = [];
  const fault: Fault = {
    blastRadius: async () => ['game server s1'],
    inject: async () => {
      calls.push(`inject@${now}`);
      if (opts.injectThrows) throw new Error('EPERM');
      faulty = true;
      if (opts.cutsSessions) log.push({ seq: log.length + 1, kind: 'session.closed', subject: 'sess1', data: { reason: 'server_crashed' } });
    },
    restore: async () => {
      calls.push(`restore@${now}`);
      faulty = false;
    },
  };
  const api: ChaosApi = {
    servers: async () => [],
    cluster: async () => ({ leader: null, items: [] }),
    events: async (after) => log.filter((e) => e.seq > after),
    record: async (e) => void recorded.push(e),
  };
  const deps = {
    api, fault,
    startLoad: (cb: typeof onAnswer) => {
      onAnswer = cb;
      return { stop: async () => void calls.push(`stop@${now}`) };
    },
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
      const broken = faulty && opts.faultBreaks === true;
      onAnswer?.({ ok: !broken, latencyMs: 5, code: broken ? 'NO_CAPACITY' : null });
    },
    log: () => undefined,
  };
  return { deps, calls, recorded };
}

describe('runExperiment', () => {
  it('injects after the baseline, lifts the fault after its duration and reports held', async () => {
    const w = world({});
    const report = await runExperiment(exp, w.deps);
    expect(report.verdict).toEqual({ verdict: 'held' });
    expect(w.calls).toEqual(['inject@1000', 'restore@4000', 'stop@5000']);
    expect(w.recorded.map((e) => e.kind)).toEqual(['chaos.started', 'chaos.injected', 'chaos.restored', 'chaos.finished']);
    expect(report).toMatchObject({ restored: true, blastRadius: ['game server s1'], recorded: 4, recordErrors: [] });
    expect(report.during?.answered).toBe(30);
  });

  it('restores at the first tick the allocations break, not at the end of the duration', async () => {
    const w = world({ faultBreaks: true });
    const report = await runExperiment(exp, w.deps);
    expect(report.verdict).toMatchObject({ verdict: 'broken', phase: 'observe', breaches: [{ check: 'allocationSuccess' }] });
    // One failure in the window's first five answers is already below 90 %.
    expect(w.calls[1]).toBe('restore@1500');
    expect(w.recorded.map((e) => e.kind)).toEqual(['chaos.started', 'chaos.injected', 'chaos.aborted', 'chaos.restored', 'chaos.finished']);
  });

  it('counts a session the control plane closed as server_crashed and aborts on it', async () => {
    const w = world({ cutsSessions: true });
    const report = await runExperiment(exp, w.deps);
    expect(report.verdict).toMatchObject({ verdict: 'broken', breaches: [{ check: 'sessionsInterrupted', observed: 1 }] });
    expect((report.during?.sessionsInterrupted ?? 0) + (report.after?.sessionsInterrupted ?? 0)).toBe(1);
  });

  it('restores after a failed injection and reports aborted with the reason', async () => {
    const w = world({ injectThrows: true });
    const report = await runExperiment(exp, w.deps);
    expect(report.verdict).toEqual({ verdict: 'aborted', reason: 'injection failed: EPERM', breaches: [] });
    expect(w.calls).toEqual(['inject@1000', 'restore@1000', 'stop@2000']);
  });
});
