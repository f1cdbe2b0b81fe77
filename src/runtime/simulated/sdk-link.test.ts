import { describe, expect, it } from 'vitest';
import { FakeBackend } from '../../sdk/testing/fake-backend.js';
import { SdkLink, SdkUnreachable } from './sdk-link.js';

describe('SdkLink', () => {
  it('refuses calls while no control plane is connected, as a refused connection would', async () => {
    const link = new SdkLink();
    await expect(link.call('token-a', (b, id) => b.health(id))).rejects.toBeInstanceOf(SdkUnreachable);
    expect(link.tell('token-a', (b, id) => b.health(id))).toBe(false);
  });

  it('delivers a fire-and-forget ping at once to the connected backend, and only with a token it knows', () => {
    const link = new SdkLink();
    const backend = new FakeBackend();
    const disconnect = link.connect(backend);
    expect(link.tell('token-a', (b, id) => b.health(id))).toBe(true);
    expect(link.tell('forged', (b, id) => b.health(id))).toBe(false);
    expect(backend.log.map((c) => [c.method, c.serverId])).toEqual([['health', 'gs-a']]);
    disconnect();
    expect(link.tell('token-a', (b, id) => b.health(id))).toBe(false);
    expect(backend.log).toHaveLength(1);
  });
});
