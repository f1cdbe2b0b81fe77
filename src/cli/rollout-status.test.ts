import { describe, expect, it } from 'vitest';
import { renderBuildTable, renderForecast, renderProgress, renderRolloutStatus, renderTimings } from './rollout-status.js';
import { Noon, rolloutView } from './testing.js';

describe('renderRolloutStatus', () => {
  it('shows the phase and message, the builds from old to new, and the step timings', () => {
    expect(renderRolloutStatus(rolloutView(), Noon)).toBe(
      [
        'rollout  ro_1  fleet arena  arena-1 → arena-2  (blue-green)',
        'phase    Draining: waiting for 3 sessions on arena-1 to end',
        'target   2 arena-2 servers ready before the switch; 0 failed starts',
        'timings  created→ready 40s  ready→switch 12s  switch→completed 1m8s…',
        '',
        'BUILD    WEIGHT  SERVERS           SESSIONS',
        'arena-1  0       Draining:2        3',
        'arena-2  100     Ready:1 Active:1  4',
      ].join('\n'),
    );
  });

  it('reports the smoke check and tells the operator how to promote a rollout waiting for it', () => {
    const waiting = rolloutView({
      phase: 'AwaitingPromotion',
      message: 'ready and verified',
      switchedAt: null,
      smoke: { state: 'passed', serverId: 'srv_n', startedAt: Noon - 70_000, finishedAt: Noon - 68_500, detail: 'HTTP 200' },
    });
    const text = renderRolloutStatus(waiting, Noon);
    expect(text).toContain('smoke    passed on srv_n in 1s: HTTP 200');
    expect(text).toContain('next     switch with: handoff rollout promote arena');
    expect(text).toContain('ready→switch 1m20s…  switch→completed -');
  });
});

describe('renderRolloutStatus of a rolling release', () => {
  it('shows the batches, what is in rotation and how to resume a pause', () => {
    const paused = rolloutView({
      strategy: 'rolling',
      phase: 'Paused',
      message: 'paused: batch 2/4: 0/1 servers of arena-2 Ready after 300s; fix the cause and promote to resume, or abort',
      targetServers: 4,
      progressState: { batch: 2, batches: 4, batchSize: 1, replaced: 1, inRotation: 1, oldInRotation: 2, outOfRotation: 1 },
    });
    const text = renderRolloutStatus(paused, Noon);
    expect(text).toContain('batches  2/4 (1 server each): 1/4 replaced; in rotation 1 arena-2, 2 arena-1; 1 arena-1 emptying; 0 failed starts');
    expect(text).not.toContain('ready before the switch');
    expect(text).toContain('next     resume with: handoff rollout promote arena  (or: handoff rollout abort arena)');
  });
});

describe('renderTimings', () => {
  it('shows every step of a completed rollout as a closed span', () => {
    const done = rolloutView({ phase: 'Completed', completedAt: Noon - 8000 });
    expect(renderTimings(done, Noon)).toBe('created→ready 40s  ready→switch 12s  switch→completed 1m');
  });

  it('shows steps never reached by a failed rollout as -, and when it failed', () => {
    const failed = rolloutView({ phase: 'Failed', readyAt: null, switchedAt: null, failedAt: Noon - 20_000 });
    expect(renderTimings(failed, Noon)).toBe('created→ready -  ready→switch -  switch→completed -  failed after 1m40s');
  });

  it('marks the running step with … while the rollout is in flight', () => {
    const provisioning = rolloutView({ phase: 'Provisioning', readyAt: null, switchedAt: null });
    expect(renderTimings(provisioning, Noon)).toBe('created→ready 2m…  ready→switch -  switch→completed -');
  });
});

describe('renderBuildTable', () => {
  it('lists builds other than the rollout pair after it', () => {
    const r = rolloutView({
      progress: {
        builds: {
          'arena-0': { servers: { Draining: 1 }, sessions: 1, weight: 0 },
          'arena-2': { servers: {}, sessions: 0, weight: 100 },
          'arena-1': { servers: { Active: 1 }, sessions: 2, weight: 0 },
        },
        draining: [],
      },
    });
    expect(renderBuildTable(r).split('\n').map((l) => l.split(' ')[0])).toEqual(['BUILD', 'arena-1', 'arena-2', 'arena-0']);
  });
});

describe('renderForecast', () => {
  const base = { build: 'v1', now: Noon, status: 'ok', reason: null, openSessions: 3 };
  it.each([
    [{ ...base, emptyAt: { p10: { at: Noon + 240_000, laterThan: null }, p50: { at: Noon + 720_000, laterThan: null }, p90: { at: null, laterThan: Noon + 1_860_000 } } }, 'v1: 3 sessions; empty in ~12m (10–90 %: 4m–>31m)'],
    [{ ...base, status: 'insufficient-data', reason: 'fewer than 20 ended sessions', emptyAt: null }, 'v1: 3 sessions; no estimate yet (fewer than 20 ended sessions)'],
    [{ ...base, status: 'empty', openSessions: 0, emptyAt: null }, 'v1: empty'],
  ])('renders %j as %s', (f, text) => {
    expect(renderForecast(f)).toBe(text);
  });
});

describe('renderProgress', () => {
  it("lists a strategy's scalar figures in its order and leaves nested ones out", () => {
    expect(renderProgress({ batch: 2, batches: 4, weight: 20, variants: { a: 1 }, note: null })).toBe('batch 2  batches 4  weight 20');
  });
});

describe('builds of superseded releases', () => {
  it('are listed after the rollout pair as draining', () => {
    const r = rolloutView({ progress: { builds: {}, draining: [{ build: 'arena-0', servers: 2, sessions: 5 }] } });
    expect(renderBuildTable(r)).toContain('arena-0 (draining)');
  });
});

describe('the background analysis in rollout status', () => {
  const spec = { strategy: 'blue-green', backgroundAnalysis: { intervalSeconds: 60, windowSeconds: 300, metrics: [{ metric: 'crash_rate', max: 0.05 }] } };

  it('shows its schedule and how many checks ran', () => {
    const r = rolloutView({ spec, background: { nextAt: Noon + 12_000, running: null, runs: 3, heldAt: null } });
    expect(renderRolloutStatus(r, Noon)).toContain('backgrnd every 1m over 5m; 3 checks; next in 12s');
  });

  it('says a release is held by an inconclusive verdict, and how to go on', () => {
    const r = rolloutView({ spec, background: { nextAt: Noon + 12_000, running: null, runs: 1, heldAt: Noon - 30_000 } });
    const text = renderRolloutStatus(r, Noon);
    expect(text).toContain('backgrnd every 1m over 5m; 1 check; next in 12s; HELD by an inconclusive verdict for 30s');
    expect(text).toContain('next     continue with: handoff rollout promote arena');
  });

  it('shows nothing for a release without one', () => {
    expect(renderRolloutStatus(rolloutView(), Noon)).not.toContain('backgrnd');
  });
});
