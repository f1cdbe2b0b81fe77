import { HandoffError } from '../core/errors.js';

/**
 * Wire protocol between a game server and its local SDK endpoint (HTTP on loopback).
 * Every request carries `Authorization: Bearer <HANDOFF_TOKEN>`; the token identifies the server.
 * Errors use the same `{ error: { code, message, retryable } }` body as the public API.
 *
 *   POST /sdk/v1/ready                      → 204      server can host sessions
 *   POST /sdk/v1/health                     → 204      liveness ping (send every few seconds)
 *   POST /sdk/v1/sessions/started  {playerId, joinToken?}   → 200 SdkSessionView
 *   POST /sdk/v1/sessions/ended    {playerId, reason?, sessionId?} → 204
 *   PUT  /sdk/v1/capacity          {capacity}               → 204
 *   PUT  /sdk/v1/roster            {players, sessions?}     → 204      every player connected right now
 *   POST /sdk/v1/shutdown                   → 204      server asks to be drained and stopped
 *   GET  /sdk/v1/self                       → 200 SdkSelf
 *   GET  /sdk/v1/watch                      → text/event-stream of Notice (`data: <json>\n\n`)
 *   POST /sdk/v1/metrics           {metrics: [{name, value, kind, sessionId?}]} → 204   (protocol 4)
 *
 * The token is checked first, for every path under /sdk/v1; then an unknown path answers
 * 404 ROUTE_NOT_FOUND and a known path with the wrong method 405 METHOD_NOT_ALLOWED.
 * Bodies are JSON (at most 64 KiB; the content type is not checked: the bearer token rules out
 * cross-site requests). `watch` sends a `: ping`
 * comment every 15 s; after a reconnect, standing notices (an active drain) are sent again, so
 * handlers must be idempotent.
 *
 * `roster` replaces what the control plane knows of the server's players; it recovers sessions
 * the store lost, confirms ones whose confirmation it lost, and closes Connected sessions of
 * players no longer there (reason `roster`). The client sends one whenever its watch stream
 * (re)connects, so a restarted control plane hears it within seconds. Servers that never send
 * one (older SDKs) are kept after a restart until observed empty (docs/restarts.md).
 *
 * Versions. The path names the major line (`/sdk/v1`); within it, the protocol version is
 * negotiated per request by the `Handoff-Sdk-Protocol` header: a client sends the version it
 * speaks (no header = 1), the endpoint answers with the newest version it speaks, and a client
 * uses a newer call only when the endpoint's answer says it has it. The endpoint keeps answering
 * every older version, so a game server built with an older SDK keeps working after the control
 * plane is upgraded (test/compat runs the previous release's client against this endpoint).
 *   1 — the calls above (Handoff 0.1.0).
 *   2 — adds `PUT roster` (the players a server really hosts, trusted over the store after a
 *       restart).
 *   3 — adds the `migrate` notice (a release will move this server's players to another build at
 *       a deadline) and `tokens` on `sessions-closed` (each migrated player's migration token).
 *       A watch stream opened at version 1 or 2 gets a `migrate` notice as the `drain` notice
 *       those versions know (same deadline, reason `release`) and `sessions-closed` without
 *       `tokens`, exactly what they got before version 3 (see `noticeForProtocol`).
 *   4 — adds `POST metrics` (custom metrics the game reports: counters, gauges, samples; the
 *       release analysis compares them between builds) and the end reason `error` (the game
 *       ended a session because something went wrong; counted as an abnormal close). A client
 *       sends either only to an endpoint that answered version 4 or newer; to an older one it
 *       sends `error` as `disconnected` and keeps its metrics to itself.
 *
 * Notice types are additive: the SDK clients of every version skip a notice type they do not
 * know (watch.ts), and a game server talking raw HTTP should do the same.
 */

export const SDK_PREFIX = '/sdk/v1';
export const SDK_PROTOCOL_HEADER = 'handoff-sdk-protocol';
/** The newest protocol version this code speaks, on either side. */
export const SDK_PROTOCOL_VERSION = 4;
export const SDK_PROTOCOL_MIN_VERSION = 1;

/**
 * The version a request speaks: its header (absent = 1). A client newer than this endpoint is
 * served at this endpoint's version (its answer header tells the client so); only a malformed
 * header or one below the oldest supported version is refused.
 */
export function negotiateProtocol(header: string | null): number {
  if (header === null) return SDK_PROTOCOL_MIN_VERSION;
  const v = /^\d{1,4}$/.test(header.trim()) ? Number(header.trim()) : NaN;
  if (!Number.isInteger(v) || v < SDK_PROTOCOL_MIN_VERSION) {
    throw new HandoffError('SDK_PROTOCOL_UNSUPPORTED', undefined, { header, supported: [SDK_PROTOCOL_MIN_VERSION, SDK_PROTOCOL_VERSION] });
  }
  return Math.min(v, SDK_PROTOCOL_VERSION);
}

export const NoticeTypes = ['drain', 'drain-cancelled', 'maintenance', 'sessions-closed', 'shutdown', 'migrate'] as const;
export type NoticeType = (typeof NoticeTypes)[number];

export type Notice =
  /** Stop taking players; sessions still open at `deadline` (ms epoch, null = none) will be closed. */
  | { type: 'drain'; reason: string; deadline: number | null; at: number }
  /** A drain or a migration was called off (the release was aborted): accept players again. */
  | { type: 'drain-cancelled'; at: number }
  /**
   * Protocol 3. A release moves this server's players to `build`: show them a message now. At
   * `deadline` (ms epoch) the sessions still open are closed with reason `migrated` and a
   * `sessions-closed` notice carries each player's migration token, for their next allocation.
   */
  | { type: 'migrate'; build: string; deadline: number; at: number }
  /** Operator message to show players, e.g. an upcoming maintenance window. */
  | { type: 'maintenance'; message: string; startsAt: number | null; at: number }
  /**
   * The control plane closed these players' sessions; tell them and disconnect them gracefully.
   * Protocol 3: when a release migrated them, `tokens` maps each player to their migration
   * token; hand it to the player (their client passes it to the matchmaker with its next request).
   */
  | { type: 'sessions-closed'; players: string[]; reason: string; at: number; tokens?: Record<string, string> }
  /** The process will receive SIGTERM after `graceMs`. */
  | { type: 'shutdown'; graceMs: number; at: number };

/**
 * A notice as a watch stream at `version` carries it: what versions before 3 knew instead of a
 * `migrate` notice (a `drain` with the same deadline) and `sessions-closed` without tokens.
 */
export function noticeForProtocol(n: Notice, version: number): Notice {
  if (version >= 3) return n;
  if (n.type === 'migrate') return { type: 'drain', reason: 'release', deadline: n.deadline, at: n.at };
  if (n.type === 'sessions-closed' && n.tokens !== undefined) {
    const { tokens: _tokens, ...older } = n;
    return older;
  }
  return n;
}

/**
 * The reasons a game server may give for a session it ends; the rest are control-plane reasons.
 * `error` (protocol 4): the game ended it because something went wrong — an abnormal close.
 */
export const SdkEndReasons = ['ended', 'disconnected', 'error'] as const;
/** The protocol version that added `error` and `POST metrics`. */
export const SDK_PROTOCOL_METRICS = 4;
export type SdkEndReason = (typeof SdkEndReasons)[number];

/** Body of `POST sessions/started`. */
export interface SessionStartedRequest {
  playerId: string;
  /** Required unless the server's fleet has `joinTokens: optional`. */
  joinToken?: string | null;
}

/** Body of `POST sessions/ended`; `reason` defaults to `ended`. */
export interface SessionEndedRequest {
  playerId: string;
  reason?: SdkEndReason;
}

/**
 * Body of `PUT roster`. `sessions` maps players to the session id `sessionStarted` returned,
 * so a lost session comes back under the id the server (and the matchmaker) already hold.
 */
export interface RosterRequest {
  players: string[];
  sessions?: Record<string, string>;
}

export const MetricKinds = ['counter', 'gauge', 'sample'] as const;
export type MetricKind = (typeof MetricKinds)[number];

/**
 * One custom metric report. `counter`: an increment (summed per session, or per server without
 * `sessionId`); `gauge`: a level read now; `sample`: one measurement (a tick's duration).
 * Names: lower case letters, digits and `_` in dot-separated segments, at most 57 characters
 * (the analysis calls it `custom.<name>`).
 */
export interface MetricReport {
  name: string;
  value: number;
  kind: MetricKind;
  sessionId?: string | null;
}

/** Body of `POST metrics` (protocol 4): reports batched by the client, at most 1,000 per request. */
export interface MetricsRequest {
  metrics: MetricReport[];
}

/** Body of `PUT capacity`. */
export interface CapacityRequest {
  capacity: number;
}

export interface SdkSessionView {
  sessionId: string;
  playerId: string;
  partyId: string | null;
  attributes: Record<string, string>;
}

export interface SdkSelf {
  serverId: string;
  fleet: string;
  build: string;
  version: string;
  state: string;
  capacity: number;
  ports: Record<string, number>;
  sessions: SdkSessionView[];
}
