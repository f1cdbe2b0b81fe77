/**
 * The overload phase's load generator, in a process of its own so it can be pinned (taskset)
 * to a core the control plane does not have: `node --import tsx bench/flood.ts '<FloodConfig>'`.
 * Progress and the final report are JSON lines on stdout.
 *
 *   flood     `connections` raw sockets; allocations pipelined on them open-loop at `ratePerS`
 *             for `durationS`: request i is due at start + i/rate whatever has been answered and
 *             goes to the next open socket. Latency counts from the due time (no coordinated
 *             omission). A socket the server closes is reopened 250 ms later, as a client would.
 *   drain     when the flood ends each socket closes once its answers are in; what is still
 *             unanswered `drainS` later is counted as UNANSWERED and its socket destroyed.
 *   recovery  from the flood's end, normal traffic at its own rate (bench/recovery.ts).
 *
 * `node --import tsx bench/flood.ts probe '<ProbeConfig>'` measures R first (bench/probe.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { roundSummary } from './measure.js';
import { perSecond, type Second } from './overload-stats.js';
import { PipelinedConnection, type Answer, type ConnectionEvents } from './pipeline.js';
import { allocationRequest, probe, type ProbeConfig } from './probe.js';
import { recovery, type RecoveryConfig, type RecoveryReport } from './recovery.js';
import { round, summarizeLatencies, type LatencySummary } from './stats.js';

export interface FloodConfig {
  url: string;
  fleet: string;
  playerPrefix: string;
  connections: number;
  ratePerS: number;
  durationS: number;
  drainS: number;
  recovery: RecoveryConfig;
}

/** Requests due together go to one connection, up to this many, in one write. */
const BURST = 8;

export interface ShedCode {
  count: number;
  /** Answered while the flood was being sent, per second of flood. */
  perS: number;
  withoutRetryAfter: number;
}

export interface FloodReport {
  connections: { target: number; connected: number; connectMs: number; closedDuringFlood: number; reconnects: number };
  sent: { scheduled: number; written: number; noConnection: number; sendLagP99Ms: number; sendLagMaxMs: number; clientCpuPct: number };
  /** 2xx answers: all of them, and per second of flood for those answered during it. */
  accepted: { total: number; perS: number; latency: LatencySummary; over50ms: number; fromWriteLatency: LatencySummary };
  /** 429 and 503 answers (except NO_CAPACITY, which is the fleet being full, not shedding). */
  shed: { total: number; perS: number; latency: LatencySummary; withoutRetryAfter: number; byStatusCode: Record<string, ShedCode> };
  /** Everything else by status and code, or socket fate: NET_*, UNANSWERED (after the drain), NO_CONNECTION. */
  other: Record<string, number>;
  unanswered: number;
  answeredAfterEnd: number;
  lastAnswerAfterEndMs: number | null;
  timeline: Second[];
  recovery: RecoveryReport;
}

const emit = (o: object): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
const nowNs = (): bigint => process.hrtime.bigint();
const msSince = (from: bigint, to = nowNs()): number => Number(to - from) / 1e6;
const bump = (r: Record<string, number>, k: string): void => void (r[k] = (r[k] ?? 0) + 1);

class Tally {
  readonly accMs: Float64Array;
  readonly accAt: Float64Array;
  /** From the request's actual write: without the generator's own lag behind its schedule. */
  readonly accFromWrite: Float64Array;
  readonly writtenMs: Float64Array;
  readonly shedMs: Float64Array;
  readonly shedAt: Float64Array;
  readonly otherAt: number[] = [];
  nAcc = 0;
  nShed = 0;
  accInFlood = 0;
  shedInFlood = 0;
  afterEnd = 0;
  lastAtMs = 0;
  readonly shed: Record<string, ShedCode> = {};
  readonly other: Record<string, number> = {};
  endMs = Infinity;

  constructor(count: number, private readonly startNs: bigint, private readonly intervalNs: number) {
    this.accMs = new Float64Array(count);
    this.accAt = new Float64Array(count);
    this.accFromWrite = new Float64Array(count);
    this.writtenMs = new Float64Array(count);
    this.shedMs = new Float64Array(count);
    this.shedAt = new Float64Array(count);
  }

  answer(tag: number, a: Answer): void {
    const atMs = msSince(this.startNs);
    const latency = atMs - (tag * this.intervalNs) / 1e6;
    const inFlood = atMs <= this.endMs;
    if (!inFlood) this.afterEnd++;
    this.lastAtMs = Math.max(this.lastAtMs, atMs);
    if (a.status >= 200 && a.status < 300) {
      this.accMs[this.nAcc] = latency;
      this.accFromWrite[this.nAcc] = atMs - (this.writtenMs[tag] ?? 0);
      this.accAt[this.nAcc++] = atMs;
      if (inFlood) this.accInFlood++;
    } else if ((a.status === 429 || a.status === 503) && a.code !== 'NO_CAPACITY') {
      this.shedMs[this.nShed] = latency;
      this.shedAt[this.nShed++] = atMs;
      const s = (this.shed[`${a.status} ${a.code ?? '-'}`] ??= { count: 0, perS: 0, withoutRetryAfter: 0 });
      s.count++;
      if (inFlood) {
        s.perS++;
        this.shedInFlood++;
      }
      if (!a.retryAfter) s.withoutRetryAfter++;
    } else this.fail(`${a.status} ${a.code ?? '-'}`);
  }

  fail(key: string): void {
    bump(this.other, key);
    this.otherAt.push(msSince(this.startNs));
  }
}

interface Flooded {
  tally: Tally;
  connections: FloodReport['connections'];
  sent: FloodReport['sent'];
  endNs: bigint;
  /** Settles once every flood socket is closed. */
  drained: Promise<void>;
}

async function flood(cfg: FloodConfig): Promise<Flooded> {
  const url = new URL(cfg.url);
  const port = Number(url.port);
  const total = Math.round(cfg.ratePerS * cfg.durationS);
  const intervalNs = 1e9 / cfg.ratePerS;
  // The tally needs the start time; connections report answers only after the first send.
  const box: { tally: Tally | null } = { tally: null };
  let over = false;
  let closedDuringFlood = 0;
  let reconnects = 0;
  const conns: PipelinedConnection[] = [];
  const events: ConnectionEvents = {
    answer: (tag, a) => box.tally?.answer(tag, a),
    lost: (_tag, reason) => box.tally?.fail(reason),
    closed: (c) => {
      if (over) return;
      closedDuringFlood++;
      setTimeout(() => {
        if (over) return;
        const at = conns.indexOf(c);
        if (at < 0) return;
        conns[at] = new PipelinedConnection(port, url.hostname, events);
        reconnects++;
      }, 250);
    },
  };
  const connectStart = nowNs();
  for (let i = 0; i < cfg.connections; i++) conns.push(new PipelinedConnection(port, url.hostname, events));
  const results = await Promise.race([Promise.all(conns.map((c) => c.connected())), sleep(10_000, [] as boolean[], { ref: false })]);
  const connections = { target: cfg.connections, connected: results.filter(Boolean).length, connectMs: round(msSince(connectStart), 0), closedDuringFlood: 0, reconnects: 0 };
  emit({ event: 'connected', ...connections });

  const cpu0 = process.cpuUsage();
  const startNs = nowNs();
  const tally = new Tally(total, startNs, intervalNs);
  box.tally = tally;
  emit({ event: 'flood-start' });
  const lag = new Float64Array(total);
  let rr = 0;
  let written = 0;
  let noConnection = 0;
  const pick = (): PipelinedConnection | null => {
    for (let k = 0; k < conns.length; k++) {
      const c = conns[(rr = (rr + 1) % conns.length)];
      if (c?.open) return c;
    }
    return null;
  };
  for (let next = 0; next < total; ) {
    const due = Math.min(total, Math.floor(Number(nowNs() - startNs) / intervalNs) + 1);
    while (next < due) {
      const conn = pick();
      const end = Math.min(due, next + BURST);
      conn?.cork();
      for (; next < end; next++) {
        const at = msSince(startNs);
        lag[next] = at - (next * intervalNs) / 1e6;
        if (conn) {
          tally.writtenMs[next] = at;
          conn.send(next, allocationRequest(url.host, cfg.fleet, `${cfg.playerPrefix}-${next}`));
          written++;
        } else {
          noConnection++;
          tally.fail('NO_CONNECTION');
        }
      }
      conn?.uncork();
    }
    await sleep(1);
  }
  const endNs = nowNs();
  tally.endMs = msSince(startNs, endNs);
  over = true;
  const cpu = process.cpuUsage(cpu0);
  emit({ event: 'flood-end' });
  const lagS = summarizeLatencies(lag);
  connections.closedDuringFlood = closedDuringFlood;
  connections.reconnects = reconnects;
  const sent = {
    scheduled: total, written, noConnection, sendLagP99Ms: round(lagS.p99Ms), sendLagMaxMs: round(lagS.maxMs),
    clientCpuPct: round((100 * (cpu.user + cpu.system)) / 1e6 / (tally.endMs / 1000), 1),
  };
  return { tally, connections, sent, endNs, drained: drain(conns, endNs, cfg.drainS) };
}

/** A client done sending leaves once its answers are in; past the deadline it gives up. */
async function drain(conns: PipelinedConnection[], endNs: bigint, drainS: number): Promise<void> {
  const ending = new Set<PipelinedConnection>();
  for (;;) {
    const late = msSince(endNs) > drainS * 1000;
    let live = 0;
    for (const c of conns) {
      if (c.ended) continue;
      live++;
      if (late) c.end(true);
      else if (c.inFlight === 0 && !ending.has(c)) {
        ending.add(c);
        c.end();
      }
    }
    if (live === 0 || msSince(endNs) > drainS * 1000 + 5_000) return;
    await sleep(10);
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === 'probe') {
    emit({ event: 'result', report: await probe(JSON.parse(process.argv[3] ?? '') as ProbeConfig) });
    return;
  }
  const cfg = JSON.parse(process.argv[3] ?? '') as FloodConfig;
  const { tally: t, connections, sent, endNs, drained } = await flood(cfg);
  // Recovery traffic starts the moment the flood stops sending, while the flood still drains.
  const [recoveryReport] = await Promise.all([recovery(cfg.recovery, endNs), drained]);
  const floodS = t.endMs / 1000;
  const unanswered = t.other.UNANSWERED ?? 0;
  const shedWithout = Object.values(t.shed).reduce((n, s) => n + s.withoutRetryAfter, 0);
  for (const s of Object.values(t.shed)) s.perS = round(s.perS / floodS, 0);
  const acc = t.accMs.subarray(0, t.nAcc);
  const report: FloodReport = {
    connections, sent,
    accepted: {
      total: t.nAcc, perS: round(t.accInFlood / floodS, 0), latency: roundSummary(summarizeLatencies(acc)), over50ms: acc.filter((l) => l > 50).length,
      fromWriteLatency: roundSummary(summarizeLatencies(t.accFromWrite.subarray(0, t.nAcc))),
    },
    shed: { total: t.nShed, perS: round(t.shedInFlood / floodS, 0), latency: roundSummary(summarizeLatencies(t.shedMs.subarray(0, t.nShed))), withoutRetryAfter: shedWithout, byStatusCode: t.shed },
    other: t.other, unanswered, answeredAfterEnd: t.afterEnd,
    lastAnswerAfterEndMs: t.lastAtMs > t.endMs ? round(t.lastAtMs - t.endMs, 0) : null,
    timeline: perSecond(t.accAt.subarray(0, t.nAcc), acc, t.shedAt.subarray(0, t.nShed), Float64Array.from(t.otherAt)),
    recovery: recoveryReport,
  };
  emit({ event: 'result', report });
}

await main();
