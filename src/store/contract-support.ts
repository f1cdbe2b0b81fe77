import { expect } from 'vitest';
import type { NewEvent } from '../core/events.js';
import {
  sampleBuild,
  sampleEvent,
  sampleFleet,
  sampleIdempotency,
  sampleMigrationToken,
  sampleRollout,
  sampleServer,
  sampleSession,
  sampleTime,
} from './fixtures.js';
import type { Mutation, Snapshot, StateStore } from './port.js';

/** Helpers shared by the contract's sections. Not part of the public test API. */

/** One record of every kind, the batch that stores them, and the snapshot `load` must return. */
export function everyKind() {
  const build = sampleBuild();
  const fleet = sampleFleet();
  const server = sampleServer();
  const session = sampleSession();
  const rollout = sampleRollout();
  const record = sampleIdempotency();
  const token = sampleMigrationToken();
  const event = sampleEvent();
  const mutations: Mutation[] = [
    { kind: 'putBuild', build },
    { kind: 'putFleet', fleet },
    { kind: 'putServer', server },
    { kind: 'putSession', session },
    { kind: 'putRollout', rollout },
    { kind: 'putIdempotency', record },
    { kind: 'putMeta', key: 'epoch', value: '7' },
    { kind: 'putMigrationToken', token },
    { kind: 'appendEvent', event },
  ];
  const snapshot: Snapshot = {
    builds: [build], fleets: [fleet], servers: [server], openSessions: [session],
    activeRollouts: [rollout], idempotency: [record], migrationTokens: [token], meta: { epoch: '7' },
  };
  return { build, fleet, server, session, rollout, record, token, event, mutations, snapshot };
}

/** What the control plane commits for one allocation. */
export function allocation(i: number): Mutation[] {
  const id = `ses_${String(i).padStart(4, '0')}`;
  return [
    { kind: 'putSession', session: sampleSession({ id, playerId: `player-${i}`, state: 'Reserved', connectedAt: null }) },
    { kind: 'putIdempotency', record: sampleIdempotency({ key: `idem_${i}`, response: { sessionId: id } }) },
    append(sampleEvent({ subject: id })),
  ];
}

export function append(event: NewEvent): Mutation {
  return { kind: 'appendEvent', event };
}

export function closedFields() {
  return { state: 'Closed', closedAt: sampleTime + 50_000, closeReason: 'ended' } as const;
}

export function closed(id: string) {
  return sampleSession({ id, ...closedFields() });
}

export async function expectEmpty(store: StateStore): Promise<void> {
  expect(await store.load(0)).toEqual({
    builds: [], fleets: [], servers: [], openSessions: [], activeRollouts: [], idempotency: [], migrationTokens: [], meta: {},
  });
  expect(await store.listEvents({ limit: 10 })).toEqual([]);
}

export function ids(records: ReadonlyArray<{ id: string }>): string[] {
  return records.map((r) => r.id);
}

export function byId<T extends { id: string }>(records: readonly T[]): T[] {
  return [...records].sort((a, b) => a.id.localeCompare(b.id));
}

/** The port leaves `load`'s order open, so comparisons sort first. */
export function sorted(s: Snapshot): Snapshot {
  return {
    ...s,
    builds: byId(s.builds),
    fleets: [...s.fleets].sort((a, b) => a.name.localeCompare(b.name)),
    servers: byId(s.servers),
    openSessions: byId(s.openSessions),
    activeRollouts: byId(s.activeRollouts),
    idempotency: [...s.idempotency].sort((a, b) => a.key.localeCompare(b.key)),
  };
}
