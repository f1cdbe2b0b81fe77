import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockDataDir } from './data-dir-lock.js';

describe('data directory lock', () => {
  const dir = () => mkdtempSync(path.join(tmpdir(), 'handoff-lock-'));

  it('refuses a second control plane while the first one lives', () => {
    const d = dir();
    const first = lockDataDir(d, process.pid);
    // The parent of this test process is alive and is not us: it stands in for a second holder.
    expect(() => lockDataDir(d, process.ppid)).toThrow(`another handoff server (pid ${process.pid})`);
    first.release();
    expect(existsSync(path.join(d, 'handoff.lock'))).toBe(false);
  });

  it('takes over a lock left by a control plane that died', () => {
    const d = dir();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(path.join(d, 'handoff.lock'), dead);
    expect(() => lockDataDir(d, process.pid).release()).not.toThrow();
  });

  it('makes the data directory 0700 and the lock file 0600 whatever the umask, creating the directory if needed', () => {
    const d = path.join(dir(), 'nested', 'data');
    const umask = process.umask(0);
    let lock;
    try {
      lock = lockDataDir(d, process.pid);
    } finally {
      process.umask(umask);
    }
    expect(statSync(d).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(d, 'handoff.lock')).mode & 0o777).toBe(0o600);
    lock.release();
  });

  it('tightens a data directory an older version left world-readable', () => {
    const d = dir();
    chmodSync(d, 0o755);
    lockDataDir(d, process.pid).release();
    expect(statSync(d).mode & 0o777).toBe(0o700);
  });
});
