import { ApiError, ConnectionError } from '../client.js';
import { defineCommand, ExitCodes, printResult, type Command, type ExitCode, type Parsed, type Session } from '../command.js';
import { parseDurationMs, parseDurationSeconds } from '../parse.js';
import { expectPositionals, parseCommandArgs, UsageError } from '../usage.js';
import type { HostView } from '../views.js';
import { decideDrainWait } from './host-wait.js';

export const hostUsage = `Usage: handoff host <cordon|drain|uncordon|token> HOST

Host maintenance (docs/hosts.md):
  cordon HOST     no new game servers on HOST; what runs there keeps running
  drain HOST      no new servers or sessions on HOST; its sessions finish, replacements
                  start elsewhere, and \`handoff get hosts\` shows it empty when safe to reboot
  uncordon HOST   HOST takes new game servers again
  token HOST      print the token \`handoff agent --host-id HOST\` authenticates with

drain options (a release's drain deadline and notice, for one host):
  --deadline D    close the sessions still open on HOST D after the drain begins (as migrated)
  --notice D      tell HOST's game servers D before that deadline (server default 60s)
  --wait          return once HOST reports empty (exit 1 if the timeout passes first)
  --timeout D     how long --wait waits (default 1h)

  --json          print the API response`;

type Action = 'cordon' | 'drain' | 'uncordon' | 'token';

/** The drain body, as a release's `drain`: null = wait for the players however long. */
export type HostDrainBody = { drain: { deadlineSeconds: number; noticeLeadSeconds?: number } | null };

export interface HostInput {
  host: string;
  drain: HostDrainBody | null;
  /** `--wait`: how long to wait for the host to report empty; null = do not wait. */
  waitMs: number | null;
}

const DEFAULT_WAIT_MS = 3_600_000;
const POLL_MS = 2_000;
const drainFlags = { deadline: { type: 'string' }, notice: { type: 'string' }, wait: { type: 'boolean' }, timeout: { type: 'string' } } as const;

/** Parses `host ACTION HOST [drain flags]`; bad durations and flags that need another are usage errors. */
export function parseHost(action: Action, args: readonly string[]): Parsed<HostInput> {
  const name = `host ${action}`;
  const { values, positionals } = parseCommandArgs(name, args, action === 'drain' ? drainFlags : {});
  if (values.help) return { global: values, help: true };
  const [host = ''] = expectPositionals(name, positionals, ['HOST']);
  if (action !== 'drain') return { global: values, help: false, input: { host, drain: null, waitMs: null } };
  const v = values as { deadline?: string; notice?: string; wait?: boolean; timeout?: string };
  if (v.notice !== undefined && v.deadline === undefined) throw new UsageError('--notice needs --deadline (it is a lead before the deadline)', name);
  if (v.timeout !== undefined && !v.wait) throw new UsageError('--timeout needs --wait', name);
  const drain = v.deadline === undefined ? null : {
    deadlineSeconds: parseDurationSeconds('--deadline', v.deadline),
    ...(v.notice === undefined ? {} : { noticeLeadSeconds: parseDurationSeconds('--notice', v.notice) }),
  };
  if (drain && drain.deadlineSeconds < 1) throw new UsageError('--deadline must be at least 1s', name);
  const waitMs = v.wait ? (v.timeout === undefined ? DEFAULT_WAIT_MS : parseDurationMs('--timeout', v.timeout)) : null;
  if (waitMs !== null && waitMs < 1) throw new UsageError('--timeout must be more than 0', name);
  return { global: values, help: false, input: { host, drain: { drain }, waitMs } };
}

function describe(h: HostView): string {
  const left = h.servers.length === 0 ? 'no game servers left' : `${h.servers.length} game servers left`;
  return `host ${h.id} is ${h.state}${h.schedule === 'Draining' ? (h.empty ? ': empty, safe to reboot' : `: ${left}`) : ''}`;
}

function hostCommand(action: Action): Command {
  return defineCommand({
    usage: hostUsage,
    parse: (args) => parseHost(action, args),
    async execute(input, session) {
      const path = `/v1/hosts/${encodeURIComponent(input.host)}/${action}`;
      if (action === 'token') {
        const res = await session.api.post<{ token: string }>(path, {});
        printResult(session, res.text, () => res.data.token);
        return ExitCodes.ok;
      }
      const res = await session.api.post<HostView>(path, input.drain ?? {});
      printResult(session, res.text, () => describe(res.data));
      return input.waitMs === null ? ExitCodes.ok : waitForEmpty(session, input.host, input.waitMs);
    },
  });
}

/** Polls the host until it reports empty, its drain is called off, or `timeoutMs` passes. */
async function waitForEmpty(session: Session, host: string, timeoutMs: number): Promise<ExitCode> {
  const { io } = session;
  const since = io.now();
  let last = '';
  for (;;) {
    let h: HostView | null = null;
    try {
      h = (await session.api.get<HostView>(`/v1/hosts/${encodeURIComponent(host)}`)).data;
    } catch (e) {
      // A control plane restarting must not end the wait; anything else (HOST_NOT_FOUND) does.
      if (!(e instanceof ConnectionError || (e instanceof ApiError && e.status >= 500))) throw e;
      io.err(`still waiting; last poll failed: ${e.message}`);
    }
    const verdict = decideDrainWait(h, since, io.now(), timeoutMs);
    if (h && !session.json) {
      const line = describe(h);
      if (line !== last) io.err(line);
      last = line;
    }
    if (verdict === 'empty') {
      if (session.json && h) io.out(JSON.stringify(h));
      return ExitCodes.ok;
    }
    if (verdict === 'called-off') {
      io.err(`host ${host} is no longer draining (${h?.state ?? '?'}); not waiting`);
      return ExitCodes.apiError;
    }
    if (verdict === 'timed-out') {
      io.err(`host ${host} not empty after ${Math.round(timeoutMs / 1000)}s: ${h ? `${h.servers.length} game servers left` : 'unreachable'}`);
      return ExitCodes.apiError;
    }
    await io.sleep(POLL_MS);
  }
}

export const hostCommands: Readonly<Record<string, Command>> = {
  'host cordon': hostCommand('cordon'),
  'host drain': hostCommand('drain'),
  'host uncordon': hostCommand('uncordon'),
  'host token': hostCommand('token'),
};
