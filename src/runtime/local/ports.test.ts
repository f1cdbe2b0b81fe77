import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { PortSpec } from '../../builds/model.js';
import { PortAllocator, probeBind, type PortProbe } from './ports.js';

const game: PortSpec = { name: 'game', protocol: 'tcp' };
const query: PortSpec = { name: 'query', protocol: 'udp' };
const alwaysFree: PortProbe = () => Promise.resolve(true);

describe('PortAllocator', () => {
  it('assigns one distinct port per named port', async () => {
    const ports = new PortAllocator({ from: 7000, to: 7009 }, alwaysFree);
    expect(await ports.allocate([game, query])).toEqual({ game: 7000, query: 7001 });
    expect(await ports.allocate([game])).toEqual({ game: 7002 });
  });

  it('never hands out a port it already assigned or reserved for an adopted server', async () => {
    const ports = new PortAllocator({ from: 7000, to: 7002 }, alwaysFree);
    ports.reserve({ game: 7001 });
    expect(await ports.allocate([game])).toEqual({ game: 7000 });
    expect(await ports.allocate([game])).toEqual({ game: 7002 });
    await expect(ports.allocate([game])).rejects.toMatchObject({ code: 'PORT_RANGE_EXHAUSTED' });
  });

  it('skips ports the probe finds taken', async () => {
    const taken = new Set([7000, 7001]);
    const ports = new PortAllocator({ from: 7000, to: 7003 }, (port) => Promise.resolve(!taken.has(port)));
    expect(await ports.allocate([game])).toEqual({ game: 7002 });
  });

  it('assigns nothing when the range runs out part-way', async () => {
    const ports = new PortAllocator({ from: 7000, to: 7001 }, alwaysFree);
    await ports.allocate([game]);
    await expect(ports.allocate([game, query])).rejects.toMatchObject({ code: 'PORT_RANGE_EXHAUSTED' });
    expect(await ports.allocate([query])).toEqual({ query: 7001 });
  });

  it('hands a released port out again, after the rest of the range', async () => {
    const ports = new PortAllocator({ from: 7000, to: 7001 }, alwaysFree);
    const first = await ports.allocate([game]);
    ports.release(first);
    expect(await ports.allocate([game])).toEqual({ game: 7001 });
    expect(await ports.allocate([game])).toEqual({ game: 7000 });
  });

  it('gives concurrent allocations different ports', async () => {
    const ports = new PortAllocator({ from: 7000, to: 7009 }, alwaysFree);
    const [a, b] = await Promise.all([ports.allocate([game]), ports.allocate([game])]);
    expect(a.game).not.toBe(b.game);
  });
});

describe('probeBind', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('sees a TCP port held by a listening socket as taken, and a released one as free', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
    const { port } = server.address() as net.AddressInfo;
    expect(await probeBind(port, 'tcp')).toBe(false);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(await probeBind(port, 'tcp')).toBe(true);
  });

  it('sees a UDP port held by a bound socket as taken', async () => {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind({ port: 0, address: '0.0.0.0' }, resolve));
    cleanups.push(() => new Promise((resolve) => socket.close(() => resolve())));
    expect(await probeBind(socket.address().port, 'udp')).toBe(false);
  });
});
