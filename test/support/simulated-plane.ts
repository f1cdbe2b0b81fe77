/**
 * A control plane on the simulated runtime for tests where real processes are not the point
 * (release plans over four fleets): real SQLite, real HTTP, game servers simulated in-process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startControlPlane } from '../../src/server/compose.js';
import { durableDigest, repoRoot, type TestPlane } from './control-plane.js';

/** `restart` closes this plane without deleting its data and starts a new one on the same directory. */
export interface SimulatedPlane extends TestPlane {
  restart: () => Promise<SimulatedPlane>;
}

export async function startSimulatedPlane(existingDir?: string): Promise<SimulatedPlane> {
  const dataDir = existingDir ?? mkdtempSync(path.join(tmpdir(), 'handoff-sim-it-'));
  const cp = await startControlPlane(
    { dataDir, port: 0, sdkPort: 0, runtime: 'simulated', cwd: repoRoot, reconcileIntervalMs: 100, backoffBaseMs: 50, backoffMaxMs: 200 },
    { log: () => undefined, onFatal: () => undefined },
  );
  const call: TestPlane['call'] = async (method, route, body, headers = {}) => {
    const init: RequestInit = { method, headers: { 'content-type': 'application/json', ...headers } };
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
    const res = await fetch(`${cp.url}${route}`, init);
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  return {
    cp, call,
    close: async () => {
      await cp.close({ stopServers: true });
      rmSync(dataDir, { recursive: true, force: true });
    },
    restart: async () => {
      await cp.close({ stopServers: true });
      return startSimulatedPlane(dataDir);
    },
  };
}

/** A simulated build: boots in 50-150 ms; `sessionsPerServer` 0 for a service without sessions. */
export function simBuild(id: string, sessionsPerServer = 4) {
  return {
    id, version: '1.0.0', launch: { executable: 'game-server', args: ['--sim-start-latency-ms=50-150', '--sim-health-interval-ms=500'] },
    ports: [{ name: sessionsPerServer === 0 ? 'http' : 'game', protocol: 'tcp' }], sessionsPerServer, compatibleClients: '*',
  };
}

/** A fleet whose emptied servers retire after a second, so releases end quickly. */
export function simFleet(name: string, build: string, minServers = 2) {
  return { name, build, capacity: { minServers, maxServers: minServers + 2, bufferServers: 0, idleTimeoutSeconds: 1 }, health: { timeoutSeconds: 30, startTimeoutSeconds: 20, stopGraceSeconds: 1 } };
}

/** `durableDigest` plus the release plans, for "a refused plan changes nothing". */
export async function digestWithPlans(t: TestPlane): Promise<string> {
  return JSON.stringify([await durableDigest(t.cp), await t.cp.store.listReleasePlans({ limit: 1000 })]);
}
