/**
 * The signal service: feeds the windows from what the control plane sees — every committed event
 * (server lifecycle, session closes), every allocation, every custom metric a game server reports
 * through the SDK — and answers an analysis's question: what did the canary and the baseline look
 * like over this window?
 *
 * What survives a restart: nothing kept here. Crash, start-failure and close counts are durable as
 * events and sessions in the store and could be recomputed from them; allocation latency and the
 * games' custom metrics exist only in memory. Rather than judge a window from part of its data,
 * a window that began before this service started collecting answers no samples at all, so the
 * judge calls it inconclusive and the release pauses for a person instead of passing.
 */
import type { MetricSamples } from '../judge/model.js';
import type { Mutation } from '../../store/port.js';
import type { World } from '../../state/world.js';
import { BuiltinSignals, CustomMetricName, type CustomMetricKind } from './model.js';
import { allocationObservations, customObservation, observationsOf } from './observe.js';
import { DefaultWindowOptions, SignalWindows, type WindowOptions } from './windows.js';

/** Rates whose trials are the build's distinct servers: servers up now count, not only those with an event. */
const PerServerRates = new Set(['crash_rate', 'abnormal_exit_rate', 'health_failure_rate']);

export interface MetricReport {
  name: string;
  value: number;
  kind: CustomMetricKind;
  sessionId?: string | null;
}

export class SignalService {
  private readonly windows: SignalWindows;
  /** When this process started collecting: windows that began earlier are incomplete. */
  readonly collectingSince: number;

  constructor(
    private readonly world: Pick<World, 'servers'>,
    now: number,
    opts: Partial<WindowOptions> = {},
    random: () => number = Math.random,
  ) {
    this.windows = new SignalWindows({ ...DefaultWindowOptions, ...opts }, random);
    this.collectingSince = now;
  }

  /** A batch the store committed: its events are what happened. */
  committed(mutations: readonly Mutation[]): void {
    for (const m of mutations) {
      if (m.kind !== 'appendEvent') continue;
      for (const o of observationsOf(m.event)) this.windows.record(o.fleet, o.build, o.observation);
    }
  }

  /** An allocation answered: placed on `build`, or refused (NO_CAPACITY) after trying `tried`. */
  allocated(fleet: string, at: number, outcome: { build: string; ms: number } | { tried: readonly string[] }): void {
    for (const o of allocationObservations(at, outcome)) this.windows.record(fleet, o.build, o.observation);
  }

  /**
   * Custom metrics from a game server. Reports with a bad name or a non-finite value are skipped
   * (counted in the answer), never an error: a game must not lose its SDK over a metric.
   */
  report(serverId: string, reports: readonly MetricReport[], now: number): { accepted: number; skipped: number } {
    const server = this.world.servers.get(serverId);
    if (!server) return { accepted: 0, skipped: reports.length };
    let accepted = 0;
    for (const r of reports) {
      if (!CustomMetricName.test(r.name) || !Number.isFinite(r.value)) continue;
      this.windows.record(server.fleet, server.build, customObservation(now, r.name, r.value, r.kind, r.sessionId ?? serverId));
      accepted++;
    }
    return { accepted, skipped: reports.length - accepted };
  }

  /**
   * Every metric's samples for the canary and the baseline over [since, until): the built-in
   * signals always (a rate nobody observed is 0 of 0), custom ones either build reported. All
   * undefined when the window began before this process collected (see the file comment).
   */
  samplesFor(fleet: string, canary: string, baseline: string, since: number, until: number): Record<string, MetricSamples | undefined> {
    const names = new Set([...Object.keys(BuiltinSignals), ...this.windows.metricsOf(fleet, canary), ...this.windows.metricsOf(fleet, baseline)]);
    const out: Record<string, MetricSamples | undefined> = {};
    const complete = since >= this.collectingSince;
    for (const name of names) {
      if (!complete) {
        out[name] = undefined;
        continue;
      }
      const live = PerServerRates.has(name) ? { canary: this.liveServers(fleet, canary), baseline: this.liveServers(fleet, baseline) } : {};
      out[name] = this.windows.compare(fleet, name, { canary, baseline }, since, until, live) ?? emptySamples(name);
    }
    return out;
  }

  private liveServers(fleet: string, build: string): string[] {
    const out: string[] = [];
    for (const s of this.world.servers.values()) if (s.fleet === fleet && s.build === build && s.state !== 'Starting') out.push(s.id);
    return out;
  }
}

function emptySamples(metric: string): MetricSamples | undefined {
  const kind = BuiltinSignals[metric as keyof typeof BuiltinSignals];
  if (kind === 'rate') return { kind, canary: { events: 0, trials: 0 }, baseline: { events: 0, trials: 0 } };
  if (kind === 'distribution') return { kind, canary: [], baseline: [] };
  return undefined;
}
