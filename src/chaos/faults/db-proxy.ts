/**
 * Latency or a partition between the control plane and its database, through the control
 * endpoint of a `handoff chaos proxy` the control plane's `--store` URL already points at (the
 * experiment cannot put a proxy in front of a running control plane; it only switches it).
 */
import { HandoffError } from '../../core/errors.js';
import type { FaultSpec } from '../model.js';
import type { Fault } from '../ports.js';

type Spec = Extract<FaultSpec, { type: 'db-proxy' }>;

async function put(control: string, body: { latencyMs: number; drop: boolean }): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(new URL('fault', control.endsWith('/') ? control : `${control}/`), { method: 'PUT', body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
  } catch (e) {
    throw new HandoffError('CHAOS_INJECTION_FAILED', `the proxy's control endpoint ${control} did not answer: ${e instanceof Error ? e.message : String(e)}`, { control });
  }
  const answer = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) throw new HandoffError('CHAOS_INJECTION_FAILED', `the proxy refused the fault: ${JSON.stringify(answer)}`, { control });
  return answer;
}

export function dbProxy(spec: Spec): Fault {
  return {
    async blastRadius() {
      let status: Record<string, unknown>;
      try {
        const res = await fetch(new URL('fault', spec.control.endsWith('/') ? spec.control : `${spec.control}/`), { signal: AbortSignal.timeout(5000) });
        status = (await res.json()) as Record<string, unknown>;
      } catch (e) {
        throw new HandoffError('CHAOS_TARGET_NOT_FOUND', `no chaos proxy answers at ${spec.control}: ${e instanceof Error ? e.message : String(e)}`, { control: spec.control });
      }
      const what = [spec.latencyMs > 0 ? `${spec.latencyMs} ms latency` : null, spec.drop ? 'all traffic dropped' : null].filter((x) => x !== null).join(' and ');
      return [`database traffic through the proxy to ${String(status.target)} (${String(status.connections)} connections now): ${what}`];
    },
    async inject() {
      await put(spec.control, { latencyMs: spec.latencyMs, drop: spec.drop });
    },
    async restore() {
      await put(spec.control, { latencyMs: 0, drop: false });
    },
  };
}
