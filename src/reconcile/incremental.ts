/**
 * Incremental reconciliation: what one fleet's last plan left to remember, so that the next pass
 * plans only the servers that changed or reached a deadline instead of the whole fleet.
 *
 * `planFleetPart` (src/fleet/plan-fleet.ts) plans a subset of a fleet given a tally of the rest,
 * and equals `planFleet` over the whole fleet as long as no server of the rest is due an action
 * of its own. This memo keeps that promise:
 *
 * - a server is planned again when it changed (the world's journal, `World.takeTouched`), when
 *   the last plan acted on it (an action the world did not carry out must be decided again), or
 *   when its deadline (`dueAt`: health, start, idle) comes — kept in a min-heap, one live entry
 *   per server, so a pass pops only what is due;
 * - the tallies of the servers not planned are summed per build, so a subset plan still sees
 *   how many servers are up and busy;
 * - whatever the tallies and deadlines do not cover forces a whole-fleet plan: a changed fleet
 *   spec, roles or observation window, a scale-down that must choose among unlisted idle servers
 *   (`planFleetPart` returns null), and a periodic sweep (`fits`) as a safety net.
 *
 * No I/O and no clock: the reconciler hands in the time and the observations.
 */
import { dueAt, tallyOf } from '../fleet/plan-fleet-due.js';
import { planFleet, planFleetPart, type BuildRole, type BuildTally, type FleetAction, type FleetObservation, type ServerObservation } from '../fleet/plan-fleet.js';

/** What a plan of the whole fleet assumed: any difference means the memo no longer holds. */
export interface MemoBasis {
  /** The fleet record itself, compared by identity (replaced, never mutated, on every change). */
  spec: unknown;
  roles: string;
  observingSince: number;
}

export interface IncrementalInput {
  memo: FleetMemo | undefined;
  basis: MemoBasis;
  /** Servers of the fleet changed since the last plan (`World.takeTouched`). */
  touched: Iterable<string>;
  /** Plan the whole fleet whatever the memo says (the periodic sweep, or incremental passes off). */
  whole: boolean;
  obs: Omit<FleetObservation, 'servers'>;
  /** A server of the fleet as the planner sees it; undefined once it is gone. */
  observe: (id: string) => ServerObservation | undefined;
  observeAll: () => ServerObservation[];
}

/**
 * One fleet's plan for this pass: from the memo and what changed when the memo holds, from the
 * whole fleet otherwise. Equal to `planFleet` over the whole fleet either way (the property test
 * beside this file checks it over random change sequences).
 */
export function planIncrementally(i: IncrementalInput): { actions: FleetAction[]; memo: FleetMemo; whole: boolean } {
  const { memo, obs } = i;
  if (memo && !i.whole && memo.fits(i.basis)) {
    const planned: ServerObservation[] = [];
    for (const id of memo.take(i.touched, obs.now)) {
      const s = i.observe(id);
      if (s) planned.push(s);
    }
    const actions = planFleetPart({ ...obs, servers: planned, rest: memo.rest() });
    if (actions) {
      memo.record(planned, actions, obs);
      return { actions, memo, whole: false };
    }
  }
  const all = i.observeAll();
  const actions = planFleet({ ...obs, servers: all });
  const fresh = new FleetMemo(i.basis, obs.now);
  fresh.record(all, actions, obs);
  return { actions, memo: fresh, whole: true };
}

/** A stable text of a fleet's roles, to tell whether they changed since the last plan. */
export function rolesKey(roles: ReadonlyMap<string, BuildRole>): string {
  return JSON.stringify([...roles.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}

export class FleetMemo {
  private readonly tallies = new Map<string, { build: string; tally: BuildTally }>();
  private readonly totals = new Map<string, BuildTally>();
  private readonly heap = new DueHeap();
  /** The one live heap entry per server: an entry whose time differs is stale and skipped. */
  private readonly queued = new Map<string, number>();
  private recheck = new Set<string>();

  constructor(
    readonly basis: MemoBasis,
    /** When the whole fleet was last planned. */
    readonly plannedAt: number,
  ) {}

  /** Whether a subset plan may rely on this memo under `basis`. */
  fits(basis: MemoBasis): boolean {
    return basis.spec === this.basis.spec && basis.roles === this.basis.roles && basis.observingSince === this.basis.observingSince;
  }

  /**
   * The servers to plan now: those changed (`touched`), acted on by the last plan, or due by
   * `now`. Their tallies leave the totals (the plan sees them listed instead).
   */
  take(touched: Iterable<string>, now: number): Set<string> {
    const ids = new Set<string>(touched);
    for (const id of this.recheck) ids.add(id);
    for (let top = this.heap.peek(); top !== undefined && top.due <= now; top = this.heap.peek()) {
      this.heap.pop();
      if (this.queued.get(top.id) !== top.due) continue;
      this.queued.delete(top.id);
      ids.add(top.id);
    }
    for (const id of ids) {
      const was = this.tallies.get(id);
      if (!was) continue;
      this.tallies.delete(id);
      const t = this.totals.get(was.build);
      if (t) {
        t.up -= was.tally.up;
        t.busy -= was.tally.busy;
        t.idle -= was.tally.idle;
      }
    }
    return ids;
  }

  /** Tallies of the servers not taken, per build. */
  rest(): ReadonlyMap<string, BuildTally> {
    return this.totals;
  }

  /** Remembers the servers just planned (the ones taken that still exist, or the whole fleet) and what the plan did. */
  record(planned: readonly ServerObservation[], actions: readonly FleetAction[], obs: Omit<FleetObservation, 'servers'>): void {
    for (const s of planned) {
      const tally = tallyOf(s, obs);
      this.tallies.set(s.id, { build: s.build, tally });
      let t = this.totals.get(s.build);
      if (!t) this.totals.set(s.build, (t = { up: 0, busy: 0, idle: 0 }));
      t.up += tally.up;
      t.busy += tally.busy;
      t.idle += tally.idle;
      const due = dueAt(s, obs);
      // An earlier entry already queued brings the server back in time; a later one would not.
      if (due !== Infinity && due < (this.queued.get(s.id) ?? Infinity)) {
        this.queued.set(s.id, due);
        this.heap.push(due, s.id);
      }
    }
    this.recheck = new Set();
    for (const a of actions) if (a.kind !== 'start') this.recheck.add(a.serverId);
  }
}

/** A binary min-heap of (due, server id). */
class DueHeap {
  private readonly dues: number[] = [];
  private readonly ids: string[] = [];

  peek(): { due: number; id: string } | undefined {
    const due = this.dues[0];
    const id = this.ids[0];
    return due === undefined || id === undefined ? undefined : { due, id };
  }

  push(due: number, id: string): void {
    let i = this.dues.length;
    this.dues.push(due);
    this.ids.push(id);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((this.dues[parent] ?? 0) <= due) break;
      this.move(parent, i);
      i = parent;
    }
    this.dues[i] = due;
    this.ids[i] = id;
  }

  pop(): void {
    const lastDue = this.dues.pop();
    const lastId = this.ids.pop();
    if (lastDue === undefined || lastId === undefined || this.dues.length === 0) return;
    const n = this.dues.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && (this.dues[r] ?? 0) < (this.dues[l] ?? 0) ? r : l;
      if ((this.dues[c] ?? 0) >= lastDue) break;
      this.move(c, i);
      i = c;
    }
    this.dues[i] = lastDue;
    this.ids[i] = lastId;
  }

  private move(from: number, to: number): void {
    this.dues[to] = this.dues[from] ?? 0;
    this.ids[to] = this.ids[from] ?? '';
  }
}
