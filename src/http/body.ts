import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { HandoffError } from '../core/errors.js';
import { isJsonMediaType } from './request-guard.js';

/**
 * Reads a JSON request body: exactly `application/json` (an empty body may come without a type
 * and reads as `{}`; `any` skips the type check, for callers a browser cannot impersonate), at most `maxBytes` — an oversize body is refused from its declared length
 * or as soon as the limit is passed, never buffered whole — and valid UTF-8 JSON.
 */
export function readJsonBody(req: IncomingMessage, maxBytes: number, mediaType: 'json-only' | 'any' = 'json-only'): Promise<unknown> {
  const type = req.headers['content-type'];
  const declared = req.headers['content-length'] === undefined ? null : Number(req.headers['content-length']);
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (type === undefined && declared === 0 && !chunked) return Promise.resolve({});
  if (mediaType === 'json-only' && (type === undefined ? declared !== null || chunked : !isJsonMediaType(type))) {
    return Promise.reject(new HandoffError('UNSUPPORTED_MEDIA_TYPE', undefined, { contentType: type ?? null }));
  }
  if (declared !== null && declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > maxBytes) {
        failed = true;
        chunks.length = 0;
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', (e) => {
      failed = true;
      reject(e);
    });
    req.on('end', () => {
      if (failed) return;
      const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      // A check and a plain decode instead of a fatal TextDecoder built per request.
      if (!isUtf8(bytes)) return reject(new HandoffError('MALFORMED_JSON', 'The request body is not valid UTF-8'));
      const decoded = bytes.toString('utf8');
      // As TextDecoder did: a leading byte-order mark is not part of the JSON.
      const text = decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded;
      if (text.trim() === '') return resolve({});
      try {
        resolve(JSON.parse(text) as unknown);
      } catch (e) {
        reject(new HandoffError('MALFORMED_JSON', undefined, { cause: e instanceof Error ? e.message : String(e) }));
      }
    });
  });
}

function tooLarge(maxBytes: number): HandoffError {
  return new HandoffError('PAYLOAD_TOO_LARGE', undefined, { limit: maxBytes });
}
