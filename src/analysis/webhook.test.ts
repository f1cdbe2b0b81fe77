import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callWebhook } from './webhook.js';

describe('callWebhook', () => {
  let server: Server;
  let base = '';
  const received: unknown[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ method: req.method, type: req.headers['content-type'], body: body ? JSON.parse(body) : null });
        if (req.url === '/slow') return void setTimeout(() => res.end('late'), 3_000);
        res.statusCode = req.url === '/fail' ? 503 : req.url === '/moved' ? 302 : 204;
        if (req.url === '/moved') res.setHeader('location', '/ok');
        res.end(req.url === '/fail' ? 'error rate 7%' : undefined);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    base = `http://127.0.0.1:${address.port}`;
  });
  afterAll(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));

  it('passes on a 2xx and posts the release as JSON', async () => {
    const outcome = await callWebhook({ url: `${base}/ok`, timeoutSeconds: 2 }, { rollout: 'ro_1', weight: 20 });
    expect(outcome).toEqual({ passed: true, detail: `POST ${base}/ok → 204` });
    expect(received.at(-1)).toEqual({ method: 'POST', type: 'application/json', body: { rollout: 'ro_1', weight: 20 } });
  });

  it.each([
    ['another status, with what the hook said', '/fail', `POST BASE/fail → 503: error rate 7%`],
    ['a redirect (not followed)', '/moved', `POST BASE/moved → 302`],
  ])('fails on %s', async (_what, path, detail) => {
    expect(await callWebhook({ url: `${base}${path}`, timeoutSeconds: 2 }, {})).toEqual({ passed: false, detail: detail.replace('BASE', base) });
  });

  it('fails when the hook does not answer within its timeout', async () => {
    const outcome = await callWebhook({ url: `${base}/slow`, timeoutSeconds: 1 }, {});
    expect(outcome.passed).toBe(false);
    expect(outcome.detail).toContain(`POST ${base}/slow failed`);
  });

  it('fails when nothing listens', async () => {
    expect((await callWebhook({ url: 'http://127.0.0.1:9/none', timeoutSeconds: 1 }, {})).passed).toBe(false);
  });
});
