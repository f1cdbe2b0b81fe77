/**
 * Request and response schemas of environments and webhooks (`/v1/environments`,
 * `/v1/webhooks`, and the `environments` and `webhooks` lists of `/v1/apply`). Kept apart from
 * `schemas.ts`, which imports them, so this file must not import it back.
 */
import { z } from 'zod';
import type { EnvironmentSpec } from '../environment/model.js';
import { EnvActions, SlotNames } from '../environment/model.js';
import { blueGreenOptions } from '../rollout/strategies/blue-green/spec.js';
import { DeliveryStates, NotificationEvents, WebhookFormats, type WebhookSpec } from '../notify/model.js';

/** The same rule as every other name of the API (see `schemas.ts`). */
const name = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'lowercase letters, digits, . _ -; at most 63 characters');

const SlotInputSchema = z.strictObject({
  /** The build the slot is bound to; for the live slot, what the fleets run (the default). */
  build: name.optional(),
  /** Warm servers per fleet while this slot is idle and staged. */
  warmServers: z.number().int().min(0).max(64).default(0),
});

export const EnvironmentInputSchema = z.strictObject({
  name,
  fleets: z.array(name).min(1).max(32),
  live: z.enum(SlotNames).default('blue'),
  slots: z.strictObject({ blue: SlotInputSchema.optional(), green: SlotInputSchema.optional() }).default({}),
});

export const StageRequestSchema = z.strictObject({
  build: name.optional(),
  /** Promote: stage the build live in this environment (the same build id). */
  from: name.optional(),
  warmServers: z.number().int().min(0).max(64).optional(),
});

export const RestoreRequestSchema = z.strictObject({
  snapshot: z.number().int().min(1),
  /** The blue-green release back to the snapshot's build (`oldIdleSeconds`, `drain`, `migration`, …); defaults as for any release. */
  release: z.strictObject(blueGreenOptions).optional(),
});

export const SnapshotParamsSchema = z.object({ name, number: z.coerce.number().int().min(1) });

export const WebhookInputSchema = z.strictObject({
  name,
  url: z.url({ protocol: /^https?$/ }).max(2048),
  events: z.array(z.enum(NotificationEvents)).max(NotificationEvents.length).default([]),
  /** Signs every body; at least 16 characters. */
  secret: z.string().min(16).max(256),
  format: z.enum(WebhookFormats).default('json'),
});

const SlotViewSchema = z.object({ build: z.string(), warmServers: z.number(), stagedAt: z.number().nullable(), boundAt: z.number() });
const SlotsViewSchema = z.object({ blue: SlotViewSchema, green: SlotViewSchema });

export const EnvHistoryViewSchema = z.object({ at: z.number(), action: z.enum(EnvActions), slot: z.enum(SlotNames), build: z.string(), snapshot: z.number().optional(), detail: z.string() });

export const EnvironmentViewSchema = z.object({
  name: z.string(),
  fleets: z.array(z.string()),
  live: z.enum(SlotNames),
  slots: SlotsViewSchema,
  lastSnapshot: z.number(),
  restoring: z.object({ snapshot: z.number(), build: z.string(), startedAt: z.number() }).nullable(),
  next: z.object({ build: z.string(), warmServers: z.number() }).nullable(),
  history: z.array(EnvHistoryViewSchema),
  createdAt: z.number(),
  updatedAt: z.number(),
});

export const EnvSnapshotViewSchema = z.object({
  environment: z.string(),
  number: z.number(),
  takenAt: z.number(),
  reason: z.string(),
  live: z.enum(SlotNames),
  slots: SlotsViewSchema,
  fleets: z.array(z.object({ name: z.string(), currentBuild: z.string(), routing: z.unknown(), capacity: z.unknown() })),
  builds: z.array(z.string()),
});

export const WebhookViewSchema = z.object({
  name: z.string(),
  url: z.string(),
  events: z.array(z.enum(NotificationEvents)),
  format: z.enum(WebhookFormats),
  createdAt: z.number(),
  updatedAt: z.number(),
});

export const DeliveryViewSchema = z.object({
  id: z.string(),
  webhook: z.string(),
  event: z.enum(NotificationEvents),
  seq: z.number(),
  fleet: z.string().nullable(),
  subject: z.string(),
  body: z.string(),
  state: z.enum(DeliveryStates),
  attempts: z.array(z.object({ at: z.number(), status: z.number().nullable(), error: z.string().nullable(), ms: z.number() })),
  nextAttemptAt: z.number().nullable(),
  createdAt: z.number(),
  deliveredAt: z.number().nullable(),
});

// Compile-time checks: the API takes what the domains take.
type Fits<_A extends B, B> = true;
export type _EnvDomainChecks = [
  Fits<z.output<typeof EnvironmentInputSchema>, EnvironmentSpec>,
  Fits<z.output<typeof WebhookInputSchema>, WebhookSpec>,
];
