import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.js';
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

  it('tells a listener that asked for a delay of a connect that long after, and not if the connection went away meanwhile', () => {
    const clock = new FakeClock();
    const link = new SdkLink(clock);
    const heard: string[] = [];
    link.onChange((up) => heard.push(`now ${up}`));
    link.onChange((up) => heard.push(`later ${up}`), 100);
    const gone = link.onChange((up) => heard.push(`unsubscribed ${up}`), 100);
    const disconnect = link.connect(new FakeBackend());
    gone();
    expect(heard).toEqual(['now true']);
    clock.advance(99);
    expect(heard).toEqual(['now true']);
    clock.advance(1);
    expect(heard).toEqual(['now true', 'later true']);
    disconnect();
    expect(heard).toEqual(['now true', 'later true', 'now false', 'later false']);
    // Connected and gone again within the delay: no stale "up".
    link.connect(new FakeBackend())();
    clock.advance(200);
    expect(heard.filter((h) => h === 'later true')).toHaveLength(1);
  });
});
