/**
 * Smoke checks: one quick verification against one new server before a release switches.
 * An HTTP probe (GET a path on a named port, expect a status) or a command that gets the
 * server's address and ports in its environment and must exit 0. Each has a hard timeout.
 */
import { spawn } from 'node:child_process';
import type { SmokeCheck } from '../rollout/checks.js';

export interface SmokeTarget {
  serverId: string;
  address: string;
  ports: Record<string, number>;
}

export interface SmokeOutcome {
  passed: boolean;
  detail: string;
}

export async function runSmokeCheck(check: SmokeCheck, target: SmokeTarget, cwd: string): Promise<SmokeOutcome> {
  return check.kind === 'http' ? httpProbe(check, target) : commandProbe(check, target, cwd);
}

async function httpProbe(check: Extract<SmokeCheck, { kind: 'http' }>, target: SmokeTarget): Promise<SmokeOutcome> {
  const port = target.ports[check.port];
  if (port === undefined) return { passed: false, detail: `server has no port named ${check.port}` };
  const url = `http://${target.address}:${port}${check.path}`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(check.timeoutSeconds * 1000) });
    await res.arrayBuffer();
    return res.status === check.expectStatus
      ? { passed: true, detail: `GET ${url} → ${res.status}` }
      : { passed: false, detail: `GET ${url} → ${res.status}, expected ${check.expectStatus}` };
  } catch (e) {
    return { passed: false, detail: `GET ${url} failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}

function commandProbe(check: Extract<SmokeCheck, { kind: 'command' }>, target: SmokeTarget, cwd: string): Promise<SmokeOutcome> {
  const [cmd, ...args] = check.command;
  return new Promise((resolve) => {
    if (cmd === undefined) return resolve({ passed: false, detail: 'empty command' });
    let output = '';
    const child = spawn(cmd, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        HANDOFF_TARGET_SERVER: target.serverId,
        HANDOFF_TARGET_ADDRESS: target.address,
        HANDOFF_TARGET_PORTS: JSON.stringify(target.ports),
      },
    });
    const keep = (b: Buffer): void => {
      output = (output + b.toString()).slice(-500);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), check.timeoutSeconds * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ passed: false, detail: `could not run ${cmd}: ${e.message}` });
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const tail = output.trim() ? `: ${output.trim()}` : '';
      if (code === 0) resolve({ passed: true, detail: `${cmd} exited 0` });
      else resolve({ passed: false, detail: signal ? `${cmd} killed by ${signal} (timeout ${check.timeoutSeconds}s)${tail}` : `${cmd} exited ${code}${tail}` });
    });
  });
}
