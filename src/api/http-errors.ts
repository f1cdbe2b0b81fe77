import { toHandoffError, type ErrorBody } from '../core/errors.js';

/**
 * The one place that turns a thrown value into an HTTP status and body. Used by the public
 * API and the SDK endpoint alike.
 */
export function errorResponse(e: unknown): { status: number; body: ErrorBody } {
  const err = toHandoffError(e);
  return { status: err.status, body: err.toBody() };
}
