import { describe, expect, it } from 'vitest';
import type { GameServer } from '../../fleet/model.js';
import { event } from '../../state/context.js';
import { SignalService } from './service.js';

const server = (id: string, build: string): GameServer => ({ id, fleet: 'arena', build, state: 'Active' }) as GameServer;
const world = { servers: new Map([['c1', server('c1', 'v2')], ['b1', server('b1', 'v1')], ['b2', server('b2', 'v1')]]) };
const closed = (at: number, build: string, reason: string, connectedAt: number | null = null) =>
  event(at, 'arena', 'session.closed', 'ses', '', { reason, build, server: 'x', connectedAt });

describe('SignalService', () => {
  it('compares the canary with the baseline over the same window, from committed events', () => {
    const s = new SignalService(world, 0);
    s.committed([closed(1_000, 'v2', 'error'), closed(1_000, 'v2', 'ended', 0), closed(1_000, 'v1', 'ended', 500), closed(1_000, 'v1', 'ended', 0)]);
    s.committed([event(2_000, 'arena', 'server.crashed', 'c9', '', { build: 'v2', code: 1, signal: null, starting: false })]);
    const samples = s.samplesFor('arena', 'v2', 'v1', 0, 60_000);
    expect(samples['abnormal_close_rate']).toEqual({ kind: 'rate', canary: { events: 1, trials: 2 }, baseline: { events: 0, trials: 2 } });
    expect(samples['session_length_seconds']).toEqual({ kind: 'distribution', canary: [1], baseline: [0.5, 1] });
    // The crashed server and the canary server up now; both baseline servers up now.
    expect(samples['crash_rate']).toEqual({ kind: 'rate', canary: { events: 1, trials: 2 }, baseline: { events: 0, trials: 2 } });
    expect(samples['allocation_latency_ms']).toEqual({ kind: 'distribution', canary: [], baseline: [] });
  });

  it('takes custom metrics from a known server only, under custom.<name>', () => {
    const s = new SignalService(world, 0);
    expect(s.report('c1', [{ name: 'tick_ms', value: 40, kind: 'sample' }, { name: 'Bad Name', value: 1, kind: 'sample' }], 1_000)).toEqual({ accepted: 1, skipped: 1 });
    expect(s.report('gone', [{ name: 'tick_ms', value: 40, kind: 'sample' }], 1_000)).toEqual({ accepted: 0, skipped: 1 });
    s.report('b1', [{ name: 'tick_ms', value: 16, kind: 'sample' }], 1_000);
    expect(s.samplesFor('arena', 'v2', 'v1', 0, 60_000)['custom.tick_ms']).toEqual({ kind: 'distribution', canary: [40], baseline: [16] });
  });

  it('answers no samples for a window that began before it started collecting (a restart), so the verdict cannot pass', () => {
    const s = new SignalService(world, 10_000);
    s.committed([closed(11_000, 'v2', 'ended', 10_500)]);
    s.report('c1', [{ name: 'tick_ms', value: 40, kind: 'sample' }], 11_000);
    const samples = s.samplesFor('arena', 'v2', 'v1', 5_000, 20_000);
    expect(Object.keys(samples)).toContain('custom.tick_ms');
    expect(Object.values(samples).every((x) => x === undefined)).toBe(true);
  });
});
