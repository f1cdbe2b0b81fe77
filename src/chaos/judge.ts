/**
 * The hypothesis judge: measurements and thresholds in, holds or broken (and which check broke)
 * out. Pure — the runner hands in what it recorded and its clock's `now` — so every verdict is a
 * table test.
 */
import type { AllocationSample, Breach, Hypothesis, Interruption, Judgement, Measurement } from './model.js';

/** Nearest-rank percentile of an ascending array (`q` in 0..1); null when empty. */
function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] ?? null;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** Everything recorded in the span (from, to]. */
export function measure(samples: readonly AllocationSample[], interruptions: readonly Interruption[], from: number, to: number): Measurement {
  const inSpan = samples.filter((s) => s.at > from && s.at <= to);
  const okLatencies = inSpan.flatMap((s) => (s.ok && s.latencyMs !== null ? [s.latencyMs] : [])).sort((a, b) => a - b);
  const errors: Record<string, number> = {};
  for (const s of inSpan) if (!s.ok) errors[s.code ?? 'UNKNOWN'] = (errors[s.code ?? 'UNKNOWN'] ?? 0) + 1;
  const ok = inSpan.filter((s) => s.ok).length;
  const p99 = percentile(okLatencies, 0.99);
  return {
    answered: inSpan.length,
    ok,
    allocationSuccess: inSpan.length === 0 ? null : ok / inSpan.length,
    p99LatencyMs: p99 === null ? null : round2(p99),
    sessionsInterrupted: interruptions.filter((i) => i.at > from && i.at <= to).length,
    errors,
  };
}

/**
 * Compares a measurement with the hypothesis. Allocation checks need `minSamples` answers to
 * say anything: a window with two answers, one failed, is noise, not a 50 % success rate. The
 * interruption count needs no sample size: one cut-off player is one too many when the limit is 0.
 */
export function compare(h: Hypothesis, m: Measurement): Judgement {
  const breaches: Breach[] = [];
  const enough = m.answered >= h.minSamples;
  if (enough && h.minAllocationSuccess !== null && m.allocationSuccess !== null && m.allocationSuccess < h.minAllocationSuccess) {
    breaches.push({ check: 'allocationSuccess', observed: round2(m.allocationSuccess * 10_000) / 10_000, limit: h.minAllocationSuccess });
  }
  if (h.maxSessionsInterrupted !== null && m.sessionsInterrupted > h.maxSessionsInterrupted) {
    breaches.push({ check: 'sessionsInterrupted', observed: m.sessionsInterrupted, limit: h.maxSessionsInterrupted });
  }
  if (enough && h.maxP99LatencyMs !== null && m.p99LatencyMs !== null && m.p99LatencyMs > h.maxP99LatencyMs) {
    breaches.push({ check: 'p99LatencyMs', observed: m.p99LatencyMs, limit: h.maxP99LatencyMs });
  }
  return breaches.length === 0 ? { holds: true, measurement: m } : { holds: false, measurement: m, breaches };
}

/**
 * The live verdict while a fault is on: allocation checks over the last `windowMs` (never before
 * `since`, the injection), interruptions over everything since `since` — a session cut off at
 * the start of the fault still counts at its end.
 */
export function judgeNow(h: Hypothesis, samples: readonly AllocationSample[], interruptions: readonly Interruption[], since: number, now: number): Judgement {
  const window = measure(samples, [], Math.max(since, now - h.windowMs), now);
  const interrupted = interruptions.filter((i) => i.at > since && i.at <= now).length;
  return compare(h, { ...window, sessionsInterrupted: interrupted });
}

/** The verdict on a whole phase (the baseline, the time after restoration): (from, to] as one span. */
export function judgeSpan(h: Hypothesis, samples: readonly AllocationSample[], interruptions: readonly Interruption[], from: number, to: number): Judgement {
  return compare(h, measure(samples, interruptions, from, to));
}
