/**
 * In-process control plane for integration tests: real SQLite file, real HTTP sockets, real
 * game-server child processes (test/fixtures/sdk-server.mjs). Each instance gets its own data
 * directory and port range so test files can run in parallel.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startControlPlane, type ControlPlane } from '../../src/server/compose.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const fixtureServer = path.join(repoRoot, 'test/fixtures/sdk-server.mjs');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

// Tests index freely into JSON answers; the schemas are asserted by the API's own validation.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface TestPlane {
  cp: ControlPlane;
  call: (method: string, route: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; body: Json }>;
  close: () => Promise<void>;
}

export async function startTestPlane(opts: { portBase: number; reconcileIntervalMs?: number; onFatal?: (e: unknown) => void }): Promise<TestPlane> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'handoff-it-'));
  const cp = await startControlPlane(
    { dataDir, port: 0, sdkPort: 0, portRange: { from: opts.portBase, to: opts.portBase + 39 }, cwd: repoRoot, reconcileIntervalMs: opts.reconcileIntervalMs ?? 100, backoffBaseMs: 50, backoffMaxMs: 200 },
    // Never let a test's store failure exit the test runner.
    { log: () => undefined, onFatal: opts.onFatal ?? (() => undefined) },
  );
  const call: TestPlane['call'] = async (method, route, body, headers = {}) => {
    const init: RequestInit = { method, headers: { 'content-type': 'application/json', ...headers } };
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
    const res = await fetch(`${cp.url}${route}`, init);
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  return {
    cp,
    call,
    close: async () => {
      await cp.close({ stopServers: true });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function fixtureBuild(id: string, extraArgs: string[] = [], sessionsPerServer = 4) {
  return {
    id, version: '1.0.0',
    launch: { executable: process.execPath, args: [fixtureServer, ...extraArgs], workingDir: repoRoot },
    ports: [{ name: 'game', protocol: 'tcp' }], sessionsPerServer, compatibleClients: '>=1.0.0',
  };
}

export function fleetSpec(name: string, build: string, capacity: Partial<{ minServers: number; maxServers: number; bufferServers: number; idleTimeoutSeconds: number }> = {}) {
  return {
    name, build,
    capacity: { minServers: 2, maxServers: 4, bufferServers: 0, idleTimeoutSeconds: 600, ...capacity },
    health: { timeoutSeconds: 30, startTimeoutSeconds: 20, stopGraceSeconds: 2 },
  };
}

/** Polls until `cond` returns a truthy value; fails with `what` after the deadline. */
export async function waitFor<T>(cond: () => T | Promise<T>, what: string, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Everything durable an API request can change, for "nothing changed" assertions: builds,
 * fleets, sessions, rollouts, idempotency records and the events requests write. Not the
 * game servers' records and `server.*` events: the reconciler and the game servers write those
 * on their own schedule (a server turning Ready is committed a moment after the API shows it),
 * so they may change between two snapshots whatever the request did.
 */
/**
 * The durable state, once it has settled: the API answers from memory before the group commit
 * lands, so a digest taken right after a phase change can miss a write already acknowledged in
 * memory. Two equal reads 100 ms apart (or 5 s) count as settled.
 */
export async function durableDigest(cp: ControlPlane): Promise<string> {
  let last = await readDigest(cp);
  for (const end = Date.now() + 5000; Date.now() < end;) {
    await new Promise((r) => setTimeout(r, 100));
    const next = await readDigest(cp);
    if (next === last) return next;
    last = next;
  }
  return last;
}

async function readDigest(cp: ControlPlane): Promise<string> {
  const snap = await cp.store.load(0);
  const events = (await cp.store.listEvents({ limit: 100_000 })).filter((e) => !e.kind.startsWith('server.'));
  const sessions = await cp.store.listSessions({ limit: 100_000 });
  const rollouts = await cp.store.listRollouts({ limit: 1000 });
  const [environments, webhooks] = [await cp.store.listEnvironments(), await cp.store.listWebhooks()];
  return JSON.stringify({ builds: snap.builds, fleets: snap.fleets, sessions, rollouts, events, idem: snap.idempotency, environments, webhooks });
}
