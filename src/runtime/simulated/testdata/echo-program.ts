/**
 * The simulated twin of `testdata/echo-server.mjs`, so the RuntimeProvider contract runs against
 * the simulated runtime unchanged: same flags, same log lines, same answers (asked in-process
 * instead of over TCP).
 */
import type { Build } from '../../../builds/model.js';
import type { EchoReply } from '../../testdata/echo-client.js';
import type { RuntimeInstance } from '../../port.js';
import type { SimulatedHost } from '../host.js';
import type { Program, ProgramInstance, SimProcess } from '../program.js';

export const ECHO_PROGRAM = 'echo-server';
/** How long the twin takes to "listen" and to drain after SIGTERM (the real one drains 100 ms). */
const BOOT_MS = 5;
const DRAIN_MS = 100;

export class EchoProgram implements ProgramInstance {
  private listening = false;

  constructor(private readonly proc: SimProcess) {}

  start(): void {
    const exitAtStart = this.proc.args.find((a) => a.startsWith('--exit-at-start='));
    if (exitAtStart) {
      this.proc.log('echo-server: exiting at start as asked', 'stderr');
      this.proc.exit(Number(exitAtStart.slice('--exit-at-start='.length)));
      return;
    }
    this.proc.setTimeout(() => {
      this.listening = true;
      this.proc.log(`echo-server: listening on ${this.proc.address}:${this.proc.ports.game ?? '?'}`);
      this.proc.log('echo-server: stderr is captured too', 'stderr');
    }, BOOT_MS);
  }

  terminate(): void {
    if (this.proc.args.includes('--ignore-sigterm')) {
      this.proc.log('echo-server: SIGTERM ignored');
      return;
    }
    this.proc.log('echo-server: SIGTERM received, draining');
    this.proc.setTimeout(() => this.proc.exit(0), DRAIN_MS);
  }

  /** What the real server answers on its `game` port; throws while it is not listening. */
  answer(line: string): EchoReply {
    if (!this.listening || !this.proc.alive) throw new Error(`${this.proc.serverId} is not listening`);
    return { echo: line, pid: this.proc.pid, childPid: null, env: { ...this.proc.env } };
  }
}

export const echoProgram: Program = (proc) => new EchoProgram(proc);

/** A build that runs the twin with the given flags. */
export function simulatedEchoBuild(flags: readonly string[] = []): Build {
  return {
    id: 'echo', version: '1.0.0',
    launch: { executable: ECHO_PROGRAM, args: [...flags], env: {}, workingDir: null },
    ports: [{ name: 'game', protocol: 'tcp' }],
    sessionsPerServer: 8, compatibleClients: '*', labels: {}, createdAt: 0,
  };
}

/** Asks the server behind `instance` as `askEcho` would over TCP: rejects when it is not reachable. */
export async function askSimulatedEcho(host: SimulatedHost, instance: RuntimeInstance, line = 'hello'): Promise<EchoReply> {
  const program = host.programOf(instance.pid);
  const found = host.findServer(instance.serverId);
  if (!(program instanceof EchoProgram) || found?.pid !== instance.pid || found.request.ports.game !== instance.ports.game) {
    throw new Error(`${instance.serverId} is not reachable`);
  }
  return program.answer(line);
}
