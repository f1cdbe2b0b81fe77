import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
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
});
