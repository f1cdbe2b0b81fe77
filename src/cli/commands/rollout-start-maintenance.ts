/**
 * The flags of `handoff rollout start --strategy maintenance`, turned into its request. Kept
 * apart from the blue-green flags so that each strategy's flags are refused with the other's.
 */
import { parseDurationMs, parseDurationSeconds } from '../parse.js';
import { UsageError } from '../usage.js';

export const maintenanceFlags = {
  'window-start': { type: 'string' },
  'window-duration': { type: 'string' },
  'notice-lead': { type: 'string' },
  'session-deadline': { type: 'string' },
  'window-message': { type: 'string' },
} as const;

export const maintenanceUsage = `Maintenance window (--strategy maintenance), in place:
  --window-start T          when allocations stop: an ISO time (2030-01-15T04:00:00Z),
                            milliseconds since epoch, or +D from now (+30m)   (required)
  --window-duration D       how long the fleet is expected to stay closed       (required)
  --notice-lead D           tell every game server D before the start (0: at it) (required)
  --session-deadline D      close sessions still open D after the start
                            (default: none, they end when their players leave)
  --window-message TEXT     what the game shows its players`;

/** The `POST /v1/rollouts` body of a maintenance window; absent optional fields take the server's defaults. */
export interface MaintenanceStartRequest {
  fleet: string;
  build: string;
  strategy: 'maintenance';
  /** Milliseconds since epoch, or ISO text the server parses (and refuses if it is no time). */
  startsAt: number | string;
  durationSeconds: number;
  noticeLeadSeconds: number;
  sessionDeadlineSeconds?: number;
  message?: string;
}

type MaintenanceValues = { [K in keyof typeof maintenanceFlags]?: string | undefined };

/** Whether any maintenance flag was given (they mean nothing to another strategy). */
export function givenMaintenanceFlags(values: MaintenanceValues): string[] {
  return Object.keys(maintenanceFlags).filter((k) => values[k as keyof MaintenanceValues] !== undefined).map((k) => `--${k}`);
}

export function parseMaintenanceStart(fleet: string, build: string, values: MaintenanceValues, now: () => number): MaintenanceStartRequest {
  const required = (flag: keyof MaintenanceValues): string => {
    const v = values[flag];
    if (v === undefined) throw new UsageError(`--strategy maintenance needs --${flag}`, 'rollout start');
    return v;
  };
  const request: MaintenanceStartRequest = {
    fleet,
    build,
    strategy: 'maintenance',
    startsAt: parseWindowStart(required('window-start'), now),
    durationSeconds: parseDurationSeconds('--window-duration', required('window-duration')),
    noticeLeadSeconds: parseDurationSeconds('--notice-lead', required('notice-lead')),
  };
  if (values['session-deadline'] !== undefined) request.sessionDeadlineSeconds = parseDurationSeconds('--session-deadline', values['session-deadline']);
  if (values['window-message'] !== undefined) request.message = values['window-message'];
  return request;
}

/** `+30m` from now, digits as milliseconds since epoch, anything else as ISO text for the server to judge. */
function parseWindowStart(text: string, now: () => number): number | string {
  const t = text.trim();
  if (t.startsWith('+')) return now() + parseDurationMs('--window-start', t.slice(1));
  if (/^\d+$/.test(t)) return Number(t);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(t)) {
    throw new UsageError(`--window-start: "${text}" is not a time (examples: 2030-01-15T04:00:00Z, +30m)`, 'rollout start');
  }
  return t;
}
