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
 * Expiry uses the database's clock, the one clock every replica shares. Per-fleet leadership
 * is the same row with the fleet's name as `name`.
 */
import type pg from 'pg';
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

/** Takes the lease `name` for `holder` if it is free or expired; null while another holds it. */
export async function acquireLease(client: pg.ClientBase, name: string, holder: string, ttlMs: number): Promise<Lease | null> {
  const { rows } = await client.query<{ epoch: number; expires_at: number }>(
    `INSERT INTO leases AS l (name, holder, epoch, expires_at) VALUES ($1, $2, 1, ${DB_NOW} + $3)
     ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, epoch = l.epoch + 1, expires_at = EXCLUDED.expires_at
       WHERE l.expires_at <= ${DB_NOW}
     RETURNING epoch, expires_at`,
    [name, holder, ttlMs],
  );
  const row = rows[0];
  return row ? { name, holder, epoch: Number(row.epoch), expiresAt: Number(row.expires_at) } : null;
}

/** Extends a lease still held under `fence`; null when it was lost (expired or taken over). */
export async function renewLease(client: pg.ClientBase, fence: Fence, ttlMs: number): Promise<Lease | null> {
  const { rows } = await client.query<{ expires_at: number }>(
    `UPDATE leases SET expires_at = ${DB_NOW} + $4
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
