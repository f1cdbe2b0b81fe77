import dgram from 'node:dgram';
import net from 'node:net';
import type { PortProtocol, PortSpec } from '../../builds/model.js';
import { HandoffError } from '../../core/errors.js';

/** An inclusive range of host ports the local runtime may hand to game servers. */
export interface PortRange {
  from: number;
  to: number;
}

/** Checks a port can be bound right now; the probe socket is released before resolving. */
export type PortProbe = (port: number, protocol: PortProtocol) => Promise<boolean>;

/**
 * Hands out host ports from a configured range, one per named port of a build.
 *
 * A port is skipped while it is assigned to one of our servers (including adopted ones) or
 * while something else on the host holds it. The scan continues round-robin from the last
 * port handed out instead of restarting at `from`, so a port freed by an exited server is not
 * immediately given to the next one: players reconnecting to the old address should not land
 * on a different server.
 */
export class PortAllocator {
  private readonly assigned = new Set<number>();
  private cursor: number;

  constructor(
    private readonly range: PortRange,
    private readonly probe: PortProbe = probeBind,
  ) {
    this.cursor = range.from;
  }

  /**
   * Assigns one port per named port. Throws PORT_RANGE_EXHAUSTED (assigning nothing) when
   * the range has no bindable port left for one of them.
   */
  async allocate(specs: readonly PortSpec[]): Promise<Record<string, number>> {
    const ports: Record<string, number> = {};
    try {
      for (const spec of specs) {
        if (Object.hasOwn(ports, spec.name)) continue;
        ports[spec.name] = await this.allocateOne(spec);
      }
    } catch (e) {
      this.release(ports);
      throw e;
    }
    return ports;
  }

  /** Marks ports as in use without probing them: an adopted server already holds them. */
  reserve(ports: Record<string, number>): void {
    for (const port of Object.values(ports)) this.assigned.add(port);
  }

  /** Returns ports to the pool once their server has exited. */
  release(ports: Record<string, number>): void {
    for (const port of Object.values(ports)) this.assigned.delete(port);
  }

  private async allocateOne(spec: PortSpec): Promise<number> {
    const { from, to } = this.range;
    const size = to - from + 1;
    for (let i = 0; i < size; i++) {
      const port = from + ((this.cursor - from + i) % size);
      if (this.assigned.has(port)) continue;
      // Claimed before the asynchronous probe so a concurrent allocation cannot pick it too.
      this.assigned.add(port);
      if (await this.probe(port, spec.protocol)) {
        this.cursor = port === to ? from : port + 1;
        return port;
      }
      this.assigned.delete(port);
    }
    throw new HandoffError(
      'PORT_RANGE_EXHAUSTED',
      `No free ${spec.protocol} port for '${spec.name}' in ${from}-${to}`,
      { from, to, port: spec.name, protocol: spec.protocol },
    );
  }
}

/**
 * Binds the port on all interfaces and releases it again. There is an unavoidable window
 * between this probe and the game server's own bind; the probe only keeps us from handing out
 * ports that are visibly taken.
 */
export function probeBind(port: number, protocol: PortProtocol): Promise<boolean> {
  return protocol === 'tcp' ? probeTcp(port) : probeUdp(port);
}

function probeTcp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

function probeUdp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.unref();
    socket.once('error', () => {
      closeQuietly(socket);
      resolve(false);
    });
    socket.bind({ port, address: '0.0.0.0', exclusive: true }, () => {
      socket.close(() => resolve(true));
    });
  });
}

function closeQuietly(socket: dgram.Socket): void {
  try {
    socket.close();
  } catch {
    // Already closed by the failed bind: nothing left to release.
  }
}
