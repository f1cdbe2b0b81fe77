import { statSync } from 'node:fs';
import path from 'node:path';
import type { Build } from '../../builds/model.js';
import { HandoffError } from '../../core/errors.js';
import { resolveExecutable } from './executable.js';

/**
 * Refuses, at registration, a build this runtime could never launch: a missing working
 * directory or an executable that does not exist or is not executable.
 */
export function validateLocalLaunch(build: Build, cwd: string, pathEnv: string | undefined): void {
  const workingDir = path.resolve(cwd, build.launch.workingDir ?? '.');
  let isDir = false;
  try {
    isDir = statSync(workingDir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new HandoffError('BUILD_WORKDIR_NOT_FOUND', `working directory ${workingDir} does not exist`, { build: build.id, workingDir });
  if (resolveExecutable(build.launch.executable, workingDir, pathEnv) === undefined) {
    throw new HandoffError('BUILD_EXECUTABLE_NOT_FOUND', `executable ${build.launch.executable} not found or not executable (working directory ${workingDir})`, {
      build: build.id, executable: build.launch.executable,
    });
  }
}
