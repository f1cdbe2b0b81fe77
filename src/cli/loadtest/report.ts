/**
 * What `handoff loadtest` prints, computed from what the driver recorded. Pure: the samples,
 * the error counts and the run's own timings go in, figures and text come out, so the arithmetic
 * (percentiles, rates) is tested without a network.
 */

/** What the driver recorded. Latencies are from each request's *scheduled* send time, in ms. */
export interface LoadtestSamples {
  ratePerS: number;
  durationMs: number;
  urls: readonly string[];
  /** Requests the schedule called for, and how many of them were sent. */
  scheduled: number;
  sent: number;
  /** Latency of every successful allocation, from its scheduled time to the end of its answer. */
  okLatenciesMs: readonly number[];
  /** Failures by code: the API's error code, `HTTP_<status>` without one, or the socket error. */
  errors: Readonly<Record<string, number>>;
  /** From the first scheduled time to the last answer (or the end of the schedule if later). */
  elapsedMs: number;
  /** How late the generator itself sent requests (send time − scheduled time), worst case, ms. */
  maxSendLagMs: number;
}

export interface LoadtestReport {
  urls: string[];
  offeredPerS: number;
  durationS: number;
  scheduled: number;
  sent: number;
  ok: number;
  failed: number;
  allocationsPerS: number;
  latencyMs: { p50: number; p99: number; p999: number; max: number } | null;
  errors: Record<string, number>;
  maxSendLagMs: number;
}

/** Nearest-rank percentile of an ascending array (`q` in 0..1); NaN when empty. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] as number;
}

const r2 = (x: number): number => Math.round(x * 100) / 100;

export function summarizeLoadtest(s: LoadtestSamples): LoadtestReport {
  const sorted = [...s.okLatenciesMs].sort((a, b) => a - b);
  const failed = Object.values(s.errors).reduce((a, b) => a + b, 0);
  const errors = Object.fromEntries(Object.entries(s.errors).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
  return {
    urls: [...s.urls],
    offeredPerS: s.ratePerS,
    durationS: s.durationMs / 1000,
    scheduled: s.scheduled,
    sent: s.sent,
    ok: sorted.length,
    failed,
    // Over the whole run, so answers that arrive late pull the rate down instead of hiding.
    allocationsPerS: s.elapsedMs > 0 ? Math.round((sorted.length / s.elapsedMs) * 1000) : 0,
    latencyMs: sorted.length === 0 ? null : {
      p50: r2(percentile(sorted, 0.5)), p99: r2(percentile(sorted, 0.99)), p999: r2(percentile(sorted, 0.999)), max: r2(sorted[sorted.length - 1] as number),
    },
    errors,
    maxSendLagMs: r2(s.maxSendLagMs),
  };
}

/** Above this, the generator could not keep its own schedule: say so, the figures include it. */
export const SEND_LAG_WARNING_MS = 5;

export function renderLoadtest(r: LoadtestReport): string {
  const lines = [
    `target       ${r.urls.join(', ')}`,
    `offered      ${r.offeredPerS}/s for ${r.durationS} s, open loop (${r.sent} of ${r.scheduled} requests sent)`,
    `allocations  ${r.ok} ok, ${r.failed} failed; ${r.allocationsPerS}/s`,
    r.latencyMs === null
      ? 'latency      no successful allocation'
      : `latency      p50 ${r.latencyMs.p50} ms  p99 ${r.latencyMs.p99} ms  p99.9 ${r.latencyMs.p999} ms  max ${r.latencyMs.max} ms (from the scheduled send time)`,
  ];
  const errs = Object.entries(r.errors);
  lines.push(errs.length === 0 ? 'errors       none' : `errors       ${errs.map(([code, n]) => `${code} ${n}`).join(', ')}`);
  if (r.maxSendLagMs > SEND_LAG_WARNING_MS) {
    lines.push(`warning      the load generator fell up to ${r.maxSendLagMs} ms behind its schedule (its machine is busy); latencies include that delay`);
  }
  return lines.join('\n');
}
