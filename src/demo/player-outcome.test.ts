import { describe, expect, it } from 'vitest';
import { classifyClose, type CloseFacts, type SessionOutcome } from './player-outcome.js';

const base: CloseFacts = { leaveSent: false, code: 1006, reason: '', error: null, timedOut: null };

describe('classifyClose', () => {
  it.each<[string, Partial<CloseFacts>, SessionOutcome]>([
    ['our leave answered with a normal close completes the session', { leaveSent: true, code: 1000 }, { kind: 'completed' }],
    ['a 4000 close is a migration', { code: 4000, reason: 'migrated' }, { kind: 'migrated' }],
    ['a 4000 close while leaving is still a migration', { leaveSent: true, code: 4000 }, { kind: 'migrated' }],
    ['a normal close we did not ask for is an interruption', { code: 1000, reason: 'bye' }, { kind: 'interrupted', cause: 'close:1000:bye' }],
    ['a server going away is an interruption', { code: 1001, reason: 'shutting down' }, { kind: 'interrupted', cause: 'close:1001:shutting down' }],
    ['a going-away close after our leave is an interruption', { leaveSent: true, code: 1001 }, { kind: 'interrupted', cause: 'close:1001' }],
    ['a dropped connection is an interruption', { code: 1006 }, { kind: 'interrupted', cause: 'close:1006' }],
    ['a dropped connection after our leave is an interruption', { leaveSent: true, code: 1006 }, { kind: 'interrupted', cause: 'close:1006' }],
    ['a refused join is an interruption', { code: 4001, reason: 'JOIN_TOKEN_INVALID' }, { kind: 'interrupted', cause: 'close:4001:JOIN_TOKEN_INVALID' }],
    ['a socket error is an interruption', { error: 'ECONNREFUSED' }, { kind: 'interrupted', cause: 'error:ECONNREFUSED' }],
    ['a socket error wins over a normal close after leave', { leaveSent: true, code: 1000, error: 'EPIPE' }, { kind: 'interrupted', cause: 'error:EPIPE' }],
    ['giving up on the connect is an interruption', { timedOut: 'connect' }, { kind: 'interrupted', cause: 'timeout:connect' }],
    ['giving up on the server closing after leave is an interruption', { leaveSent: true, timedOut: 'leave' }, { kind: 'interrupted', cause: 'timeout:leave' }],
    ['a time-out wins over a 4000 code', { code: 4000, timedOut: 'leave' }, { kind: 'interrupted', cause: 'timeout:leave' }],
  ])('%s', (_name, facts, expected) => {
    expect(classifyClose({ ...base, ...facts })).toEqual(expected);
  });
});
