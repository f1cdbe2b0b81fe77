import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { PrivateFileMode } from '../../core/private-files.js';
import type { ServerLaunch } from '../port.js';
import { readProcStat, type ProcStat } from './proc.js';

/**
 * Variables of the control plane's own environment a game server inherits. Everything else
 * (database URLs, API tokens, …) stays out: a game server is third-party code.
 */
export const InheritedEnv = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR'] as const;

/** `game-query` → `HANDOFF_PORT_GAME_QUERY`: upper-cased, and kept a valid shell variable name. */
export function portEnvName(name: string): string {
  return `HANDOFF_PORT_${name.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
}

/**
 * The server's environment, later layers winning: the inherited subset of the control plane's
 * env, the build's env, the launch's env, then the runtime's own variables — a build cannot
 * accidentally point its server at the wrong port.
 */
export function serverEnv(
  inherited: NodeJS.ProcessEnv,
  launch: ServerLaunch,
  address: string,
  ports: Record<string, number>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of InheritedEnv) {
    const value = inherited[key];
    if (value !== undefined) env[key] = value;
  }
  Object.assign(env, launch.build.launch.env, launch.env);
  env.HANDOFF_ADDRESS = address;
  env.HANDOFF_PORTS = JSON.stringify(ports);
  for (const [name, port] of Object.entries(ports)) env[portEnvName(name)] = String(port);
  return env;
}

/** What to run, where, with which environment, and the log file its output is appended to. */
export interface SpawnRequest {
  file: string;
  args: readonly string[];
  cwd: string;
  env: Record<string, string>;
  logPath: string;
}

/** A spawned server: the child handle and its /proc stat read before it could be reaped. */
export interface Spawned {
  child: ChildProcess;
  pid: number;
  stat: ProcStat | undefined;
}

/**
 * Spawns a server in its own process group and session (`detached`), so a Ctrl-C to the
 * control plane's terminal, a SIGHUP when it closes, or the control plane's death never reach
 * the game server: players must not be disconnected by a control-plane restart. Output goes
 * straight to the log file (no pipes through the control plane, which may go away).
 *
 * Resolves once the OS reports the spawn succeeded; rejects with the spawn error (ENOENT,
 * EACCES, a missing cwd, …).
 */
export async function spawnDetached(req: SpawnRequest): Promise<Spawned> {
  // Private: a game server may log its SDK token (the log directory is private too).
  const fd = openSync(req.logPath, 'a', PrivateFileMode);
  let child: ChildProcess;
  try {
    child = spawn(req.file, req.args, { cwd: req.cwd, env: req.env, detached: true, stdio: ['ignore', fd, fd] });
  } finally {
    // The child has its own copy of the descriptor once spawn() returns.
    closeSync(fd);
  }
  // Without a listener a later 'error' event (e.g. a failed kill) would crash the control plane.
  child.on('error', () => {});
  // Read now, synchronously: the child cannot have been reaped before the event loop runs
  // again, so even a server that exits at once still has its /proc entry (maybe as a zombie).
  const stat = child.pid === undefined ? undefined : readProcStat(child.pid);
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  // The control plane never stays up just because a game server runs.
  child.unref();
  if (child.pid === undefined) throw new Error('spawn reported success without a pid');
  return { child, pid: child.pid, stat };
}
