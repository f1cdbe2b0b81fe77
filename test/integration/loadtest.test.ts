/**
 * `handoff loadtest`, the real bin, against a real control plane: it offers what it was asked,
 * counts what the deployment answered by the API's own error codes, and spreads requests over
 * every URL it was given (here one real control plane and one port nobody listens on).
 */
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadtestReport } from '../../src/cli/loadtest/report.js';
import { fixtureBuild, fleetSpec, freePort, repoRoot, startTestPlane, waitFor, type TestPlane } from '../support/control-plane.js';

const run = promisify(execFile);
const SEATS = 10;

async function handoff(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(path.join(repoRoot, 'bin/handoff'), args, { cwd: tmpdir(), env: { ...process.env, HANDOFF_URL: '' } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('handoff loadtest against a real control plane', () => {
  let t: TestPlane;
  beforeAll(async () => {
    t = await startTestPlane({ portBase: 44_300 });
    await t.call('POST', '/v1/apply', {
      builds: [fixtureBuild('lt-v1', [], SEATS)],
      fleets: [fleetSpec('lt', 'lt-v1', { minServers: 1, maxServers: 1, bufferServers: 0 })],
    });
    await waitFor(async () => (await t.call('GET', '/v1/fleets/lt')).body.status.serversByState.Ready === 1, 'a Ready server');
  });
  afterAll(() => t.close());

  it('reports allocations, latency percentiles and errors by code, across comma-separated URLs', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    // 40 requests in 1 s, taken in turn: 20 to the control plane (10 seats, then NO_CAPACITY), 20 refused.
    const r = await handoff('loadtest', '--url', `${t.cp.url},${dead}`, '--fleet', 'lt', '--rate', '40', '--duration', '1s', '--player-prefix', 'ltp', '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as LoadtestReport;
    expect(report).toMatchObject({ urls: [t.cp.url, dead], offeredPerS: 40, scheduled: 40, sent: 40, ok: SEATS, failed: 30 });
    expect(report.errors).toEqual({ ECONNREFUSED: 20, NO_CAPACITY: 20 - SEATS });
    expect(report.latencyMs?.p50).toBeGreaterThan(0);
    expect(report.latencyMs?.p999).toBeGreaterThanOrEqual(report.latencyMs?.p99 ?? Infinity);
    // What it reported is what the control plane holds: SEATS sessions, for its players.
    const fleet = await t.call('GET', '/v1/fleets/lt');
    expect(fleet.body.status.openSessionsByBuild).toEqual({ 'lt-v1': SEATS });
  }, 30_000);

  it('prints a readable summary and exits 1 when no allocation succeeded', async () => {
    const r = await handoff('--server', t.cp.url, 'loadtest', '--fleet', 'nope', '--rate', '20', '--duration', '0.5s');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('offered      20/s for 0.5 s, open loop (10 of 10 requests sent)');
    expect(r.stdout).toContain('allocations  0 ok, 10 failed');
    expect(r.stdout).toContain('errors       FLEET_NOT_FOUND 10');
  }, 30_000);
});
