/**
 * The load generator: node:http on keep-alive sockets (undici is not a dependency, and global
 * fetch costs several times more client CPU per request, which on a 2-core machine is taken
 * straight from the server under test). Two shapes of load:
 *   closed loop  C workers, each sends its next request when the previous one is answered:
 *                measures the most the server sustains at that concurrency;
 *   open loop    requests are sent on a fixed schedule whatever the answers; latency is counted
 *                from the *scheduled* time, so a stalled server cannot hide its stall by slowing
 *                the client down (coordinated omission). This is what "N/s at p99 ≤ X" means.
 */
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Reply {
  status: number;
  text: string;
}

export interface Call {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: string;
}

export class HttpClient {
  private readonly agent: Agent;
  private readonly base: URL;

  constructor(baseUrl: string, maxSockets: number) {
    this.base = new URL(baseUrl);
    // maxSockets = concurrency: exactly one connection per worker, all kept open between calls.
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  send(call: Call): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = {};
      if (call.body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(call.body);
      }
      const req = request(
        { host: this.base.hostname, port: this.base.port, method: call.method, path: call.path, agent: this.agent, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(call.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** `{ error: { code } }` of a non-2xx answer, or a stand-in naming the status or socket error. */
export function errorCode(reply: Reply | Error): string {
  if (reply instanceof Error) return `NET_${(reply as NodeJS.ErrnoException).code ?? reply.name}`;
  try {
    const code = (JSON.parse(reply.text) as { error?: { code?: unknown } }).error?.code;
    if (typeof code === 'string') return code;
  } catch {
    // Not our error body: fall through to the status.
  }
  return `HTTP_${reply.status}`;
}

export interface LoadResult {
  sent: number;
  ok: number;
  /** Non-2xx answers and socket errors, by error code. */
  errors: Record<string, number>;
  /** Latency of every 2xx answer, in ms (open loop: from the scheduled send time). */
  latenciesMs: Float64Array;
  /** Open loop only: from the actual send, without the wait for a free connection. */
  serviceMs: Float64Array | null;
  /** When each 2xx request was (scheduled to be) sent, ms after the phase started; same order as latenciesMs. */
  sentAtMs: Float64Array;
  /** First send to last answer. */
  durationS: number;
}

export interface LoadOptions {
  count: number;
  call: (i: number) => Call;
  /** Called with each 2xx answer's body text. */
  onOk?: (i: number, text: string) => void;
}

class Recorder {
  readonly latencies: Float64Array;
  readonly service: Float64Array;
  readonly sentAt: Float64Array;
  readonly errors: Record<string, number> = {};
  ok = 0;

  constructor(
    count: number,
    private readonly startedNs: bigint,
  ) {
    this.latencies = new Float64Array(count);
    this.service = new Float64Array(count);
    this.sentAt = new Float64Array(count);
  }

  async one(client: HttpClient, opts: LoadOptions, i: number, scheduledNs: bigint): Promise<void> {
    const sentNs = process.hrtime.bigint();
    try {
      const reply = await client.send(opts.call(i));
      const doneNs = process.hrtime.bigint();
      if (reply.status >= 200 && reply.status < 300) {
        this.latencies[this.ok] = Number(doneNs - scheduledNs) / 1e6;
        this.service[this.ok] = Number(doneNs - sentNs) / 1e6;
        this.sentAt[this.ok] = Number(scheduledNs - this.startedNs) / 1e6;
        this.ok++;
        opts.onOk?.(i, reply.text);
      } else {
        this.count(errorCode(reply));
      }
    } catch (e) {
      this.count(errorCode(e instanceof Error ? e : new Error(String(e))));
    }
  }

  private count(code: string): void {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
  }
}

/** `concurrency` workers share one counter; each has its own keep-alive connection. */
export async function closedLoop(client: HttpClient, concurrency: number, opts: LoadOptions): Promise<LoadResult> {
  const started = process.hrtime.bigint();
  const rec = new Recorder(opts.count, started);
  const cursor = { next: 0 };
  const worker = async (): Promise<void> => {
    while (cursor.next < opts.count) {
      const i = cursor.next++;
      await rec.one(client, opts, i, process.hrtime.bigint());
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, opts.count) }, worker));
  const durationS = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    sent: opts.count, ok: rec.ok, errors: rec.errors, durationS,
    latenciesMs: rec.latencies.subarray(0, rec.ok), serviceMs: null, sentAtMs: rec.sentAt.subarray(0, rec.ok),
  };
}

/**
 * Sends request i at start + i/rate. A 1 ms timer drives the schedule: a busy-spinning sender
 * would take a core away from the server on a 2-core machine.
 */
export async function openLoop(client: HttpClient, ratePerS: number, opts: LoadOptions): Promise<LoadResult> {
  const started = process.hrtime.bigint();
  const rec = new Recorder(opts.count, started);
  const inflight = new Set<Promise<void>>();
  const intervalNs = 1e9 / ratePerS;
  let sent = 0;
  while (sent < opts.count) {
    const elapsedNs = Number(process.hrtime.bigint() - started);
    const due = Math.min(opts.count, Math.floor(elapsedNs / intervalNs) + 1);
    for (; sent < due; sent++) {
      const p = rec.one(client, opts, sent, started + BigInt(Math.round(sent * intervalNs)));
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    }
    await sleep(1);
  }
  await Promise.all(inflight);
  const durationS = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    sent: opts.count, ok: rec.ok, errors: rec.errors, durationS,
    latenciesMs: rec.latencies.subarray(0, rec.ok), serviceMs: rec.service.subarray(0, rec.ok), sentAtMs: rec.sentAt.subarray(0, rec.ok),
  };
}
