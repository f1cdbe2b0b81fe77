import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { egressPolicy } from './egress.js';
import { guardedPost } from './post.js';

/** A real HTTP server on loopback that counts the requests that reach it. */
describe('guardedPost', () => {
  let server: Server;
  let port = 0;
  const seen: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push(body);
        res.writeHead(req.url === '/fail' ? 500 : 200).end(`got ${body}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const post = (url: string, policy = egressPolicy()) => guardedPost(url, { headers: { 'content-type': 'text/plain' }, body: 'hi', timeoutMs: 5_000, policy });

  it('posts to a hook on loopback by default and answers any status', async () => {
    expect(await post(`http://127.0.0.1:${port}/h`)).toEqual({ status: 200, text: 'got hi' });
    expect((await post(`http://127.0.0.1:${port}/fail`)).status).toBe(500);
  });

  it('refuses a literal address the policy refuses, sending nothing', async () => {
    const before = seen.length;
    await expect(post(`http://127.0.0.1:${port}/h`, egressPolicy({ deny: ['127.0.0.0/8'] }))).rejects.toMatchObject({ code: 'WEBHOOK_URL_FORBIDDEN' });
    await expect(post('http://169.254.169.254/latest/meta-data')).rejects.toMatchObject({ code: 'WEBHOOK_URL_FORBIDDEN' });
    expect(seen.length).toBe(before);
  });

  it('judges the address a name resolves to when it connects (a name that now points somewhere refused)', async () => {
    const before = seen.length;
    // `localhost` resolves to loopback: refused once loopback is, although the URL names no address.
    const refused = post(`http://localhost:${port}/h`, egressPolicy({ deny: ['127.0.0.0/8', '::1/128'] }));
    await expect(refused).rejects.toMatchObject({ code: 'WEBHOOK_URL_FORBIDDEN', message: expect.stringContaining('localhost resolves to') });
    expect(seen.length).toBe(before);
    expect((await post(`http://localhost:${port}/h`)).status).toBe(200);
  });
});
