import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RuntimeInstance } from '../port.js';
import { formatIdentity, readProcStat } from './proc.js';

/**
 * Looks through /proc for the live process group leader whose environment carries
 * `HANDOFF_SERVER_ID=<serverId>`: a server spawned by a control plane that died before it could
 * record the pid. Its ports and address come back from the same environment, so it can be
 * adopted like any other. Leaders only: a wrapper script's children share the variable.
 */
export function findServerProcess(serverId: string, bootId: string, logDir: string): RuntimeInstance | undefined {
  const needle = `HANDOFF_SERVER_ID=${serverId}`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    let env: string[];
    try {
      env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!env.includes(needle)) continue;
    const stat = readProcStat(pid);
    if (!stat || stat.pgrp !== pid || stat.state === 'Z' || stat.state === 'X') continue;
    const get = (k: string): string | undefined => env.find((e) => e.startsWith(`${k}=`))?.slice(k.length + 1);
    let ports: Record<string, number> = {};
    try {
      ports = JSON.parse(get('HANDOFF_PORTS') ?? '{}') as Record<string, number>;
    } catch {
      ports = {};
    }
    return { serverId, pid, identity: formatIdentity(bootId, stat), address: get('HANDOFF_ADDRESS') ?? '127.0.0.1', ports, logPath: path.join(logDir, `${serverId}.log`) };
  }
  return undefined;
}

/**
 * The ids of every live game server on the host (group leaders carrying HANDOFF_SERVER_ID), our
 * own or not. Log retention asks before removing a server's files: a server this control plane
 * does not track yet (not adopted since a restart) may still be writing to them.
 */
export function liveServerIds(): Set<string> {
  const ids = new Set<string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let env: string;
    try {
      env = readFileSync(`/proc/${entry}/environ`, 'utf8');
    } catch {
      continue;
    }
    const at = env.indexOf('HANDOFF_SERVER_ID=');
    if (at < 0) continue;
    const end = env.indexOf('\0', at);
    const stat = readProcStat(Number(entry));
    if (!stat || stat.pgrp !== Number(entry) || stat.state === 'Z' || stat.state === 'X') continue;
    ids.add(env.slice(at + 'HANDOFF_SERVER_ID='.length, end < 0 ? undefined : end));
  }
  return ids;
}
