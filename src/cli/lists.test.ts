import { describe, expect, it } from 'vitest';
import { formatPorts, renderList } from './lists.js';
import { buildView, eventView, fleetView, Noon, rolloutView, serverView, sessionView } from './testing.js';

describe('renderList', () => {
  it('shows builds with their capacity and accepted clients', () => {
    expect(renderList('builds', [buildView(), buildView({ id: 'arena-2', version: '2.0.0', compatibleClients: '>=2' })], Noon)).toBe(
      ['ID       VERSION  CAPACITY  CLIENTS', 'arena-1  1.0.0    8         *', 'arena-2  2.0.0    8         >=2'].join('\n'),
    );
  });

  it('shows fleets with servers by state, open sessions summed over builds, free slots and the rollout', () => {
    const migrating = fleetView({
      name: 'dm',
      status: {
        serversByState: { Draining: 2, Ready: 1, Stopped: 0 },
        serversByBuild: {},
        openSessionsByBuild: { 'arena-1': 3, 'arena-2': 4 },
        freeSlots: 9,
        activeRollout: 'ro_1',
      },
    });
    expect(renderList('fleets', [fleetView(), migrating], Noon)).toBe(
      [
        'NAME   BUILD    SERVERS             SESSIONS  FREE  ROLLOUT',
        'arena  arena-1  Ready:1 Active:2    5         19    -',
        'dm     arena-1  Ready:1 Draining:2  7         9     ro_1',
      ].join('\n'),
    );
  });

  it('shows servers with load, address, ports and age', () => {
    const server = serverView({ ports: { game: 7001, query: 7002 }, createdAt: Noon - 12_000 });
    expect(renderList('servers', [server], Noon)).toBe(
      [
        'ID     FLEET  BUILD    STATE   SESSIONS/CAP  ADDRESS    PORTS                 AGE',
        'srv_a  arena  arena-1  Active  3/8           127.0.0.1  game=7001,query=7002  12s',
      ].join('\n'),
    );
  });

  it('shows sessions with a dash for no party', () => {
    expect(renderList('sessions', [sessionView(), sessionView({ id: 'ses_b', partyId: 'pty', state: 'Reserved' })], Noon)).toBe(
      [
        'ID     PLAYER  PARTY  FLEET  BUILD    SERVER  STATE      AGE',
        'ses_a  p1      -      arena  arena-1  srv_a   Connected  3m',
        'ses_b  p1      pty    arena  arena-1  srv_a   Reserved   3m',
      ].join('\n'),
    );
  });

  it('shows rollouts with a long message cut so AGE stays in its column', () => {
    const table = renderList('rollouts', [rolloutView({ message: 'x'.repeat(80), createdAt: Noon - 2 * 3_600_000 })], Noon);
    const [header, row] = table.split('\n');
    expect(header).toMatch(/^ID\s+FLEET\s+FROM\s+TO\s+PHASE\s+MESSAGE\s+AGE$/);
    expect(row).toBe(`ro_1  arena  arena-1  arena-2  Draining  ${'x'.repeat(59)}…  2h`);
  });

  it('shows events with UTC times and a dash for fleet-less events', () => {
    expect(renderList('events', [eventView(), eventView({ seq: 8, fleet: null, kind: 'server.crashed', subject: 'srv_b', message: 'exit 1' })], Noon)).toBe(
      [
        'SEQ  TIME                  FLEET  KIND              SUBJECT  MESSAGE',
        '7    2026-01-01T11:59:57Z  arena  rollout.switched  ro_1     new sessions go to arena-2',
        '8    2026-01-01T11:59:57Z  -      server.crashed    srv_b    exit 1',
      ].join('\n'),
    );
  });

  it('says so when a list is empty', () => {
    expect(renderList('sessions', [], Noon)).toBe('No sessions found.');
  });
});

describe('formatPorts', () => {
  it('joins named ports and shows - for none', () => {
    expect(formatPorts({ game: 7001, query: 7002 })).toBe('game=7001,query=7002');
    expect(formatPorts({})).toBe('-');
  });
});
