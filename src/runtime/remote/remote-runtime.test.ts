import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentProcess, startTestGateway, waitConnected, type AgentProcess, type TestGateway } from '../../agent/testing/agents.js';
import { hostToken } from '../../hosts/token.js';
import { describeRuntimeContract } from '../contract.js';
import { localEchoBuild } from '../local/testdata/echo-build.js';
import { RemoteRuntime } from './remote-runtime.js';

// Below the Linux ephemeral range, apart from the local adapter's blocks.
const BASE = 28_000 + (process.pid % 90) * 50;
const dir = mkdtempSync(path.join(tmpdir(), 'handoff-remote-runtime-'));
let gw: TestGateway;
const agents: AgentProcess[] = [];

function agentArgs(id: string, from: number, to: number): string[] {
  return [
    '--control-plane', gw.url, '--host-id', id, '--zone', 'z1', '--region', 'local', '--public-address', '127.0.0.1',
    '--port-range', `${from}-${to}`, '--slots', '40', '--data-dir', path.join(dir, id), '--sdk-port', '0', '--heartbeat-ms', '500',
  ];
}

beforeAll(async () => {
  gw = await startTestGateway();
  // Two real hosts: one with room, one with a single port (createWithRoomForOne).
  agents.push(startAgentProcess(agentArgs('contract-a', BASE, BASE + 39), hostToken(gw.secret, 'contract-a')));
  agents.push(startAgentProcess(agentArgs('contract-b', BASE + 40, BASE + 40), hostToken(gw.secret, 'contract-b')));
  await Promise.all([waitConnected(gw.gateway, 'contract-a', agents[0]), waitConnected(gw.gateway, 'contract-b', agents[1])]);
}, 60_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await gw?.close();
  rmSync(dir, { recursive: true, force: true });
});

describeRuntimeContract('remote (a real handoff agent process)', {
  create: () => new RemoteRuntime(gw.gateway.link('contract-a')),
  createWithRoomForOne: () => new RemoteRuntime(gw.gateway.link('contract-b')),
  echoBuild: localEchoBuild,
  killFromOutside: (instance) => process.kill(instance.pid, 'SIGKILL'),
});

describe('RemoteRuntime', () => {
  it('fails at once with HOST_UNREACHABLE for a host whose agent is not connected', async () => {
    const rt = new RemoteRuntime(gw.gateway.link('no-such-host'));
    await expect(rt.start({ serverId: 'x', fleet: 'f', build: localEchoBuild(), env: {} })).rejects.toMatchObject({ code: 'HOST_UNREACHABLE' });
    await rt.close();
  });
});
