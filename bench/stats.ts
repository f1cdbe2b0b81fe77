/**
 * Numbers from raw observations: latency percentiles, and deltas of the control plane's
 * Prometheus histograms between two scrapes (the bench cannot see inside the server process,
 * so /metrics is how it learns commit sizes, commit time, GC time and event-loop lag).
 */

export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

/** Nearest-rank percentiles: every reported value is one a request actually saw. */
export function summarizeLatencies(ms: Float64Array): LatencySummary {
  const sorted = Float64Array.from(ms).sort();
  const n = sorted.length;
  const at = (q: number): number => (n === 0 ? NaN : (sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))] ?? NaN));
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: n,
    meanMs: n === 0 ? NaN : sum / n,
    p50Ms: at(0.5),
    p90Ms: at(0.9),
    p99Ms: at(0.99),
    p999Ms: at(0.999),
    maxMs: n === 0 ? NaN : (sorted[n - 1] ?? NaN),
  };
}

export interface SlowRequests {
  thresholdMs: number;
  count: number;
  /** Distinct 100 ms windows (by send time) holding them: few windows = stalls, many = steady. */
  windows100ms: number;
  /** Send time (s into the phase) of the slowest request. */
  worstAtS: number | null;
}

export function slowRequests(latenciesMs: Float64Array, sentAtMs: Float64Array, thresholdMs: number): SlowRequests {
  const windows = new Set<number>();
  let count = 0;
  let worst = -1;
  let worstAt: number | null = null;
  for (let i = 0; i < latenciesMs.length; i++) {
    const l = latenciesMs[i] ?? 0;
    if (l <= thresholdMs) continue;
    count++;
    windows.add(Math.floor((sentAtMs[i] ?? 0) / 100));
    if (l > worst) {
      worst = l;
      worstAt = (sentAtMs[i] ?? 0) / 1000;
    }
  }
  return { thresholdMs, count, windows100ms: windows.size, worstAtS: worstAt === null ? null : round(worstAt, 2) };
}

/** One Prometheus text exposition: `name{labels}` → value. */
export type Scrape = Map<string, number>;

export function parseProm(text: string): Scrape {
  const out: Scrape = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    // Label values never contain a space followed by a number at the end, so split at the last space.
    const cut = line.lastIndexOf(' ');
    if (cut <= 0) continue;
    const value = Number(line.slice(cut + 1));
    if (!Number.isNaN(value)) out.set(line.slice(0, cut), value);
  }
  return out;
}

/** Sum of every series of `name` (all label sets), after minus before. */
export function counterDelta(before: Scrape, after: Scrape, name: string, labelFilter = ''): number {
  let total = 0;
  for (const [series, v] of after) {
    if (!matches(series, name, labelFilter)) continue;
    total += v - (before.get(series) ?? 0);
  }
  return total;
}

export function gauge(s: Scrape, name: string): number | null {
  return s.get(name) ?? null;
}

function matches(series: string, name: string, labelFilter: string): boolean {
  if (series !== name && !series.startsWith(`${name}{`)) return false;
  return labelFilter === '' || series.includes(labelFilter);
}

export interface HistogramDelta {
  count: number;
  sum: number;
  mean: number;
  /** Upper bound (le) → observations in (previous bound, le], over the interval. */
  buckets: { le: string; count: number }[];
  /** Smallest bucket bound holding at least this share of observations. */
  p50: string;
  p90: string;
  p99: string;
}

/** A histogram's observations between two scrapes, summed over label sets. */
export function histogramDelta(before: Scrape, after: Scrape, name: string): HistogramDelta {
  const cumulative = new Map<string, number>();
  for (const [series, v] of after) {
    if (!series.startsWith(`${name}_bucket{`)) continue;
    const le = /le="([^"]+)"/.exec(series)?.[1];
    if (le === undefined) continue;
    cumulative.set(le, (cumulative.get(le) ?? 0) + v - (before.get(series) ?? 0));
  }
  const bounds = [...cumulative.keys()].sort((a, b) => toBound(a) - toBound(b));
  const count = counterDelta(before, after, `${name}_count`);
  const sum = counterDelta(before, after, `${name}_sum`);
  let previous = 0;
  const buckets = bounds.map((le) => {
    const c = cumulative.get(le) ?? 0;
    const b = { le, count: c - previous };
    previous = c;
    return b;
  });
  const quantile = (q: number): string => bounds.find((le) => (cumulative.get(le) ?? 0) >= q * count) ?? '+Inf';
  return { count, sum, mean: count === 0 ? NaN : sum / count, buckets, p50: quantile(0.5), p90: quantile(0.9), p99: quantile(0.99) };
}

function toBound(le: string): number {
  return le === '+Inf' ? Infinity : Number(le);
}

export function round(v: number, digits = 2): number {
  if (!Number.isFinite(v)) return v;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
