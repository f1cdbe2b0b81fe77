import { HandoffError } from '../../core/errors.js';
import type { FaultDeps } from '../ports.js';

/**
 * Sends `signal` to `pid`. A process already gone (ESRCH) is not an error when `gone` says so:
 * a SIGCONT to a server the control plane has since killed has nothing left to restore.
 */
export function signalProcess(deps: FaultDeps, pid: number, signal: NodeJS.Signals, what: string, gone: 'ok' | 'fail'): void {
  try {
    deps.kill(pid, signal);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ESRCH' && gone === 'ok') return;
    throw new HandoffError('CHAOS_INJECTION_FAILED', `${signal} to ${what} (pid ${pid}): ${code ?? String(e)}`, { pid, signal });
  }
}
