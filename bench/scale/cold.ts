/**
 * A dev harness for the cold start (issue 8, target 3: "cold start ≤ 2 s to the first answered
 * allocation"): seeds the scale phase's world once with the bulk setup (bulk.ts), then restarts
 * the control plane on it `--restarts K` times, timing each restart to its first answered
 * allocation with the simulated fleet held (as restart.ts does, without its memory figures, the
 * session stream or the timed passes), and prints the control plane's own "listening after …"
 * line beside each. Seeding costs minutes at the target size; each restart then costs seconds.
 *
 * Usage: node --expose-gc --max-old-space-size=8192 --import tsx bench/scale/cold.ts
 *   [--servers N] [--sessions N] [--restarts K] [--profile FILE] [--keep]
 * FILE: the last restart's CPU profile; --keep leaves the data directory (its SQLite file) behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AllocationRequestSchema } from '../../src/api/schemas.js';
import { bulkWorld } from './bulk.js';
import { startScalePlane, type ScalePlane } from './plane.js';
import { profileTo } from './restart.js';
import { applyFleets, fleetName, pump, type ScaleShape, type Seated } from './seed.js';

const PER_FLEET = 10_000;
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const r1 = (x: number): number => Math.round(x * 10) / 10;

/** One restart to the first answered allocation, the fake clock held (restart.ts explains why). */
async function restartOnce(plane: ScalePlane, n: number, profile: string | null): Promise<{ wallMs: number; cpuMs: number }> {
  await pump(plane, plane.cp.close());
  plane.forget();
  global.gc?.();
  const stopProfile = await profileTo(profile);
  const [t0, c0] = [performance.now(), cpuMs()];
  await pump(plane, (async () => {
    const cp = await plane.restart();
    const { response } = await cp.api.allocations.allocate(AllocationRequestSchema.parse({ fleet: fleetName(0), playerId: `cold-${n}` }));
    if (!response.server.id) throw new Error('no server in the answer');
  })(), 0);
  const figures = { wallMs: r1(performance.now() - t0), cpuMs: r1(cpuMs() - c0) };
  await stopProfile();
  return figures;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    servers: { type: 'string', default: '50000' }, sessions: { type: 'string', default: '500000' },
    restarts: { type: 'string', default: '3' }, profile: { type: 'string' }, keep: { type: 'boolean', default: false },
  } });
  const servers = Number(values.servers);
  const fleets = Math.max(1, Math.round(servers / PER_FLEET));
  const shape: ScaleShape = { fleets, serversPerFleet: Math.round(servers / fleets), sessionsPerFleet: Math.round(Number(values.sessions) / fleets), sessionsPerServer: 16 };
  const log = (m: string): void => void process.stderr.write(`[cold] ${m}\n`);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'handoff-cold-'));
  const plane = await startScalePlane(dataDir, (line) => (/error|failed|failure|^listening after/.test(line) ? log(`control plane: ${line}`) : undefined));
  try {
    const seated: Seated = { where: new Map(), interrupted: 0, examples: [] };
    await applyFleets(plane, shape, () => 0);
    await bulkWorld(plane, shape, seated, () => shape.serversPerFleet, () => shape.serversPerFleet, log);
    const restarts = Number(values.restarts);
    for (let i = 0; i < restarts; i++) {
      const f = await restartOnce(plane, i, i === restarts - 1 ? (values.profile ?? null) : null);
      log(`restart ${i + 1}: first answered allocation after ${f.wallMs} ms (CPU ${f.cpuMs} ms)`);
    }
  } finally {
    await pump(plane, plane.cp.close()).catch(() => undefined);
    if (values.keep) log(`data directory kept: ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
