/**
 * Notifications: webhooks that hear about releases. A subscription names a URL, the release
 * events it wants, a secret the body is signed with, and a payload format. Each matching event
 * becomes a delivery, kept in the store with every attempt, retried with back-off until the
 * receiver answers 2xx or the attempts run out.
 */
export const NotificationEvents = ['started', 'step', 'paused', 'verdict', 'promoted', 'aborted', 'completed', 'gate-waiting'] as const;
export type NotificationEvent = (typeof NotificationEvents)[number];

export const WebhookFormats = ['json', 'slack'] as const;
export type WebhookFormat = (typeof WebhookFormats)[number];

export interface Webhook {
  name: string;
  url: string;
  /** The events delivered; empty means all of them. */
  events: NotificationEvent[];
  /** Signs every body (HMAC-SHA256); never shown by the API once set. */
  secret: string;
  format: WebhookFormat;
  createdAt: number;
  updatedAt: number;
}

/** A webhook as declared (`kind: Webhook` or `PUT /v1/webhooks/{name}`). */
export interface WebhookSpec {
  name: string;
  url: string;
  events: NotificationEvent[];
  secret: string;
  format: WebhookFormat;
}

export const DeliveryStates = ['pending', 'delivered', 'failed'] as const;
export type DeliveryState = (typeof DeliveryStates)[number];

export interface DeliveryAttempt {
  at: number;
  /** The receiver's HTTP status, or null when no answer came (refused, timed out). */
  status: number | null;
  error: string | null;
  ms: number;
}

/** One notification to one webhook: the outbox row and its delivery log. */
export interface Delivery {
  /** `${webhook}:${seq}`: one delivery per webhook and event, whatever restarts happen. */
  id: string;
  webhook: string;
  event: NotificationEvent;
  /** The event log entry it came from. */
  seq: number;
  fleet: string | null;
  subject: string;
  /** The exact body sent (the signature covers it), so every retry sends the same bytes. */
  body: string;
  state: DeliveryState;
  attempts: DeliveryAttempt[];
  nextAttemptAt: number | null;
  createdAt: number;
  deliveredAt: number | null;
}
