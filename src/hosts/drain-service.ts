/**
 * Runs host drains' notices and deadlines (plan-drain.ts) on a timer: each pass asks the
 * planner about every host draining with a deadline, tells the servers it names, closes what it
 * names, and records the drain's progress with them in one commit. Thin: what "tell" and
 * "close" do is the wiring's (the SDK notice hub, the session service).
 */
import type { Ctx } from '../state/context.js';
import { event } from '../state/context.js';
import type { Mutation } from '../store/port.js';
import { PeriodicPass } from '../core/periodic.js';
import { planHostDrain, type DrainingServer } from './plan-drain.js';
import type { HostService } from './service.js';

export interface HostDrainDeps {
  hosts: HostService;
  /** Live game servers on a host, with their open sessions. */
  serversOn(hostId: string): DrainingServer[];
  /** Tells a server the deadline of its remaining sessions (an SDK `drain` notice); returns what makes it durable. */
  announce(serverId: string, deadline: number, now: number): Mutation[];
  /** Closes the open sessions on these servers as a release's deadline does (`migrated`), telling the servers. */
  close(serverIds: readonly string[], now: number): Mutation[];
  intervalMs: number;
  onError(e: unknown): void;
}

export class HostDrainService {
  private readonly loop: PeriodicPass;

  constructor(private readonly ctx: Ctx, private readonly deps: HostDrainDeps) {
    this.loop = new PeriodicPass(ctx.clock, deps.intervalMs, () => this.tick());
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass over every host draining with a deadline. */
  async tick(): Promise<void> {
    for (const { id, drain } of this.deps.hosts.drainsPending()) {
      try {
        const now = this.ctx.clock.now();
        const plan = planHostDrain(drain, this.deps.serversOn(id), now);
        const out: Mutation[] = [];
        for (const a of plan.announce) out.push(...this.deps.announce(a.serverId, a.deadline, now));
        if (plan.patch.noticeAt !== undefined) out.push(event(now, null, 'host.drain.notified', id, `host ${id}: ${plan.announce.length} game servers told the drain deadline`, { servers: plan.announce.map((a) => a.serverId) }));
        if (plan.patch.closedAt !== undefined) {
          out.push(...this.deps.close(plan.close, now));
          out.push(event(now, null, 'host.drain.deadline', id, `host ${id}: drain deadline reached; sessions left on ${plan.close.length} game servers closed as migrated`, { servers: plan.close }));
        }
        out.push(...this.deps.hosts.recordDrain(id, plan.patch));
        if (out.length > 0) await this.ctx.persister.persist(out);
      } catch (e) {
        this.deps.onError(e);
      }
    }
  }
}
