/**
 * One control plane per data directory, and a private one (0700, see core/private-files). Two would both adopt the same game servers and both
 * plan for the same fleets, so the second one is refused while the first is alive. A lock left
 * by a control plane that died (kill -9) is taken over.
 */
import { closeSync, fchmodSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { makePrivateDir, PrivateFileMode } from '../core/private-files.js';

export interface DataDirLock {
  release(): void;
}

/** Makes the data directory private (creating it if needed) and locks it for this process. */
export function lockDataDir(dataDir: string, pid = process.pid): DataDirLock {
  makePrivateDir(dataDir);
  const file = path.join(dataDir, 'handoff.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', PrivateFileMode);
      fchmodSync(fd, PrivateFileMode);
      writeSync(fd, String(pid));
      closeSync(fd);
      return { release: () => rmSync(file, { force: true }) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== pid && alive(holder)) {
        throw new Error(`another handoff server (pid ${holder}) is using the data directory ${dataDir}`);
      }
      // Left behind by a control plane that is gone: take it over.
      rmSync(file, { force: true });
    }
  }
  throw new Error(`could not lock the data directory ${dataDir}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
