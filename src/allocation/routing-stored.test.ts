import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleetView } from '../api/views.js';
import { World } from '../state/world.js';
import { sampleFleet, sampleServer } from '../store/fixtures.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { chooseServer, type Candidate } from './choose.js';
import { routingIssues } from './decide-routing.js';
import type { RoutingTable } from './routing.js';

const server = (id: string, build: string): Candidate => ({ id, build, state: 'Ready', capacity: 1e6, used: 0, createdAt: 0, leaving: false });
const players = Array.from({ length: 200 }, (_, i) => `player-${i}`);
const buildsOf = (routing: RoutingTable, attributes: Record<string, string> = {}): string[] => players.map((playerId) => {
  const r = chooseServer({
    playerId, partyId: null, clientVersion: null, attributes, routing, accepts: () => true, partyServers: [], partyPolicy: 'together',
    candidates: [server('a', 'v1'), server('b', 'v2'), server('c', 'v3')],
  });
  return r.ok ? r.build : r.code;
});

describe('routing tables in the store', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'handoff-routing-'));
    path = join(dir, 'state.db');
    await SqliteStore.open(path).close();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads a fleet stored before cohort rules existed with its table meaning what it meant', async () => {
    // The document as the core wrote it after a blue-green switch: entries only.
    const doc = JSON.stringify({ ...sampleFleet(), routing: { entries: [{ build: 'v1', weight: 0 }, { build: 'v2', weight: 100 }] } });
    const db = new Database(path);
    db.prepare('INSERT INTO fleets (name, doc) VALUES (?, ?)').run('arena', doc);
    db.close();
    const store = SqliteStore.open(path);
    const fleet = await store.getFleet('arena');
    await store.close();
    if (!fleet) throw new Error('fleet not loaded');

    expect(fleet.routing).toEqual({ entries: [{ build: 'v1', weight: 0 }, { build: 'v2', weight: 100 }] });
    expect(routingIssues(fleet.routing)).toEqual([]);
    expect(new Set(buildsOf(fleet.routing))).toEqual(new Set(['v2']));
    const world = new World();
    world.fleets.set('arena', fleet);
    expect(fleetView(world, fleet).routing).toEqual({
      entries: [{ build: 'v1', weight: 0 }, { build: 'v2', weight: 100 }], rules: [], prefer: 'weights', salt: null, closed: null,
    });
  });

  it('keeps rules, ranks, preference and salt through the store, and routes every player the same after a reload', async () => {
    const routing: RoutingTable = {
      entries: [{ build: 'v1', weight: 70, rank: 1 }, { build: 'v2', weight: 20, rank: 2 }, { build: 'v3', weight: 10, rank: 3 }],
      rules: [{ name: 'testers', build: 'v3', players: ['player-1', 'player-2'], when: [{ type: 'attribute', key: 'beta', values: ['true'] }], fallback: false }],
      salt: 'ro_1',
    };
    const store = SqliteStore.open(path);
    await store.commit([{ kind: 'putFleet', fleet: sampleFleet({ routing }) }]);
    await store.close();
    const reopened = SqliteStore.open(path);
    const loaded = (await reopened.getFleet('arena'))?.routing;
    await reopened.close();

    expect(loaded).toEqual(routing);
    expect(loaded).not.toBe(routing);
    if (!loaded) return;
    expect(buildsOf(loaded)).toEqual(buildsOf(routing));
    expect(buildsOf(loaded, { beta: 'true' })).toEqual(buildsOf(routing, { beta: 'true' }));
  });
});

describe('fleet view', () => {
  it('shows cohort rules with their defaults and counts the free slots of a build only a rule routes to', () => {
    const routing: RoutingTable = { entries: [{ build: 'v1', weight: 100 }, { build: 'v2', weight: 0 }], rules: [{ build: 'v2', players: ['alice'] }] };
    const world = new World();
    const fleet = sampleFleet({ routing });
    world.fleets.set(fleet.name, fleet);
    world.putServer(sampleServer({ id: 'a', build: 'v1', state: 'Ready', capacity: 4, token: 't-a' }));
    world.putServer(sampleServer({ id: 'b', build: 'v2', state: 'Ready', capacity: 4, token: 't-b' }));
    world.putServer(sampleServer({ id: 'c', build: 'v0', state: 'Ready', capacity: 4, token: 't-c' }));
    const view = fleetView(world, fleet);
    expect(view.routing.rules).toEqual([{ name: null, build: 'v2', players: ['alice'], when: [], fallback: true }]);
    expect(view.status.freeSlots).toBe(8);
  });
});
