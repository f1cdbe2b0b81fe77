/**
 * The PostgreSQL store's reads of release plans, environments, webhooks and retention (kept
 * beside `pg-store.ts` so that file stays about the core records). Same orders and filters as
 * the SQLite adapter's; writes go through `batch.ts` with every other mutation.
 */
import type { Environment, EnvSnapshot } from '../../environment/model.js';
import type { Host } from '../../hosts/model.js';
import type { Delivery, Webhook } from '../../notify/model.js';
import type { ReleaseRecord } from '../../release/model.js';
import type { Session } from '../../session/model.js';
import type { ClosedSessionQuery, DeliveryQuery, EnvSnapshotQuery, ReleaseQuery, RetentionStats } from '../port.js';
import { fromDocs, type DocRow } from '../sqlite/rows.js';
import { where } from './where.js';

/** Runs one read on the store's pool (errors already mapped to STORE_UNAVAILABLE). */
export type Query = <R>(sql: string, params: unknown[]) => Promise<R[]>;

export class ExtraReads {
  constructor(private readonly query: Query) {}

  async getReleasePlan(name: string): Promise<ReleaseRecord | undefined> {
    return (await this.docs<ReleaseRecord>('SELECT doc FROM release_plans WHERE name = $1', [name]))[0];
  }

  listReleasePlans(q: ReleaseQuery): Promise<ReleaseRecord[]> {
    const w = where([q.active ? 'terminal = 0' : undefined]);
    return this.docs(`SELECT doc FROM release_plans${w.sql} ORDER BY created_at DESC, name DESC LIMIT $${w.next}`, [...w.params, q.limit]);
  }

  listEnvironments(): Promise<Environment[]> {
    return this.docs('SELECT doc FROM environments ORDER BY name', []);
  }

  listEnvSnapshots(q: EnvSnapshotQuery): Promise<EnvSnapshot[]> {
    return this.docs('SELECT doc FROM env_snapshots WHERE environment = $1 ORDER BY number DESC LIMIT $2', [q.environment, q.limit]);
  }

  async getEnvSnapshot(environment: string, number: number): Promise<EnvSnapshot | undefined> {
    return (await this.docs<EnvSnapshot>('SELECT doc FROM env_snapshots WHERE environment = $1 AND number = $2', [environment, number]))[0];
  }

  listWebhooks(): Promise<Webhook[]> {
    return this.docs('SELECT doc FROM webhooks ORDER BY name', []);
  }

  listHosts(): Promise<Host[]> {
    return this.docs('SELECT doc FROM hosts ORDER BY id COLLATE "C"', []);
  }

  listDeliveries(q: DeliveryQuery): Promise<Delivery[]> {
    const w = where([
      q.webhook !== undefined ? ['webhook = ?', q.webhook] : undefined,
      // A literal, so the planner can use the partial index.
      q.pending ? 'pending = 1' : undefined,
    ]);
    const order = q.pending ? 'next_attempt_at, id' : 'created_at DESC, seq DESC';
    return this.docs(`SELECT doc FROM webhook_deliveries${w.sql} ORDER BY ${order} LIMIT $${w.next}`, [...w.params, q.limit]);
  }

  listClosedSessions(q: ClosedSessionQuery): Promise<Session[]> {
    const w = where([
      'open = 0',
      q.closedBefore !== undefined ? ['closed_at < ?', q.closedBefore] : undefined,
    ]);
    const params = [...w.params];
    // COLLATE "C" in the order and the keyset: ids compare bytewise, as SQLite compares them,
    // whatever the database's collation, so paging never skips or repeats a session.
    let after = '';
    if (q.after) {
      after = ` AND (closed_at, id COLLATE "C") > ($${params.length + 1}, $${params.length + 2})`;
      params.push(q.after.closedAt, q.after.id);
    }
    params.push(q.limit);
    return this.docs(`SELECT doc FROM sessions${w.sql}${after} ORDER BY closed_at, id COLLATE "C" LIMIT $${params.length}`, params);
  }

  async retentionStats(): Promise<RetentionStats> {
    const [seqs] = await this.query<{ lo: number | null; hi: number | null }>('SELECT MIN(seq) AS lo, MAX(seq) AS hi FROM events', []);
    const [closed] = await this.query<{ n: number }>('SELECT COUNT(*) AS n FROM sessions WHERE open = 0', []);
    return { oldestEventSeq: seqs?.lo ?? null, newestEventSeq: seqs?.hi ?? null, closedSessions: closed?.n ?? 0 };
  }

  private async docs<T>(sql: string, params: unknown[]): Promise<T[]> {
    return fromDocs<T>(await this.query<DocRow>(sql, params));
  }
}
