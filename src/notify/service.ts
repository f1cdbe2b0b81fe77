/**
 * Webhook delivery, as an outbox over the event log. Every release event is already committed
 * to the event log in the same transaction as the change it reports; the notifier follows the
 * log with a durable cursor (`meta notify.cursor`) and turns each matching event into one
 * delivery per webhook, committing the deliveries and the moved cursor together. Deliveries are
 * then sent, and every attempt is committed to the delivery record, so a restart at any moment
 * loses none: at worst an attempt whose answer was not yet recorded is sent again (receivers
 * de-duplicate on the `Handoff-Delivery` id).
 */
import type { Clock } from '../core/clock.js';
import { PeriodicPass } from '../core/periodic.js';
import { HandoffError } from '../core/errors.js';
import { checkUrls, egressPolicy, type EgressPolicy } from '../net/egress.js';
import { guardedPost } from '../net/post.js';
import type { Ctx } from '../state/context.js';
import type { Mutation } from '../store/port.js';
import type { Delivery, DeliveryAttempt, Webhook, WebhookSpec } from './model.js';
import { notificationOf, payloadFor } from './payload.js';
import { retryDelayMs, type RetryPolicy } from './retry.js';
import { sign, SignatureHeader } from './signature.js';

export const CursorKey = 'notify.cursor';
const PAGE = 500;
const DEFAULT_EGRESS = egressPolicy();

export interface NotifierOptions {
  intervalMs: number;
  policy: RetryPolicy;
  /** How long one attempt may take before it counts as failed. */
  timeoutMs: number;
  /** In [0, 1): the jitter draw. */
  random: () => number;
  onError: (e: unknown) => void;
  /** The addresses deliveries may go to (see net/egress.ts); default: all but link-local and metadata. */
  egress?: EgressPolicy;
}

export class Notifier {
  private readonly hooks = new Map<string, Webhook>();
  private readonly loop: PeriodicPass;

  private constructor(
    private readonly ctx: Ctx,
    private readonly clock: Clock,
    private readonly opts: NotifierOptions,
  ) {
    this.loop = new PeriodicPass(clock, opts.intervalMs, () => this.tick());
  }

  static async create(ctx: Ctx, opts: NotifierOptions): Promise<Notifier> {
    const n = new Notifier(ctx, ctx.clock, opts);
    for (const h of await ctx.store.listWebhooks()) n.hooks.set(h.name, h);
    return n;
  }

  private egress(): EgressPolicy {
    return this.opts.egress ?? DEFAULT_EGRESS;
  }

  list(): Webhook[] {
    return [...this.hooks.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): Webhook {
    const h = this.hooks.get(name);
    if (!h) throw new HandoffError('WEBHOOK_NOT_FOUND', `no webhook named ${name}`, { webhook: name });
    return h;
  }

  precheck(specs: readonly WebhookSpec[]): void {
    const seen = new Set<string>();
    for (const s of specs) {
      if (seen.has(s.name)) throw new HandoffError('VALIDATION_FAILED', `webhook ${s.name} appears twice`, { webhook: s.name });
      checkUrls({ url: s.url }, this.egress(), `webhooks[${s.name}]`);
      seen.add(s.name);
    }
  }

  async apply(specs: readonly WebhookSpec[]): Promise<{ name: string; result: 'created' | 'updated' | 'unchanged' }[]> {
    this.precheck(specs);
    const now = this.clock.now();
    const out: { name: string; result: 'created' | 'updated' | 'unchanged' }[] = [];
    const mutations: Mutation[] = [];
    for (const s of specs) {
      const prev = this.hooks.get(s.name);
      const same = prev && prev.url === s.url && prev.secret === s.secret && prev.format === s.format && prev.events.join() === s.events.join();
      out.push({ name: s.name, result: same ? 'unchanged' : prev ? 'updated' : 'created' });
      if (same) continue;
      const hook: Webhook = { ...s, events: [...s.events], createdAt: prev?.createdAt ?? now, updatedAt: now };
      this.hooks.set(s.name, hook);
      mutations.push({ kind: 'putWebhook', webhook: hook });
    }
    await this.ctx.persister.persist(mutations);
    return out;
  }

  async remove(name: string): Promise<void> {
    this.get(name);
    this.hooks.delete(name);
    await this.ctx.persister.persist([{ kind: 'deleteWebhook', name }]);
  }

  deliveries(name: string, limit: number): Promise<Delivery[]> {
    this.get(name);
    return this.ctx.store.listDeliveries({ webhook: name, limit });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass: move new release events into the outbox, then send what is due. */
  async tick(): Promise<void> {
    try {
      await this.enqueue();
      await this.sendDue();
    } catch (e) {
      this.opts.onError(e);
    }
  }

  /** Follows the event log from the cursor; the deliveries and the new cursor commit together. */
  private async enqueue(): Promise<void> {
    // Without subscribers the cursor waits; a webhook sees only events from its creation on.
    if (this.hooks.size === 0) return;
    for (;;) {
      const cursor = Number(this.ctx.world.meta[CursorKey] ?? '0');
      const events = await this.ctx.store.listEvents({ afterSeq: cursor, limit: PAGE });
      const last = events.at(-1);
      if (!last) return;
      const now = this.clock.now();
      const mutations: Mutation[] = [];
      for (const e of events) {
        const kind = notificationOf(e.kind);
        if (!kind) continue;
        for (const h of this.hooks.values()) {
          if (e.at < h.createdAt || (h.events.length > 0 && !h.events.includes(kind))) continue;
          const delivery: Delivery = {
            id: `${h.name}:${e.seq}`, webhook: h.name, event: kind, seq: e.seq, fleet: e.fleet, subject: e.subject,
            body: payloadFor(h.format, kind, e), state: 'pending', attempts: [], nextAttemptAt: now, createdAt: now, deliveredAt: null,
          };
          mutations.push({ kind: 'putDelivery', delivery });
        }
      }
      this.ctx.world.meta[CursorKey] = String(last.seq);
      mutations.push({ kind: 'putMeta', key: CursorKey, value: String(last.seq) });
      await this.ctx.persister.persist(mutations);
      if (events.length < PAGE) return;
    }
  }

  private async sendDue(): Promise<void> {
    const now = this.clock.now();
    const due = (await this.ctx.store.listDeliveries({ pending: true, limit: 100 })).filter((d) => (d.nextAttemptAt ?? 0) <= now);
    await Promise.all(due.map((d) => this.attempt(d)));
  }

  private async attempt(d: Delivery): Promise<void> {
    const hook = this.hooks.get(d.webhook);
    const at = this.clock.now();
    if (!hook) {
      const gone: Delivery = { ...d, state: 'failed', nextAttemptAt: null, attempts: [...d.attempts, { at, status: null, error: 'webhook deleted', ms: 0 }] };
      return this.ctx.persister.persist([{ kind: 'putDelivery', delivery: gone }]);
    }
    const started = performance.now();
    let result: Pick<DeliveryAttempt, 'status' | 'error'>;
    try {
      const res = await guardedPost(hook.url, {
        headers: { 'content-type': 'application/json', [SignatureHeader]: sign(hook.secret, d.body, at), 'handoff-event': d.event, 'handoff-delivery': d.id },
        body: d.body, timeoutMs: this.opts.timeoutMs, policy: this.egress(), maxBytes: 1024,
      });
      const ok = res.status >= 200 && res.status < 300;
      result = { status: res.status, error: ok ? null : `HTTP ${res.status}` };
    } catch (e) {
      result = { status: null, error: e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e) };
    }
    const attempt: DeliveryAttempt = { at, ...result, ms: Math.round(performance.now() - started) };
    const attempts = [...d.attempts, attempt];
    const done = this.clock.now();
    let next: Delivery;
    if (result.error === null) next = { ...d, attempts, state: 'delivered', nextAttemptAt: null, deliveredAt: done };
    else {
      const delay = retryDelayMs(attempts.length, this.opts.policy, this.opts.random());
      next = delay === null ? { ...d, attempts, state: 'failed', nextAttemptAt: null } : { ...d, attempts, nextAttemptAt: done + delay };
    }
    await this.ctx.persister.persist([{ kind: 'putDelivery', delivery: next }]);
  }
}
