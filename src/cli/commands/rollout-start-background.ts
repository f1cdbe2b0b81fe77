/**
 * The `--background-*` flags of `handoff rollout start`: a background analysis, which every
 * strategy takes. Metrics in one flag, comma-separated: `crash_rate<=0.05` (a ceiling),
 * `session_length_seconds>=60` (a floor), `abnormal_close_rate compare` (against the old build,
 * with the catalogue's defaults). Richer analyses (Prometheus queries, a webhook) go in a
 * `kind: Rollout` manifest. Unknown metric names are the server's to refuse (ANALYSIS_UNKNOWN_METRIC).
 */
import { parseDurationSeconds } from '../parse.js';
import { UsageError } from '../usage.js';

export const backgroundFlags = {
  'background-analysis': { type: 'string' },
  'background-interval': { type: 'string' },
  'background-window': { type: 'string' },
  'background-on-inconclusive': { type: 'string' },
} as const;

export const backgroundUsage = `Background analysis (any strategy): the new build against the old, every interval from the
start of the release until it ends. Fail: the release fails and new sessions go back to the
old build; inconclusive: recorded, the release goes on (or waits for promote, with pause).
  --background-analysis "M, M, ..."  metrics: crash_rate<=0.05, session_length_seconds>=60,
                            abnormal_close_rate compare, custom.tick_ms<=50
  --background-interval D   between checks (server default 60s)
  --background-window D     the samples each check judges (server default 5m)
  --background-on-inconclusive continue|pause   (server default continue)`;

export interface BackgroundMetricRequest {
  metric: string;
  max?: number;
  min?: number;
  compare?: 'auto';
  minSamples?: number;
}

export interface BackgroundRequest {
  metrics: BackgroundMetricRequest[];
  intervalSeconds?: number;
  windowSeconds?: number;
  onInconclusive?: 'continue' | 'pause';
}

type BackgroundValues = { [K in keyof typeof backgroundFlags]?: string | undefined };

/** The request's `backgroundAnalysis`, or null when no `--background-*` flag was given. */
export function parseBackground(values: BackgroundValues): BackgroundRequest | null {
  const text = values['background-analysis'];
  const others = (['background-interval', 'background-window', 'background-on-inconclusive'] as const).filter((f) => values[f] !== undefined);
  if (text === undefined) {
    if (others.length > 0) throw new UsageError(`${others.map((f) => `--${f}`).join(', ')} need --background-analysis`, 'rollout start');
    return null;
  }
  const request: BackgroundRequest = { metrics: text.split(',').map((m) => m.trim()).filter((m) => m !== '').map(parseMetric) };
  if (request.metrics.length === 0) throw new UsageError('--background-analysis needs at least one metric (e.g. "crash_rate<=0.05")', 'rollout start');
  if (values['background-interval'] !== undefined) request.intervalSeconds = parseDurationSeconds('--background-interval', values['background-interval']);
  if (values['background-window'] !== undefined) request.windowSeconds = parseDurationSeconds('--background-window', values['background-window']);
  const policy = values['background-on-inconclusive'];
  if (policy !== undefined) {
    if (policy !== 'continue' && policy !== 'pause') throw new UsageError(`--background-on-inconclusive: "${policy}" is not continue or pause`, 'rollout start');
    request.onInconclusive = policy;
  }
  return request;
}

const METRIC = /^([a-z][a-z0-9_.]*)\s*(?:(<=|>=)\s*(-?\d+(?:\.\d+)?)|\s+(compare))$/;

function parseMetric(item: string): BackgroundMetricRequest {
  const m = METRIC.exec(item);
  if (!m) throw new UsageError(`--background-analysis: "${item}" is not METRIC<=N, METRIC>=N or METRIC compare`, 'rollout start');
  const [, metric = '', op, value, compare] = m;
  if (compare) return { metric, compare: 'auto' };
  return op === '<=' ? { metric, max: Number(value) } : { metric, min: Number(value) };
}
