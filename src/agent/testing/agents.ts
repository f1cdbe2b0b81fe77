/**
 * Test support: a gateway listening on loopback, and real `handoff agent` processes (bin/handoff)
 * connected to it. For the runtime contract and the agent tests; the netns test starts its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { hostToken } from '../../hosts/token.js';
import { AgentGateway, type GatewayDeps } from '../gateway.js';

export const BIN = fileURLToPath(new URL('../../../bin/handoff', import.meta.url));

export interface TestGateway {
  gateway: AgentGateway;
  url: string;
  secret: string;
  close(): Promise<void>;
}

export async function startTestGateway(deps: Partial<GatewayDeps> = {}, secret = 'test-host-secret'): Promise<TestGateway> {
  const gateway = new AgentGateway({
    authenticate: (id, token) => token === hostToken(secret, id),
    registered: async () => undefined,
    heartbeat: () => undefined,
    sdkUrl: () => 'http://127.0.0.1:9',
    ...deps,
  });
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', gateway.handleUpgrade);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    gateway, secret, url: `http://127.0.0.1:${port}`,
    async close() {
      await gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface AgentProcess {
  child: ChildProcess;
  output(): string;
  /** SIGTERM (the agent leaves its game servers running) and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `handoff agent` with these flags (the token is passed through the environment). */
export function startAgentProcess(args: readonly string[], token: string, wrap: readonly string[] = []): AgentProcess {
  const cmd = [...wrap, BIN, 'agent', ...args];
  const child = spawn(cmd[0] ?? BIN, cmd.slice(1), { env: { ...process.env, HANDOFF_AGENT_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** Waits until the gateway has a connected agent for `hostId`. */
export async function waitConnected(gw: AgentGateway, hostId: string, agent?: AgentProcess): Promise<void> {
  await vi.waitFor(() => {
    if (!gw.link(hostId).connected) throw new Error(`agent ${hostId} not connected yet${agent ? `: ${agent.output()}` : ''}`);
  }, { timeout: 30_000, interval: 50 });
}
