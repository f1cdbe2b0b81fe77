/**
 * The control plane's end of an agent's SDK tunnel: each tunnelled request is replayed against
 * the control plane's own loopback SDK endpoint and its response streamed back frame by frame
 * (watch streams are long-lived). The SDK protocol itself is unchanged end to end.
 */
import { request, type ClientRequest } from 'node:http';
import type { FromAgent, ToAgent } from './protocol.js';
import { HOP_HEADERS } from './protocol.js';

type HttpMessage = Extract<FromAgent, { t: 'http' }>;

export class SdkUpstream {
  private readonly inFlight = new Map<number, ClientRequest>();
  private readonly headSent = new Set<number>();

  constructor(
    private readonly sdkUrl: () => string,
    private readonly send: (m: ToAgent) => void,
  ) {}

  request(m: HttpMessage): void {
    if (this.inFlight.has(m.id)) return;
    const url = new URL(m.path, this.sdkUrl());
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(m.headers)) if (!HOP_HEADERS.has(k.toLowerCase())) headers[k] = v;
    const body = Buffer.from(m.body, 'base64');
    const req = request(url, { method: m.method, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) {
        if (v === undefined || HOP_HEADERS.has(k)) continue;
        out[k] = Array.isArray(v) ? v.join(', ') : v;
      }
      this.headSent.add(m.id);
      this.send({ t: 'http-head', id: m.id, status: res.statusCode ?? 502, headers: out });
      res.on('data', (chunk: Buffer) => this.send({ t: 'http-data', id: m.id, data: chunk.toString('base64') }));
      res.on('end', () => this.finish(m.id));
      res.on('error', () => this.finish(m.id));
    });
    this.inFlight.set(m.id, req);
    req.on('error', () => {
      // The local endpoint refused (closing, or gone): the game server's SDK retries.
      if (!this.inFlight.has(m.id)) return;
      // Mid-response: the agent's side sees the end of a cut stream, as a direct client would.
      if (this.headSent.has(m.id)) return this.finish(m.id);
      this.send({ t: 'http-head', id: m.id, status: 503, headers: { 'content-type': 'application/json' } });
      this.send({ t: 'http-data', id: m.id, data: Buffer.from(JSON.stringify({ error: { code: 'SHUTTING_DOWN', message: 'the SDK endpoint is not available', retryable: true } })).toString('base64') });
      this.finish(m.id);
    });
    req.end(body);
  }

  abort(id: number): void {
    const req = this.inFlight.get(id);
    this.inFlight.delete(id);
    this.headSent.delete(id);
    req?.destroy();
  }

  abortAll(): void {
    for (const id of [...this.inFlight.keys()]) this.abort(id);
  }

  private finish(id: number): void {
    this.headSent.delete(id);
    if (!this.inFlight.delete(id)) return;
    this.send({ t: 'http-end', id });
  }
}
