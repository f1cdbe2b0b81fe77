/**
 * Normal traffic after the flood, as the other phases send it (node:http keep-alive, one
 * request per connection at a time), open-loop from the moment the flood stops sending: how
 * long until allocations succeed again with normal latency (see recoveredAfterMs).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpClient, errorCode } from './http-load.js';
import { roundSummary } from './measure.js';
import { recoveredAfterMs, windows, type Window } from './overload-stats.js';
import { summarizeLatencies, type LatencySummary } from './stats.js';

export interface RecoveryConfig {
  url: string;
  fleet: string;
  playerPrefix: string;
  ratePerS: number;
  durationS: number;
  /** Latency of normal traffic: recovered means every request 2xx with p99 within it, for 1 s. */
  normalMs: number;
}

export interface RecoveryReport {
  ratePerS: number;
  durationS: number;
  normalMs: number;
  sent: number;
  ok: number;
  errors: Record<string, number>;
  latency: LatencySummary;
  /** See recoveredAfterMs: ms from the flood's end; null = not within the recovery traffic. */
  recoveredAfterMs: number | null;
  windows100ms: Window[];
}

const count = (r: Record<string, number>, k: string): void => void (r[k] = (r[k] ?? 0) + 1);
const msSince = (ns: bigint): number => Number(process.hrtime.bigint() - ns) / 1e6;

/** `startNs`: the flood's end (process.hrtime.bigint()); request i is due i/rate after it. */
export async function recovery(r: RecoveryConfig, startNs: bigint): Promise<RecoveryReport> {
  const client = new HttpClient(r.url, 256);
  const n = Math.round(r.ratePerS * r.durationS);
  const intervalNs = 1e9 / r.ratePerS;
  const sentAt = Float64Array.from({ length: n }, (_, i) => (i * intervalNs) / 1e6);
  const latency = new Float64Array(n).fill(NaN);
  const errors: Record<string, number> = {};
  let answered = 0;
  const one = async (i: number): Promise<void> => {
    const body = `{"fleet":"${r.fleet}","playerId":"${r.playerPrefix}-${i}"}`;
    try {
      const reply = await client.send({ method: 'POST', path: '/v1/allocations', body });
      if (reply.status >= 200 && reply.status < 300) latency[i] = msSince(startNs) - (sentAt[i] ?? 0);
      else count(errors, `${reply.status} ${errorCode(reply)}`);
    } catch (e) {
      count(errors, errorCode(e instanceof Error ? e : new Error(String(e))));
    }
    answered++;
  };
  const inflight: Promise<void>[] = [];
  for (let next = 0; next < n; ) {
    const due = Math.min(n, Math.floor((msSince(startNs) * 1e6) / intervalNs) + 1);
    for (; next < due; next++) inflight.push(one(next));
    await sleep(1);
  }
  // A control plane that never answers must not hang the bench.
  await Promise.race([Promise.all(inflight), sleep(10_000, undefined, { ref: false })]);
  client.close();
  if (answered < n) errors.NO_ANSWER = n - answered;
  const ok = latency.filter((l) => !Number.isNaN(l));
  return {
    ratePerS: r.ratePerS, durationS: r.durationS, normalMs: r.normalMs, sent: n, ok: ok.length, errors,
    latency: roundSummary(summarizeLatencies(ok)),
    recoveredAfterMs: recoveredAfterMs(sentAt, latency, { normalMs: r.normalMs, trafficMs: r.durationS * 1000 }),
    windows100ms: windows(sentAt, latency, 100, 20),
  };
}
