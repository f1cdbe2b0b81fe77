/**
 * Signals per (fleet, build) in bounded, time-bucketed windows. Pure: no clock (every observation
 * and query carries its time), randomness injected (reservoir sampling).
 *
 * Memory is bounded whatever the game sends: buckets older than `retentionMs` (relative to the
 * newest observation of that build) are dropped; a distribution keeps at most `reservoir` values
 * per bucket (a uniform reservoir sample, with the count of values seen); a counter keeps at most
 * `maxUnits` sessions/servers per bucket; a build keeps at most `maxMetrics` metric names (custom
 * names beyond that are counted as `dropped`, never stored).
 *
 * Time resolution is one bucket: a query over [since, until) reads every bucket that overlaps it,
 * so a window's edges are accurate to `bucketMs`.
 */
import type { MetricSamples, RateSample } from '../judge/model.js';
import { BuiltinSignals, type Observation, type SignalKind } from './model.js';

export interface WindowOptions {
  bucketMs: number;
  retentionMs: number;
  /** Values kept per distribution bucket. */
  reservoir: number;
  /** Values a query returns per build and metric at most (taken from buckets in proportion to what each saw). */
  maxSamples: number;
  /** Distinct servers (rates) or sessions (counters) kept per bucket. */
  maxUnits: number;
  maxMetrics: number;
}

export const DefaultWindowOptions: WindowOptions = {
  bucketMs: 10_000, retentionMs: 60 * 60_000, reservoir: 64, maxSamples: 2_000, maxUnits: 2_000, maxMetrics: 64,
};

type RateBucket = { kind: 'rate'; events: number; trials: number; units: Set<string> };
type ValueBucket = { kind: 'value'; seen: number; values: number[] };
type CountBucket = { kind: 'count'; units: Map<string, number> };
type Bucket = RateBucket | ValueBucket | CountBucket;

/** A build's signals: metric → bucket start → bucket. */
type BuildSignals = { newest: number; metrics: Map<string, Map<number, Bucket>> };

export class SignalWindows {
  private readonly builds = new Map<string, BuildSignals>();
  /** Observations refused because their build already had `maxMetrics` metric names. */
  dropped = 0;

  constructor(
    private readonly opts: WindowOptions = DefaultWindowOptions,
    private readonly random: () => number = Math.random,
  ) {}

  record(fleet: string, build: string, o: Observation): void {
    if (!Number.isFinite(o.at) || (o.kind !== 'rate' && !Number.isFinite(o.value))) return;
    const key = buildKey(fleet, build);
    let b = this.builds.get(key);
    if (!b) this.builds.set(key, (b = { newest: o.at, metrics: new Map() }));
    if (o.at > b.newest) {
      const crossed = Math.floor(o.at / this.opts.bucketMs) > Math.floor(b.newest / this.opts.bucketMs);
      b.newest = o.at;
      // Once per new bucket: old ones fall out of retention only then.
      if (crossed) this.prune(b);
    }
    if (o.at < b.newest - this.opts.retentionMs) return;
    let metric = b.metrics.get(o.metric);
    if (!metric) {
      if (b.metrics.size >= this.opts.maxMetrics) {
        this.dropped++;
        return;
      }
      b.metrics.set(o.metric, (metric = new Map()));
    }
    const start = Math.floor(o.at / this.opts.bucketMs) * this.opts.bucketMs;
    const bucket = metric.get(start) ?? emptyBucket(o.kind);
    metric.set(start, bucket);
    this.add(bucket, o);
  }

  /**
   * One metric of one build over [since, until), or undefined when nothing of it was kept.
   * `liveUnits` are servers known to be up at `until`, for rates whose trials are distinct servers.
   */
  read(fleet: string, build: string, metric: string, since: number, until: number, liveUnits: readonly string[] = []): RateSample | number[] | undefined {
    const buckets = this.bucketsIn(fleet, build, metric, since, until);
    const kind = buckets[0]?.kind ?? (BuiltinSignals[metric as keyof typeof BuiltinSignals] === 'rate' ? 'rate' : undefined);
    if (kind === undefined) return undefined;
    if (kind === 'rate') {
      let events = 0;
      let trials = 0;
      const units = new Set<string>();
      for (const b of buckets) {
        if (b.kind !== 'rate') continue;
        events += b.events;
        trials += b.trials;
        for (const u of b.units) units.add(u);
      }
      for (const u of liveUnits) units.add(u);
      return { events, trials: trials + units.size };
    }
    if (kind === 'count') {
      const out: number[] = [];
      for (const b of buckets) if (b.kind === 'count') for (const v of b.units.values()) out.push(v);
      return takeEvenly(out, this.opts.maxSamples);
    }
    return this.mergeValues(buckets.filter((b): b is ValueBucket => b.kind === 'value'));
  }

  /** The canary's and the baseline's samples of `metric` over the same window, as the judge takes them. */
  compare(fleet: string, metric: string, builds: { canary: string; baseline: string }, since: number, until: number, live: { canary?: readonly string[]; baseline?: readonly string[] } = {}): MetricSamples | undefined {
    const canary = this.read(fleet, builds.canary, metric, since, until, live.canary);
    const baseline = this.read(fleet, builds.baseline, metric, since, until, live.baseline);
    const kind: SignalKind | undefined = isRate(canary) || isRate(baseline) ? 'rate' : canary || baseline ? 'distribution' : undefined;
    if (kind === 'rate') return { kind, canary: isRate(canary) ? canary : { events: 0, trials: 0 }, baseline: isRate(baseline) ? baseline : { events: 0, trials: 0 } };
    if (kind === 'distribution') return { kind, canary: Array.isArray(canary) ? canary : [], baseline: Array.isArray(baseline) ? baseline : [] };
    return undefined;
  }

  /** Metric names kept for a build (custom ones included). */
  metricsOf(fleet: string, build: string): string[] {
    return [...(this.builds.get(buildKey(fleet, build))?.metrics.keys() ?? [])];
  }

  private bucketsIn(fleet: string, build: string, metric: string, since: number, until: number): Bucket[] {
    const m = this.builds.get(buildKey(fleet, build))?.metrics.get(metric);
    if (!m) return [];
    const out: Bucket[] = [];
    for (const [start, b] of m) if (start + this.opts.bucketMs > since && start < until) out.push(b);
    return out;
  }

  private add(bucket: Bucket, o: Observation): void {
    if (bucket.kind === 'rate' && o.kind === 'rate') {
      bucket.events += o.events;
      bucket.trials += o.trials;
      if (o.unit !== undefined && bucket.units.size < this.opts.maxUnits) bucket.units.add(o.unit);
    } else if (bucket.kind === 'value' && o.kind === 'value') {
      bucket.seen++;
      // Reservoir sampling (algorithm R): every value seen has the same chance to be kept.
      if (bucket.values.length < this.opts.reservoir) bucket.values.push(o.value);
      else {
        const j = Math.floor(this.random() * bucket.seen);
        if (j < this.opts.reservoir) bucket.values[j] = o.value;
      }
    } else if (bucket.kind === 'count' && o.kind === 'count') {
      const current = bucket.units.get(o.unit);
      if (current !== undefined) bucket.units.set(o.unit, current + o.value);
      else if (bucket.units.size < this.opts.maxUnits) bucket.units.set(o.unit, o.value);
    }
    // A metric reported as two kinds keeps the first: the other observations are ignored.
  }

  /**
   * Each bucket's reservoir stands for `seen` values: a bucket that saw ten times more gets ten
   * times more of the returned values, so a busy minute is not outweighed by a quiet one.
   */
  private mergeValues(buckets: ValueBucket[]): number[] {
    const seen = buckets.reduce((n, b) => n + b.seen, 0);
    const kept = buckets.reduce((n, b) => n + b.values.length, 0);
    if (kept <= this.opts.maxSamples && kept === seen) return buckets.flatMap((b) => b.values);
    const scale = Math.min(1, this.opts.maxSamples / seen);
    return buckets.flatMap((b) => b.values.slice(0, Math.max(1, Math.min(b.values.length, Math.round(b.seen * scale)))));
  }

  private prune(b: BuildSignals): void {
    const oldest = b.newest - this.opts.retentionMs - this.opts.bucketMs;
    for (const m of b.metrics.values()) for (const start of m.keys()) if (start < oldest) m.delete(start);
    for (const [name, m] of b.metrics) if (m.size === 0) b.metrics.delete(name);
  }
}

function emptyBucket(kind: Observation['kind']): Bucket {
  if (kind === 'rate') return { kind, events: 0, trials: 0, units: new Set() };
  if (kind === 'value') return { kind, seen: 0, values: [] };
  return { kind, units: new Map() };
}

function isRate(x: RateSample | number[] | undefined): x is RateSample {
  return x !== undefined && !Array.isArray(x);
}

/** At most `max` of `xs`, spread evenly over it. */
function takeEvenly(xs: number[], max: number): number[] {
  if (xs.length <= max) return xs;
  const step = xs.length / max;
  return Array.from({ length: max }, (_, i) => xs[Math.floor(i * step)] ?? 0);
}

function buildKey(fleet: string, build: string): string {
  return `${fleet}\u0000${build}`;
}
