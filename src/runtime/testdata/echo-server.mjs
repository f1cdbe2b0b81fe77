// A tiny stand-in for a dedicated game server, used by the RuntimeProvider contract suite.
// Plain JavaScript so it starts fast under `process.execPath`, without a TypeScript loader.
//
// Listens on HANDOFF_ADDRESS:HANDOFF_PORT_GAME (TCP). Every line received is answered with one
// JSON line: { echo, pid, childPid, env }. When HANDOFF_PORT_QUERY is set, also echoes UDP
// datagrams on that port.
//
// Flags:
//   --exit-at-start=<code>  exit at once with this code (a server that crashes on boot)
//   --ignore-sigterm        log SIGTERM and keep running (a server that hangs on shutdown)
//   --with-child            start a long-running child in the same process group, as a wrapper
//                           script's real server would be
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import process from 'node:process';
import { setTimeout } from 'node:timers';

const args = process.argv.slice(2);
const exitAtStart = args.find((a) => a.startsWith('--exit-at-start='));
if (exitAtStart) {
  process.stderr.write('echo-server: exiting at start as asked\n');
  process.exit(Number(exitAtStart.slice('--exit-at-start='.length)));
}

const address = process.env.HANDOFF_ADDRESS ?? '127.0.0.1';
const port = Number(process.env.HANDOFF_PORT_GAME);

const child = args.includes('--with-child')
  ? spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' })
  : undefined;

const server = net.createServer((socket) => {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      const reply = { echo: line, pid: process.pid, childPid: child?.pid ?? null, env: process.env };
      socket.write(`${JSON.stringify(reply)}\n`);
    }
  });
  socket.on('error', () => {});
});
server.listen({ port, host: address }, () => {
  process.stdout.write(`echo-server: listening on ${address}:${port}\n`);
  process.stderr.write('echo-server: stderr is captured too\n');
});

if (process.env.HANDOFF_PORT_QUERY) {
  const udp = dgram.createSocket('udp4');
  udp.on('message', (msg, from) => udp.send(msg, from.port, from.address));
  udp.bind(Number(process.env.HANDOFF_PORT_QUERY), address);
}

process.on('SIGTERM', () => {
  if (args.includes('--ignore-sigterm')) {
    process.stdout.write('echo-server: SIGTERM ignored\n');
    return;
  }
  process.stdout.write('echo-server: SIGTERM received, draining\n');
  // A short drain, like a real server saving state, before a clean exit.
  setTimeout(() => process.exit(0), 100);
});
