/**
 * Hangs N or P % of a fleet's game servers: SIGSTOP, so each stops answering (health, SDK calls)
 * without exiting — the failure a crash detector misses. Restored with SIGCONT.
 */
import { HandoffError } from '../../core/errors.js';
import { pickServers } from '../blast-radius.js';
import type { FaultSpec } from '../model.js';
import type { Fault, FaultDeps, ServerInfo } from '../ports.js';
import { signalProcess } from './signals.js';

type Spec = Extract<FaultSpec, { type: 'hang-servers' }>;

export function hangServers(spec: Spec, deps: FaultDeps): Fault {
  let targets: ServerInfo[] | null = null;
  const stopped = new Set<ServerInfo>();
  return {
    async blastRadius() {
      targets = pickServers(await deps.api.servers(spec.radius.fleet), spec.radius);
      if (targets.length === 0) throw new HandoffError('CHAOS_TARGET_NOT_FOUND', `fleet ${spec.radius.fleet} has no running game server with a pid`, { fleet: spec.radius.fleet });
      return targets.map((s) => `game server ${s.id} (pid ${s.pid}, ${s.sessions} sessions): SIGSTOP until restored`);
    },
    async inject() {
      for (const s of targets ?? []) {
        // Remembered before the signal: if it fails half-way, restore still resumes what was stopped.
        stopped.add(s);
        signalProcess(deps, s.pid as number, 'SIGSTOP', `game server ${s.id}`, 'fail');
      }
    },
    async restore() {
      // ESRCH is fine: the control plane may have replaced a hung server, and that is no fault of ours.
      for (const s of stopped) signalProcess(deps, s.pid as number, 'SIGCONT', `game server ${s.id}`, 'ok');
      stopped.clear();
    },
  };
}
