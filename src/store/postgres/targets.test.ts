import { describe, expect, it } from 'vitest';
import { meansHostChanged, parseTargets, redactTargets, rejectReason, type SessionAttrs } from './targets.js';

describe('parseTargets', () => {
  it('splits a multi-host URL into one single-host URL per host, keeping user, database and other parameters', () => {
    expect(parseTargets('postgres://handoff:pw@db1:5432,db2:5433/handoff?target_session_attrs=read-write&sslmode=disable')).toEqual({
      hosts: ['postgres://handoff:pw@db1:5432/handoff?sslmode=disable', 'postgres://handoff:pw@db2:5433/handoff?sslmode=disable'],
      labels: ['db1:5432', 'db2:5433'],
      attrs: 'read-write',
    });
  });

  it('leaves a single-host URL as it is, with target_session_attrs any', () => {
    const url = 'postgres://postgres@127.0.0.1:5432/x?options=-c%20search_path%3Ds1';
    expect(parseTargets(url)).toEqual({ hosts: [url], labels: ['127.0.0.1:5432'], attrs: 'any' });
  });

  it.each(['read-only', 'standby', 'prefer-standby', 'nonsense'])('refuses target_session_attrs=%s, which would send writes to a standby', (v) => {
    expect(() => parseTargets(`postgres://a,b/db?target_session_attrs=${v}`)).toThrow(RangeError);
  });

  it('refuses an empty host in the list', () => {
    expect(() => parseTargets('postgres://u@a:1,,b:2/db')).toThrow(/empty host/);
  });
});

describe('rejectReason', () => {
  const primary = { inRecovery: false, readOnly: false };
  const standby = { inRecovery: true, readOnly: true };
  const readOnlyPrimary = { inRecovery: false, readOnly: true };
  it.each<[string, { inRecovery: boolean; readOnly: boolean }, SessionAttrs, boolean]>([
    ['a primary', primary, 'read-write', true],
    ['a primary', primary, 'primary', true],
    ['a standby', standby, 'read-write', false],
    ['a standby', standby, 'primary', false],
    ['a standby', standby, 'any', true],
    ['a read-only primary', readOnlyPrimary, 'read-write', false],
    ['a read-only primary', readOnlyPrimary, 'primary', true],
  ])('judges %s for %s', (_name, role, attrs, usable) => {
    expect(rejectReason(role, attrs) === null).toBe(usable);
  });
});

describe('meansHostChanged', () => {
  it.each([
    [{ code: 'ECONNREFUSED' }, true],
    [{ code: '57P01', message: 'terminating connection due to administrator command' }, true],
    [{ code: '25006', message: 'cannot execute INSERT in a read-only transaction' }, true],
    [{ code: '08006' }, true],
    [new Error('Connection terminated unexpectedly'), true],
    [{ code: '23505', message: 'duplicate key value' }, false],
    [{ code: '40001' }, false],
    [new Error('boom'), false],
    [null, false],
  ])('classifies %j', (e, changed) => {
    expect(meansHostChanged(e)).toBe(changed);
  });
});

describe('redactTargets', () => {
  it('hides the password of a multi-host URL', () => {
    expect(redactTargets('postgres://handoff:s3cret@a:1,b:2/db')).toBe('postgres://handoff:***@a:1,b:2/db');
    expect(redactTargets('postgres://handoff@a:1,b:2/db')).toBe('postgres://handoff@a:1,b:2/db');
  });
});
