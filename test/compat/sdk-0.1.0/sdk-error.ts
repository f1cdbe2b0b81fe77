import { isErrorCode, type ErrorBody, type ErrorCode } from '../../../src/core/errors.js';

/**
 * Codes the client makes up itself, for failures that never produced an error body:
 * `CONNECTION_FAILED` (no response: the endpoint is down or the connection broke),
 * `REQUEST_TIMEOUT` (no response in time), `UNEXPECTED_RESPONSE` (a body the client does not
 * understand, e.g. a code from a newer control plane; the raw code is in `details`).
 */
export const SdkClientErrorCodes = ['CONNECTION_FAILED', 'REQUEST_TIMEOUT', 'UNEXPECTED_RESPONSE'] as const;
export type SdkClientErrorCode = (typeof SdkClientErrorCodes)[number];
export type SdkErrorCode = ErrorCode | SdkClientErrorCode;

/** A failed SDK call. Branch on `code`, never on the message; `status` is 0 when there was no response. */
export class SdkError extends Error {
  readonly code: SdkErrorCode;
  readonly status: number;
  /** Whether the same call may succeed later. */
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: SdkErrorCode,
    message: string,
    opts: { status?: number; retryable: boolean; details?: Record<string, unknown>; cause?: unknown },
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SdkError';
    this.code = code;
    this.status = opts.status ?? 0;
    this.retryable = opts.retryable;
    this.details = opts.details;
  }

  /** Builds the error for a non-2xx response from its `{ error: { code, message, retryable } }` body. */
  static async fromResponse(res: Response): Promise<SdkError> {
    const text = await res.text().catch(() => '');
    const error = parseErrorBody(text);
    const fallbackRetryable = res.status >= 500;
    if (!error) {
      return new SdkError('UNEXPECTED_RESPONSE', `HTTP ${res.status} without an error body`, {
        status: res.status,
        retryable: fallbackRetryable,
        details: { body: text.slice(0, 200) },
      });
    }
    const retryable = typeof error.retryable === 'boolean' ? error.retryable : fallbackRetryable;
    const message = typeof error.message === 'string' ? error.message : `HTTP ${res.status}`;
    const details = isRecord(error.details) ? error.details : undefined;
    if (typeof error.code === 'string' && isErrorCode(error.code)) {
      return new SdkError(error.code, message, { status: res.status, retryable, details });
    }
    return new SdkError('UNEXPECTED_RESPONSE', message, {
      status: res.status,
      retryable,
      details: { ...details, code: error.code },
    });
  }
}

function parseErrorBody(text: string): Partial<Record<keyof ErrorBody['error'], unknown>> | undefined {
  try {
    const body: unknown = JSON.parse(text);
    return isRecord(body) && isRecord(body.error) ? body.error : undefined;
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
