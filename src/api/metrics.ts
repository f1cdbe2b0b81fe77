/**
 * Prometheus metrics. Gauges are computed from the in-memory world at scrape time, so they
 * cost nothing on the allocation path; counters and histograms are updated by hooks.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AllocationObserver } from '../allocation/service.js';
import type { World } from '../state/world.js';

export class Metrics implements AllocationObserver {
  readonly registry = new Registry();
  private readonly allocations: Counter;
  private readonly allocationSeconds: Histogram;
  private readonly commitSeconds: Histogram;
  private readonly commitBatch: Histogram;

  constructor(world: World) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'handoff_process_' });
    this.allocations = new Counter({ name: 'handoff_allocations_total', help: 'Allocation requests by fleet, build and result (created, reconnected, replayed or an error code)', labelNames: ['fleet', 'build', 'result'], registers });
    this.allocationSeconds = new Histogram({ name: 'handoff_allocation_duration_seconds', help: 'Time from request to durable answer', labelNames: ['fleet'], buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5], registers });
    this.commitSeconds = new Histogram({ name: 'handoff_store_commit_duration_seconds', help: 'Duration of one group commit', buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1], registers });
    this.commitBatch = new Histogram({ name: 'handoff_store_commit_mutations', help: 'Mutations per group commit', buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000], registers });
    new Gauge({
      name: 'handoff_servers', help: 'Game servers by fleet, build and state', labelNames: ['fleet', 'build', 'state'], registers,
      collect() {
        this.reset();
        for (const s of world.servers.values()) this.inc({ fleet: s.fleet, build: s.build, state: s.state });
      },
    });
    new Gauge({
      name: 'handoff_sessions_open', help: 'Open sessions by fleet and build', labelNames: ['fleet', 'build'], registers,
      collect() {
        this.reset();
        for (const s of world.sessions.values()) this.inc({ fleet: s.fleet, build: s.build });
      },
    });
    new Gauge({
      name: 'handoff_rollout_info', help: 'Latest rollout per fleet (value 1) with its phase', labelNames: ['fleet', 'rollout', 'from', 'to', 'phase'], registers,
      collect() {
        this.reset();
        for (const r of world.rollouts.values()) this.set({ fleet: r.fleet, rollout: r.id, from: r.fromBuild, to: r.toBuild, phase: r.phase }, 1);
      },
    });
  }

  /** Load shedding: requests in flight and requests refused as OVERLOADED. */
  observeAdmission(admission: { readonly current: number; readonly shed: number; readonly limit: number }): void {
    const registers = [this.registry];
    new Gauge({ name: 'handoff_http_requests_in_flight', help: 'API requests being served now', registers, collect() { this.set(admission.current); } });
    new Gauge({ name: 'handoff_http_in_flight_limit', help: 'API requests in flight before the excess is shed', registers, collect() { this.set(admission.limit); } });
    new Counter({ name: 'handoff_http_shed_total', help: 'API requests answered 429 OVERLOADED at once', registers, collect() { this.reset(); this.inc(admission.shed); } });
  }

  /**
   * Lets go of the world: prom-client's default GC metric keeps a process-wide
   * PerformanceObserver that holds this registry, and through the gauges' `collect` the whole
   * World (every session), after the control plane closes — a restarted control plane in the
   * same process (tests, the scale bench) would hold two.
   */
  close(): void {
    this.registry.clear();
  }

  allocated(fleet: string, build: string | null, result: string, seconds: number): void {
    this.allocations.inc({ fleet, build: build ?? '', result });
    this.allocationSeconds.observe({ fleet }, seconds);
  }

  committed(mutations: number, ms: number): void {
    this.commitSeconds.observe(ms / 1000);
    this.commitBatch.observe(mutations);
  }
}
