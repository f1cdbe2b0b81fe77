/**
 * Arena: a small WebSocket game server hosted by Handoff. Run by the control plane as
 *   node --import tsx examples/arena/server.ts [--version X] [--reconnect-grace-ms N]
 *     [--tick-ms N] [--crash-on-start] [--never-ready]
 *     [--crash-rate P] [--abnormal-close-rate P] [--slow-tick-ms N]   (demo faults, see options.ts)
 * with HANDOFF_SDK_URL, HANDOFF_TOKEN, HANDOFF_SERVER_ID, HANDOFF_ADDRESS and HANDOFF_PORTS set.
 * One log line per notable event goes to stdout, which the control plane writes to the server's log.
 */
import { SystemClock } from '../../src/core/clock.js';
import { HandoffSdk } from '../../src/sdk/index.js';
import { startArena } from './arena.js';
import { parseArenaOptions } from './options.js';

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

async function main(): Promise<void> {
  const options = parseArenaOptions(process.argv.slice(2), process.env);
  if (options.crashOnStart) {
    log('crashing on start (--crash-on-start)');
    process.exit(1);
  }
  const sdk = HandoffSdk.fromEnv();

  // Listen for signals before the port opens, so one that arrives during start-up is not lost.
  const signalled = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const crash = (why: string): void => {
    log(`crashing: ${why}`);
    // A crash: no shutdown, no goodbye to players or the control plane.
    process.exit(70);
  };
  const arena = await startArena({ sdk, options, clock: new SystemClock(), log, crash });
  void signalled.then((why) => arena.shutdown(why));
  // Whatever ended the arena (a signal or a shutdown notice), the process goes with it.
  await arena.closed;
  process.exit(0);
}

main().catch((e: unknown) => {
  log(`fatal: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
