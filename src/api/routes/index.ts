import type { ApiDeps } from '../deps.js';
import type { RouteDef } from '../../http/route.js';
import { fleetRoutes } from './fleets.js';
import { forecastRoutes } from './forecast.js';
import { rolloutRoutes } from './rollouts.js';
import { serverRoutes } from './servers.js';
import { sessionRoutes } from './sessions.js';
import { environmentRoutes } from './environments.js';
import { webhookRoutes } from './webhooks.js';
import { releaseRoutes } from './releases.js';

/** Every `/v1` route, in the order the OpenAPI document lists them. */
export function allRoutes(d: ApiDeps): RouteDef[] {
  return [...fleetRoutes(d), ...sessionRoutes(d), ...serverRoutes(d), ...rolloutRoutes(d), ...forecastRoutes(d), ...releaseRoutes(d), ...environmentRoutes(d), ...webhookRoutes(d)];
}
