/**
 * The open-loop load generator behind `handoff loadtest`. Request i is *scheduled* at
 * start + i / rate whatever happened to earlier requests, and its latency is measured from that
 * scheduled time, not from when it was actually sent: a server that stalls for a second is
 * charged for every request that should have gone out during that second (no coordinated
 * omission). Requests beyond the connection limit wait in the agent's queue, on the clock.
 *
 * Several URLs (the replicas of one deployment, or several deployments) take requests in turn.
 */
import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadtestSamples } from './report.js';

export interface LoadtestPlan {
  urls: readonly string[];
  fleet: string;
  ratePerS: number;
  durationMs: number;
  /** Keep-alive connections per URL. */
  connections: number;
  /** Player ids are `<prefix>-<n>`: every request places a new player. */
  playerPrefix: string;
  /** A request not answered within this is counted as `TIMEOUT`. */
  timeoutMs: number;
  /** Told of every answer as it arrives (`handoff chaos` judges its steady state live). */
  onAnswer?: (answer: LoadAnswer) => void;
  /** Stops scheduling new requests (the run then waits for those in flight). */
  signal?: AbortSignal;
}

/** One answered allocation: latency from its scheduled send time; `code` says why it failed. */
export interface LoadAnswer {
  ok: boolean;
  latencyMs: number;
  code: string | null;
}

type Outcome = { ok: true } | { ok: false; code: string };

interface Target {
  url: URL;
  agent: http.Agent;
  request: typeof http.request;
}

function target(raw: string, connections: number): Target {
  // Relative, so a deployment behind a path prefix (https://host/handoff) keeps its prefix.
  const url = new URL('v1/allocations', raw.endsWith('/') ? raw : `${raw}/`);
  const secure = url.protocol === 'https:';
  const agent = secure ? new https.Agent({ keepAlive: true, maxSockets: connections }) : new http.Agent({ keepAlive: true, maxSockets: connections });
  return { url, agent, request: secure ? https.request : http.request };
}

/** One allocation; never rejects: every failure becomes a code. */
function allocate(t: Target, body: string, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = t.request(t.url, {
      method: 'POST', agent: t.agent, timeout: timeoutMs,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => resolve({ ok: false, code: 'RESPONSE_ABORTED' }));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve({ ok: true });
        resolve({ ok: false, code: errorCode(status, Buffer.concat(chunks).toString('utf8')) });
      });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, code: e.code ?? 'CONNECTION_ERROR' }));
    req.end(body);
  });
}

/** The API's stable `error.code` when the body has one (any Handoff deployment), else the status. */
export function errorCode(status: number, text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown } };
    if (typeof parsed.error?.code === 'string') return parsed.error.code;
  } catch {
    // A proxy's HTML page, an empty body: the status is all there is.
  }
  return `HTTP_${status}`;
}

export async function runLoadtest(plan: LoadtestPlan): Promise<LoadtestSamples> {
  const targets = plan.urls.map((u) => target(u, plan.connections));
  const scheduled = Math.max(1, Math.round((plan.ratePerS * plan.durationMs) / 1000));
  const intervalMs = 1000 / plan.ratePerS;
  const okLatenciesMs: number[] = [];
  const errors: Record<string, number> = {};
  const inFlight = new Set<Promise<void>>();
  let lastAnswer = 0;
  let maxSendLagMs = 0;
  let sent = 0;
  const start = performance.now();
  try {
    while (sent < scheduled && plan.signal?.aborted !== true) {
      const now = performance.now();
      // Everything whose time has come goes out now, late ones included: the schedule never slips.
      while (sent < scheduled && start + sent * intervalMs <= now) {
        const at = start + sent * intervalMs;
        maxSendLagMs = Math.max(maxSendLagMs, now - at);
        const t = targets[sent % targets.length] as Target;
        const p = allocate(t, JSON.stringify({ fleet: plan.fleet, playerId: `${plan.playerPrefix}-${sent}` }), plan.timeoutMs).then((o) => {
          const done = performance.now();
          lastAnswer = Math.max(lastAnswer, done);
          if (o.ok) okLatenciesMs.push(done - at);
          else errors[o.code] = (errors[o.code] ?? 0) + 1;
          plan.onAnswer?.({ ok: o.ok, latencyMs: done - at, code: o.ok ? null : o.code });
          inFlight.delete(p);
        });
        inFlight.add(p);
        sent++;
      }
      // At most 100 ms at a time, so an abort is noticed promptly even at a low rate.
      if (sent < scheduled) await sleep(Math.min(100, Math.max(0, start + sent * intervalMs - performance.now())));
    }
    await Promise.all(inFlight);
  } finally {
    for (const t of targets) t.agent.destroy();
  }
  return {
    ratePerS: plan.ratePerS, durationMs: plan.durationMs, urls: plan.urls, scheduled, sent, okLatenciesMs, errors,
    elapsedMs: Math.max(lastAnswer, start + plan.durationMs) - start, maxSendLagMs,
  };
}
