/**
 * Analysis webhooks: a release step asks an outside service whether to go on. Handoff POSTs
 * the release's state as JSON; any 2xx answer within the timeout passes, anything else (another
 * status, a refused connection, the timeout) fails. The answer's body is not read for a verdict,
 * so any HTTP endpoint (a CI job, a metrics query behind a small script) can serve.
 */
import type { WebhookCheck } from '../rollout/checks.js';
import type { SmokeOutcome } from './smoke.js';

export async function callWebhook(check: WebhookCheck, payload: Record<string, unknown>): Promise<SmokeOutcome> {
  const where = `POST ${check.url}`;
  try {
    const res = await fetch(check.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(check.timeoutSeconds * 1000),
      redirect: 'manual',
    });
    // Keep a short excerpt: operators see why a check failed in `rollout status`.
    const text = (await res.text()).slice(0, 200).trim();
    const said = text ? `: ${text}` : '';
    return res.ok ? { passed: true, detail: `${where} → ${res.status}${said}` } : { passed: false, detail: `${where} → ${res.status}${said}` };
  } catch (e) {
    return { passed: false, detail: `${where} failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}
