/**
 * Every `/v1` route is declared once: method, path, schemas, the role it will require and its
 * handler. The HTTP app and the OpenAPI document are both generated from these declarations.
 */
import type { z } from 'zod';
import type { ErrorCode } from '../core/errors.js';

/** Roles are declared now and enforced by the auth layer when tokens arrive. */
export const Roles = ['viewer', 'allocator', 'operator', 'admin'] as const;
export type Role = (typeof Roles)[number];

export type Method = 'get' | 'post' | 'put' | 'delete';

export interface HandlerInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  headers: { get(name: string): string | null };
}

export interface HandlerResult<R> {
  status: number;
  body: R;
}

export interface RouteDef<P = unknown, Q = unknown, B = unknown, R = unknown> {
  method: Method;
  /** OpenAPI-style path: `/v1/fleets/{name}`. */
  path: string;
  summary: string;
  tag: string;
  role: Role;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  response: z.ZodType<R>;
  /** Success status when the handler returns a plain body. */
  status?: number;
  /** Error codes this route can answer with, for the OpenAPI document. */
  errors: readonly ErrorCode[];
  handler: (input: HandlerInput<P, Q, B>) => Promise<R | HandlerResult<R>>;
}

/**
 * Checks a route's handler against its schemas, then erases the types so routes of different
 * shapes fit in one list. Safe: the app validates every input with the same schemas first.
 */
export function defineRoute<P, Q, B, R>(def: RouteDef<P, Q, B, R>): RouteDef {
  return def as unknown as RouteDef;
}

export function withStatus<R>(status: number, body: R): HandlerResult<R> {
  return { status, body };
}

export function isHandlerResult<R>(v: unknown): v is HandlerResult<R> {
  return typeof v === 'object' && v !== null && 'status' in v && 'body' in v && Object.keys(v).length === 2;
}
