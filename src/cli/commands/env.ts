/**
 * `handoff env list|status|snapshot|restore|stage|history`: environments and their blue/green
 * slots (docs/environments.md).
 */
import { defineCommand, ExitCodes, printResult, type Parsed } from '../command.js';
import { renderEnvList, renderEnvStatus, renderSnapshot } from '../env-render.js';
import { parsePositiveInt } from '../parse.js';
import { formatTime, renderTable, truncate } from '../table.js';
import { expectPositionals, parseCommandArgs, UsageError } from '../usage.js';
import type { EnvHistoryView, EnvironmentView, EnvSnapshotView, ListView } from '../views.js';

export const envUsage = `Usage: handoff env <list|status|snapshot|restore|stage|history> [NAME] [flags]

  list                          environments: live slot, live and idle builds, last snapshot
  status NAME                   slots, what is staged or queued, recent history, snapshots
  snapshot NAME                 save the configuration as the next numbered snapshot
  restore NAME --snapshot N     release back to snapshot N's build, then restore its slots
  stage NAME --build B          stage build B in the idle slot (warm servers included)
  stage NAME --from ENV         promote: stage the build live in ENV (the same build id)
  history NAME [--limit N]      the history of slots and builds, newest first

Environments are declared with \`handoff apply -f\` (kind: Environment).`;

const Usages = {
  list: 'Usage: handoff env list\n\nList environments.',
  status: 'Usage: handoff env status NAME [--history N]\n\nShow an environment: its slots, what is staged or queued, its recent history (N lines, default 10) and its snapshots.',
  snapshot: 'Usage: handoff env snapshot NAME\n\nSave the environment\'s configuration (builds, fleets, routing, slot bindings) as the next numbered snapshot. Refused (ENV_BUSY) while a release runs.',
  restore: 'Usage: handoff env restore NAME --snapshot N [--old-idle-seconds S]\n\nRestore snapshot N: a session-aware blue-green release of its live build to every fleet that left it (open sessions finish where they are), then its slot bindings.\n\n  --old-idle-seconds S   stop emptied servers of the build left after S seconds (default: the fleet\'s idle time)',
  stage: `Usage: handoff env stage NAME (--build B | --from ENV) [--warm-servers N]

Stage a build in the idle slot of NAME: its files are checked and, with warm servers, servers
of it are started in every fleet of the environment, Ready and taking no sessions, so the next
release to it switches without starting a process. While a release runs, the stage is queued
and lands when it completes.

  --build B          the build to stage
  --from ENV         promote: the build live in environment ENV (the same build id)
  --warm-servers N   warm servers per fleet (default: the idle slot's setting)`,
  history: 'Usage: handoff env history NAME [--limit N]\n\nThe environment\'s history of slots and builds, newest first.',
} as const;

type Sub = keyof typeof Usages;

export interface EnvInput {
  sub: Sub;
  name: string;
  build?: string;
  from?: string;
  warmServers?: number;
  snapshot?: number;
  oldIdleSeconds?: number;
  limit?: number;
}

export function parseEnv(sub: Sub, args: readonly string[]): Parsed<EnvInput> {
  const cmd = `env ${sub}`;
  const { values, positionals } = parseCommandArgs(cmd, args, {
    build: { type: 'string' }, from: { type: 'string' }, 'warm-servers': { type: 'string' },
    snapshot: { type: 'string' }, limit: { type: 'string' }, history: { type: 'string' }, 'old-idle-seconds': { type: 'string' },
  });
  if (values.help) return { global: values, help: true };
  const allowed: Record<Sub, string[]> = { list: [], status: ['history'], snapshot: [], restore: ['snapshot', 'old-idle-seconds'], stage: ['build', 'from', 'warm-servers'], history: ['limit'] };
  for (const flag of ['build', 'from', 'warm-servers', 'snapshot', 'limit', 'history', 'old-idle-seconds'] as const) {
    if (values[flag] !== undefined && !allowed[sub].includes(flag)) throw new UsageError(`--${flag} does not apply to env ${sub}`, cmd);
  }
  const [name = ''] = expectPositionals(cmd, positionals, sub === 'list' ? [] : ['NAME']);
  const input: EnvInput = { sub, name };
  if (sub === 'restore') {
    if (values.snapshot === undefined) throw new UsageError('--snapshot N is required', cmd);
    input.snapshot = parsePositiveInt('--snapshot', values.snapshot);
    if (values['old-idle-seconds'] !== undefined) input.oldIdleSeconds = parsePositiveInt('--old-idle-seconds', values['old-idle-seconds']);
  }
  if (sub === 'stage') {
    if ((values.build === undefined) === (values.from === undefined)) throw new UsageError('give exactly one of --build B and --from ENV', cmd);
    if (values.build !== undefined) input.build = values.build;
    if (values.from !== undefined) input.from = values.from;
    const warm = values['warm-servers'];
    if (warm !== undefined) {
      if (!/^\d+$/.test(warm)) throw new UsageError(`--warm-servers: "${warm}" is not a whole number`, cmd);
      input.warmServers = Number(warm);
    }
  }
  if (values.limit !== undefined) input.limit = parsePositiveInt('--limit', values.limit);
  if (values.history !== undefined) input.limit = parsePositiveInt('--history', values.history);
  return { global: values, help: false, input };
}

const path = (name: string, rest = '') => `/v1/environments/${encodeURIComponent(name)}${rest}`;

function envCommand(sub: Sub) {
  return defineCommand({
    usage: Usages[sub],
    parse: (args) => parseEnv(sub, args),
    async execute(input, session) {
      const { api, io } = session;
      switch (input.sub) {
        case 'list': {
          const res = await api.get<ListView<EnvironmentView>>('/v1/environments');
          printResult(session, res.text, () => renderEnvList(res.data.items, io.now()));
          break;
        }
        case 'status': {
          const res = await api.get<EnvironmentView>(path(input.name));
          const snaps = session.json ? [] : (await api.get<ListView<EnvSnapshotView>>(path(input.name, '/snapshots'), { limit: 10 })).data.items;
          printResult(session, res.text, () => renderEnvStatus(res.data, snaps, input.limit ?? 10));
          break;
        }
        case 'snapshot': {
          const res = await api.post<EnvSnapshotView>(path(input.name, '/snapshots'));
          printResult(session, res.text, () => renderSnapshot(res.data));
          break;
        }
        case 'restore': {
          const res = await api.post<{ environment: EnvironmentView; releases: { fleet: string; rollout: string }[] }>(path(input.name, '/restore'), { snapshot: input.snapshot, ...(input.oldIdleSeconds !== undefined ? { release: { oldIdleSeconds: input.oldIdleSeconds } } : {}) });
          printResult(session, res.text, () => {
            const rel = res.data.releases.map((r) => `${r.fleet} (${r.rollout})`).join(', ');
            return `restoring ${input.name} to snapshot #${input.snapshot ?? ''}: ${rel ? `releasing ${res.data.environment.restoring?.build ?? ''} to ${rel}` : 'the fleets already run its build'}; follow with \`handoff env status ${input.name}\``;
          });
          break;
        }
        case 'stage': {
          const body = { ...(input.build !== undefined ? { build: input.build } : {}), ...(input.from !== undefined ? { from: input.from } : {}), ...(input.warmServers !== undefined ? { warmServers: input.warmServers } : {}) };
          const res = await api.post<EnvironmentView>(path(input.name, '/stage'), body);
          printResult(session, res.text, () => {
            const e = res.data;
            if (e.next) return `${e.next.build} queued for ${e.name}: it is staged when the release in flight completes`;
            const idle = e.slots[e.live === 'blue' ? 'green' : 'blue'];
            return `${idle.build} staged in ${e.name} (slot ${e.live === 'blue' ? 'green' : 'blue'}, ${idle.warmServers} warm server(s) per fleet)`;
          });
          break;
        }
        case 'history': {
          const res = await api.get<ListView<EnvHistoryView>>(path(input.name, '/history'), { limit: input.limit });
          printResult(session, res.text, () => renderTable(['AT', 'ACTION', 'SLOT', 'BUILD', 'DETAIL'], res.data.items.map((h) => [formatTime(h.at), h.action, h.slot, h.build, truncate(h.detail, 100)])));
          break;
        }
      }
      return ExitCodes.ok;
    },
  });
}

export const envCommands = Object.fromEntries((Object.keys(Usages) as Sub[]).map((s) => [`env ${s}`, envCommand(s)]));
