/**
 * The one HTTP client for operator-supplied URLs: a POST that refuses, under the egress policy,
 * a literal host and every address DNS answers with at connect time — the address the socket
 * really uses, so a name that resolved to a harmless address when it was registered and to a
 * metadata address now (DNS rebinding) is still refused. Redirects are not followed.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { HandoffError } from '../core/errors.js';
import { egressRefusal, literalHost, type EgressPolicy } from './egress.js';

export interface PostAnswer {
  status: number;
  /** The first `maxBytes` of the body. */
  text: string;
}

export interface PostOptions {
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  policy: EgressPolicy;
  maxBytes?: number;
}

/** Throws WEBHOOK_URL_FORBIDDEN (refused), or the socket's error; answers any status. */
export function guardedPost(url: string, opts: PostOptions): Promise<PostAnswer> {
  const literal = literalHost(url);
  const refused = literal ? egressRefusal(opts.policy, literal) : null;
  if (refused) return Promise.reject(forbidden(url, refused));
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const maxBytes = opts.maxBytes ?? 64 * 1024;
  return new Promise<PostAnswer>((resolve, reject) => {
    const req = request(target, {
      method: 'POST',
      headers: { ...opts.headers, 'content-length': String(Buffer.byteLength(opts.body)) },
      lookup: guardedLookup(url, opts.policy),
      signal: AbortSignal.timeout(opts.timeoutMs),
    }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < maxBytes) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', (e: Error) => reject(e.name === 'AbortError' ? new Error(`no answer within ${opts.timeoutMs} ms`) : e));
    req.end(opts.body);
  });
}

function forbidden(url: string, why: string): HandoffError {
  return new HandoffError('WEBHOOK_URL_FORBIDDEN', `${url}: ${why}`, { url });
}

/** DNS as usual, then every answer judged: one forbidden address refuses the call. */
function guardedLookup(url: string, policy: EgressPolicy): LookupFunction {
  return (hostname: string, options: LookupOptions, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      for (const a of addresses) {
        const why = egressRefusal(policy, a.address);
        if (why) return callback(forbidden(url, `${hostname} resolves to ${why}`) as unknown as NodeJS.ErrnoException, []);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}
