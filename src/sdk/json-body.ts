import type { z } from 'zod';
import { HandoffError } from '../core/errors.js';

export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads a request body as JSON and validates it: PAYLOAD_TOO_LARGE, MALFORMED_JSON or
 * VALIDATION_FAILED (with the issues in `details`). The content type is not checked: game
 * servers in other languages send JSON with whatever their HTTP library defaults to (curl -d
 * says form-urlencoded), and the bearer token already rules out cross-site form posts.
 */
export async function readJsonBody<S extends z.ZodType>(req: Request, schema: S, maxBytes = MAX_BODY_BYTES): Promise<z.output<S>> {
  const bytes = await readCapped(req, maxBytes);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new HandoffError('MALFORMED_JSON', undefined, { cause: e instanceof Error ? e.message : String(e) });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
    throw new HandoffError('VALIDATION_FAILED', undefined, { issues });
  }
  return parsed.data;
}

/** Stops reading as soon as the limit is passed, so an oversize body is never buffered whole. */
async function readCapped(req: Request, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = () => new HandoffError('PAYLOAD_TOO_LARGE', undefined, { maxBytes });
  const declared = Number(req.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  if (!req.body) return new Uint8Array(0);

  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
