/**
 * Pure arithmetic of the overload phase (no I/O, no clock): when normal traffic counts as
 * recovered after a flood, and how answers spread over time. Kept apart from the generator so
 * the definitions can be read, and tested, on their own.
 */
import { round, summarizeLatencies } from './stats.js';

/** One window of requests grouped by their scheduled send time. */
export interface Window {
  /** Start of the window, ms after the reference (the flood's end, for recovery traffic). */
  atMs: number;
  sent: number;
  ok: number;
  /** p99 of the successful requests in the window; null when none succeeded. */
  p99Ms: number | null;
}

/**
 * The recovery time: the start of the first `spanMs` stretch of traffic (by scheduled send
 * time, searched in `stepMs` steps) in which every request succeeded and their p99 stayed within
 * `normalMs`. A single span, not "every request from then on", so one later hiccup unrelated to
 * the flood does not move it; the span must lie inside the traffic (null: never recovered).
 *
 * `sentAtMs` is ascending; `latencyMs[i]` is NaN for a request that failed or got no answer.
 */
export function recoveredAfterMs(sentAtMs: Float64Array, latencyMs: Float64Array, o: { normalMs: number; trafficMs: number; spanMs?: number; stepMs?: number }): number | null {
  const span = o.spanMs ?? 1_000;
  const step = o.stepMs ?? 100;
  let from = 0;
  for (let start = 0; start + span <= o.trafficMs; start += step) {
    while (from < sentAtMs.length && (sentAtMs[from] ?? 0) < start) from++;
    let to = from;
    while (to < sentAtMs.length && (sentAtMs[to] ?? 0) < start + span) to++;
    if (to === from) continue;
    const slice = latencyMs.subarray(from, to);
    if (slice.some(Number.isNaN)) continue;
    if (summarizeLatencies(slice).p99Ms <= o.normalMs) return start;
  }
  return null;
}

/** Requests in consecutive `windowMs` windows of scheduled send time, the first `count` of them. */
export function windows(sentAtMs: Float64Array, latencyMs: Float64Array, windowMs: number, count: number): Window[] {
  const out: Window[] = [];
  let i = 0;
  for (let w = 0; w < count; w++) {
    const end = (w + 1) * windowMs;
    const ok: number[] = [];
    let sent = 0;
    for (; i < sentAtMs.length && (sentAtMs[i] ?? 0) < end; i++) {
      sent++;
      const l = latencyMs[i] ?? NaN;
      if (!Number.isNaN(l)) ok.push(l);
    }
    const p99 = ok.length === 0 ? null : round(summarizeLatencies(Float64Array.from(ok)).p99Ms);
    out.push({ atMs: w * windowMs, sent, ok: ok.length, p99Ms: p99 });
  }
  return out;
}

export interface Second {
  /** Seconds after the flood started, by the time the answer arrived. */
  s: number;
  accepted: number;
  shed: number;
  other: number;
  acceptedP99Ms: number | null;
}

/**
 * Answers per second of arrival. `accepted*` are parallel arrays (arrival ms, latency ms) of
 * the 2xx answers; `shedAtMs` and `otherAtMs` are arrival times of the rest.
 */
export function perSecond(acceptedAtMs: Float64Array, acceptedMs: Float64Array, shedAtMs: Float64Array, otherAtMs: Float64Array): Second[] {
  const last = Math.max(0, ...[acceptedAtMs, shedAtMs, otherAtMs].map((a) => a.reduce((m, v) => Math.max(m, v), 0)));
  const seconds = Math.floor(last / 1000) + 1;
  const lat: number[][] = Array.from({ length: seconds }, () => []);
  const count = (a: Float64Array): number[] => {
    const c = new Array<number>(seconds).fill(0);
    for (const t of a) {
      const k = Math.floor(t / 1000);
      c[k] = (c[k] ?? 0) + 1;
    }
    return c;
  };
  acceptedAtMs.forEach((t, i) => lat[Math.floor(t / 1000)]?.push(acceptedMs[i] ?? NaN));
  const shed = count(shedAtMs);
  const other = count(otherAtMs);
  return lat.map((l, s) => ({
    s,
    accepted: l.length,
    shed: shed[s] ?? 0,
    other: other[s] ?? 0,
    acceptedP99Ms: l.length === 0 ? null : round(summarizeLatencies(Float64Array.from(l)).p99Ms),
  }));
}
