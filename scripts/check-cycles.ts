/** `npm run lint` step: fails when any import cycle exists among the project's modules. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGraph, findCycles } from './import-graph.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const graph = buildGraph(root, ['src', 'test', 'examples', 'bench', 'scripts']);
const cycles = findCycles(graph);
if (cycles.length > 0) {
  process.stderr.write(`import cycles (${cycles.length}):\n${cycles.map((c) => `  ${c.join(' ↔ ')}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(`no import cycles among ${graph.size} modules\n`);
