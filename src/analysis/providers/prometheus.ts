/**
 * External analysis provider: one PromQL instant query against a Prometheus HTTP API
 * (`POST /api/v1/query`), its single number judged against the spec's max/min. Anything but one
 * clean number — no data, several series, NaN, an error answer, a refused connection, a
 * timeout — is inconclusive with the reason, never a pass: an analysis that cannot see must
 * not wave a release through.
 */
import { egressPolicy, type EgressPolicy } from '../../net/egress.js';
import { guardedPost } from '../../net/post.js';
import type { MetricResult, Verdict } from '../judge/model.js';
import { fmt } from '../judge/judge.js';
import type { PrometheusQuery } from '../spec.js';

export type PrometheusOutcome =
  | { kind: 'value'; value: number }
  | { kind: 'empty' }
  | { kind: 'error'; reason: string };

/**
 * Runs one instant query. `time` (Unix seconds) evaluates it at that moment, so a stored
 * verdict says which instant it saw; omitted, Prometheus uses its own now.
 */
export async function queryPrometheus(address: string, query: string, opts: { timeoutMs: number; time?: number; policy?: EgressPolicy }): Promise<PrometheusOutcome> {
  const url = `${address.replace(/\/+$/, '')}/api/v1/query`;
  const form = new URLSearchParams({ query });
  if (opts.time !== undefined) form.set('time', String(opts.time));
  let res: { status: number; text: string };
  try {
    // The same guard as webhooks: a query's `address` is operator-supplied too.
    res = await guardedPost(url, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString(), timeoutMs: opts.timeoutMs, policy: opts.policy ?? egressPolicy(), maxBytes: 1024 * 1024 });
  } catch (e) {
    const why = e instanceof Error ? causeOf(e) : String(e);
    return { kind: 'error', reason: `Prometheus at ${address} could not be queried: ${why}` };
  }
  return parseAnswer(address, res.status, res.text);
}

/** Node's fetch hides the socket error (ECONNREFUSED, …) in `cause`. */
function causeOf(e: Error): string {
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Error ? `${e.message} (${cause.message})` : e.message;
}

/** Reads an answer of the Prometheus HTTP API; exported for its table tests. */
export function parseAnswer(address: string, status: number, text: string): PrometheusOutcome {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { kind: 'error', reason: `Prometheus at ${address} answered ${status} with something other than JSON: ${text.slice(0, 120).trim()}` };
  }
  const b = body as { status?: unknown; errorType?: unknown; error?: unknown; data?: { resultType?: unknown; result?: unknown } };
  if (b.status !== 'success') {
    return { kind: 'error', reason: `Prometheus at ${address} answered ${status} ${String(b.errorType ?? 'error')}: ${String(b.error ?? 'no reason given').slice(0, 300)}` };
  }
  const { resultType, result } = b.data ?? {};
  if (resultType === 'scalar') return sampleValue(address, result);
  if (resultType === 'vector' && Array.isArray(result)) {
    if (result.length === 0) return { kind: 'empty' };
    if (result.length > 1) return { kind: 'error', reason: `the query returned ${result.length} series; it must return one (aggregate it, e.g. with sum() or max())` };
    return sampleValue(address, (result[0] as { value?: unknown }).value);
  }
  return { kind: 'error', reason: `the query returned a ${String(resultType)}; it must return a scalar or a vector with one series` };
}

/** A `[time, "value"]` pair; Prometheus writes special floats as NaN, +Inf and -Inf. */
function sampleValue(address: string, pair: unknown): PrometheusOutcome {
  const raw = Array.isArray(pair) ? pair[1] : undefined;
  if (typeof raw !== 'string') return { kind: 'error', reason: `Prometheus at ${address} answered a sample without a value` };
  const value = Number(raw);
  // NaN (0/0, say no requests at all) and ±Inf (x/0) say nothing that a threshold can judge.
  if (!Number.isFinite(value)) return { kind: 'error', reason: `the query's value is ${raw}, not a number a threshold can judge` };
  return { kind: 'value', value };
}

/** The verdict for one query's outcome: a value against max/min; anything else inconclusive. */
export function judgePrometheus(q: Pick<PrometheusQuery, 'name' | 'query' | 'max' | 'min'>, outcome: PrometheusOutcome): MetricResult {
  const metric = `prometheus.${q.name}`;
  const shown = q.query.length > 80 ? `${q.query.slice(0, 77)}...` : q.query;
  const result = (verdict: Verdict, value: number | null, reason: string): MetricResult => ({
    metric, verdict, canary: { n: value === null ? 0 : 1, value }, baseline: { n: 0, value: null }, test: null, reason,
  });
  if (outcome.kind === 'empty') return result('inconclusive', null, `${metric}: the query \`${shown}\` returned no data.`);
  if (outcome.kind === 'error') return result('inconclusive', null, `${metric}: ${outcome.reason}.`);
  const v = outcome.value;
  if (q.max != null && v > q.max) return result('fail', v, `${metric} is ${fmt(v)}, above the maximum ${fmt(q.max)} (\`${shown}\`).`);
  if (q.min != null && v < q.min) return result('fail', v, `${metric} is ${fmt(v)}, below the minimum ${fmt(q.min)} (\`${shown}\`).`);
  const within = [q.min != null ? `minimum ${fmt(q.min)}` : null, q.max != null ? `maximum ${fmt(q.max)}` : null].filter((p) => p !== null).join(' and ');
  return result('pass', v, `${metric} is ${fmt(v)}, within its ${within} (\`${shown}\`).`);
}

/**
 * Queries and judges one spec entry. `address` is the control plane's default Prometheus, used
 * when the entry names none; with neither, the result is inconclusive.
 */
export async function runPrometheusQuery(q: PrometheusQuery, defaults: { address?: string | null; time?: number; policy?: EgressPolicy } = {}): Promise<MetricResult> {
  const address = q.address ?? defaults.address ?? null;
  if (!address) return judgePrometheus(q, { kind: 'error', reason: 'no Prometheus address is configured (set address on the query, or the control plane\'s default)' });
  const outcome = await queryPrometheus(address, q.query, { timeoutMs: q.timeoutSeconds * 1000, ...(defaults.time !== undefined ? { time: defaults.time } : {}), ...(defaults.policy ? { policy: defaults.policy } : {}) });
  return judgePrometheus(q, outcome);
}
