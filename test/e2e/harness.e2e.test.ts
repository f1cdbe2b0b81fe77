/**
 * The harness's leak detector must not be vacuous: a process that claims to be one of this
 * control plane's game servers, but that the control plane does not know, is an orphan.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isAlive, useHarness, waitFor } from './harness.js';

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
});
