/**
 * Acceptance: `npm start -- --strategy blue-green --exit --json` runs the whole demo (control
 * plane, arena servers, WebSocket players, the release) and reports nobody interrupted without
 * notice, as JSON on stdout and as the summary line, and exits 0.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from './support/control-plane.js';
import { freePortRange } from './support/ports.js';

interface Run {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** Runs `npm start -- ...args` to its end (killing its process group if the test gives up first). */
function npmStart(args: string[]): Promise<Run> {
  const child = spawn('npm', ['start', '--silent', '--', ...args], { cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('npm start', () => {
  it('runs a blue-green release with --exit --json, prints interruptedWithoutNotice 0 and exits 0', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'handoff-demo-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const ports = await freePortRange('demo.e2e');
    const run = await npmStart([
      '--strategy', 'blue-green', '--exit', '--json',
      '--port', '0', '--data-dir', path.join(dir, 'demo'), '--game-ports', `${ports.from}-${ports.to}`,
      // Fewer players and an earlier release than the interactive default, for a 2-core CI box.
      '--players', '12', '--release-after', '4',
    ]);
    const why = `exit ${run.code} ${run.signal ?? ''}\nstderr:\n${run.stderr.slice(-4000)}`;
    expect(run.code, why).toBe(0);
    // stdout is the JSON document alone: the live view and the text summary go to stderr.
    const summary = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(summary, why).toMatchObject({
      strategy: 'blue-green',
      interruptedWithoutNotice: 0,
      passed: true,
      rollout: { phase: 'Completed', timedOut: false },
      crossCheck: { agree: true },
      sessions: { lostToServerCrashes: 0 },
    });
    expect((summary['sessions'] as { total: number }).total).toBeGreaterThan(0);
    expect(run.stderr.split('\n')).toContain('interrupted without notice 0');
  }, 150_000);

  it('refuses an unknown strategy with exit status 2, before starting anything', async () => {
    const run = await npmStart(['--strategy', 'big-bang', '--exit']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('demo: unknown strategy "big-bang"; use one of: blue-green, rolling, canary, ab-test, maintenance, dynamic-pool');
  }, 30_000);
});
