/** The overload phase's section of bench/results/latest.md. */
import type { OverloadResult } from './overload.js';

const n = (v: number | null | undefined, unit = ''): string => (v === null || v === undefined || Number.isNaN(v) ? '–' : `${v}${unit}`);
const codes = (e: Record<string, number>): string => Object.entries(e).map(([k, v]) => `${k} ×${v}`).join(', ') || 'none';

export function renderOverload(r: OverloadResult): string[] {
  const f = r.flood;
  const s = r.settings;
  const L: string[] = [];
  L.push(`## Overload: ${s.factor}×R offered for ${s.durationS} s`, '');
  const pr = r.probe;
  L.push(`R, the sustained allocation rate, is the throughput of a closed loop just before the flood, with the flood's client and pinned as the flood is (${pr.connections} connections × ${pr.depth} pipelined requests in flight, ${pr.requests} allocations after a warm-up): **R = ${r.sustainedPerS}/s** (p50 ${n(pr.latency.p50Ms)} ms, p99 ${n(pr.latency.p99Ms)} ms, errors: ${codes(pr.errors)}; generator CPU ${pr.clientCpuPct}% of a core). The flood offers ${r.offeredPerS}/s open-loop (each request due at a fixed time, latency counted from it) from ${s.connections} connections with pipelined HTTP/1.1 requests (bench/flood.ts, its own process); then normal traffic at ${s.recoveryFactor}×R = ${f.recovery.ratePerS}/s (keep-alive, one request per connection at a time) for ${s.recoveryDurationS} s from the moment the flood stops. Flood answers are awaited up to ${s.drainS} s after it ends. Fleet: ${r.fleet.servers} servers, ${r.fleet.capacity} sessions, so capacity never runs out.`, '');
  L.push(`- Pinning: ${r.pinning.note ?? `control plane (all threads) on CPU ${r.pinning.controlPlaneCpus}; load generator, bench process and game servers on CPU ${r.pinning.generatorCpus} (taskset)`}`, '');

  L.push('### Targets', '');
  for (const v of r.verdicts) L.push(`- ${v.pass ? 'PASS' : 'MISS'} ${v.target}: ${v.why}`);
  L.push('', 'Reported, not asserted: the test suite asserts the behaviour (429 with Retry-After, recovery), never a timing.', '');

  L.push('### The flood', '');
  L.push('| measure | value |', '|---|---|');
  L.push(`| connections open at the start / closed by the server during the flood / reopened | ${f.connections.connected} of ${f.connections.target} (in ${f.connections.connectMs} ms) / ${f.connections.closedDuringFlood} / ${f.connections.reconnects} |`);
  L.push(`| requests due / written / no open connection to write to | ${f.sent.scheduled} / ${f.sent.written} / ${f.sent.noConnection} |`);
  L.push(`| generator: lag behind the schedule p99 / max; CPU (% of one core) | ${f.sent.sendLagP99Ms} ms / ${f.sent.sendLagMaxMs} ms; ${f.sent.clientCpuPct}% |`);
  L.push(`| accepted (2xx): total; per s during the flood; ÷ R | ${f.accepted.total}; ${f.accepted.perS}/s; ${ratio(f.accepted.perS, r.sustainedPerS)} |`);
  L.push(`| accepted latency p50 / p90 / p99 / max (from the due time) | ${n(f.accepted.latency.p50Ms)} / ${n(f.accepted.latency.p90Ms)} / ${n(f.accepted.latency.p99Ms)} / ${n(f.accepted.latency.maxMs)} ms (${f.accepted.over50ms} over 50 ms) |`);
  const w = f.accepted.fromWriteLatency;
  L.push(`| … from the actual write instead (without the generator's own lag) | ${n(w.p50Ms)} / ${n(w.p90Ms)} / ${n(w.p99Ms)} / ${n(w.maxMs)} ms |`);
  L.push(`| shed (429/503): total; per s during the flood; ÷ offered | ${f.shed.total}; ${f.shed.perS}/s; ${ratio(f.shed.perS, r.offeredPerS)} |`);
  L.push(`| shed latency p50 / p99 / max | ${n(f.shed.latency.p50Ms)} / ${n(f.shed.latency.p99Ms)} / ${n(f.shed.latency.maxMs)} ms |`);
  L.push(`| shed answers without Retry-After | ${f.shed.total === 0 ? '– (none shed)' : f.shed.withoutRetryAfter} |`);
  L.push(`| other outcomes | ${codes(f.other)} |`);
  L.push(`| answered after the flood ended; last answer | ${f.answeredAfterEnd}; ${f.lastAnswerAfterEndMs === null ? 'during the flood' : `${f.lastAnswerAfterEndMs} ms after it`} |`);
  L.push(`| control plane during the flood: CPU / main thread busy (% of one core) | ${r.controlPlane.cpuPct}% / ${r.controlPlane.mainThreadBusyPct}% |`);
  const h = r.host;
  const busiest = h.neighbours.map((x) => `${x.cpuPct}% \`${x.command.slice(0, 60)}\``).join('; ') || '–';
  L.push(`| the machine: control plane's core busy, of it other processes; generator's core busy (% of one core) | ${n(h.controlPlaneCoreBusyPct, '%')}, ${n(h.controlPlaneCoreOthersPct, '%')}; ${n(h.generatorCoreBusyPct, '%')} |`);
  L.push(`| the machine: busy / other processes (% of one core, all cores); busiest neighbours | ${h.machineBusyPct}% / ${h.othersPct}%; ${busiest} |`);
  L.push(`| control-plane RSS: before / peak (sampled every 100 ms) / after; ceiling | ${r.memory.beforeMiB} / ${r.memory.peakMiB} / ${r.memory.afterMiB} MiB; ${r.targets.rssCeilingMiB} MiB |`);
  const m = r.memory;
  L.push(`| … held after the phase (the ${f.accepted.total + f.recovery.ok} sessions it accepted, and whatever V8 has not returned) / on top of that at the peak (queues, buffers) | +${m.afterMiB - m.beforeMiB} / +${m.peakMiB - m.afterMiB} MiB |`);
  L.push(`| control-plane VmHWM (peak over its whole life, earlier phases included) | ${r.memory.lifetimePeakMiB} MiB |`, '');

  const byCode = Object.entries(f.shed.byStatusCode);
  if (byCode.length > 0) {
    L.push('| shed answer (status, code) | count | per s during the flood | without Retry-After |', '|---|---|---|---|');
    for (const [k, c] of byCode) L.push(`| ${k} | ${c.count} | ${c.perS} | ${c.withoutRetryAfter} |`);
    L.push('');
  }

  L.push('Per second, by when the answer arrived (second 0 = the flood\'s start; the flood ends at ' + `${s.durationS} s):`, '');
  L.push('| s | accepted | shed | other | accepted p99 ms | control-plane RSS peak MiB |', '|---|---|---|---|---|---|');
  const rows = Math.max(f.timeline.length, r.memory.perSecondPeakMiB.length);
  for (let i = 0; i < rows; i++) {
    const t = f.timeline[i];
    L.push(`| ${i} | ${n(t?.accepted)} | ${n(t?.shed)} | ${n(t?.other)} | ${n(t?.acceptedP99Ms)} | ${n(r.memory.perSecondPeakMiB[i])} |`);
  }

  const rec = f.recovery;
  L.push('', '### Recovery', '');
  L.push(`Normal traffic at ${rec.ratePerS}/s from the flood's end: ${rec.ok} of ${rec.sent} answered 2xx (errors: ${codes(rec.errors)}); latency p50 ${n(rec.latency.p50Ms)} ms, p99 ${n(rec.latency.p99Ms)} ms, max ${n(rec.latency.maxMs)} ms. Recovered = the start of the first 1 s of this traffic in which every request got a 2xx with p99 ≤ ${rec.normalMs} ms: **${rec.recoveredAfterMs === null ? 'not recovered' : `${rec.recoveredAfterMs} ms`}** after the flood.`, '');
  L.push('| sent in (ms after the flood) | sent | 2xx | p99 of the 2xx ms |', '|---|---|---|---|');
  for (const w of rec.windows100ms) L.push(`| ${w.atMs}–${w.atMs + 100} | ${w.sent} | ${w.ok} | ${n(w.p99Ms)} |`);
  return L;
}

function ratio(a: number, b: number): string {
  return b > 0 ? String(Math.round((100 * a) / b) / 100) : '–';
}
