/**
 * `npm start`: the demo. Starts the control plane on the embedded default (SQLite under
 * .handoff/demo), a fleet of the Arena example game, simulated players who play and come
 * back, and then a session-aware release to a second build under `--strategy` (blue-green by
 * default). Prints a live view and a summary. `--scenario mmorpg` releases the four services of
 * examples/mmorpg with one release plan instead. See `options.ts` for the flags.
 *
 * Exit status: 0 when the demo passed (with --exit) or was stopped with Ctrl-C; 1 when a session
 * was interrupted without notice or the release did not complete; 2 when the demo could not run
 * (a bad flag, a release the control plane refused).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DemoUsageError, demoUsage, parseDemoOptions } from './options.js';
import { runMmorpg } from './mmorpg/run.js';
import { runDemo } from './run.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function main(): Promise<number> {
  const opts = parseDemoOptions(process.argv.slice(2), root);
  if (opts.help) {
    process.stdout.write(`${demoUsage}\n`);
    return 0;
  }
  const write = (stream: NodeJS.WriteStream) => (text: string) => void stream.write(`${text}\n`);
  // Until the demo says otherwise, ending without an answer (the event loop drained while a
  // cleanup waited on something that never settles) is a failure, never a silent 0.
  process.exitCode = 1;
  return (opts.scenario === 'mmorpg' ? runMmorpg : runDemo)(opts, root, {
    verdict: (code) => {
      process.exitCode = code;
    },
    out: write(process.stdout),
    view: write(opts.json ? process.stderr : process.stdout),
    interrupted: () => new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    }),
  });
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof DemoUsageError) {
      process.stderr.write(`demo: ${e.message}\n${demoUsage}\n`);
      process.exit(2);
    }
    // A stack only helps when debugging the demo itself.
    const detail = e instanceof Error ? (process.env['HANDOFF_DEBUG'] ? (e.stack ?? e.message) : e.message) : String(e);
    process.stderr.write(`demo failed: ${detail}\n`);
    process.exit(2);
  },
);
