/**
 * A reader's own copy of the world's change journal: the servers of each fleet it watches that
 * changed (state, build, sessions, roster, notices) since it last took them. The reconciler has
 * the world's first journal (`World.takeTouched`); a view kept up to date from what changed (the
 * rollout planners' observation, src/rollout/view.ts) subscribes one of these, so that neither
 * reader takes changes from under the other.
 *
 * Only watched fleets are journalled: a reader that no longer looks at a fleet stops paying for
 * its changes (and a fleet's set never outgrows the fleet).
 */
export class ChangeJournal {
  private readonly byFleet = new Map<string, Set<string>>();
  /**
   * Bumped by the world when something a reader may hold changed without a journal entry per
   * server (a snapshot read in, open counts of a lazy session load begun or ended): views built
   * before must be rebuilt whole.
   */
  epoch = 0;

  watch(fleet: string): void {
    if (!this.byFleet.has(fleet)) this.byFleet.set(fleet, new Set());
  }

  unwatch(fleet: string): void {
    this.byFleet.delete(fleet);
  }

  /** Forgets every watch and starts a new epoch. */
  reset(): void {
    this.byFleet.clear();
    this.epoch += 1;
  }

  note(fleet: string, serverId: string): void {
    this.byFleet.get(fleet)?.add(serverId);
  }

  /** The servers of a watched fleet changed since the last take (and forgets them); undefined for a fleet not watched. */
  take(fleet: string): Set<string> | undefined {
    const set = this.byFleet.get(fleet);
    if (set === undefined) return undefined;
    if (set.size > 0) this.byFleet.set(fleet, new Set());
    return set;
  }
}
