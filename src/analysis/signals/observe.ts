/**
 * What each control-plane event says about a build's health, as observations. Pure: the signal
 * service feeds it every event the store committed (so a signal is never counted for a change
 * that did not become durable), and a restarted control plane could feed it stored events.
 */
import type { NewEvent } from '../../core/events.js';
import { AbnormalCloseReasons } from '../../rollout/strategies/figures.js';
import type { CloseReason } from '../../session/model.js';
import { CUSTOM_PREFIX, type BuildObservation, type CustomMetricKind, type Observation } from './model.js';

/**
 * Closes that say nothing about the build: a reservation nobody used, and closes Handoff or an
 * operator caused (a release's deadline, a maintenance window, the API, a requested stop), and
 * the loss of a host (a machine or network gone: a canary must not be judged by it).
 */
const NotTheBuilds: readonly CloseReason[] = ['expired', 'migrated', 'maintenance', 'api', 'server_stopped', 'host_lost'];

/** Rates whose trials are the build's distinct servers (seen through an event, or up now). */
const PerServer = ['crash_rate', 'abnormal_exit_rate', 'health_failure_rate'] as const;

export function observationsOf(e: NewEvent): BuildObservation[] {
  const build = typeof e.data['build'] === 'string' ? e.data['build'] : null;
  if (e.fleet === null || build === null) return [];
  const at = e.at;
  const rate = (metric: string, events: number, trials: number, unit?: string): Observation =>
    unit === undefined ? { metric, at, kind: 'rate', events, trials } : { metric, at, kind: 'rate', events, trials, unit };
  const server = e.subject;
  const out: Observation[] = [];
  switch (e.kind) {
    case 'server.started':
      out.push(rate('start_failure_rate', 0, 1), ...PerServer.map((m) => rate(m, 0, 0, server)));
      break;
    case 'server.start_failed':
      out.push(rate('start_failure_rate', 1, 1));
      break;
    case 'server.ready':
    case 'server.healthy':
      out.push(...PerServer.map((m) => rate(m, 0, 0, server)));
      break;
    case 'server.unhealthy':
      out.push(rate('health_failure_rate', 1, 0, server));
      break;
    case 'server.crashed':
      // Before Ready it is a failed start (its attempt was counted at `server.started`).
      if (e.data['starting'] === true) {
        out.push(rate('start_failure_rate', 1, 0));
        break;
      }
      // Any exit nobody asked for is abnormal; a crash is one that failed (a code other than 0, or a signal).
      out.push(rate('abnormal_exit_rate', 1, 0, server));
      out.push(rate('crash_rate', e.data['code'] === 0 && e.data['signal'] == null ? 0 : 1, 0, server));
      break;
    case 'session.closed': {
      const reason = e.data['reason'] as CloseReason;
      if (NotTheBuilds.includes(reason)) break;
      out.push(rate('abnormal_close_rate', AbnormalCloseReasons.includes(reason) ? 1 : 0, 1));
      const connectedAt = e.data['connectedAt'];
      if (typeof connectedAt === 'number') out.push({ metric: 'session_length_seconds', at, kind: 'value', value: Math.max(0, at - connectedAt) / 1000 });
      break;
    }
  }
  return out.map((observation) => ({ fleet: e.fleet as string, build, observation }));
}

/** An allocation's outcome: placed on `build` in `ms`, or refused for want of servers of `tried` builds. */
export function allocationObservations(at: number, outcome: { build: string; ms: number } | { tried: readonly string[] }): { build: string; observation: Observation }[] {
  if ('build' in outcome) {
    return [
      { build: outcome.build, observation: { metric: 'allocation_failure_rate', at, kind: 'rate', events: 0, trials: 1 } },
      { build: outcome.build, observation: { metric: 'allocation_latency_ms', at, kind: 'value', value: outcome.ms } },
    ];
  }
  return outcome.tried.map((build) => ({ build, observation: { metric: 'allocation_failure_rate', at, kind: 'rate', events: 1, trials: 1 } }));
}

/** A custom metric the game reported: counters are summed per session (or server); gauges and samples are values. */
export function customObservation(at: number, name: string, value: number, kind: CustomMetricKind, unit: string): Observation {
  const metric = CUSTOM_PREFIX + name;
  return kind === 'counter' ? { metric, at, kind: 'count', unit, value } : { metric, at, kind: 'value', value };
}
