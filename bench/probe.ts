/**
 * R, the allocation rate the control plane sustains, measured with the flood's own client
 * (raw pipelined connections, bench/pipeline.ts) so that R and the flood are measured alike:
 * a closed loop of `connections` × `depth` requests in flight, each answer releasing the next
 * request. node:http would cost the generator several times more CPU per request, and on a
 * pinned core shared with other processes R would then measure the client.
 */
import { PipelinedConnection } from './pipeline.js';
import { roundSummary } from './measure.js';
import { round, summarizeLatencies, type LatencySummary } from './stats.js';

export interface ProbeConfig {
  url: string;
  fleet: string;
  playerPrefix: string;
  connections: number;
  depth: number;
  warmup: number;
  requests: number;
}

export interface ProbeReport {
  connections: number;
  depth: number;
  requests: number;
  ok: number;
  errors: Record<string, number>;
  durationS: number;
  throughputPerS: number;
  /** From the request's write to its answer (closed loop: no schedule to count from). */
  latency: LatencySummary;
  clientCpuPct: number;
}

export function allocationRequest(host: string, fleet: string, playerId: string): string {
  const body = `{"fleet":"${fleet}","playerId":"${playerId}"}`;
  return `POST /v1/allocations HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** `count` allocations, `connections` × `depth` at a time; resolves when all are answered or lost. */
async function closedLoop(cfg: ProbeConfig, prefix: string, count: number): Promise<Omit<ProbeReport, 'connections' | 'depth' | 'clientCpuPct'>> {
  const url = new URL(cfg.url);
  const latencies = new Float64Array(count);
  const sentAt = new Float64Array(count);
  const errors: Record<string, number> = {};
  let next = 0;
  let done = 0;
  let ok = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const settle = (): void => {
    if (++done === count) finish();
  };
  const sendOn = (conn: PipelinedConnection): void => {
    if (next >= count || !conn.open) return;
    const i = next++;
    sentAt[i] = performance.now();
    conn.send(i, allocationRequest(url.host, cfg.fleet, `${prefix}-${i}`));
  };
  const conns: PipelinedConnection[] = [];
  const fail = (key: string): void => {
    errors[key] = (errors[key] ?? 0) + 1;
    settle();
  };
  for (let c = 0; c < cfg.connections; c++) {
    const conn: PipelinedConnection = new PipelinedConnection(Number(url.port), url.hostname, {
      answer: (tag, a) => {
        if (a.status >= 200 && a.status < 300) latencies[ok++] = performance.now() - (sentAt[tag] ?? 0);
        else errors[`${a.status} ${a.code ?? '-'}`] = (errors[`${a.status} ${a.code ?? '-'}`] ?? 0) + 1;
        settle();
        sendOn(conn);
      },
      lost: (_tag, reason) => fail(reason),
      closed: () => {
        // With no connection left, nothing would ever send the rest: count them as failed.
        if (conns.every((c) => !c.open)) for (; next < count; next++) fail('NO_CONNECTION');
      },
    });
    conns.push(conn);
  }
  await Promise.all(conns.map((c) => c.connected()));
  const started = performance.now();
  for (const conn of conns) for (let d = 0; d < cfg.depth; d++) sendOn(conn);
  await finished;
  const durationS = (performance.now() - started) / 1000;
  for (const conn of conns) conn.end();
  return { requests: count, ok, errors, durationS: round(durationS, 3), throughputPerS: round(ok / durationS, 0), latency: roundSummary(summarizeLatencies(latencies.subarray(0, ok))) };
}

export async function probe(cfg: ProbeConfig): Promise<ProbeReport> {
  await closedLoop(cfg, `${cfg.playerPrefix}-w`, cfg.warmup);
  const cpu0 = process.cpuUsage();
  const r = await closedLoop(cfg, cfg.playerPrefix, cfg.requests);
  const cpu = process.cpuUsage(cpu0);
  return { ...r, connections: cfg.connections, depth: cfg.depth, clientCpuPct: round((100 * (cpu.user + cpu.system)) / 1e6 / r.durationS, 1) };
}
