import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricSamples } from '../analysis/judge/model.js';
import { judgePrometheus } from '../analysis/providers/prometheus.js';
import { AnalysisSpecSchema, type AnalysisSpec } from '../analysis/spec.js';
import { callWebhook } from '../analysis/webhook.js';
import { sampleRollout } from '../store/fixtures.js';
import { runMetricsAnalysis, runMetricsAnalysisSafely, verdictSummary, withVerdict, type AnalysisDeps } from './analysis-run.js';
import type { MetricsCheck } from './strategy.js';

const T0 = 1_000_000;
const spec = (input: unknown): AnalysisSpec => AnalysisSpecSchema.parse(input);
const check = (analysis: AnalysisSpec): MetricsCheck => ({
  serverId: '', analysis, window: { since: T0, until: T0 + 30_000 }, canary: 'v2', baseline: 'v1', label: 'step 2/3', payload: { rollout: 'ro_1' },
});
const rate = (events: number, trials: number, baseEvents: number, baseTrials: number): MetricSamples => ({
  kind: 'rate', canary: { events, trials }, baseline: { events: baseEvents, trials: baseTrials },
});

describe('runMetricsAnalysis', () => {
  let server: Server;
  let base = '';
  const bodies: Record<string, unknown>[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(JSON.parse(body) as Record<string, unknown>);
        res.statusCode = req.url === '/deny' ? 409 : 200;
        res.end(req.url === '/deny' ? 'manual gate closed' : 'ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const a = server.address();
    if (a === null || typeof a === 'string') throw new Error('no address');
    base = `http://127.0.0.1:${a.port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const asked: { fleet: string; canary: string; baseline: string; since: number; until: number }[] = [];
  const deps = (samples: Record<string, MetricSamples | undefined>, prometheusValue: number | null = null): AnalysisDeps => ({
    samplesFor: (fleet, canary, baseline, since, until) => {
      asked.push({ fleet, canary, baseline, since, until });
      return samples;
    },
    webhook: callWebhook,
    prometheus: async (q) => judgePrometheus(q, prometheusValue === null ? { kind: 'empty' } : { kind: 'value', value: prometheusValue }),
  });

  it('judges the canary against the baseline over the check window and fails a build that crashes', async () => {
    const result = await runMetricsAnalysis('arena', check(spec({ metrics: [{ metric: 'crash_rate', max: 0.05, minSamples: 3 }] })), deps({ crash_rate: rate(3, 4, 0, 6) }));
    expect(asked.at(-1)).toEqual({ fleet: 'arena', canary: 'v2', baseline: 'v1', since: T0, until: T0 + 30_000 });
    expect(result.verdict).toBe('fail');
    expect(result.metrics[0]).toMatchObject({ metric: 'crash_rate', verdict: 'fail', canary: { n: 4, value: 0.75 } });
    expect(verdictSummary(result)).toMatch(/^fail: crash_rate .*0\.75/);
  });

  it('is inconclusive, never a pass, when the window holds too few samples', async () => {
    const result = await runMetricsAnalysis('arena', check(spec({ metrics: [{ metric: 'crash_rate', max: 0.5 }] })), deps({ crash_rate: rate(0, 2, 0, 2) }));
    expect(result.verdict).toBe('inconclusive');
  });

  it.each([
    ['a 2xx answer passes the gate', '/allow', 'pass'],
    ['any other answer fails it', '/deny', 'fail'],
  ] as const)('asks the analysis webhook with the judged metrics: %s', async (_what, path, verdict) => {
    const a = spec({ metrics: [{ metric: 'crash_rate', max: 0.5, minSamples: 2 }], webhook: { url: `${base}${path}` } });
    const result = await runMetricsAnalysis('arena', check(a), deps({ crash_rate: rate(0, 5, 0, 5) }));
    expect(result.metrics.map((m) => [m.metric, m.verdict])).toEqual([['crash_rate', 'pass'], ['webhook', verdict]]);
    expect(result.verdict).toBe(verdict);
    expect(bodies.at(-1)).toMatchObject({ rollout: 'ro_1', window: { since: T0, until: T0 + 30_000 }, metrics: [{ metric: 'crash_rate', verdict: 'pass' }] });
    if (verdict === 'fail') expect(result.metrics[1]?.reason).toContain('409: manual gate closed');
  });

  it('adds each Prometheus query as its own metric, judged by the same rule', async () => {
    const a = spec({ prometheus: [{ name: 'errors', query: 'sum(errors)', max: 1 }] });
    expect((await runMetricsAnalysis('arena', check(a), deps({}, 3))).metrics).toMatchObject([{ metric: 'prometheus.errors', verdict: 'fail', canary: { value: 3 } }]);
    expect((await runMetricsAnalysis('arena', check(a), deps({}, 0))).verdict).toBe('pass');
    expect((await runMetricsAnalysis('arena', check(a), deps({}, null))).verdict).toBe('inconclusive');
  });
});

describe('withVerdict', () => {
  const a = spec({ metrics: [{ metric: 'crash_rate', max: 0.05, minSamples: 3 }] });
  const running = sampleRollout({ phase: 'Verifying', analyses: [], smoke: { state: 'running', serverId: '', startedAt: T0, finishedAt: null, detail: '' } });
  const failed = { verdict: 'fail' as const, metrics: [{ metric: 'crash_rate', verdict: 'fail' as const, canary: { n: 4, value: 0.75 }, baseline: { n: 6, value: 0 }, test: null, reason: 'crash_rate is 0.75.' }] };

  it('stores the verdict with its numbers and the window, and logs it as rollout.verdict', () => {
    const out = withVerdict(running, check(a), failed, T0 + 30_001)!;
    expect(out.rollout.smoke).toMatchObject({ state: 'failed', finishedAt: T0 + 30_001, detail: 'fail: crash_rate is 0.75.' });
    expect(out.rollout.analyses).toEqual([{ step: 'step 2/3', kind: 'step', verdict: 'fail', result: failed, window: { since: T0, until: T0 + 30_000 }, canary: 'v2', baseline: 'v1', at: T0 + 30_001 }]);
    expect(out.event).toMatchObject({ kind: 'appendEvent', event: { kind: 'rollout.verdict', data: { verdict: 'fail', step: 'step 2/3', kind: 'step' } } });
  });

  it('records a verdict of a running check outside Verifying too (blue-green after its switch)', () => {
    expect(withVerdict({ ...running, phase: 'Draining' }, check(a), failed, T0 + 30_001)?.rollout.smoke?.state).toBe('failed');
  });

  it.each([
    ['the release was aborted meanwhile', { ...running, phase: 'Aborted' as const }],
    ['the check is another step\'s (another window)', { ...running, smoke: { ...running.smoke!, startedAt: T0 + 1 } }],
    ['the step already has its verdict', { ...running, smoke: { ...running.smoke!, state: 'passed' as const } }],
  ])('changes nothing when %s', (_why, r) => {
    expect(withVerdict(r, check(a), failed, T0 + 30_001)).toBeNull();
  });

  it('turns an analysis that throws into an inconclusive verdict, never a pass', async () => {
    const broken: AnalysisDeps = { samplesFor: () => { throw new Error('boom'); }, webhook: callWebhook, prometheus: () => Promise.reject(new Error('x')) };
    expect(await runMetricsAnalysisSafely('arena', check(a), broken)).toMatchObject({ verdict: 'inconclusive', metrics: [{ metric: 'analysis', reason: 'The analysis could not run: Error: boom' }] });
  });
});
