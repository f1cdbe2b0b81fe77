/**
 * What Handoff observes about a build, as the judge's metrics. Built-in signals come from what the
 * control plane already sees (server lifecycle events, session closes, allocations); custom ones
 * are reported by the game through the SDK (`sdk.metric`) and named `custom.<name>`.
 */

/** The built-in signals and how each is measured: a rate (events out of trials) or a distribution. */
export const BuiltinSignals = {
  /** Servers that exited unrequested with a failure (a code other than 0, or a signal) after they started, out of the build's servers in the window. */
  crash_rate: 'rate',
  /** Servers that exited without being asked to (any exit code) after they started, out of the build's servers in the window. */
  abnormal_exit_rate: 'rate',
  /** Servers that missed their health deadline, out of the build's servers seen in the window. */
  health_failure_rate: 'rate',
  /** Start attempts that failed (spawn error, or exit before Ready), out of start attempts. */
  start_failure_rate: 'rate',
  /** Sessions closed abnormally (AbnormalCloseReasons), out of sessions the build ended itself. */
  abnormal_close_rate: 'rate',
  /** Connect-to-close length of sessions the build ended itself, in seconds. */
  session_length_seconds: 'distribution',
  /** Allocations refused for want of a server of the build (NO_CAPACITY), out of allocations that tried it. */
  allocation_failure_rate: 'rate',
  /** Time to answer an allocation placed on the build, in milliseconds. */
  allocation_latency_ms: 'distribution',
} as const;
export type BuiltinSignal = keyof typeof BuiltinSignals;
export type SignalKind = 'rate' | 'distribution';

export const CUSTOM_PREFIX = 'custom.';
/**
 * A custom metric's name as the game reports it (without the `custom.` prefix): what the analysis
 * spec accepts after `custom.` (lower case, digits, `_`, dot-separated segments; 64 characters with the prefix).
 */
export const CustomMetricName = /^(?=.{1,57}$)[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/;

export const CustomMetricKinds = ['counter', 'gauge', 'sample'] as const;
/**
 * `counter`: increments, summed per session (or per server) and time bucket; the judge compares
 * those sums. `gauge`: a level read now and then (players online, memory). `sample`: one
 * measurement (a tick's duration, a round's latency). Gauges and samples are compared as values.
 */
export type CustomMetricKind = (typeof CustomMetricKinds)[number];

export function isBuiltinSignal(metric: string): metric is BuiltinSignal {
  return Object.hasOwn(BuiltinSignals, metric);
}

/**
 * One thing observed about a build, in the shape the windows keep it.
 * - `rate`: `events`/`trials` to add; `unit` names a server when trials count distinct servers
 *   (a server seen twice in the window is one trial), with `unitTrial` saying it counts as one.
 * - `value`: one measurement of a distribution.
 * - `count`: a counter increment for `unit` (a session or a server).
 */
export type Observation =
  | { metric: string; at: number; kind: 'rate'; events: number; trials: number; unit?: string }
  | { metric: string; at: number; kind: 'value'; value: number }
  | { metric: string; at: number; kind: 'count'; unit: string; value: number };

/** An observation about one build of one fleet. */
export interface BuildObservation {
  fleet: string;
  build: string;
  observation: Observation;
}
