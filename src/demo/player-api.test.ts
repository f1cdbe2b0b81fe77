import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AllocationError, backoffDelay, playUrl, requestAllocation, type Allocation } from './player-api.js';
import { resolvePoolOptions, type PlayerPoolOptions } from './player.js';

const allocation: Allocation = {
  sessionId: 'ses_1',
  fleet: 'arena',
  playerId: 'sim 1',
  reconnected: false,
  server: { id: 'srv_1', build: 'b1', version: '1.0.0', address: '127.0.0.1', ports: { game: 7000 } },
  joinToken: 'a+b/c',
};

describe('backoffDelay', () => {
  it.each([
    [0, 1, 100],
    [1, 1, 200],
    [3, 1, 800],
    [10, 1, 2_000],
    [1_000, 1, 2_000],
    [3, 0, 0],
    [3, 0.5, 400],
  ])('attempt %i with random %d waits %i ms at most', (attempt, r, expected) => {
    expect(backoffDelay(attempt, () => r, 100, 2_000)).toBe(expected);
  });
});

describe('playUrl', () => {
  it('builds the arena URL with the player and an escaped token', () => {
    expect(playUrl(allocation)).toBe('ws://127.0.0.1:7000/play?player=sim+1&token=a%2Bb%2Fc');
  });

  it('brackets an IPv6 address', () => {
    expect(playUrl({ ...allocation, server: { ...allocation.server, address: '::1' } })).toMatch(/^ws:\/\/\[::1\]:7000\//);
  });

  it('is undefined when the server has no game port', () => {
    expect(playUrl({ ...allocation, server: { ...allocation.server, ports: {} } })).toBeUndefined();
  });
});

describe('requestAllocation', () => {
  async function serve(status: number, body: string) {
    const server = createServer((_req, res) => res.writeHead(status, { 'content-type': 'application/json' }).end(body));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { url, close: () => server.close() };
  }

  async function failure(promise: Promise<unknown>): Promise<AllocationError> {
    const e: unknown = await promise.then(() => undefined, (err: unknown) => err);
    if (!(e instanceof AllocationError)) throw new Error(`expected an AllocationError, got ${String(e)}`);
    return e;
  }

  const body = { fleet: 'arena', playerId: 'p1' };

  it('returns a well-formed allocation', async () => {
    const api = await serve(201, JSON.stringify(allocation));
    await expect(requestAllocation(api.url, body, { timeoutMs: 5_000 })).resolves.toEqual(allocation);
    api.close();
  });

  it.each([
    [503, '{"error":{"code":"NO_CAPACITY","message":"m","retryable":true}}', 'NO_CAPACITY', true],
    [426, '{"error":{"code":"CLIENT_UPDATE_REQUIRED","message":"m","retryable":false}}', 'CLIENT_UPDATE_REQUIRED', false],
    [502, 'bad gateway', 'HTTP_502', true],
    [404, '', 'HTTP_404', false],
    [201, '{"sessionId":1}', 'BAD_RESPONSE', false],
  ])('maps HTTP %i %s to %s (retryable: %s)', async (status, text, code, retryable) => {
    const api = await serve(status, text);
    const e = await failure(requestAllocation(api.url, body, { timeoutMs: 5_000 }));
    expect({ code: e.code, retryable: e.retryable }).toEqual({ code, retryable });
    api.close();
  });

  it('reports an unreachable API as a retryable NETWORK error', async () => {
    const api = await serve(200, '{}');
    api.close();
    const e = await failure(requestAllocation(api.url, body, { timeoutMs: 5_000 }));
    expect({ code: e.code, retryable: e.retryable }).toEqual({ code: 'NETWORK', retryable: true });
  });
});

describe('resolvePoolOptions', () => {
  const base: PlayerPoolOptions = { apiUrl: 'http://x', fleet: 'f', players: 1, minPlayMs: 1, maxPlayMs: 2, minPauseMs: 0, maxPauseMs: 0 };

  it('fills defaults', () => {
    expect(resolvePoolOptions(base)).toMatchObject({ idPrefix: 'sim', connectTimeoutMs: 10_000, leaveTimeoutMs: 5_000, retryBaseMs: 100, retryMaxMs: 2_000 });
  });

  it.each<[string, Partial<PlayerPoolOptions>]>([
    ['negative players', { players: -1 }],
    ['fractional play time', { minPlayMs: 1.5 }],
    ['min play above max', { minPlayMs: 3, maxPlayMs: 2 }],
    ['min pause above max', { minPauseMs: 3, maxPauseMs: 2 }],
  ])('rejects %s', (_name, override) => {
    expect(() => resolvePoolOptions({ ...base, ...override })).toThrow(RangeError);
  });
});
