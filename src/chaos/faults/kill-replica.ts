/**
 * Kills a control-plane replica: the leader, a follower or one by id, as `/v1/cluster` names
 * them. That view does not show processes (replicas may run on other hosts), so the experiment
 * carries the pid of each replica it may kill and can only reach those on its own host.
 * Nothing to restore: another replica takes the lease, and a supervisor restarts the dead one.
 */
import { HandoffError } from '../../core/errors.js';
import type { FaultSpec } from '../model.js';
import type { ClusterInfo, Fault, FaultDeps } from '../ports.js';
import { signalProcess } from './signals.js';

type Spec = Extract<FaultSpec, { type: 'kill-replica' }>;

/** Which replica `target` means in this view; null when none does. Pure. */
export function resolveReplica(target: string, view: ClusterInfo): string | null {
  if (target === 'leader') return view.leader?.id ?? null;
  if (target === 'follower') {
    const followers = view.items.filter((r) => r.role === 'follower').map((r) => r.id).sort();
    return followers[0] ?? null;
  }
  return view.items.some((r) => r.id === target && r.role !== 'gone') ? target : null;
}

export function killReplica(spec: Spec, deps: FaultDeps): Fault {
  let victim: { id: string; pid: number } | null = null;
  return {
    async blastRadius() {
      const view = await deps.api.cluster();
      const id = resolveReplica(spec.target, view);
      if (id === null) throw new HandoffError('CHAOS_TARGET_NOT_FOUND', `no replica is "${spec.target}" in /v1/cluster`, { target: spec.target });
      const pid = spec.pids[id];
      if (pid === undefined) throw new HandoffError('CHAOS_TARGET_NOT_FOUND', `replica ${id} is the target but fault.pids gives no pid for it`, { replica: id });
      victim = { id, pid };
      return [`control-plane replica ${id} (${spec.target}, pid ${pid}): ${spec.signal}`];
    },
    async inject() {
      if (victim) signalProcess(deps, victim.pid, spec.signal, `replica ${victim.id}`, 'fail');
    },
    async restore() {
      // Not the experiment's to restart: the surviving replicas carry on, a supervisor restarts this one.
    },
  };
}
