/**
 * Before/after of the allocation hot-path trims listed in docs/performance.md, in one process:
 * each old implementation (copied here as it was) against the code now in src, in alternating
 * rounds so that a neighbour's burst on this shared machine lands on both. Not part of
 * `npm run bench` (it measures pieces, not the product); run it by hand:
 *
 *   node --import tsx bench/hot-path.ts
 */
import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { newId } from '../src/core/ids.js';
import { isJsonMediaType } from '../src/http/request-guard.js';
import { round } from './stats.js';

/** As before: one `randomBytes` call per id. */
function newIdBefore(prefix: string): string {
  return `${prefix}_${randomBytes(9).toString('base64url')}`;
}

/** As before: a fatal TextDecoder built per request. */
function decodeBefore(bytes: Buffer): string {
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

function decodeAfter(bytes: Buffer): string {
  if (!isUtf8(bytes)) throw new Error('not UTF-8');
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** As before: the parameter names re-read from the path pattern, URLSearchParams for every query. */
function inputBefore(path: string, search: string): unknown {
  const keys = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
  return { keys, query: Object.fromEntries(new URLSearchParams(search)) };
}

function inputAfter(keys: readonly string[], search: string): unknown {
  return { keys, query: search === '' ? {} : Object.fromEntries(new URLSearchParams(search)) };
}

/** As before: every content type split on `;`. */
function isJsonBefore(contentType: string): boolean {
  const [type = '', ...params] = contentType.split(';');
  if (type.trim().toLowerCase() !== 'application/json') return false;
  return params.every((p) => {
    const [k = '', v = ''] = p.split('=');
    const key = k.trim().toLowerCase();
    const value = v.trim().toLowerCase().replace(/^"(.*)"$/, '$1');
    return key === '' || (key === 'charset' && value === 'utf-8');
  });
}

const body = Buffer.from('{"fleet":"bench","playerId":"r1-ep0-12345"}');
const pairs: [string, () => unknown, () => unknown][] = [
  ['newId', () => newIdBefore('ses'), () => newId('ses')],
  ['body decode', () => decodeBefore(body), () => decodeAfter(body)],
  ['route input (no path parameters, no query)', () => inputBefore('/v1/allocations', ''), () => inputAfter([], '')],
  ['content-type check', () => isJsonBefore('application/json'), () => isJsonMediaType('application/json')],
];

const N = 50_000;
const ROUNDS = 6;
let sink: unknown;
function time(fn: () => unknown): number {
  const t = performance.now();
  for (let i = 0; i < N; i++) sink = fn();
  return ((performance.now() - t) * 1000) / N;
}

for (const [name, before, after] of pairs) {
  const b: number[] = [];
  const a: number[] = [];
  time(before);
  time(after);
  for (let r = 0; r < ROUNDS; r++) {
    b.push(time(before));
    a.push(time(after));
  }
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
  process.stdout.write(`${name}: before ${round(med(b), 3)} µs, after ${round(med(a), 3)} µs per call (${round(med(b) / med(a), 1)}× faster; medians of ${ROUNDS} rounds of ${N})\n`);
}
if (sink === Symbol.for('never')) process.stdout.write('');
