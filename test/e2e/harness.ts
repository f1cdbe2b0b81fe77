/**
 * End-to-end harness: one real control plane (`./bin/handoff server`) per test on a fresh data
 * dir and its own ports, real arena game servers, real WebSocket players, and a teardown that
 * guarantees no game-server process outlives the test — and fails the test if one leaked.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { Api, type Allocation } from './support/api.js';
import { ControlPlane } from './support/control-plane.js';
import { Player } from './support/player.js';
import { freePort, freePortRange } from './support/ports.js';
import { isAlive, killHard, scanGameProcessTree, scanGameProcesses, serverIdOf, type GameProcess } from './support/procs.js';
import { waitFor } from './support/wait.js';

export { Api, must, type Allocation, type EventView, type RolloutView, type ServerView, type SessionView } from './support/api.js';
export { ControlPlane, repoRoot } from './support/control-plane.js';
export { Player, type CloseRecord } from './support/player.js';
export { isAlive, scanGameProcesses, serverIdOf } from './support/procs.js';
export { eventually, waitFor } from './support/wait.js';

const NON_TERMINAL = new Set(['Starting', 'Ready', 'Active', 'Draining', 'Unhealthy']);

export class Harness {
  private readonly players: Player[] = [];

  private constructor(
    readonly cp: ControlPlane,
    readonly api: Api,
    readonly dataDir: string,
  ) {}

  /** A control plane on a fresh data dir; `name` (the test file's) picks its game-port block. */
  static async start(name: string): Promise<Harness> {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'handoff-e2e-'));
    try {
      const [port, sdkPort, portRange] = [await freePort(), await freePort(), await freePortRange(name)];
      const cp = await ControlPlane.start({ dataDir, port, sdkPort, portRange });
      return new Harness(cp, new Api(cp.url), dataDir);
    } catch (e) {
      rmSync(dataDir, { recursive: true, force: true });
      throw e;
    }
  }

  /** Allocates and connects a player that teardown will disconnect if the test does not. */
  async join(fleet: string, playerId: string): Promise<Player> {
    return this.track(await Player.join(this.api, fleet, playerId));
  }

  /** Connects a player for an allocation the test made itself. */
  async connect(allocation: Allocation): Promise<Player> {
    return this.track(await Player.connect(allocation));
  }

  /** Game-server processes of this control plane, found from /proc (not their children). */
  gameProcesses(): GameProcess[] {
    return scanGameProcesses({ sdkUrl: this.cp.sdkUrl, dataDir: this.dataDir });
  }

  /**
   * Live game-server processes of this control plane that the API does not list as a
   * non-terminal server: processes nobody will ever stop. Needs the control plane up.
   *
   * The fleet keeps reconciling while this runs, so the order matters: /proc first, then the
   * API. A server's record exists before its process is spawned, so every process seen is known
   * to the later read; one that exited in between (and may be recorded Stopped) is re-checked;
   * a Starting server whose process is spawned but whose pid is not recorded yet is mid-launch.
   */
  async orphans(): Promise<string[]> {
    const found = this.gameProcesses();
    const listed = await this.api.servers(null, { all: true });
    const byId = new Map(listed.map((s) => [s.id, s]));
    const out: string[] = [];
    for (const p of found) {
      if (serverIdOf(p.pid) !== p.serverId) continue;
      const s = byId.get(p.serverId);
      if (!s) out.push(`pid ${p.pid} runs server ${p.serverId}, which the API does not know`);
      else if (!NON_TERMINAL.has(s.state)) out.push(`pid ${p.pid} runs server ${p.serverId}, which the API lists as ${s.state}`);
      else if (s.pid === null && s.state === 'Starting') continue;
      else if (s.pid !== p.pid) out.push(`pid ${p.pid} runs server ${p.serverId}, which the API says is pid ${s.pid}`);
    }
    return out;
  }

  /**
   * Disconnects players, checks for orphaned game servers, kills the control plane and every
   * game server of this test (API-listed pids and /proc matches), and fails on any leak.
   */
  async teardown(opts: { failed: boolean }): Promise<void> {
    for (const p of this.players) p.terminate();
    const problems: string[] = [];
    const listedPids: { id: string; pid: number }[] = [];
    let eventTail = '(control plane down)';
    if (this.cp.running) {
      try {
        eventTail = (await this.api.events(null)).slice(-60).map((e) => `${e.seq} ${e.kind} ${e.subject} ${e.message}`).join('\n');
        problems.push(...(await this.orphans()));
        for (const s of await this.api.servers(null, { all: true })) if (s.pid !== null) listedPids.push({ id: s.id, pid: s.pid });
      } catch (e) {
        problems.push(`could not list servers at teardown: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    await this.cp.kill9();
    // Only a pid whose environment still names the server: a stopped server's pid may be reused.
    for (const { id, pid } of listedPids) if (serverIdOf(pid) === id) killHard(pid);
    const tree = () => scanGameProcessTree({ sdkUrl: this.cp.sdkUrl, dataDir: this.dataDir });
    for (const p of tree()) killHard(p.pid);
    try {
      await waitFor(() => tree().length === 0 && listedPids.every(({ id, pid }) => serverIdOf(pid) !== id || !isAlive(pid)), {
        what: 'every game server of this test to be gone after SIGKILL',
        timeoutMs: 10_000,
      });
    } catch (e) {
      problems.push(e instanceof Error ? e.message : String(e));
    }
    if (opts.failed || problems.length > 0) {
      const report = [`data dir kept: ${this.dataDir}`, '--- control plane output ---', this.cp.recentOutput(), '--- last events ---', eventTail];
      process.stderr.write(`\n${report.join('\n')}\n---\n`);
    } else {
      rmSync(this.dataDir, { recursive: true, force: true });
    }
    if (problems.length > 0) throw new Error(`game-server leak:\n  ${problems.join('\n  ')}`);
  }

  private track(player: Player): Player {
    this.players.push(player);
    return player;
  }
}

/**
 * Gives each test of the file a fresh harness and tears it down afterwards; a leak found at
 * teardown fails the test. Call at the top of a test file; call the returned function in a test.
 */
export function useHarness(name: string): () => Harness {
  let current: Harness | null = null;
  beforeEach(async () => {
    current = await Harness.start(name);
  });
  afterEach(async (ctx) => {
    const h = current;
    current = null;
    if (h) await h.teardown({ failed: ctx.task.result?.state === 'fail' });
  });
  return () => {
    if (!current) throw new Error('the harness is only available inside a test');
    return current;
  };
}
