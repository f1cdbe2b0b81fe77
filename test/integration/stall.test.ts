/**
 * A real control plane (`./bin/handoff server`) is paused with SIGSTOP for longer than the
 * fleet's health timeout and resumed. Its game servers kept pinging all along; the pause was
 * the control plane's own, so no server may be blamed for it.
 */
import { describe, expect, it } from 'vitest';
import { must, useHarness, waitFor } from '../e2e/harness.js';
import { fixtureBuild } from '../support/control-plane.js';

const harness = useHarness('stall.integration');

describe('a control plane paused longer than the health timeout', () => {
  it('marks no server unhealthy and replaces none once it resumes', async () => {
    const { api, cp } = harness();
    must(await api.apply({
      builds: [{ ...fixtureBuild('v1'), ports: [{ name: 'game', protocol: 'tcp' }] }],
      fleets: [{
        name: 'arena', build: 'v1',
        capacity: { minServers: 2, maxServers: 4, bufferServers: 0, idleTimeoutSeconds: 600 },
        health: { timeoutSeconds: 3, startTimeoutSeconds: 20, stopGraceSeconds: 2 },
      }],
    }), 'apply');
    const before = await waitFor(async () => {
      const servers = await api.servers('arena');
      return servers.length === 2 && servers.every((s) => s.state === 'Ready') ? servers : null;
    }, { what: 'two Ready servers' });
    const lastSeq = (await api.events(null)).at(-1)?.seq ?? 0;
    const pid = cp.pid;
    if (pid === null) throw new Error('no control-plane process');

    process.kill(pid, 'SIGSTOP');
    await new Promise((r) => setTimeout(r, 6_000));
    process.kill(pid, 'SIGCONT');
    const resumedAt = Date.now();

    // Past the first passes after the resume, and every server heard from again.
    await waitFor(async () => (await api.servers('arena')).every((s) => s.lastHealthAt !== null && s.lastHealthAt > resumedAt + 1_000), {
      what: 'a health ping from every server well after the resume',
    });
    const after = await api.servers('arena');
    expect(after.map((s) => `${s.id} ${s.state}`).sort()).toEqual(before.map((s) => `${s.id} Ready`).sort());
    const since = (await api.events(null)).filter((e) => e.seq > lastSeq).map((e) => `${e.kind} ${e.subject}`);
    expect(since).toEqual([]);
    expect(cp.recentOutput()).toMatch(/control plane stalled for \d+ ms/);
  }, 60_000);
});
