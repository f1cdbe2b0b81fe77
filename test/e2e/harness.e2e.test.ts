/**
 * The harness's leak detector must not be vacuous: a process that claims to be one of this
 * control plane's game servers, but that the control plane does not know, is an orphan.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isAlive, useHarness, waitFor } from './harness.js';
import { scanGameProcessTree } from './support/procs.js';

const harness = useHarness('harness.e2e');

describe('the e2e harness', () => {
  it('reports a game-server process the control plane does not know as an orphan', async () => {
    const h = harness();
    const impostor = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], {
      env: { HANDOFF_SERVER_ID: 'srv_impostor', HANDOFF_SDK_URL: h.cp.sdkUrl },
      stdio: 'ignore',
    });
    const pid = impostor.pid;
    if (pid === undefined) throw new Error('the impostor did not spawn');
    try {
      await waitFor(() => h.gameProcesses().some((p) => p.pid === pid), { what: 'the impostor to show up in /proc' });
      expect(await h.orphans()).toEqual([`pid ${pid} runs server srv_impostor, which the API does not know`]);
    } finally {
      impostor.kill('SIGKILL');
    }
    await waitFor(() => !isAlive(pid), { what: 'the impostor to exit' });
    expect(await h.orphans()).toEqual([]);
  });

  it("counts a game server's own child process (tsx's esbuild service) as part of it, not as a server", async () => {
    const h = harness();
    // Like `node --import tsx` on a cold cache: the server starts a child that inherits its env.
    const withChild = `require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' }); setInterval(() => {}, 1 << 30)`;
    const impostor = spawn(process.execPath, ['-e', withChild], {
      env: { HANDOFF_SERVER_ID: 'srv_impostor', HANDOFF_SDK_URL: h.cp.sdkUrl },
      stdio: 'ignore',
    });
    const pid = impostor.pid;
    if (pid === undefined) throw new Error('the impostor did not spawn');
    const tree = () => scanGameProcessTree({ sdkUrl: h.cp.sdkUrl, dataDir: h.dataDir });
    try {
      await waitFor(() => tree().length === 2, { what: 'the impostor and its child to show up in /proc' });
      expect(h.gameProcesses().map((p) => p.pid)).toEqual([pid]);
      expect(await h.orphans()).toEqual([`pid ${pid} runs server srv_impostor, which the API does not know`]);
    } finally {
      for (const p of tree()) process.kill(p.pid, 'SIGKILL');
    }
    await waitFor(() => tree().length === 0, { what: 'the impostor and its child to exit' });
  });
});
