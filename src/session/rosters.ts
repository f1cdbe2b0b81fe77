/**
 * What the control plane knows of each game server's own roster, in memory only.
 *
 * Not durable on purpose: after a restart every adopted server is `unverified` anyway until it
 * is observed again, and a fresh report (the SDK sends one whenever its watch stream connects)
 * supersedes anything a store could have kept. Persisting it would cost a write per session
 * event and buy only stale knowledge.
 *
 * A server's roster exists once it reported one; it then follows the SDK's session calls
 * (started adds, ended removes) and the control plane's own closes (the server is told to let
 * those players go). A server that never reports (an older SDK) has no roster: size 0.
 */
export class Rosters {
  private readonly reported = new Map<string, Set<string>>();
  private readonly unverified = new Set<string>();

  /** `changed` hears of every change to what the planner sees of a server (its size, whether unverified). */
  constructor(private readonly changed: (serverId: string) => void = () => undefined) {}

  /** After a restart or re-adoption: the store's word that it is empty is not enough. */
  markUnverified(serverId: string): void {
    this.unverified.add(serverId);
    this.changed(serverId);
  }

  /** The server was observed: a roster report, a session end that left it empty, its shutdown request. */
  verify(serverId: string): void {
    if (this.unverified.delete(serverId)) this.changed(serverId);
  }

  isUnverified(serverId: string): boolean {
    return this.unverified.has(serverId);
  }

  /** Replaces the server's roster with a report, which also verifies it. */
  set(serverId: string, players: Iterable<string>): void {
    this.reported.set(serverId, new Set(players));
    this.verify(serverId);
    this.changed(serverId);
  }

  /** Players on the server's roster; 0 for a server that never reported one. */
  size(serverId: string): number {
    return this.reported.get(serverId)?.size ?? 0;
  }

  players(serverId: string): string[] {
    return [...(this.reported.get(serverId) ?? [])];
  }

  /** Unverified, or players on its roster: never stop it. */
  holds(serverId: string): boolean {
    return this.isUnverified(serverId) || this.size(serverId) > 0;
  }

  /** A confirmed player joins a server that reports rosters. */
  add(serverId: string, playerId: string): void {
    const roster = this.reported.get(serverId);
    if (roster && !roster.has(playerId)) {
      roster.add(playerId);
      this.changed(serverId);
    }
  }

  drop(serverId: string, playerId: string): void {
    if (this.reported.get(serverId)?.delete(playerId)) this.changed(serverId);
  }

  /** The server is gone. */
  forget(serverId: string): void {
    this.reported.delete(serverId);
    this.unverified.delete(serverId);
    this.changed(serverId);
  }
}
