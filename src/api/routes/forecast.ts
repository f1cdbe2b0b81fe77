import { z } from 'zod';
import { ForecastStatuses } from '../../analysis/forecast/drain.js';
import { ForecastService } from '../../analysis/forecast/service.js';
import type { ApiDeps } from '../deps.js';
import { defineRoute, type RouteDef } from '../../http/route.js';
import { BuildIdParamsSchema, NameParamsSchema } from '../schemas.js';

/** Ten years: far enough for any deadline, near enough that a typo in units is refused. */
const MAX_DEADLINE_SECONDS = 10 * 365 * 24 * 3600;

/**
 * A proposed deadline is a read-only question, so it is a query parameter of the same GET,
 * either absolute (`deadline`, ms since epoch, like `startsAt` of notices) or relative to the
 * control plane's clock (`deadlineSeconds`, like a rollout's `drain.deadlineSeconds`).
 */
export const ForecastQuerySchema = z
  .strictObject({
    build: BuildIdParamsSchema.shape.id,
    deadline: z.coerce.number().int().positive().max(8.64e15).optional(),
    deadlineSeconds: z.coerce.number().int().min(0).max(MAX_DEADLINE_SECONDS).optional(),
  })
  .refine((q) => q.deadline === undefined || q.deadlineSeconds === undefined, { message: 'give deadline or deadlineSeconds, not both', path: ['deadlineSeconds'] });

/** A percentile of the moment the build is empty: `at`, or, beyond the observed lengths, only `laterThan`. */
const QuantileSchema = z.object({ at: z.number().nullable(), laterThan: z.number().nullable() });

export const ForecastViewSchema = z.object({
  fleet: z.string(),
  build: z.string(),
  /** The control plane's clock when the forecast was made; every time is ms since epoch. */
  now: z.number(),
  status: z.enum(ForecastStatuses),
  reason: z.string().nullable(),
  openSessions: z.number(),
  oldestAgeMs: z.number().nullable(),
  emptyAt: z.object({ p10: QuantileSchema, p50: QuantileSchema, p90: QuantileSchema }).nullable(),
  sample: z.object({
    closed: z.number(),
    events: z.number(),
    open: z.number(),
    openedAfter: z.number().nullable(),
    longestObservedMs: z.number().nullable(),
  }),
  deadline: z.object({
    deadline: z.number(),
    openSessions: z.number(),
    expectedOpen: z.number().nullable(),
    probabilityAnyCut: z.number().nullable(),
    extrapolated: z.number(),
    warn: z.boolean(),
    reason: z.string().nullable(),
  }).nullable(),
});
export type ForecastView = z.output<typeof ForecastViewSchema>;

export function forecastRoutes(d: ApiDeps, forecasts = new ForecastService(d.ctx)): RouteDef[] {
  return [
    defineRoute({
      method: 'get', path: '/v1/fleets/{name}/forecast', tag: 'fleets', role: 'viewer',
      summary: 'Forecast when a build taking no new sessions will be empty (Kaplan–Meier over observed session lengths), and what a proposed drain deadline would cut',
      params: NameParamsSchema, query: ForecastQuerySchema, response: ForecastViewSchema,
      errors: ['VALIDATION_FAILED', 'UNKNOWN_FIELD', 'FLEET_NOT_FOUND', 'BUILD_NOT_FOUND', 'STORE_UNAVAILABLE'],
      handler: async ({ params, query }) => {
        const deadline = query.deadline !== undefined ? { at: query.deadline }
          : query.deadlineSeconds !== undefined ? { afterMs: query.deadlineSeconds * 1000 } : undefined;
        return forecasts.forecast(params.name, query.build, deadline);
      },
    }),
  ];
}
