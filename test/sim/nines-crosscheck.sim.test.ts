import { describe, expect, it, vi } from 'vitest';
import { scenariosFor } from '../../src/sim/matrix.js';
import { NINES_BEHAVIOUR } from '../../src/sim/nines/cases.js';
import type { NinesCase } from '../../src/sim/nines/model.js';
import { runCase } from '../../src/sim/nines/run.js';
import { DEFAULT_WORKLOAD } from '../../src/sim/players.js';
import { rows } from '../../src/sim/rows.js';
import { runScenario } from '../../src/sim/runner.js';
import { DEFAULT_FLEET } from '../../src/sim/scenario.js';
import { resetIds } from './seeded-ids.js';
import { BASE_SEED } from './support.js';

vi.mock('../../src/core/ids.js', () => import('./seeded-ids.js'));

/** Players per group in the heavy simulation's default workload (solo players and parties). */
const PLAYERS_PER_GROUP = Object.entries(DEFAULT_WORKLOAD.partySizes).reduce((n, [size, w]) => n + Number(size) * w, 0)
  / Object.values(DEFAULT_WORKLOAD.partySizes).reduce((n, w) => n + w, 0);

/**
 * The light simulator (pure planners over a compact world) and the heavy one (the whole control
 * plane, SQLite and simulated game servers) play the same scenario: same fleet, same players,
 * same release at the same time. Not the same run — different random streams, parties only in
 * the heavy one — but the same order of magnitude in what they report, or one of them models
 * something the other does not.
 */
describe('the light simulator against the heavy one, on the same scenario', () => {
  it.each(['blue-green', 'canary in weight steps'])('%s: sessions, servers brought up and the outcome agree', async (rowName) => {
    const row = rows.find((r) => r.name === rowName);
    if (!row) throw new Error(rowName);
    const scenario = scenariosFor(row, { baseSeed: BASE_SEED }, ['release'])[0];
    if (!scenario) throw new Error('no scenario');
    resetIds(scenario.seed);
    const heavy = await runScenario(scenario);

    const f = DEFAULT_FLEET;
    const light: NinesCase = {
      name: `${rowName}: cross-check`, seed: scenario.seed, row, variant: { kind: 'release' },
      fleet: { minServers: f.minServers, maxServers: f.maxServers, bufferServers: f.bufferServers, idleTimeoutSeconds: f.idleTimeoutSeconds, sessionsPerServer: f.sessionsPerServer, health: f.health },
      workload: { arrivalsPerSecond: DEFAULT_WORKLOAD.arrivalsPerSecond * PLAYERS_PER_GROUP, sessionMedianSeconds: DEFAULT_WORKLOAD.sessionMedianSeconds, sessionSigma: DEFAULT_WORKLOAD.sessionSigma, maxSessionSeconds: DEFAULT_WORKLOAD.maxSessionSeconds },
      // As the heavy simulation's UNRELIABLE_SERVERS: boots of 1-4 s, a crash per server every two hours.
      behaviour: { ...NINES_BEHAVIOUR, bootMs: [1_000, 4_000], crashesPerHour: 0.5 },
      tickMs: 500, releases: 1, warmupMs: 60_000, gapMs: 0, downtimeMs: [8_000, 8_000], arrivalsForMs: scenario.arrivalsForMs,
    };
    const lite = runCase(light);

    const figures = {
      sessions: { heavy: heavy.stats.sessionsStarted, light: lite.sessions + lite.replaced },
      serversReady: { heavy: heavy.events['server.ready'] ?? 0, light: lite.serversReady },
      outcome: { heavy: heavy.releases.map((r) => r.phase).join(','), light: Object.keys(lite.outcomes).join(',') },
    };
    console.log(`${rowName}: ${JSON.stringify(figures)}`);
    expect(heavy.violations.filter((v) => v.kind !== 'premise')).toEqual([]);
    expect(lite.interruptions + lite.unsafeStops).toBe(0);
    expect(figures.outcome.light).toBe(figures.outcome.heavy);
    for (const k of ['sessions', 'serversReady'] as const) {
      const { heavy: h, light: l } = figures[k];
      expect(l / h, `${k}: heavy ${h}, light ${l}`).toBeGreaterThan(1 / 3);
      expect(l / h, `${k}: heavy ${h}, light ${l}`).toBeLessThan(3);
    }
  }, 60_000);
});
