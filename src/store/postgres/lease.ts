/**
 * Leadership leases with a fencing epoch (groundwork for replicas, issue 9 scope 2).
 *
 * A lease is a row: name, holder, epoch, expiresAt. Taking a lease that is free or expired bumps
 * its epoch; the holder renews it before it expires. A store fenced with `{ name, holder, epoch }`
 * checks, inside every commit's transaction and before writing, that the row still has that
 * holder and epoch and has not expired — and locks it (FOR UPDATE) so a takeover waits for the
 * commit in flight, then makes every later one fail. A leader paused past its lease (SIGSTOP,
 * a GC pause, a partition) therefore cannot write when it wakes, even if it still believes it
 * leads: the check is in the database, not in its own clock (Jepsen's lesson about unfenced locks).
 *
 * Expiry uses the database's clock, the one clock every replica shares. The holder also
 * registers the database session it leads on: when that session ends (its process died),
 * followers take over at once instead of waiting for expiry (src/cluster/takeover.ts). Per-fleet
 * leadership is the same row with the fleet's name as `name`.
 */
import type pg from 'pg';
import { decideTakeover, type LeaseObservation, type TakeoverReason } from '../../cluster/takeover.js';
import { HandoffError } from '../../core/errors.js';

export interface Fence {
  name: string;
  holder: string;
  epoch: number;
}

export interface Lease extends Fence {
  /** Database time, epoch ms. */
  expiresAt: number;
}

/** The database's "now" in epoch milliseconds (clock_timestamp: real time, not the transaction's start). */
const DB_NOW = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;

/** This session's identity, as `pg_stat_activity` shows it: its backend pid and start time. */
const SESSION = `pg_backend_pid(), (SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid())`;

const OBSERVE = `SELECT holder, epoch, expires_at, ${DB_NOW} AS now, session_epoch,
  EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = l.session_pid AND a.backend_start = l.session_start) AS session_alive
  FROM leases l WHERE name = $1`;

interface ObservedRow { holder: string; epoch: number; expires_at: number; now: number; session_epoch: number | null; session_alive: boolean }

function observation(row: ObservedRow): LeaseObservation {
  return {
    holder: row.holder, epoch: Number(row.epoch), expiresAt: Number(row.expires_at),
    sessionEpoch: row.session_epoch === null ? null : Number(row.session_epoch), sessionAlive: row.session_alive,
  };
}

/**
 * Takes the lease `name` for `holder` when `decideTakeover` allows it (free, expired, already
 * `holder`'s, or its holder's session ended); null otherwise. Every take bumps the epoch, which
 * fences out any earlier holder — an earlier incarnation of the same one too — and registers
 * `client`'s session as the new holder's: keep that client open while leading, and renew on it.
 *
 * A lock-free look first: followers poll this several times a second, and the row lock is the
 * one every commit of the leader takes. Only a take locks the row, and decides again under it
 * (the lock waits for the leader's commit in flight, which then is the last it makes).
 */
export async function acquireLease(client: pg.ClientBase, name: string, holder: string, ttlMs: number): Promise<(Lease & { reason: TakeoverReason }) | null> {
  const first = (await client.query<ObservedRow>(OBSERVE, [name])).rows[0];
  if (!decideTakeover(first ? observation(first) : null, holder, Number(first?.now ?? 0)).take) return null;
  if (!first) {
    const { rows } = await client.query<{ epoch: number; expires_at: number }>(
      `INSERT INTO leases (name, holder, epoch, expires_at, session_pid, session_start, session_epoch)
       VALUES ($1, $2, 1, ${DB_NOW} + $3, ${SESSION}, 1) ON CONFLICT (name) DO NOTHING RETURNING epoch, expires_at`,
      [name, holder, ttlMs],
    );
    const row = rows[0];
    // Another replica inserted it first: the next attempt sees its lease.
    return row ? { name, holder, epoch: Number(row.epoch), expiresAt: Number(row.expires_at), reason: 'free' } : null;
  }
  await client.query('BEGIN');
  try {
    await client.query('SELECT 1 FROM leases WHERE name = $1 FOR UPDATE', [name]);
    // Observed after the lock, in a statement of its own: the session list a transaction sees
    // is read once, at its first use.
    const locked = (await client.query<ObservedRow>(OBSERVE, [name])).rows[0];
    const decision = decideTakeover(locked ? observation(locked) : null, holder, Number(locked?.now ?? 0));
    if (!locked || !decision.take) {
      await client.query('COMMIT');
      return null;
    }
    const { rows } = await client.query<{ epoch: number; expires_at: number }>(
      `UPDATE leases SET holder = $2, epoch = epoch + 1, expires_at = ${DB_NOW} + $3,
         (session_pid, session_start) = (SELECT ${SESSION}), session_epoch = epoch + 1
       WHERE name = $1 RETURNING epoch, expires_at`,
      [name, holder, ttlMs],
    );
    await client.query('COMMIT');
    const row = rows[0];
    return row ? { name, holder, epoch: Number(row.epoch), expiresAt: Number(row.expires_at), reason: decision.reason } : null;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

/**
 * Extends a lease still held under `fence`; null when it was lost (expired or taken over).
 * Registers `client`'s session again: after a reconnect it is a new one.
 */
export async function renewLease(client: pg.ClientBase, fence: Fence, ttlMs: number): Promise<Lease | null> {
  const { rows } = await client.query<{ expires_at: number }>(
    `UPDATE leases SET expires_at = ${DB_NOW} + $4, (session_pid, session_start) = (SELECT ${SESSION}), session_epoch = epoch
     WHERE name = $1 AND holder = $2 AND epoch = $3 AND expires_at > ${DB_NOW}
     RETURNING expires_at`,
    [fence.name, fence.holder, fence.epoch, ttlMs],
  );
  const row = rows[0];
  return row ? { ...fence, expiresAt: Number(row.expires_at) } : null;
}

/**
 * Inside a commit's transaction: throws STORE_FENCED unless `fence` still holds its lease.
 * The row lock keeps a takeover from slipping in between this check and the commit.
 */
export async function checkFence(client: pg.ClientBase, fence: Fence): Promise<void> {
  const { rows } = await client.query<{ holder: string; epoch: number; live: boolean }>(
    `SELECT holder, epoch, expires_at > ${DB_NOW} AS live FROM leases WHERE name = $1 FOR UPDATE`,
    [fence.name],
  );
  const row = rows[0];
  if (row && row.holder === fence.holder && Number(row.epoch) === fence.epoch && row.live) return;
  throw new HandoffError('STORE_FENCED', undefined, {
    lease: fence.name,
    epoch: fence.epoch,
    currentEpoch: row ? Number(row.epoch) : null,
    currentHolder: row?.holder ?? null,
  });
}

/** The lease `name` as stored, with whether it is still live by the database's clock; null if never taken. */
export async function readLease(client: pg.ClientBase, name: string): Promise<(Lease & { live: boolean; now: number }) | null> {
  const { rows } = await client.query<{ holder: string; epoch: number; expires_at: number; live: boolean; now: number }>(
    `SELECT holder, epoch, expires_at, expires_at > ${DB_NOW} AS live, ${DB_NOW} AS now FROM leases WHERE name = $1`,
    [name],
  );
  const row = rows[0];
  return row ? { name, holder: row.holder, epoch: Number(row.epoch), expiresAt: Number(row.expires_at), live: row.live, now: Number(row.now) } : null;
}

export interface ReplicaRow {
  id: string;
  url: string;
  /** Its SDK endpoint; '' from a replica that does not advertise one. */
  sdkUrl: string;
  startedAt: number;
  /** Database time of its last heartbeat, epoch ms. */
  seenAt: number;
}

/** Records that replica `id`, reachable at `url` (its SDK endpoint at `sdkUrl`), is alive now (database time). */
export async function heartbeat(client: pg.ClientBase, id: string, url: string, sdkUrl = ''): Promise<void> {
  await client.query(
    `INSERT INTO replicas (id, url, sdk_url, started_at, seen_at) VALUES ($1, $2, $3, ${DB_NOW}, ${DB_NOW})
     ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, sdk_url = EXCLUDED.sdk_url, seen_at = EXCLUDED.seen_at`,
    [id, url, sdkUrl],
  );
}

/**
 * Removes replicas `ids` that are still silent for longer than `retentionMs` (database time,
 * checked again here: one that heartbeated since the caller looked stays). Returns the rows removed.
 */
export async function pruneReplicas(client: pg.ClientBase, ids: readonly string[], retentionMs: number): Promise<ReplicaRow[]> {
  if (ids.length === 0) return [];
  const { rows } = await client.query<{ id: string; url: string; sdk_url: string; started_at: number; seen_at: number }>(
    `DELETE FROM replicas WHERE id = ANY($1::text[]) AND seen_at < ${DB_NOW} - $2::bigint RETURNING id, url, sdk_url, started_at, seen_at`,
    [ids, Math.round(retentionMs)],
  );
  return rows.map((r) => ({ id: r.id, url: r.url, sdkUrl: r.sdk_url, startedAt: Number(r.started_at), seenAt: Number(r.seen_at) }));
}

/** Every replica that has ever heartbeated (and was not pruned), by id. */
export async function listReplicas(client: pg.ClientBase): Promise<ReplicaRow[]> {
  const { rows } = await client.query<{ id: string; url: string; sdk_url: string; started_at: number; seen_at: number }>('SELECT id, url, sdk_url, started_at, seen_at FROM replicas ORDER BY id');
  return rows.map((r) => ({ id: r.id, url: r.url, sdkUrl: r.sdk_url, startedAt: Number(r.started_at), seenAt: Number(r.seen_at) }));
}
