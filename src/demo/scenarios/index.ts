/** The scenario of each strategy the demo can release with: one module and one line each. */
import type { DemoStrategy } from '../options.js';
import { abTestScenario } from './ab-test.js';
import { blueGreenScenario } from './blue-green.js';
import { canaryScenario } from './canary.js';
import { dynamicPoolScenario } from './dynamic-pool.js';
import { faultyCanaryScenario } from './faulty-canary.js';
import { maintenanceScenario } from './maintenance.js';
import { rollingScenario } from './rolling.js';
import type { Scenario } from './types.js';

const scenarios: Record<DemoStrategy, () => Scenario> = {
  'blue-green': blueGreenScenario,
  rolling: rollingScenario,
  canary: canaryScenario,
  'ab-test': abTestScenario,
  maintenance: maintenanceScenario,
  'dynamic-pool': dynamicPoolScenario,
};

/** A fresh scenario (scenarios remember what they did during one run). `faultyBuild`: canary only (options.ts checks). */
export function scenarioFor(strategy: DemoStrategy, opts: { faultyBuild?: boolean } = {}): Scenario {
  return opts.faultyBuild ? faultyCanaryScenario() : scenarios[strategy]();
}
