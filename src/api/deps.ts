import type { AllocationService } from '../allocation/service.js';
import type { FleetService } from '../fleet/service.js';
import type { ReleaseService } from '../release/service.js';
import type { RolloutService } from '../rollout/service.js';
import type { SessionService } from '../session/service.js';
import type { Ctx } from '../state/context.js';
import type { EnvironmentService } from '../environment/service.js';
import type { Notifier } from '../notify/service.js';

/** What route handlers may use. Built once in `server/compose.ts`. */
export interface ApiDeps {
  ctx: Ctx;
  fleets: FleetService;
  allocations: AllocationService;
  sessions: SessionService;
  rollouts: RolloutService;
  environments: EnvironmentService;
  notifier: Notifier;
  releases: ReleaseService;
}
