import { describe, expect, it } from 'vitest';
import { isHandoffError } from '../core/errors.js';
import { BackgroundAnalysisSchema, decideBackgroundCheck, decideBackgroundVerdict, isHeld, releaseHold, validateBackground, type BackgroundAnalysis, type BackgroundState } from './background.js';
import type { RolloutPhase } from './model.js';

const T0 = 1_000_000;
const s = (n: number): number => n * 1000;
const spec = (over: Partial<BackgroundAnalysis> = {}): BackgroundAnalysis =>
  BackgroundAnalysisSchema.parse({ intervalSeconds: 60, windowSeconds: 120, metrics: [{ metric: 'crash_rate', max: 0.05 }], ...over });
const ABORTABLE: RolloutPhase[] = ['Provisioning', 'Verifying', 'AwaitingPromotion', 'Draining'];

function release(over: { phase?: RolloutPhase; background?: BackgroundState; analysis?: BackgroundAnalysis | null } = {}) {
  return {
    phase: over.phase ?? 'Draining',
    createdAt: T0,
    background: over.background,
    spec: { backgroundAnalysis: over.analysis === undefined ? spec() : over.analysis },
  };
}
const state = (over: Partial<BackgroundState> = {}): BackgroundState => ({ nextAt: T0 + s(60), running: null, runs: 0, heldAt: null, ...over });

describe('decideBackgroundCheck', () => {
  it.each([
    ['no background analysis', release({ analysis: null }), false, T0 + s(600), { kind: 'idle' }],
    ['before the first interval has passed', release(), false, T0 + s(59), { kind: 'idle' }],
    ['while the release waits for its scheduled start', release({ phase: 'Scheduled' }), false, T0 + s(600), { kind: 'idle' }],
    ['in a phase the strategy cannot abort (it completed)', release({ phase: 'Completed' }), false, T0 + s(600), { kind: 'idle' }],
    ['while this process runs the stored check', release({ background: state({ running: { since: T0, until: T0 + s(60) } }) }), true, T0 + s(600), { kind: 'idle' }],
    ['before the next check is due', release({ background: state({ nextAt: T0 + s(120), runs: 1 }) }), false, T0 + s(119), { kind: 'idle' }],
  ])('does nothing %s', (_why, r, inFlight, now, want) => {
    expect(decideBackgroundCheck(r, ABORTABLE, inFlight, now)).toEqual(want);
  });

  it('runs the first check one interval after the release starts, over the time since it started', () => {
    expect(decideBackgroundCheck(release(), ABORTABLE, false, T0 + s(60))).toEqual({
      kind: 'run', window: { since: T0, until: T0 + s(60) },
      state: { nextAt: T0 + s(120), running: { since: T0, until: T0 + s(60) }, runs: 0, heldAt: null },
    });
  });

  it('judges a later check over the last windowSeconds, ending now', () => {
    const step = decideBackgroundCheck(release({ background: state({ nextAt: T0 + s(180), runs: 2 }) }), ABORTABLE, false, T0 + s(185));
    expect(step).toEqual({
      kind: 'run', window: { since: T0 + s(65), until: T0 + s(185) },
      state: { nextAt: T0 + s(245), running: { since: T0 + s(65), until: T0 + s(185) }, runs: 2, heldAt: null },
    });
  });

  it('runs the same window again when a restart left a check stored as running', () => {
    const window = { since: T0, until: T0 + s(60) };
    expect(decideBackgroundCheck(release({ background: state({ running: window }) }), ABORTABLE, false, T0 + s(900))).toEqual({ kind: 'rerun', window });
  });

  it('keeps checking while a background verdict holds the release', () => {
    expect(decideBackgroundCheck(release({ background: state({ heldAt: T0 + s(60), nextAt: T0 + s(120), runs: 1 }) }), ABORTABLE, false, T0 + s(120)).kind).toBe('run');
  });
});

describe('decideBackgroundVerdict', () => {
  const window = { since: T0, until: T0 + s(60) };
  const running = state({ running: window, nextAt: T0 + s(120) });
  const now = T0 + s(61);

  it.each([
    ['pass', 'continue', { kind: 'record', label: 'background #1' }],
    ['inconclusive', 'continue', { kind: 'record', label: 'background #1' }],
    ['fail', 'continue', { kind: 'abort', label: 'background #1' }],
    ['fail', 'pause', { kind: 'abort', label: 'background #1' }],
    ['inconclusive', 'pause', { kind: 'hold', label: 'background #1' }],
    ['pass', 'pause', { kind: 'record', label: 'background #1' }],
  ] as const)('a %s verdict under onInconclusive %s → %o', (verdict, onInconclusive, want) => {
    const out = decideBackgroundVerdict(release({ background: running, analysis: spec({ onInconclusive }) }), ABORTABLE, window, verdict, 'why', now);
    expect(out).toMatchObject(want);
    if (out.kind !== 'stale') expect(out.state).toEqual({ ...running, running: null, runs: 1, heldAt: out.kind === 'hold' ? now : null });
  });

  it('says why a failed check aborts, and how to go on from a hold', () => {
    const failed = decideBackgroundVerdict(release({ background: running }), ABORTABLE, window, 'fail', 'fail: crash rate 0.4 is above 0.05.', now);
    expect(failed).toMatchObject({ message: 'background #1 analysis failed: fail: crash rate 0.4 is above 0.05.' });
    const held = decideBackgroundVerdict(release({ background: running, analysis: spec({ onInconclusive: 'pause' }) }), ABORTABLE, window, 'inconclusive', 'inconclusive: 3 sessions.', now);
    expect(held).toMatchObject({ message: expect.stringContaining('Promote to continue, abort to roll back.') });
  });

  it.each([
    ['for another window (a stale run)', release({ background: running }), { since: T0 - s(1), until: T0 + s(60) }],
    ['when no check is stored as running', release({ background: state() }), window],
    ['after the release ended', release({ phase: 'Failed', background: running }), window],
    ['when the release has no background analysis', release({ analysis: null, background: running }), window],
  ])('changes nothing for a verdict %s', (_why, r, w) => {
    expect(decideBackgroundVerdict(r, ABORTABLE, w, 'fail', 'why', now)).toEqual({ kind: 'stale' });
  });

  it('records a fail without aborting once the release left the phases its strategy can abort', () => {
    expect(decideBackgroundVerdict(release({ phase: 'Draining', background: running }), ['Progressing'], window, 'fail', 'why', now).kind).toBe('record');
  });

  it('does not hold again a release already held (a person is already asked)', () => {
    const held = state({ running: window, heldAt: T0 });
    expect(decideBackgroundVerdict(release({ background: held, analysis: spec({ onInconclusive: 'pause' }) }), ABORTABLE, window, 'inconclusive', 'why', now)).toMatchObject({ kind: 'record', state: { heldAt: T0 } });
  });
});

describe('holds', () => {
  it('ends a hold on promote and leaves the schedule as it was', () => {
    const r = { background: state({ heldAt: T0, runs: 3 }) };
    expect(isHeld(r)).toBe(true);
    const patch = releaseHold(r);
    expect(patch.background).toEqual(state({ heldAt: null, runs: 3 }));
    expect(isHeld({ background: patch.background })).toBe(false);
    expect(isHeld({})).toBe(false);
  });
});

describe('the background analysis spec', () => {
  it('fills its defaults: every minute, and an inconclusive verdict lets the release continue', () => {
    expect(BackgroundAnalysisSchema.parse({ metrics: [{ metric: 'crash_rate', max: 0.1 }] })).toMatchObject({ intervalSeconds: 60, windowSeconds: 300, onInconclusive: 'continue', prometheus: [] });
  });

  it.each([
    ['no metric, query or webhook', { intervalSeconds: 60 }],
    ['an interval under 10 seconds', { intervalSeconds: 5, metrics: [{ metric: 'crash_rate', max: 0.1 }] }],
    ['an unknown policy', { onInconclusive: 'ignore', metrics: [{ metric: 'crash_rate', max: 0.1 }] }],
    ['an unknown field', { every: 60, metrics: [{ metric: 'crash_rate', max: 0.1 }] }],
  ])('refuses %s', (_why, input) => {
    expect(BackgroundAnalysisSchema.safeParse(input).success).toBe(false);
  });

  it('refuses a metric Handoff does not collect with ANALYSIS_UNKNOWN_METRIC', () => {
    const bad = spec({ metrics: [{ metric: 'crash_rat', max: 0.1, minSamples: 20 }] });
    let caught: unknown;
    try {
      validateBackground({ backgroundAnalysis: bad });
    } catch (e) {
      caught = e;
    }
    expect(isHandoffError(caught) && caught.code).toBe('ANALYSIS_UNKNOWN_METRIC');
    expect(() => validateBackground({ backgroundAnalysis: null })).not.toThrow();
  });
});
