/**
 * The API's response types, taken from the server's own schemas so the CLI cannot drift from
 * them. Type-only imports: the CLI does not load zod or re-validate what its server sends.
 */
import type { z } from 'zod';
import type {
  AllocationResponseSchema,
  BuildViewSchema,
  EventViewSchema,
  FleetViewSchema,
  RolloutViewSchema,
  ServerViewSchema,
  SessionViewSchema,
} from '../api/schemas.js';

export type BuildView = z.output<typeof BuildViewSchema>;
export type FleetView = z.output<typeof FleetViewSchema>;
export type ServerView = z.output<typeof ServerViewSchema>;
export type SessionView = z.output<typeof SessionViewSchema>;
export type RolloutView = z.output<typeof RolloutViewSchema>;
export type EventView = z.output<typeof EventViewSchema>;
export type AllocationView = z.output<typeof AllocationResponseSchema>;

/** Every list endpoint answers `{items: [...]}`. */
export interface ListView<T> {
  items: T[];
}

/** What `POST /v1/apply` reports per object. */
export interface ApplyView {
  builds: { id: string; result: string }[];
  fleets: { name: string; result: string }[];
}
