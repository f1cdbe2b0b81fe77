/**
 * Every HTTP route Handoff serves — the `/v1` API and the game-server SDK endpoint — is declared
 * once: method, path, schemas, the role it will require and its handler. One HTTP stack
 * (`handler.ts`) serves the declarations, and the OpenAPI document is generated from them, so
 * validation, limits and error shapes cannot drift between the two surfaces.
 */
import type { ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { ErrorCode } from '../core/errors.js';

/** API roles are declared now and enforced by the auth layer when tokens arrive; `game-server` is the SDK's. */
export const Roles = ['viewer', 'allocator', 'operator', 'admin', 'game-server'] as const;
export type Role = (typeof Roles)[number];

export type Method = 'get' | 'post' | 'put' | 'delete';

export interface HandlerInput<P, Q, B, A = unknown> {
  params: P;
  query: Q;
  body: B;
  headers: { get(name: string): string | null };
  /** Who is calling, as established by the stack's `authenticate` option (SDK: the server id). */
  principal: A;
}

export interface HandlerResult<R> {
  status: number;
  /** `undefined` with a 204 or 304 sends no body. */
  body: R;
  /** Extra response headers (an `etag`). */
  headers?: Readonly<Record<string, string>>;
}

/** A response the handler writes itself (Server-Sent Events). */
export class StreamResult {
  constructor(readonly open: (res: ServerResponse) => void) {}
}

export interface RouteDef<P = unknown, Q = unknown, B = unknown, R = unknown, A = unknown> {
  method: Method;
  /** OpenAPI-style path: `/v1/fleets/{name}`. */
  path: string;
  summary: string;
  tag: string;
  role: Role;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Per-route body limit; the stack's default otherwise. */
  maxBodyBytes?: number;
  response: z.ZodType<R>;
  /** Success status when the handler returns a plain body. */
  status?: number;
  /**
   * The handler may hold the request open waiting for a change (a long poll). Such a request
   * gives its admission slot back once validated: it waits on an event, not on work, and a
   * crowd of pollers must not make the control plane shed the requests that do work.
   */
  longPoll?: boolean;
  /** Error codes this route can answer with, for the OpenAPI document. */
  errors: readonly ErrorCode[];
  handler: (input: HandlerInput<P, Q, B, A>) => Promise<R | HandlerResult<R> | StreamResult> | R | HandlerResult<R> | StreamResult;
}

/**
 * Checks a route's handler against its schemas, then erases the types so routes of different
 * shapes fit in one list. Safe: the stack validates every input with the same schemas first.
 */
export function defineRoute<P, Q, B, R, A = unknown>(def: RouteDef<P, Q, B, R, A>): RouteDef {
  return def as unknown as RouteDef;
}

const RESULT = Symbol('handoff.handlerResult');

export function withStatus<R>(status: number, body: R, headers?: Readonly<Record<string, string>>): HandlerResult<R> {
  return Object.assign(Object.create(null) as object, { status, body, [RESULT]: true }, headers ? { headers } : {}) as HandlerResult<R>;
}

/** A 204 with no body. */
export function noContent(): HandlerResult<undefined> {
  return withStatus(204, undefined);
}

export function isHandlerResult<R>(v: unknown): v is HandlerResult<R> {
  return typeof v === 'object' && v !== null && RESULT in v;
}
