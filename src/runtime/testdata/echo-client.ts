import net from 'node:net';
import { fileURLToPath } from 'node:url';
import type { RuntimeInstance } from '../port.js';

/** The contract's game server: plain JS, so any adapter can run it with a bare `node`. */
export const ECHO_SERVER_SCRIPT = fileURLToPath(new URL('./echo-server.mjs', import.meta.url));

/** What the echo server answers to every line on its `game` port. */
export interface EchoReply {
  echo: string;
  pid: number;
  childPid: number | null;
  env: Record<string, string>;
}

/**
 * Sends one line to the server's `game` port and resolves with its reply. Rejects when the
 * server is not reachable (yet, or any more): callers poll with `vi.waitFor` while it boots.
 */
export function askEcho(instance: RuntimeInstance, line = 'hello'): Promise<EchoReply> {
  const port = instance.ports.game;
  if (port === undefined) return Promise.reject(new Error(`${instance.serverId} has no 'game' port`));
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: instance.address, port });
    let buffered = '';
    socket.setEncoding('utf8');
    socket.setTimeout(5_000, () => socket.destroy(new Error(`${instance.serverId} did not answer`)));
    socket.on('connect', () => socket.write(`${line}\n`));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline < 0) return;
      socket.end();
      resolve(JSON.parse(buffered.slice(0, newline)) as EchoReply);
    });
    socket.on('error', reject);
    // After a reply this is a no-op; before one, the server went away mid-request.
    socket.on('close', () => reject(new Error(`${instance.serverId} closed the connection without a reply`)));
  });
}
