/**
 * Analysis webhooks: a release step asks an outside service whether to go on. Handoff POSTs
 * the release's state as JSON; any 2xx answer within the timeout passes, anything else (another
 * status, a refused connection, the timeout) fails. The answer's body is not read for a verdict,
 * so any HTTP endpoint (a CI job, a metrics query behind a small script) can serve.
 */
import { egressPolicy, type EgressPolicy } from '../net/egress.js';
import { guardedPost } from '../net/post.js';
import type { WebhookCheck } from '../rollout/checks.js';
import type { SmokeOutcome } from './smoke.js';

/** `policy`: the addresses it may call (see net/egress.ts); a refused one fails the check. */
export async function callWebhook(check: WebhookCheck, payload: Record<string, unknown>, policy: EgressPolicy = egressPolicy()): Promise<SmokeOutcome> {
  const where = `POST ${check.url}`;
  try {
    const res = await guardedPost(check.url, { headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload), timeoutMs: check.timeoutSeconds * 1000, policy, maxBytes: 4096 });
    // Keep a short excerpt: operators see why a check failed in `rollout status`.
    const text = res.text.slice(0, 200).trim();
    const said = text ? `: ${text}` : '';
    const ok = res.status >= 200 && res.status < 300;
    return { passed: ok, detail: `${where} → ${res.status}${said}` };
  } catch (e) {
    return { passed: false, detail: `${where} failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}
