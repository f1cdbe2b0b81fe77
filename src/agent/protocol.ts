/**
 * The agent protocol: one WebSocket per host, opened by the agent (hosts may sit behind NAT; the
 * control plane never dials them) to `/v1/hosts/{id}/agent` with `Authorization: Bearer <host
 * token>`. JSON text frames. The control plane calls the host's runtime (`call` → `reply`); the
 * agent reports exits and heartbeats, and tunnels its game servers' SDK requests (`http*`).
 * See docs/hosts.md.
 */
import { z } from 'zod';
import type { HostRegistration } from '../hosts/model.js';
import type { RuntimeExit, RuntimeInstance, ServerLaunch } from '../runtime/port.js';

export const AGENT_PROTOCOL_VERSION = 1;

/** The runtime operations the control plane calls on a host, with their arguments and results. */
export interface RuntimeOps {
  start: { args: ServerLaunch; result: RuntimeInstance };
  stop: { args: { serverId: string; graceMs: number }; result: null };
  adopt: { args: { instances: RuntimeInstance[] }; result: { adopted: string[]; gone: string[] } };
  find: { args: { serverId: string }; result: RuntimeInstance | null };
}
export type RuntimeOp = keyof RuntimeOps;

export interface WireError {
  code: string;
  message: string;
}

/** Control plane → agent. */
export type ToAgent =
  | { t: 'welcome'; protocol: number }
  | { t: 'call'; id: number; op: RuntimeOp; args: unknown }
  | { t: 'http-head'; id: number; status: number; headers: Record<string, string> }
  | { t: 'http-data'; id: number; data: string }
  | { t: 'http-end'; id: number };

/** Agent → control plane. */
export type FromAgent =
  | { t: 'hello'; protocol: number; host: HostRegistration; servers: RuntimeInstance[] }
  | { t: 'heartbeat' }
  | { t: 'reply'; id: number; ok: true; result: unknown }
  | { t: 'reply'; id: number; ok: false; error: WireError }
  | { t: 'exit'; exit: RuntimeExit }
  | { t: 'http'; id: number; method: string; path: string; headers: Record<string, string>; body: string }
  | { t: 'http-abort'; id: number };

const Str = z.string();
const Instance = z.object({
  serverId: Str, pid: z.number().int(), identity: Str, address: Str, ports: z.record(Str, z.number().int()), logPath: Str,
});
const Registration = z.object({
  id: Str, zone: Str, region: Str, publicAddress: Str,
  portRange: z.object({ from: z.number().int(), to: z.number().int() }),
  capacity: z.object({ slots: z.number().int().min(0), cpuMillis: z.number().int().min(0).nullable(), memoryMb: z.number().int().min(0).nullable() }),
});
const Headers = z.record(Str, Str);
const FromAgentSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('hello'), protocol: z.number().int(), host: Registration, servers: z.array(Instance) }),
  z.object({ t: z.literal('heartbeat') }),
  // One entry per discriminator value: a failed reply is told by `ok` and must carry its error.
  z.object({ t: z.literal('reply'), id: z.number().int(), ok: z.boolean(), result: z.unknown().optional(), error: z.object({ code: Str, message: Str }).optional() })
    .refine((r) => r.ok || r.error !== undefined, 'a failed reply carries its error'),
  z.object({ t: z.literal('exit'), exit: z.object({ serverId: Str, code: z.number().int().nullable(), signal: Str.nullable(), requested: z.boolean() }) }),
  z.object({ t: z.literal('http'), id: z.number().int(), method: Str, path: Str, headers: Headers, body: Str }),
  z.object({ t: z.literal('http-abort'), id: z.number().int() }),
]);
const ToAgentSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('welcome'), protocol: z.number().int() }),
  z.object({ t: z.literal('call'), id: z.number().int(), op: z.enum(['start', 'stop', 'adopt', 'find']), args: z.unknown() }),
  z.object({ t: z.literal('http-head'), id: z.number().int(), status: z.number().int(), headers: Headers }),
  z.object({ t: z.literal('http-data'), id: z.number().int(), data: Str }),
  z.object({ t: z.literal('http-end'), id: z.number().int() }),
]);

/** Parses one frame from an agent; undefined when it is not a message of this protocol. */
export function parseFromAgent(text: string): FromAgent | undefined {
  return parseWith(FromAgentSchema, text) as FromAgent | undefined;
}

/** Parses one frame from the control plane; undefined when it is not a message of this protocol. */
export function parseToAgent(text: string): ToAgent | undefined {
  return parseWith(ToAgentSchema, text) as ToAgent | undefined;
}

function parseWith(schema: z.ZodType, text: string): unknown {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/** WebSocket close codes the control plane uses to refuse an agent (4000–4999 are the application's). */
export const CloseCodes = {
  unauthorized: 4401,
  badHello: 4400,
  replaced: 4409,
  shuttingDown: 4503,
} as const;

/** Headers never forwarded through the SDK tunnel: they describe one hop, not the request. */
export const HOP_HEADERS: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'content-length', 'upgrade', 'proxy-connection', 'te', 'trailer']);
