/** The demo's builds and fleet: the Arena example game, twice, in one fleet. */
import path from 'node:path';
import type { z } from 'zod';
import type { ApplyRequestSchema } from '../api/schemas.js';

/**
 * What the faulty v2 of `--faulty-build` does wrong (see examples/arena/options.ts): crashes
 * after some sessions start, ends others in error, and ticks slowly. The canary's analysis must
 * catch it; each fault alone would.
 */
export const FAULTY_ARGS = ['--crash-rate', '0.15', '--abnormal-close-rate', '0.25', '--slow-tick-ms', '30'];

export function arenaBuild(root: string, id: string, version: string, extraArgs: readonly string[] = []): z.input<typeof ApplyRequestSchema>['builds'] extends (infer B)[] | undefined ? B : never {
  return {
    id,
    version,
    launch: {
      executable: process.execPath,
      args: ['--import', 'tsx', path.join(root, 'examples/arena/server.ts'), '--version', version, '--reconnect-grace-ms', '2000', ...extraArgs],
      workingDir: root,
    },
    ports: [{ name: 'game', protocol: 'tcp' }],
    sessionsPerServer: 6,
    compatibleClients: '>=1.0.0',
    labels: { game: 'arena' },
  };
}

export function demoApply(root: string, opts: { faultyBuild?: boolean } = {}): z.input<typeof ApplyRequestSchema> {
  return {
    builds: [arenaBuild(root, 'arena-v1', '1.0.0'), arenaBuild(root, 'arena-v2', '2.0.0', opts.faultyBuild ? FAULTY_ARGS : [])],
    fleets: [{
      name: 'arena',
      build: 'arena-v1',
      capacity: { minServers: 3, maxServers: 8, bufferServers: 1, idleTimeoutSeconds: 600 },
      health: { timeoutSeconds: 10, startTimeoutSeconds: 60, stopGraceSeconds: 5 },
    }],
  };
}
