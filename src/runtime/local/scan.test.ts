import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { processIdentity, readBootId } from './proc.js';
import { findServerProcess } from './scan.js';

describe('findServerProcess', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.pid) process.kill(-c.pid, 'SIGKILL');
  });

  const start = (serverId: string, detached: boolean): ChildProcess => {
    const env = { PATH: process.env['PATH'] ?? '', HANDOFF_SERVER_ID: serverId, HANDOFF_PORTS: '{"game":7123}', HANDOFF_ADDRESS: '127.0.0.1' };
    const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { env, detached, stdio: 'ignore' });
    children.push(c);
    return c;
  };

  it('finds a server whose pid was never recorded, with its ports, address and identity', async () => {
    const c = start('srv_scan_1', true);
    await new Promise((r) => c.once('spawn', r));
    const bootId = readBootId();
    const found = findServerProcess('srv_scan_1', bootId, '/logs');
    expect(found).toEqual({
      serverId: 'srv_scan_1', pid: c.pid, identity: processIdentity(c.pid ?? 0, bootId),
      address: '127.0.0.1', ports: { game: 7123 }, logPath: '/logs/srv_scan_1.log',
    });
  });

  it('ignores a process that carries the id but does not lead its own process group', async () => {
    const c = start('srv_scan_2', false);
    await new Promise((r) => c.once('spawn', r));
    expect(findServerProcess('srv_scan_2', readBootId(), '/logs')).toBeUndefined();
    c.kill('SIGKILL');
    children.pop();
  });

  it('finds nothing for an id no process carries', () => {
    expect(findServerProcess('srv_nobody', readBootId(), '/logs')).toBeUndefined();
  });
});
