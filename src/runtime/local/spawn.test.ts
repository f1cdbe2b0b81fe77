import { describe, expect, it } from 'vitest';
import type { ServerLaunch } from '../port.js';
import { localEchoBuild } from './testdata/echo-build.js';
import { portEnvName, serverEnv } from './spawn.js';

describe('serverEnv', () => {
  const build = localEchoBuild();
  const launch: ServerLaunch = {
    serverId: 'srv_1',
    fleet: 'eu',
    build: { ...build, launch: { ...build.launch, env: { MAP: 'dust', TICK: '64', HANDOFF_PORTS: 'wrong' } } },
    env: { TICK: '128', HANDOFF_SERVER_ID: 'srv_1' },
  };

  it('layers the inherited subset, the build env, the launch env and the runtime variables', () => {
    const env = serverEnv({ PATH: '/bin', HOME: '/home/game', DATABASE_URL: 'secret' }, launch, '10.0.0.5', { game: 7000, 'game-query': 7001 });
    expect(env).toEqual({
      PATH: '/bin',
      HOME: '/home/game',
      MAP: 'dust',
      TICK: '128',
      HANDOFF_SERVER_ID: 'srv_1',
      HANDOFF_ADDRESS: '10.0.0.5',
      HANDOFF_PORTS: '{"game":7000,"game-query":7001}',
      HANDOFF_PORT_GAME: '7000',
      HANDOFF_PORT_GAME_QUERY: '7001',
    });
  });

  it.each([
    ['game', 'HANDOFF_PORT_GAME'],
    ['rcon', 'HANDOFF_PORT_RCON'],
    ['game-query', 'HANDOFF_PORT_GAME_QUERY'],
    ['voice.udp', 'HANDOFF_PORT_VOICE_UDP'],
  ])('names the variable for port %s %s', (name, variable) => {
    expect(portEnvName(name)).toBe(variable);
  });
});
