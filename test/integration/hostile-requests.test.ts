import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durableDigest, fixtureBuild, startTestPlane, type TestPlane } from '../support/control-plane.js';
import { rawRequest } from '../support/raw-http.js';

/** What a hostile web page or a broken client can send; each answer is coded and changes nothing. */
describe('hostile requests against a real control plane', () => {
  let t: TestPlane;
  const build = { ...fixtureBuild('v1'), id: undefined, launch: { executable: '/bin/sh', args: ['-c', 'touch /tmp/pwned'] } };
  beforeAll(async () => {
    t = await startTestPlane({ portBase: 42_000 });
  });
  afterAll(() => t.close());

  const send = (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) =>
    rawRequest(t.cp.url, method, path, headers, body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));

  it.each(['/v1/fleets/%', '/v1/fleets/%E0%A4%A', '/v1/fleets/%C0', '/v1/fleets/%ZZ', '/v1/sessions/%', '/v1/rollouts/%ZZ/abort', '/v1/builds/%'])(
    'answers %s with 400 MALFORMED_URL and keeps serving',
    async (path) => {
      const r = await send(path.includes('abort') ? 'POST' : 'GET', path);
      expect([r.status, r.body.error.code]).toEqual([400, 'MALFORMED_URL']);
      expect((await send('GET', '/healthz')).status).toBe(200);
    },
  );

  it.each([
    ['PUT', '/v1/builds/BAD_ID'],
    ['PUT', '/v1/fleets/..%2Fx'],
    ['GET', '/v1/servers/..%2F..%2Fetc'],
    ['GET', '/v1/sessions/a%00b'],
  ])('validates the path parameter of %s %s with the request: 400 VALIDATION_FAILED', async (method, path) => {
    const before = await durableDigest(t.cp);
    const r = await send(method, path, { 'content-type': 'application/json' }, method === 'PUT' ? { ...fixtureBuild('x'), id: undefined } : undefined);
    expect([r.status, r.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(await durableDigest(t.cp)).toBe(before);
  });

  it.each([
    ['no content type', {}],
    ['text/plain;json (a no-preflight request)', { 'content-type': 'text/plain;json' }],
    ['text/plain', { 'content-type': 'text/plain' }],
    ['a form', { 'content-type': 'application/x-www-form-urlencoded' }],
  ])('refuses a body sent with %s: 415, nothing registered', async (_label, headers) => {
    const before = await durableDigest(t.cp);
    const r = await send('POST', '/v1/apply', headers as Record<string, string>, { builds: [{ ...build, id: 'evil' }] });
    expect([r.status, r.body.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    expect(await durableDigest(t.cp)).toBe(before);
  });

  it('refuses a cross-origin page even with a JSON body: 403 ORIGIN_NOT_ALLOWED, nothing registered', async () => {
    const before = await durableDigest(t.cp);
    const r = await send('POST', '/v1/apply', { 'content-type': 'application/json', origin: 'https://evil.example' }, { builds: [{ ...build, id: 'evil' }] });
    expect([r.status, r.body.error.code]).toEqual([403, 'ORIGIN_NOT_ALLOWED']);
    expect(await durableDigest(t.cp)).toBe(before);
  });

  it('refuses a DNS-rebound request (Host: attacker.example) even for reads', async () => {
    for (const path of ['/v1/fleets', '/v1/builds', '/metrics', '/openapi.json']) {
      const r = await send('GET', path, { host: 'attacker.example' });
      expect([path, r.status, r.body.error.code]).toEqual([path, 403, 'HOST_NOT_ALLOWED']);
    }
  });

  it('serves the same request addressed by a loopback name', async () => {
    expect((await send('GET', '/v1/fleets', { host: `localhost:${new URL(t.cp.url).port}` })).status).toBe(200);
  });
});
