/** The append-only event log: what happened, to what, and why. Operators read it; tests assert on it. */
export interface NewEvent {
  at: number;
  fleet: string | null;
  /** Dotted kind, e.g. `server.started`, `session.closed`, `rollout.switched`. */
  kind: string;
  /** The id of the thing the event is about. */
  subject: string;
  message: string;
  data: Record<string, unknown>;
}

export interface StoredEvent extends NewEvent {
  seq: number;
}
