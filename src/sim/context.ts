import type { FakeClock } from '../core/clock.js';
import type { SeededRandom } from '../core/random.js';
import type { Rollout } from '../rollout/model.js';
import type { SimulatedHost } from '../runtime/simulated/host.js';
import type { SimControlPlane } from './control-plane.js';
import type { Monitor } from './monitor.js';
import type { Population } from './players.js';
import type { Scenario } from './scenario.js';

/** The fleet every scenario runs. */
export const FLEET = 'sim';

/** Builds a routing table sends new sessions to by weight, sorted. */
export function routedBuilds(routing: { entries: readonly { build: string; weight: number }[] } | undefined): string[] {
  return [...new Set((routing?.entries ?? []).filter((e) => e.weight > 0).map((e) => e.build))].sort();
}

/** Everything a running scenario's steps work with. */
export interface Sim {
  scenario: Scenario;
  clock: FakeClock;
  random: SeededRandom;
  host: SimulatedHost;
  cp: SimControlPlane;
  monitor: Monitor;
  population: Population;
  /** Releases started, oldest first. */
  releases: string[];
  /** The builds routing sent new sessions to just before each release started: what an abort restores. */
  routedBefore: Map<string, string[]>;
  /** When the scenario started (after the control plane came up). */
  t0: number;
  /** Advances the clock one step and lets what it set off settle. */
  step(): Promise<void>;
  /** The latest release as the running control plane sees it. */
  latest(): Rollout | undefined;
  /** The players each running game server hosts, by its own account. */
  hosted(): { serverId: string; players: string[] }[];
}
