/**
 * The API's response types, taken from the server's own schemas so the CLI cannot drift from
 * them. Type-only imports: the CLI does not load zod or re-validate what its server sends.
 */
import type { z } from 'zod';
import type { DeliveryViewSchema, EnvHistoryViewSchema, EnvironmentViewSchema, EnvSnapshotViewSchema, WebhookViewSchema } from '../api/env-schemas.js';
export type { BuildView, EventView, FleetView, RolloutView, ServerView, SessionView } from '../api/schemas.js';
export type { AllocationResponse as AllocationView } from '../api/schemas.js';

/** Every list endpoint answers `{items: [...]}`. */
export interface ListView<T> {
  items: T[];
}

/** What `POST /v1/apply` reports per object. */
export interface ApplyView {
  builds: { id: string; result: string }[];
  fleets: { name: string; result: string }[];
  /** Absent from control planes before releases could be declared. */
  rollouts?: { fleet: string; build: string; id: string; result: string }[];
  /** Absent from control planes before environments and webhooks. */
  environments?: { name: string; result: string }[];
  webhooks?: { name: string; result: string }[];
  /** Absent from control planes before release plans. */
  releasePlans?: { name: string; result: string }[];
}

/** Environments and webhooks (`/v1/environments`, `/v1/webhooks`). */
export type EnvironmentView = z.output<typeof EnvironmentViewSchema>;
export type EnvSnapshotView = z.output<typeof EnvSnapshotViewSchema>;
export type EnvHistoryView = z.output<typeof EnvHistoryViewSchema>;
export type WebhookView = z.output<typeof WebhookViewSchema>;
export type DeliveryView = z.output<typeof DeliveryViewSchema>;

/** `GET /v1/hosts` items (src/api/routes/hosts.ts). */
export interface HostView {
  id: string;
  zone: string;
  region: string;
  publicAddress: string;
  capacity: { slots: number; cpuMillis: number | null; memoryMb: number | null };
  state: string;
  schedule: string;
  embedded: boolean;
  lastHeartbeatAt: number;
  servers: string[];
  empty: boolean;
  /** While Draining: its notice and deadline (absent from control planes before them). */
  drain?: { since: number; deadline: { deadlineSeconds: number; noticeLeadSeconds: number } | null; noticeAt: number | null; closedAt: number | null } | null;
}
