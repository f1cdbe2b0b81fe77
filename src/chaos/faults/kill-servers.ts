/**
 * Kills N or P % of a fleet's game servers with a real signal, found (with their pids) through
 * the control plane's API. Nothing to restore: replacing them is the fleet's job, and whether it
 * does so without breaking the steady state is what the experiment measures.
 */
import { HandoffError } from '../../core/errors.js';
import { pickServers } from '../blast-radius.js';
import type { FaultSpec } from '../model.js';
import type { Fault, FaultDeps, ServerInfo } from '../ports.js';
import { signalProcess } from './signals.js';

type Spec = Extract<FaultSpec, { type: 'kill-servers' }>;

export function killServers(spec: Spec, deps: FaultDeps): Fault {
  let targets: ServerInfo[] | null = null;
  return {
    async blastRadius() {
      targets = pickServers(await deps.api.servers(spec.radius.fleet), spec.radius);
      if (targets.length === 0) throw new HandoffError('CHAOS_TARGET_NOT_FOUND', `fleet ${spec.radius.fleet} has no running game server with a pid`, { fleet: spec.radius.fleet });
      return targets.map((s) => `game server ${s.id} (pid ${s.pid}, ${s.sessions} sessions): ${spec.signal}`);
    },
    async inject() {
      for (const s of targets ?? []) signalProcess(deps, s.pid as number, spec.signal, `game server ${s.id}`, 'ok');
    },
    async restore() {
      // A killed process is not brought back by the experiment: the fleet replaces it.
    },
  };
}
