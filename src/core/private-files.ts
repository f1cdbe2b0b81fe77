/**
 * The data directory holds secrets: the join-token secret and every server's SDK token live
 * in the store, and game-server logs may print them. So the directory and everything Handoff
 * creates in it are private to the user running the control plane. Modes are set with chmod
 * after creation, so they do not depend on the umask, and files left by an older version are
 * tightened when they are opened again.
 */
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';

export const PrivateDirMode = 0o700;
export const PrivateFileMode = 0o600;

/** Creates the directory (and missing parents) if needed, and makes it 0700. */
export function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PrivateDirMode });
  chmodSync(dir, PrivateDirMode);
}

/** Creates the file empty if it is missing, and makes it 0600. */
export function makePrivateFile(file: string): void {
  closeSync(openSync(file, 'a', PrivateFileMode));
  chmodSync(file, PrivateFileMode);
}

/** Makes the file 0600 if it exists. */
export function tightenFile(file: string): void {
  try {
    chmodSync(file, PrivateFileMode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
