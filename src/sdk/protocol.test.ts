import { describe, expect, it } from 'vitest';
import { noticeForProtocol, type Notice } from './protocol.js';

const migrate: Notice = { type: 'migrate', build: 'v2', deadline: 5_000, at: 1_000 };
const closed: Notice = { type: 'sessions-closed', players: ['p1'], reason: 'migrated', at: 5_000, tokens: { p1: 'mt1.x.y' } };

describe('notices per protocol version', () => {
  it('sends protocol 3 streams the migrate notice and the players\' tokens as they are', () => {
    expect(noticeForProtocol(migrate, 3)).toBe(migrate);
    expect(noticeForProtocol(closed, 3)).toBe(closed);
  });

  it.each([1, 2])('sends a protocol %i stream the drain notice it knows instead of migrate, and no tokens', (version) => {
    expect(noticeForProtocol(migrate, version)).toEqual({ type: 'drain', reason: 'release', deadline: 5_000, at: 1_000 });
    expect(noticeForProtocol(closed, version)).toEqual({ type: 'sessions-closed', players: ['p1'], reason: 'migrated', at: 5_000 });
  });
});
