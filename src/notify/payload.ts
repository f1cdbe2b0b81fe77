/**
 * From the event log to notifications: which event kinds are release events, and the body a
 * webhook receives for one, in its format. Pure.
 */
import type { StoredEvent } from '../core/events.js';
import type { NotificationEvent, WebhookFormat } from './model.js';

/**
 * Release events by event-log kind. `rollout.*` comes from the rollout domain; `*.verdict` from
 * analysis and `*.gate.waiting` from release plans, whichever domain writes them. A failed
 * release is reported as `aborted` (it was stopped and rolled back), with `outcome: failed`.
 */
const ByKind: Readonly<Record<string, NotificationEvent>> = {
  'rollout.started': 'started',
  'rollout.provisioning': 'step',
  'rollout.verifying': 'step',
  'rollout.progressing': 'step',
  'rollout.draining': 'step',
  'rollout.step': 'step',
  'rollout.smoke': 'step',
  'rollout.paused': 'paused',
  'rollout.awaitingpromotion': 'paused',
  'rollout.promoted': 'promoted',
  'rollout.aborted': 'aborted',
  'rollout.failed': 'aborted',
  'rollout.completed': 'completed',
};

export function notificationOf(kind: string): NotificationEvent | null {
  const direct = ByKind[kind];
  if (direct) return direct;
  if (kind.endsWith('.verdict')) return 'verdict';
  if (/\.gate[.-]waiting$/.test(kind)) return 'gate-waiting';
  return null;
}

/** The body for one event, in the webhook's format. Deterministic: retries send the same bytes. */
export function payloadFor(format: WebhookFormat, event: NotificationEvent, e: StoredEvent): string {
  const outcome = e.kind === 'rollout.failed' ? { outcome: 'failed' } : {};
  if (format === 'slack') {
    // Slack incoming webhooks (and the many tools that copy them) take `text`; `blocks` adds structure.
    const title = `Handoff: release ${event}${e.fleet ? ` on ${e.fleet}` : ''}`;
    return JSON.stringify({
      text: `${title}: ${e.message}`,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: `*${title}*\n${e.message}` } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: `${e.kind} · ${e.subject} · seq ${e.seq} · ${new Date(e.at).toISOString()}` }] },
      ],
    });
  }
  return JSON.stringify({ event, kind: e.kind, seq: e.seq, at: e.at, fleet: e.fleet, subject: e.subject, message: e.message, data: { ...e.data, ...outcome } });
}
