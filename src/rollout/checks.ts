/**
 * Pieces several strategies share: smoke checks before traffic, and a drain deadline for the
 * build that stops taking sessions. Types and their input schemas live together, owned by the
 * rollout domain; the HTTP API builds its request schemas on them.
 */
import { z } from 'zod';

export type SmokeCheck =
  | { kind: 'http'; port: string; path: string; expectStatus: number; timeoutSeconds: number }
  | { kind: 'command'; command: string[]; timeoutSeconds: number };

/** An analysis hook: POST the release's state to `url`; a 2xx answer within the timeout passes. */
export interface WebhookCheck {
  url: string;
  timeoutSeconds: number;
}

export interface DrainDeadline {
  /** Seconds after the switch at which sessions still on the old build are closed as `migrated`. */
  deadlineSeconds: number;
  /** Seconds before the deadline at which old servers get a drain notice through the SDK. */
  noticeLeadSeconds: number;
}

/** `inconclusive`: a metrics analysis that could not decide (too little data): a person must. */
export const SmokeStates = ['running', 'passed', 'failed', 'inconclusive'] as const;
export type SmokeState = (typeof SmokeStates)[number];

export interface SmokeResult {
  state: SmokeState;
  serverId: string;
  startedAt: number;
  finishedAt: number | null;
  detail: string;
}

export const seconds = z.number().int().nonnegative();

export const SmokeCheckSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('http'),
    port: z.string().default('game'),
    path: z.string().startsWith('/').default('/'),
    expectStatus: z.number().int().min(100).max(599).default(200),
    timeoutSeconds: z.number().int().min(1).max(300).default(10),
  }),
  z.strictObject({
    kind: z.literal('command'),
    command: z.array(z.string()).min(1),
    timeoutSeconds: z.number().int().min(1).max(600).default(30),
  }),
]) satisfies z.ZodType<SmokeCheck, unknown>;

export const DrainDeadlineSchema = z.strictObject({ deadlineSeconds: z.number().int().min(1), noticeLeadSeconds: seconds.default(60) });

export const WebhookCheckSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }),
  timeoutSeconds: z.number().int().min(1).max(300).default(10),
}) satisfies z.ZodType<WebhookCheck, unknown>;
