import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { ArenaRoom, type EndReason, type PlayerLink } from './game.js';
import type { ServerMessage } from './messages.js';

class FakeLink implements PlayerLink {
  readonly sent: ServerMessage[] = [];
  closed: { code: number; reason: string } | null = null;
  send(msg: ServerMessage): void {
    this.sent.push(msg);
  }
  close(code: number, reason: string): void {
    this.closed = { code, reason };
  }
  types(): string[] {
    return this.sent.map((m) => (m.type === 'notice' ? `notice:${m.kind}` : m.type));
  }
}

function setup(reconnectGraceMs = 5_000) {
  const clock = new FakeClock();
  const ended: Array<{ playerId: string; reason: EndReason }> = [];
  const room = new ArenaRoom({
    clock,
    reconnectGraceMs,
    version: '1.2.3',
    serverId: 'srv_a',
    endSession: (playerId, reason) => {
      ended.push({ playerId, reason });
      return Promise.resolve();
    },
    log: () => {},
  });
  return { clock, ended, room };
}

describe('ArenaRoom', () => {
  it('welcomes a joining player and includes them in ticks', () => {
    const { room } = setup();
    const link = new FakeLink();
    room.join('p1', 'ses_1', 'tok', link);
    room.tick();
    expect(link.sent[0]).toEqual({
      type: 'welcome',
      playerId: 'p1',
      sessionId: 'ses_1',
      version: '1.2.3',
      serverId: 'srv_a',
      resumed: false,
    });
    expect(link.sent[1]).toEqual({
      type: 'tick',
      players: [{ id: 'p1', score: 0, connected: true }],
      version: '1.2.3',
      serverId: 'srv_a',
    });
  });

  it('adds scored points to the player total', () => {
    const { room } = setup();
    const link = new FakeLink();
    room.join('p1', 'ses_1', 'tok', link);
    room.receive('p1', link, { type: 'score', points: 3 });
    room.receive('p1', link, { type: 'score', points: 4 });
    room.tick();
    expect(link.sent.at(-1)).toMatchObject({ players: [{ id: 'p1', score: 7 }] });
  });

  it('closes a leaving player with 1000 and reports the session ended', async () => {
    const { room, ended } = setup();
    const link = new FakeLink();
    room.join('p1', 'ses_1', 'tok', link);
    room.receive('p1', link, { type: 'leave' });
    await room.settled();
    expect(link.closed).toEqual({ code: 1000, reason: 'bye' });
    expect(ended).toEqual([{ playerId: 'p1', reason: 'ended' }]);
    expect(room.playerCount).toBe(0);
  });

  it('keeps a dropped player seated until the reconnect grace runs out', async () => {
    const { room, ended, clock } = setup(5_000);
    room.join('p1', 'ses_1', 'tok', new FakeLink());
    room.dropped('p1', new FakeLink()); // a link that is not the seat's own is ignored
    expect(room.playerCount).toBe(1);
    const link = new FakeLink();
    room.join('p2', 'ses_2', 'tok2', link);
    room.dropped('p2', link);
    clock.advance(4_999);
    expect(room.playerCount).toBe(2);
    clock.advance(1);
    await room.settled();
    expect(room.playerCount).toBe(1);
    expect(ended).toEqual([{ playerId: 'p2', reason: 'disconnected' }]);
  });

  it('resumes a player who reconnects with the same token inside the grace', async () => {
    const { room, ended, clock } = setup(5_000);
    const first = new FakeLink();
    room.join('p1', 'ses_1', 'tok', first);
    room.receive('p1', first, { type: 'score', points: 5 });
    room.dropped('p1', first);
    expect(room.canResume('p1', 'tok')).toBe(true);
    expect(room.canResume('p1', 'other')).toBe(false);
    expect(room.canResume('p1', null)).toBe(false);
    const second = new FakeLink();
    room.resume('p1', second);
    clock.advance(10_000);
    await room.settled();
    room.tick();
    expect(ended).toEqual([]);
    expect(second.sent[0]).toMatchObject({ type: 'welcome', resumed: true });
    expect(second.sent.at(-1)).toMatchObject({ players: [{ id: 'p1', score: 5, connected: true }] });
  });

  it('shows a disconnected player as not connected in ticks', () => {
    const { room } = setup();
    const watcher = new FakeLink();
    const link = new FakeLink();
    room.join('p1', 'ses_1', 'tok', link);
    room.join('p2', 'ses_2', 'tok2', watcher);
    room.dropped('p1', link);
    room.tick();
    expect(watcher.sent.at(-1)).toMatchObject({ players: [{ id: 'p1', connected: false }, { id: 'p2', connected: true }] });
  });

  it('closes the older socket when the same player connects again', () => {
    const { room } = setup();
    const first = new FakeLink();
    const second = new FakeLink();
    room.join('p1', 'ses_1', 'tok', first);
    room.resume('p1', second);
    expect(first.closed).toEqual({ code: 4002, reason: 'superseded' });
    // Frames and the close event from the superseded socket change nothing.
    room.receive('p1', first, { type: 'leave' });
    room.dropped('p1', first);
    expect(room.playerCount).toBe(1);
    expect(second.closed).toBeNull();
  });

  it('tells every player about a drain, including players who join later', () => {
    const { room } = setup();
    const early = new FakeLink();
    room.join('p1', 'ses_1', 'tok', early);
    room.notice({ type: 'drain', reason: 'release', deadline: 1234, at: 1 });
    const late = new FakeLink();
    room.join('p2', 'ses_2', 'tok2', late);
    expect(early.sent.at(-1)).toEqual({ type: 'notice', kind: 'drain', reason: 'release', deadline: 1234 });
    expect(late.types()).toEqual(['welcome', 'notice:drain']);
  });

  it('tells every player about a maintenance window, including players who join before it, and a replay only once', () => {
    const { room } = setup();
    const early = new FakeLink();
    room.join('p1', 'ses_1', 'tok', early);
    room.notice({ type: 'maintenance', message: 'Back at 10:30', startsAt: 1234, at: 1 });
    room.notice({ type: 'maintenance', message: 'Back at 10:30', startsAt: 1234, at: 2 });
    const late = new FakeLink();
    room.join('p2', 'ses_2', 'tok2', late);
    expect(early.types()).toEqual(['welcome', 'notice:maintenance']);
    expect(late.types()).toEqual(['welcome', 'notice:maintenance']);
    expect(late.sent.at(-1)).toEqual({ type: 'notice', kind: 'maintenance', message: 'Back at 10:30', startsAt: 1234 });
  });

  it('tells players about a replayed drain notice only once', () => {
    const { room } = setup();
    const link = new FakeLink();
    room.join('p1', 'ses_1', 'tok', link);
    room.notice({ type: 'drain', reason: 'release', deadline: 1234, at: 1 });
    room.notice({ type: 'drain', reason: 'release', deadline: 1234, at: 2 });
    room.notice({ type: 'drain', reason: 'release', deadline: 999, at: 3 });
    expect(link.types()).toEqual(['welcome', 'notice:drain', 'notice:drain']);
    expect(link.sent.at(-1)).toMatchObject({ deadline: 999 });
  });

  it('stops repeating the drain notice once the drain is cancelled', () => {
    const { room } = setup();
    const early = new FakeLink();
    room.join('p1', 'ses_1', 'tok', early);
    room.notice({ type: 'drain', reason: 'release', deadline: null, at: 1 });
    room.notice({ type: 'drain-cancelled', at: 2 });
    const late = new FakeLink();
    room.join('p2', 'ses_2', 'tok2', late);
    expect(early.types()).toEqual(['welcome', 'notice:drain', 'notice:drain-cancelled']);
    expect(late.types()).toEqual(['welcome']);
  });

  it('migrates the named players with 4000 and does not report their sessions', async () => {
    const { room, ended, clock } = setup();
    const moving = new FakeLink();
    const staying = new FakeLink();
    const away = new FakeLink();
    room.join('p1', 'ses_1', 'tok', moving);
    room.join('p2', 'ses_2', 'tok2', staying);
    room.join('p3', 'ses_3', 'tok3', away);
    room.dropped('p3', away);
    room.notice({ type: 'sessions-closed', players: ['p1', 'p3', 'unknown'], reason: 'release', at: 1 });
    clock.advance(60_000);
    await room.settled();
    expect(moving.sent.at(-1)).toEqual({ type: 'migrate', reason: 'release' });
    expect(moving.closed).toEqual({ code: 4000, reason: 'migrated' });
    expect(staying.closed).toBeNull();
    expect(room.playerCount).toBe(1);
    expect(ended).toEqual([]);
  });

  it('tells every player of an announced migration once, late joiners too, until it is called off', () => {
    const { room } = setup();
    const early = new FakeLink();
    room.join('p1', 'ses_1', 'tok', early);
    room.notice({ type: 'migrate', build: 'v2', deadline: 1234, at: 1 });
    room.notice({ type: 'migrate', build: 'v2', deadline: 1234, at: 2 });
    const late = new FakeLink();
    room.join('p2', 'ses_2', 'tok2', late);
    expect(early.types()).toEqual(['welcome', 'notice:migrate']);
    expect(early.sent.at(-1)).toEqual({ type: 'notice', kind: 'migrate', build: 'v2', deadline: 1234 });
    expect(late.types()).toEqual(['welcome', 'notice:migrate']);
    room.notice({ type: 'drain-cancelled', at: 3 });
    expect(early.types()).toEqual(['welcome', 'notice:migrate', 'notice:drain-cancelled']);
  });

  it('hands each migrated player their own migration token', () => {
    const { room } = setup();
    const [a, b] = [new FakeLink(), new FakeLink()];
    room.join('p1', 'ses_1', 'tok', a);
    room.join('p2', 'ses_2', 'tok2', b);
    room.notice({ type: 'sessions-closed', players: ['p1', 'p2'], reason: 'migrated', at: 1, tokens: { p1: 'mt1.one', p2: 'mt1.two' } });
    expect(a.sent.at(-1)).toEqual({ type: 'migrate', reason: 'migrated', migrationToken: 'mt1.one' });
    expect(b.sent.at(-1)).toEqual({ type: 'migrate', reason: 'migrated', migrationToken: 'mt1.two' });
    expect(a.closed).toEqual({ code: 4000, reason: 'migrated' });
  });

  it('closes everyone on closeAll without reporting sessions', async () => {
    const { room, ended } = setup();
    const link = new FakeLink();
    room.join('p1', 'ses_1', 'tok', link);
    room.closeAll(1001, 'shutting down');
    await room.settled();
    expect(link.closed).toEqual({ code: 1001, reason: 'shutting down' });
    expect(room.playerCount).toBe(0);
    expect(ended).toEqual([]);
  });

  it('survives a failing sessionEnded report', async () => {
    const clock = new FakeClock();
    const logs: string[] = [];
    const room = new ArenaRoom({
      clock,
      reconnectGraceMs: 0,
      version: 'v',
      serverId: 's',
      endSession: () => Promise.reject(Object.assign(new Error('down'), { code: 'INTERNAL' })),
      log: (line) => logs.push(line),
    });
    const link = new FakeLink();
    room.join('p1', 'ses_1', 'tok', link);
    room.receive('p1', link, { type: 'leave' });
    await room.settled();
    expect(logs.at(-1)).toContain('error=INTERNAL');
  });
});
