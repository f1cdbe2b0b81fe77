import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JoinTokenKey, signJoinToken, verifyJoinToken } from './join-token.js';

const claims = { sessionId: 'ses_1', serverId: 'srv_1', playerId: 'p1', exp: 2000 };

describe('join tokens', () => {
  it('verifies a token it signed before expiry', () => {
    expect(verifyJoinToken('k', signJoinToken('k', claims), 1999)).toEqual(claims);
  });
  it('rejects an expired token', () => {
    expect(verifyJoinToken('k', signJoinToken('k', claims), 2000)).toBeUndefined();
  });
  it('rejects a token signed with another secret or altered', () => {
    const t = signJoinToken('k', claims);
    expect(verifyJoinToken('other', t, 1)).toBeUndefined();
    const forged = Buffer.from(JSON.stringify({ ...claims, serverId: 'srv_2' })).toString('base64url') + t.slice(t.indexOf('.'));
    expect(verifyJoinToken('k', forged, 1)).toBeUndefined();
    expect(verifyJoinToken('k', 'garbage', 1)).toBeUndefined();
  });
  it('computes the same MAC as createHmac for any secret and body, including secrets longer than a block and a key used many times', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.array(fc.string({ maxLength: 300 }), { minLength: 1, maxLength: 4 }), (secret, bodies) => {
        const key = new JoinTokenKey(secret);
        for (const body of bodies) expect(key.mac(body)).toBe(createHmac('sha256', secret).update(body).digest('base64url'));
      }),
    );
  });
});
