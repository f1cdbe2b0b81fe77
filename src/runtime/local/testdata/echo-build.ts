import type { Build } from '../../../builds/model.js';
import { ECHO_SERVER_SCRIPT } from '../../testdata/echo-client.js';

/** A build that runs the contract's echo server with this Node binary and the given flags. */
export function localEchoBuild(flags: readonly string[] = []): Build {
  return {
    id: 'echo',
    version: '1.0.0',
    launch: { executable: process.execPath, args: [ECHO_SERVER_SCRIPT, ...flags], env: {}, workingDir: null },
    ports: [{ name: 'game', protocol: 'tcp' }],
    sessionsPerServer: 8,
    compatibleClients: '*',
    labels: {},
    createdAt: 0,
  };
}
