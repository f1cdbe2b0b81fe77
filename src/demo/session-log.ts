/**
 * The players' side of every session: which notices each was shown and when, and how the player
 * saw it end. Joined with the control plane's session history into the records the summary
 * judges. Times come from `now`, the clock the control plane stamps `closedAt` with (the demo
 * runs both in one process), so "the notice came before the close" compares like with like.
 */
import type { NoticeSeen, SessionRecord } from './decide-session.js';
import type { SessionOutcome } from './player-outcome.js';
import type { PlayerEvent } from './player-session.js';

/** The control plane's record of a session, as far as the summary needs it. */
export interface ControlPlaneSession {
  id: string;
  build: string;
  playerId: string;
  closeReason: string | null;
  closedAt: number | null;
}

interface Seen {
  playerId: string;
  build: string;
  notices: NoticeSeen[];
  outcome: SessionOutcome | null;
  closedAt: number | null;
}

export class SessionLog {
  private readonly seen = new Map<string, Seen>();

  constructor(private readonly now: () => number) {}

  /** Feed every player event here (`pool.on(log.record)`). */
  readonly record = (e: PlayerEvent): void => {
    if (e.type !== 'allocated' && e.type !== 'notice' && e.type !== 'closed' && e.type !== 'opened') return;
    let s = this.seen.get(e.sessionId);
    if (!s) {
      s = { playerId: e.playerId, build: 'build' in e ? e.build : 'unknown', notices: [], outcome: null, closedAt: null };
      this.seen.set(e.sessionId, s);
    }
    if (e.type === 'notice') s.notices.push({ kind: e.kind, at: this.now() });
    // A session the player already left stays left: allocating again right after leaving can hand
    // back the same session (its end is still being reported), and the game then refuses the
    // join. That refusal cuts no play short; the player allocates again and gets a new session.
    if (e.type === 'closed' && s.outcome?.kind !== 'completed') {
      s.outcome = e.outcome;
      s.closedAt = this.now();
    }
  };

  /**
   * One record per session either side knows: every control-plane session, plus any a player saw
   * that the control plane did not list (it must not vanish from the count).
   */
  join(history: readonly ControlPlaneSession[]): SessionRecord[] {
    const out: SessionRecord[] = [];
    const listed = new Set<string>();
    for (const h of history) {
      listed.add(h.id);
      const s = this.seen.get(h.id);
      out.push({ ...h, notices: s?.notices ?? [], playerOutcome: s?.outcome ?? null, playerClosedAt: s?.closedAt ?? null });
    }
    for (const [id, s] of this.seen) {
      if (listed.has(id)) continue;
      out.push({ id, build: s.build, playerId: s.playerId, closeReason: null, closedAt: null, notices: s.notices, playerOutcome: s.outcome, playerClosedAt: s.closedAt });
    }
    return out;
  }
}
