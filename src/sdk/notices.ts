/**
 * Delivers notices to game servers' SDK watch streams. Notices are facts the server must not
 * miss (a drain deadline), so a (re)subscribing server first gets its standing notices.
 */
import type { Notice } from './protocol.js';

export class NoticeHub {
  private readonly subscribers = new Map<string, Set<(n: Notice) => void>>();

  constructor(private readonly standing: (serverId: string) => Notice[]) {}

  send(serverId: string, notice: Notice): void {
    for (const listener of this.subscribers.get(serverId) ?? []) listener(notice);
  }

  subscribe(serverId: string, listener: (n: Notice) => void): () => void {
    let set = this.subscribers.get(serverId);
    if (!set) this.subscribers.set(serverId, (set = new Set()));
    set.add(listener);
    for (const n of this.standing(serverId)) listener(n);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.subscribers.delete(serverId);
    };
  }
}
