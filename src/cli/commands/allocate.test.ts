import { describe, expect, it } from 'vitest';
import { UsageError } from '../usage.js';
import { parseAllocate, renderAllocation } from './allocate.js';

describe('parseAllocate', () => {
  it('sends only the player and fleet when nothing else is given, so server defaults apply', () => {
    expect(parseAllocate(['arena', '--player', 'p1'])).toMatchObject({ help: false, input: { fleet: 'arena', playerId: 'p1' } });
    const parsed = parseAllocate(['arena', '--player', 'p1']);
    expect(parsed.help ? null : Object.keys(parsed.input)).toEqual(['fleet', 'playerId']);
  });

  it('maps every flag to its field of the allocation request', () => {
    const parsed = parseAllocate([
      'arena',
      '--player=p1',
      '--party',
      'pty',
      '--client-version',
      '1.4.0',
      '--region',
      'eu',
      '--attr',
      'mode=ranked',
      '--attr',
      'map=dust',
      '--idempotency-key',
      'k1',
      '--migration-token',
      'mt1.abc.def',
    ]);
    expect(parsed).toMatchObject({
      help: false,
      input: {
        fleet: 'arena',
        playerId: 'p1',
        partyId: 'pty',
        clientVersion: '1.4.0',
        region: 'eu',
        attributes: { mode: 'ranked', map: 'dust' },
        idempotencyKey: 'k1',
        migrationToken: 'mt1.abc.def',
      },
    });
  });

  it('reads preferred regions in order (comma-separated or repeated), zones and the fallback; the first region is the player region', () => {
    const parsed = parseAllocate(['arena', '--player', 'p1', '--region', 'eu-west,eu-central', '--region', 'us-east', '--zone', 'eu-west-1a', '--region-fallback', 'none']);
    expect(parsed).toMatchObject({ input: { region: 'eu-west', regions: ['eu-west', 'eu-central', 'us-east'], zones: ['eu-west-1a'], regionFallback: 'none' } });
  });

  it.each([
    [['arena', '--player', 'p1', '--region', 'eu,'], /--region takes names/],
    [['arena', '--player', 'p1', '--region', 'eu', '--region-fallback', 'nearest'], /--region-fallback must be any or none/],
    [['--player', 'p1'], /missing FLEET/],
    [['arena'], /--player ID is required/],
    [['arena', '--player', 'p1', '--attr', 'ranked'], /KEY=VALUE/],
  ])('rejects %j', (args, message) => {
    expect(() => parseAllocate(args)).toThrow(UsageError);
    expect(() => parseAllocate(args)).toThrow(message);
  });
});

describe('renderAllocation', () => {
  it('shows where to connect on every port, the build and the join token', () => {
    const text = renderAllocation({
      sessionId: 'ses_1',
      fleet: 'arena',
      playerId: 'p1',
      reconnected: true,
      server: { id: 'srv_a', build: 'arena-2', version: '2.0.0', address: '10.0.0.5', ports: { game: 7001, voice: 7002 } },
      joinToken: 'tok',
    });
    expect(text).toBe(
      [
        'session  ses_1 (reconnected to an open session)',
        'server   srv_a',
        'connect  10.0.0.5:7001 (game), 10.0.0.5:7002 (voice)',
        'build    arena-2 (version 2.0.0)',
        'token    tok',
      ].join('\n'),
    );
  });

  it('prints the region and zone the control plane chose', () => {
    const text = renderAllocation({
      sessionId: 'ses_1', fleet: 'arena', playerId: 'p1', reconnected: false, joinToken: 'tok',
      server: { id: 'srv_a', build: 'arena-2', version: '2.0.0', address: '10.0.0.5', ports: {}, region: 'eu-west', zone: 'eu-west-1b' },
    });
    expect(text).toContain('region   eu-west (zone eu-west-1b)');
  });
});
