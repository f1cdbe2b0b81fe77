/** The simulation's figures, for its report; the verdicts are the monitor's violations. */
export interface SimStats {
  /** Allocation answers, new or reconnected. */
  allocations: number;
  /** New sessions by the build they landed on. */
  sessionsByBuild: Record<string, number>;
  /** Players a game server admitted (sessionStarted succeeded). */
  sessionsStarted: number;
  endedByPlayer: number;
  migratedWithNotice: number;
  closedForMaintenance: number;
  /** Players whose server crashed under them: the build's fault, allowed. */
  lostToCrash: number;
  /** Party members placed off the party's build because its servers could not take them. */
  allowedPartySplits: number;
  /** NO_CAPACITY answers (the player waits and asks again). */
  noCapacity: number;
  /** Other retryable refusals of an allocation by code (a maintenance window, …): the player waits and asks again. */
  refusals: Record<string, number>;
  /** Players who gave up waiting for capacity. */
  gaveUp: number;
  /** Joins retried: the control plane was down or the server went away between allocation and join. */
  joinRetries: number;
  /** Requests made while the control plane was down. */
  unavailable: number;
  /** Control-plane restarts. */
  restarts: number;
}

export function emptyStats(): SimStats {
  return {
    allocations: 0, sessionsByBuild: {}, sessionsStarted: 0, endedByPlayer: 0, migratedWithNotice: 0, closedForMaintenance: 0,
    lostToCrash: 0, allowedPartySplits: 0, noCapacity: 0, refusals: {}, gaveUp: 0, joinRetries: 0, unavailable: 0, restarts: 0,
  };
}
