import { describe, expect, it } from 'vitest';
import { SessionLog } from './session-log.js';

const ids = { playerId: 'p1', sessionId: 's1', serverId: 'srv', build: 'v1' };
const cp = { id: 's1', build: 'v1', playerId: 'p1', closeReason: 'ended', closedAt: 20 };

describe('SessionLog', () => {
  it('keeps a session the player left as left when a quick re-allocation handed it back and the game refused the join', () => {
    let now = 10;
    const log = new SessionLog(() => now);
    log.record({ type: 'opened', ...ids });
    log.record({ type: 'closed', ...ids, outcome: { kind: 'completed' } });
    now = 21;
    log.record({ type: 'closed', ...ids, outcome: { kind: 'interrupted', cause: 'close:4001:SESSION_NOT_ALLOCATED' } });
    expect(log.join([cp])).toEqual([{ ...cp, notices: [], playerOutcome: { kind: 'completed' }, playerClosedAt: 10 }]);
  });

  it('records a cut the player saw while playing', () => {
    const log = new SessionLog(() => 15);
    log.record({ type: 'opened', ...ids });
    log.record({ type: 'closed', ...ids, outcome: { kind: 'interrupted', cause: 'close:1006' } });
    expect(log.join([{ ...cp, closeReason: 'server_stopped' }])[0]?.playerOutcome).toEqual({ kind: 'interrupted', cause: 'close:1006' });
  });
});
