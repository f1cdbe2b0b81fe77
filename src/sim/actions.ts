/** What a scenario step does: each action through the same doors an operator, a crash or a restart would use. */
import { FLEET, routedBuilds, type Sim } from './context.js';
import type { Action } from './scenario.js';

export async function runAction(sim: Sim, action: Action): Promise<void> {
  const { cp, monitor, clock, host, random } = sim;
  monitor.note(`step ${JSON.stringify(action)}`);
  switch (action.do) {
    case 'release': {
      const before = cp.up ? routedBuilds(cp.world.fleets.get(FLEET)?.routing) : [];
      const current = cp.up ? (cp.world.fleets.get(FLEET)?.currentBuild ?? '') : '';
      const request = withBuilds(atTimes(action.request, sim.clock.now()), { $build: action.build, $current: current });
      const answer = await cp.startRelease({ ...request, fleet: FLEET, build: action.build });
      if (answer.ok) {
        sim.releases.push(answer.value.id);
        sim.routedBefore.set(answer.value.id, before);
      }
      else monitor.violation('unexpected-answer', `the release of ${action.build} was refused: ${answer.code}: ${answer.message}`);
      return;
    }
    case 'abort':
    case 'promote': {
      const id = sim.releases[sim.releases.length - 1];
      if (id === undefined) return monitor.violation('premise', `${action.do} with no release started`);
      const answer = action.do === 'abort' ? await cp.abort(id) : await cp.promote(id, action.input);
      // Too late (the release already ended) is for the scenario's expectations to judge.
      if (!answer.ok) monitor.note(`${action.do} of ${id} answered ${answer.code}`);
      return;
    }
    case 'restart': {
      await cp.stop();
      monitor.stats.restarts += 1;
      const until = clock.now() + action.downtimeMs;
      while (clock.now() < until) {
        await sim.step();
        monitor.checkSlots(null, sim.hosted());
      }
      await cp.start();
      return;
    }
    case 'kill': {
      const running = host.running().filter((p) => p.program !== null);
      for (let i = 0; i < action.servers && running.length > 0; i++) {
        const [victim] = running.splice(random.int(0, running.length - 1), 1);
        if (victim) host.signal(victim.pid, 'SIGKILL', false);
      }
      return;
    }
    case 'close-session': {
      const busy = sim.hosted().find((h) => h.players.length > 0);
      const session = busy && cp.up ? cp.world.sessions.get(cp.world.openSessionOf(FLEET, busy.players[0] ?? '')?.id ?? '') : undefined;
      if (!session) return monitor.violation('premise', 'no player was playing to have their session closed');
      await cp.closeSession(session.id);
      return;
    }
    case 'stop-busy': {
      const busy = sim.hosted().find((h) => h.players.length > 0);
      const found = busy ? host.findServer(busy.serverId) : undefined;
      if (!found) return monitor.violation('premise', 'no server hosted a player to be stopped');
      host.signal(found.pid, 'SIGTERM', true);
      return;
    }
  }
}

/**
 * A row is data written before the run, but some options are instants (a maintenance window's
 * start): `{ $inMs: N }` stands for "N ms after the release is asked for" on the simulated clock.
 */
export function atTimes(request: Record<string, unknown>, now: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(request)) {
    const rel = typeof v === 'object' && v !== null && '$inMs' in v ? (v as { $inMs: unknown }).$inMs : undefined;
    out[k] = typeof rel === 'number' ? now + rel : v;
  }
  return out;
}

/**
 * Options that name builds (an A/B test's variants) must follow the release they belong to, so
 * one row can be released as v1 and then as v2: the string `"$build"` stands for the build
 * being released, `"$current"` for the fleet's current build when the release is asked for.
 */
export function withBuilds<T>(value: T, names: Record<string, string>): T {
  if (typeof value === 'string') return (names[value] ?? value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => withBuilds(v, names)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withBuilds(v, names)])) as T;
  }
  return value;
}
