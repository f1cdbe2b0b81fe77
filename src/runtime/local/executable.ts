import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Finds the file a build's `launch.executable` names, the way a shell would:
 * - an absolute path is taken as is;
 * - a path containing `/` is relative to `workingDir` (the server's cwd, not the control plane's);
 * - a bare name is searched on `pathEnv` (never in `workingDir`, as in a shell).
 * Returns the absolute path of an existing, executable regular file, or undefined.
 *
 * The builds service calls this to refuse a build whose executable does not exist
 * (BUILD_EXECUTABLE_NOT_FOUND); the local runtime calls it again at start, because files change.
 */
export function resolveExecutable(
  executable: string,
  workingDir: string,
  pathEnv: string | undefined,
): string | undefined {
  if (executable === '') return undefined;
  if (path.isAbsolute(executable)) return isExecutableFile(executable) ? executable : undefined;
  if (executable.includes('/')) {
    const candidate = path.resolve(workingDir, executable);
    return isExecutableFile(candidate) ? candidate : undefined;
  }
  for (const dir of (pathEnv ?? '').split(path.delimiter)) {
    // An empty PATH entry historically means "the current directory"; searching it would let a
    // file dropped in the working directory shadow a system binary, so it is skipped.
    if (dir === '') continue;
    const candidate = path.resolve(workingDir, dir, executable);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(file: string): boolean {
  try {
    // X_OK alone also passes for directories (searchable), which cannot be executed.
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
