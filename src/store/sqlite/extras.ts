/**
 * The environment and notification tables of the SQLite store (kept beside `sqlite-store.ts` so
 * that file stays about the core records). Same rules: the document is the truth, the other
 * columns are derived from it on every write.
 */
import type Database from 'better-sqlite3';
import type { Environment, EnvSnapshot } from '../../environment/model.js';
import type { Host } from '../../hosts/model.js';
import type { Delivery, Webhook } from '../../notify/model.js';
import type { DeliveryQuery, EnvSnapshotQuery, Mutation } from '../port.js';
import { deliveryRow } from './rows.js';
import { upsert, where } from './sql.js';

type ExtraMutation = Extract<Mutation, { kind: 'putEnvironment' | 'putEnvSnapshot' | 'putWebhook' | 'deleteWebhook' | 'putDelivery' | 'putHost' }>;

export class ExtraTables {
  private readonly writes: Record<ExtraMutation['kind'], Database.Statement>;

  constructor(
    db: Database.Database,
    /** The store's cached, prepared reader. */
    private readonly docs: <T>(sql: string, params?: readonly unknown[]) => T[],
  ) {
    this.writes = {
      putEnvironment: db.prepare(upsert('environments', ['name', 'doc'])),
      putEnvSnapshot: db.prepare('INSERT INTO env_snapshots (environment, number, doc) VALUES (@environment, @number, @doc) ON CONFLICT (environment, number) DO UPDATE SET doc = excluded.doc'),
      putWebhook: db.prepare(upsert('webhooks', ['name', 'doc'])),
      deleteWebhook: db.prepare('DELETE FROM webhooks WHERE name = ?'),
      putDelivery: db.prepare(upsert('webhook_deliveries', ['id', 'webhook', 'pending', 'next_attempt_at', 'created_at', 'seq', 'doc'])),
      putHost: db.prepare(upsert('hosts', ['id', 'doc'])),
    };
  }

  /** Applies one of this module's mutations inside the store's transaction. */
  apply(m: ExtraMutation): void {
    switch (m.kind) {
      case 'putEnvironment': this.writes.putEnvironment.run({ name: m.environment.name, doc: JSON.stringify(m.environment) }); return;
      case 'putEnvSnapshot': this.writes.putEnvSnapshot.run({ environment: m.snapshot.environment, number: m.snapshot.number, doc: JSON.stringify(m.snapshot) }); return;
      case 'putWebhook': this.writes.putWebhook.run({ name: m.webhook.name, doc: JSON.stringify(m.webhook) }); return;
      case 'deleteWebhook': this.writes.deleteWebhook.run(m.name); return;
      case 'putDelivery': this.writes.putDelivery.run(deliveryRow(m.delivery)); return;
      case 'putHost': this.writes.putHost.run({ id: m.host.id, doc: JSON.stringify(m.host) }); return;
    }
  }

  listEnvironments(): Environment[] {
    return this.docs<Environment>('SELECT doc FROM environments ORDER BY name');
  }

  listEnvSnapshots(q: EnvSnapshotQuery): EnvSnapshot[] {
    return this.docs<EnvSnapshot>('SELECT doc FROM env_snapshots WHERE environment = ? ORDER BY number DESC LIMIT ?', [q.environment, q.limit]);
  }

  getEnvSnapshot(environment: string, number: number): EnvSnapshot | undefined {
    return this.docs<EnvSnapshot>('SELECT doc FROM env_snapshots WHERE environment = ? AND number = ?', [environment, number])[0];
  }

  listWebhooks(): Webhook[] {
    return this.docs<Webhook>('SELECT doc FROM webhooks ORDER BY name');
  }

  listHosts(): Host[] {
    return this.docs<Host>('SELECT doc FROM hosts ORDER BY id');
  }

  listDeliveries(q: DeliveryQuery): Delivery[] {
    const w = where([
      q.webhook !== undefined ? ['webhook = ?', q.webhook] : undefined,
      // A literal, so SQLite can use the partial index.
      q.pending ? 'pending = 1' : undefined,
    ]);
    const order = q.pending ? 'next_attempt_at, id' : 'created_at DESC, seq DESC';
    return this.docs<Delivery>(`SELECT doc FROM webhook_deliveries${w.sql} ORDER BY ${order} LIMIT ?`, [...w.params, q.limit]);
  }
}
