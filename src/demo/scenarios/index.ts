/** The scenario of each strategy the demo can release with: one module and one line each. */
import type { CanaryServerMode, DemoStrategy } from '../options.js';
import { abTestScenario } from './ab-test.js';
import { blueGreenScenario } from './blue-green.js';
import { canaryScenario } from './canary.js';
import { dynamicPoolScenario } from './dynamic-pool.js';
import { faultyCanaryScenario } from './faulty-canary.js';
import { maintenanceScenario } from './maintenance.js';
import { rollingScenario } from './rolling.js';
import type { Scenario } from './types.js';

/** Scenario choices a flag makes (only the canary has one). */
export interface ScenarioOptions {
  canaryServers: CanaryServerMode;
  faultyBuild?: boolean;
}

const scenarios: Record<DemoStrategy, (o: ScenarioOptions) => Scenario> = {
  'blue-green': blueGreenScenario,
  rolling: rollingScenario,
  canary: (o) => canaryScenario(o.canaryServers),
  'ab-test': abTestScenario,
  maintenance: maintenanceScenario,
  'dynamic-pool': dynamicPoolScenario,
};

/**
 * A fresh scenario (scenarios remember what they did during one run). `faultyBuild`: the
 * canary of a faulty v2 (options.ts allows it with the canary strategy only).
 */
export function scenarioFor(strategy: DemoStrategy, o: ScenarioOptions = { canaryServers: 'new' }): Scenario {
  return o.faultyBuild ? faultyCanaryScenario() : scenarios[strategy](o);
}
