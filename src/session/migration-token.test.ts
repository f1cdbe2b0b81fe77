import { describe, expect, it } from 'vitest';
import { signJoinToken, verifyJoinToken } from './join-token.js';
import { decideMigrationToken, type MigrationTokenUse } from './decide-migration-token.js';
import { readMigrationToken, signMigrationToken, type MigrationClaims } from './migration-token.js';
import type { MigrationTokenRecord } from './model.js';

const T = 1_000_000;
const claims: MigrationClaims = { tid: 'ses_old', fleet: 'arena', playerId: 'alice', partyId: 'duo', build: 'v2', seats: 2, exp: T + 60_000 };
const record: MigrationTokenRecord = {
  id: 'ses_old', fleet: 'arena', playerId: 'alice', partyId: 'duo', build: 'v2', issuedAt: T, expiresAt: T + 60_000, usedAt: null, usedBy: null,
};
const token = signMigrationToken('secret', claims);

/** The decision for `token` presented by `over.playerId` (alice by default) at `over.now`. */
const use = (over: Partial<Omit<MigrationTokenUse, 'read'>> & { token?: string; secret?: string } = {}) =>
  decideMigrationToken({
    read: readMigrationToken(over.secret ?? 'secret', over.token ?? token),
    record: 'record' in over ? over.record : record,
    fleet: over.fleet ?? 'arena',
    playerId: over.playerId ?? 'alice',
    now: over.now ?? T + 1,
  });

describe('migration tokens', () => {
  it('place the player they were issued to, on their build, before they expire', () => {
    expect(use()).toEqual({ ok: true, claims, record });
  });

  it.each([
    ['altered claims (another build)', { token: forge({ build: 'v1' }) }, 'forged'],
    ['altered claims (another player)', { token: forge({ playerId: 'mallory' }), playerId: 'mallory' }, 'forged'],
    ['a token signed with another secret', { secret: 'other-secret' }, 'forged'],
    ['a join token passed off as a migration token', { token: `mt1.${signJoinToken('secret', { sessionId: 's', serverId: 'x', playerId: 'alice', exp: T * 2 })}` }, 'forged'],
    ['garbage', { token: 'garbage' }, 'malformed'],
    ['a token without a signature', { token: 'mt1.abc' }, 'malformed'],
  ] as const)('are refused as forged or malformed: %s', (_what, over, reason) => {
    expect(use(over)).toEqual({ ok: false, reason });
  });

  it('cannot be replayed by another player, even one of the same party', () => {
    expect(use({ playerId: 'bob' })).toEqual({ ok: false, reason: 'other-player' });
  });

  it('are refused in another fleet', () => {
    expect(use({ fleet: 'lobby' })).toEqual({ ok: false, reason: 'other-fleet' });
  });

  it('expire at their expiry time', () => {
    expect(use({ now: T + 59_999 }).ok).toBe(true);
    expect(use({ now: T + 60_000 })).toEqual({ ok: false, reason: 'expired' });
  });

  it('are single use: a token whose record is used is refused', () => {
    expect(use({ record: { ...record, usedAt: T + 5, usedBy: 'ses_new' } })).toEqual({ ok: false, reason: 'used' });
  });

  it('are refused when the control plane holds no record of them (swept, or never issued here)', () => {
    expect(use({ record: undefined })).toEqual({ ok: false, reason: 'unknown' });
    expect(use({ record: { ...record, playerId: 'bob' } })).toEqual({ ok: false, reason: 'unknown' });
  });

  it('are never accepted as join tokens', () => {
    const [, body = '', mac = ''] = token.split('.');
    expect(verifyJoinToken('secret', `${body}.${mac}`, T)).toBeUndefined();
  });
});

/** The token with its claims changed and its original signature kept. */
function forge(change: Partial<MigrationClaims>): string {
  const mac = token.slice(token.lastIndexOf('.'));
  return `mt1.${Buffer.from(JSON.stringify({ ...claims, ...change })).toString('base64url')}${mac}`;
}
