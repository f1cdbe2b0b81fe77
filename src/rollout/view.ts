/**
 * What the rollout planners observe of a fleet (`RolloutServer` per non-terminal server), kept up
 * to date from what changed instead of rebuilt on every pass. A release of a 10,000-server fleet
 * plans once per pass, scheduled or kicked, over its old and new servers: rebuilding 20,000
 * objects (and looking up each one's open sessions) per pass was most of the rollout step, while
 * a pass sees a few hundred servers change.
 *
 * How: the view of a fleet is built whole the first time it is asked for, and from then on only
 * the servers its own journal of the world's changes names (`World.subscribe`) are read again.
 * Every change to what a `RolloutServer` holds — state, build, notices (`putServer`), open
 * sessions (`addSession`, `closeSession`) — goes through the journal; what changes `used` for
 * many servers at once without an entry each (a snapshot, a lazy session load's counts) starts a
 * new epoch, and every view is rebuilt whole. Servers keep the world's order (a server keeps its
 * place when it changes, a new one comes last), so the observation equals the whole rebuild,
 * order included (the property test beside this file checks it over random operations).
 */
import type { GameServer } from '../fleet/model.js';
import type { ChangeJournal } from '../state/journal.js';
import type { RolloutServer } from './strategy.js';

/** The part of the world a view reads. */
export interface ViewSource {
  readonly servers: ReadonlyMap<string, GameServer>;
  fleetServers(fleet: string): GameServer[];
  used(serverId: string): number;
  subscribe(): ChangeJournal;
}

/** A server as the rollout planners see it. */
export function rolloutServerOf(s: GameServer, used: number): RolloutServer {
  return { id: s.id, build: s.build, state: s.state, used, migrationDeadline: s.migrateTo ? s.drainDeadline : null };
}

/** The observation rebuilt from scratch: what the incremental view must always equal. */
export function observeWhole(world: ViewSource, fleet: string): RolloutServer[] {
  return world.fleetServers(fleet).map((s) => rolloutServerOf(s, world.used(s.id)));
}

interface FleetView {
  epoch: number;
  readonly byId: Map<string, RolloutServer>;
  /** `byId`'s values, made again only when one changed. */
  list: readonly RolloutServer[];
}

export class RolloutViews {
  private readonly journal: ChangeJournal;
  private readonly views = new Map<string, FleetView>();

  constructor(private readonly world: ViewSource) {
    this.journal = world.subscribe();
  }

  /**
   * The fleet's non-terminal servers as `observeWhole` would list them. The array and its
   * objects are shared until the next change: callers must not modify them (planners do not).
   */
  observe(fleet: string): readonly RolloutServer[] {
    const view = this.views.get(fleet);
    const changed = view && view.epoch === this.journal.epoch ? this.journal.take(fleet) : undefined;
    if (!view || changed === undefined) return this.rebuild(fleet);
    if (changed.size === 0) return view.list;
    for (const id of changed) {
      const s = this.world.servers.get(id);
      if (s && s.fleet === fleet) view.byId.set(id, rolloutServerOf(s, this.world.used(id)));
      else view.byId.delete(id);
    }
    view.list = [...view.byId.values()];
    return view.list;
  }

  /** Stops following a fleet no release is planning (its changes are no longer journalled). */
  forget(fleet: string): void {
    if (!this.views.delete(fleet)) return;
    this.journal.unwatch(fleet);
  }

  private rebuild(fleet: string): readonly RolloutServer[] {
    // Watched before reading: a change made from here on is journalled (reading it twice is harmless).
    this.journal.watch(fleet);
    this.journal.take(fleet);
    const list = observeWhole(this.world, fleet);
    this.views.set(fleet, { epoch: this.journal.epoch, byId: new Map(list.map((s) => [s.id, s])), list });
    return list;
  }
}
