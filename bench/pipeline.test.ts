import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { PipelinedConnection, parseAnswer, type Answer } from './pipeline.js';

const fixed = (status: string, headers: string, body: string): string =>
  `HTTP/1.1 ${status}\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const chunked = (status: string, parts: string[]): string =>
  `HTTP/1.1 ${status}\r\nTransfer-Encoding: chunked\r\n\r\n${parts.map((p) => `${Buffer.byteLength(p).toString(16)}\r\n${p}\r\n`).join('')}0\r\n\r\n`;

describe('parseAnswer', () => {
  it.each<[string, string, Answer]>([
    ['a 201 with a Content-Length body', fixed('201 Created', '', '{"sessionId":"s1"}'), { status: 201, code: null, retryAfter: false }],
    ['a 429 with Retry-After and an error code', fixed('429 Too Many Requests', 'Retry-After: 1\r\n', '{"error":{"code":"OVERLOADED"}}'), { status: 429, code: 'OVERLOADED', retryAfter: true }],
    ['a 503 without Retry-After', fixed('503 Service Unavailable', '', '{"error":{"code":"NO_CAPACITY","message":"x"}}'), { status: 503, code: 'NO_CAPACITY', retryAfter: false }],
    ['a chunked 429 whose code spans two chunks', chunked('429 Too Many Requests', ['{"error":{"code":"OVER', 'LOADED"}}']), { status: 429, code: 'OVERLOADED', retryAfter: false }],
    ['a non-2xx body that is not ours', fixed('502 Bad Gateway', 'retry-after: 5\r\n', 'upstream down'), { status: 502, code: null, retryAfter: true }],
  ])('reads %s', (_name, text, answer) => {
    const buf = Buffer.from(text);
    expect(parseAnswer(buf, 0)).toEqual({ answer, next: buf.length });
  });

  it('waits for the rest of an answer cut anywhere, then reads it whole', () => {
    const text = fixed('429 Too Many Requests', 'Retry-After: 1\r\n', '{"error":{"code":"OVERLOADED"}}') + chunked('200 OK', ['{"a":', '1}']);
    const buf = Buffer.from(text);
    const first = parseAnswer(buf, 0);
    fc.assert(fc.property(fc.integer({ min: 0, max: buf.length - 1 }), (cut) => {
      const part = parseAnswer(buf.subarray(0, cut), 0);
      // A prefix holds the first answer only once it is complete, and never a second one.
      if (first && cut >= first.next) expect(part).toEqual(first);
      else expect(part).toBeNull();
      if (first && cut >= first.next) expect(parseAnswer(buf.subarray(0, cut), first.next)).toBeNull();
    }));
  });
});

describe('PipelinedConnection', () => {
  let server: Server | null = null;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  /** A real node:http server: answers each request by its path, the last one slowly. */
  async function start(): Promise<number> {
    server = createServer((req, res) => {
      if (req.url === '/shed') res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' }).end('{"error":{"code":"OVERLOADED"}}');
      else if (req.url === '/slow') setTimeout(() => res.writeHead(201).end('{}'), 50);
      else if (req.url === '/close') req.socket.destroy();
      else res.writeHead(201).end('{"sessionId":"s"}');
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    return (server?.address() as AddressInfo).port;
  }

  const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;

  it('matches answers to pipelined requests in the order they were sent', async () => {
    const port = await start();
    const answers: [number, number, string | null, boolean][] = [];
    const conn = new PipelinedConnection(port, '127.0.0.1', {
      answer: (tag, a) => answers.push([tag, a.status, a.code, a.retryAfter]),
      lost: () => undefined,
      closed: () => undefined,
    });
    expect(await conn.connected()).toBe(true);
    conn.send(7, get('/slow'));
    conn.send(8, get('/shed'));
    conn.send(9, get('/ok'));
    expect(conn.inFlight).toBe(3);
    await expect.poll(() => answers.length).toBe(3);
    expect(answers).toEqual([[7, 201, null, false], [8, 429, 'OVERLOADED', true], [9, 201, null, false]]);
    expect(conn.inFlight).toBe(0);
    conn.end();
  });

  it('reports the requests still unanswered when the server drops the connection as lost', async () => {
    const port = await start();
    const answered: number[] = [];
    const lost: [number, string][] = [];
    let closed = false;
    const conn = new PipelinedConnection(port, '127.0.0.1', {
      answer: (tag) => answered.push(tag),
      lost: (tag, reason) => lost.push([tag, reason]),
      closed: () => {
        closed = true;
      },
    });
    await conn.connected();
    conn.send(1, get('/ok'));
    conn.send(2, get('/close'));
    conn.send(3, get('/ok'));
    await expect.poll(() => closed).toBe(true);
    expect(answered).toEqual([1]);
    expect(lost.map(([tag]) => tag)).toEqual([2, 3]);
    expect(lost[0]?.[1]).toMatch(/^NET_/);
  });
});
