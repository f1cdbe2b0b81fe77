/**
 * `handoff`: the operator's command line. `bin/handoff` runs this file under tsx. Commands parse
 * their flags first (a usage error exits 2 without a request), then talk to the control plane's
 * `/v1` API. Exit codes: 0 ok, 1 API or connection error, 2 usage error.
 */
import { readFile } from 'node:fs/promises';
import { text as readStream } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiClient, ApiError, ConnectionError, isRecord } from './client.js';
import { ExitCodes, type CliIo, type Command, type ExitCode, type Session } from './command.js';
import { allocateCommand } from './commands/allocate.js';
import { applyCommand } from './commands/apply.js';
import { getCommand } from './commands/get.js';
import { loadtestCommand } from './commands/loadtest.js';
import { chaosProxyCommand, chaosRunCommand, chaosUsage } from './commands/chaos.js';
import { notifyCommand } from './commands/notify.js';
import { rolloutAbortCommand, rolloutPromoteCommand, rolloutStatusCommand, rolloutUsage } from './commands/rollout.js';
import { rolloutStartCommand } from './commands/rollout-start.js';
import { envCommands, envUsage } from './commands/env.js';
import { webhookCommands, webhookUsage } from './commands/webhook.js';
import { hostCommands, hostUsage } from './commands/host.js';
import { releaseAbortCommand, releaseApplyCommand, releaseApproveCommand, releaseStatusCommand, releaseUsage } from './commands/release.js';
import { DefaultServerUrl, resolveServerUrls, splitInvocation, UsageError } from './usage.js';

const Usage = `handoff: zero-downtime, session-aware releases for dedicated game-server fleets

Usage: handoff [--server URL] [--json] <command> [flags]

Commands:
  server [flags]              run the control plane (see: handoff server --help)
  agent [flags]               run one host's game servers for a control plane
                              (see: handoff agent --help; docs/hosts.md)
  backup --to FILE            snapshot the state store, while serving (docs/backups.md)
  restore --from FILE         load a backup into an empty store (control plane stopped)
  apply -f FILE               register builds, create or update fleets from YAML or JSON
  get RESOURCE                list builds, fleets, servers, sessions, rollouts, events,
                              hosts or the cluster (replicas, leader, epoch)
  allocate FLEET --player ID  place a player on a game server
  notify FLEET --message TEXT send a maintenance notice to the fleet's game servers
  loadtest --fleet F --rate N --duration D
                              offer allocations open loop; allocations/s, latency, errors
  chaos run FILE              run a chaos experiment: inject a fault, judge the steady
                              state, abort and restore the moment it breaks (docs/chaos.md)
  chaos proxy                 a fault-injecting TCP proxy for the database connection
  rollout start FLEET         release a build to a fleet
  rollout status FLEET        show (or --watch) the fleet's latest rollout
  rollout promote FLEET       switch a rollout waiting for promotion
  rollout abort FLEET         abort the fleet's latest rollout
  release apply -f FILE       apply a release plan (several fleets, dependency order, gates)
  release status NAME         show a release plan and its steps
  release approve NAME        pass the approval gate a step waits at
  release abort NAME          stop a release plan
  archive export --to FILE    write old events and closed sessions as JSON lines
  env list|status|snapshot|restore|stage|history
                              environments: blue/green slots, snapshots, staging
  webhook list|create|delete|deliveries
                              webhooks for release events and their delivery log
  host cordon|drain|uncordon|token HOST
                              host maintenance and agent tokens (docs/hosts.md)
  version                     print the CLI version

Global flags (before or after the command):
  --server URLS  the control plane: one URL, or its replicas comma-separated
                 (env HANDOFF_URL; default ${DefaultServerUrl})
  --json         print the API's JSON instead of tables
  -h, --help     help; \`handoff <command> --help\` for a command's flags

Exit codes: 0 ok, 1 API or connection error, 2 usage error.`;

const Commands: Readonly<Record<string, Command>> = {
  apply: applyCommand,
  get: getCommand,
  allocate: allocateCommand,
  notify: notifyCommand,
  loadtest: loadtestCommand,
  'chaos run': chaosRunCommand,
  'chaos proxy': chaosProxyCommand,
  'rollout start': rolloutStartCommand,
  'rollout status': rolloutStatusCommand,
  'rollout promote': rolloutPromoteCommand,
  'rollout abort': rolloutAbortCommand,
  ...envCommands,
  ...webhookCommands,
  ...hostCommands,
  'release apply': releaseApplyCommand,
  'release status': releaseStatusCommand,
  'release approve': releaseApproveCommand,
  'release abort': releaseAbortCommand,
};

/** Commands spelled in two words (`rollout start`, `env stage`), with the group's own usage. */
const Groups: Readonly<Record<string, string>> = { chaos: chaosUsage, rollout: rolloutUsage, release: releaseUsage, env: envUsage, webhook: webhookUsage, host: hostUsage };

/** Runs one invocation and returns its exit code. Never calls `process.exit`: output must flush. */
async function main(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let json = false;
  // Usage errors from value parsers and manifests do not know their command; this does.
  let current: string | null = null;
  try {
    const inv = splitInvocation(argv);
    json = inv.global.json ?? false;
    const word = inv.version ? 'version' : inv.command;
    if (word === null) return showUsage(io, Usage, inv.global.help === true);
    if (word === 'help') return helpFor(io, inv.rest);
    if (word === 'version') return await printVersion(io, json || inv.rest.includes('--json'));
    if (word === 'server') return await runServer(inv.rest);
    if (word === 'agent') return await runAgent(inv.rest);
    if (word === 'backup' || word === 'restore') return await runBackup(word, inv.rest, io);
    if (word === 'archive') return await runArchive(inv.rest, io);

    const [name, args] = commandName(word, inv.rest);
    const command = Commands[name];
    if (!command) return groupOrUnknown(io, name, args, inv.global.help === true);
    current = name;
    if (inv.global.help) return showUsage(io, command.usage, true);
    const prepared = command.prepare(args);
    if (!prepared.run) return showUsage(io, command.usage, true);
    json = json || (prepared.global.json ?? false);
    const session: Session = {
      io,
      api: new ApiClient(resolveServerUrls([inv.global, prepared.global], io.env)),
      json,
    };
    return await prepared.run(session);
  } catch (e) {
    return report(io, e, json, current);
  }
}

/** `handoff rollout` (or `release`, `env`, `webhook`) alone lists its subcommands; anything else unknown is a usage error. */
function groupOrUnknown(io: CliIo, name: string, args: readonly string[], help: boolean): ExitCode {
  const usage = Groups[name];
  if (usage === undefined) throw new UsageError(`unknown command "${name}"`);
  const sub = args[0];
  if (sub !== undefined && !sub.startsWith('-')) throw new UsageError(`unknown ${name} command "${sub}"`, name);
  return showUsage(io, usage, help || args.includes('-h') || args.includes('--help'));
}

/** `rollout start …`, `release apply …`, `env stage …` are commands spelled in two words. */
function commandName(word: string, rest: readonly string[]): [string, string[]] {
  const sub = rest[0];
  if (Groups[word] !== undefined && sub !== undefined && Commands[`${word} ${sub}`]) return [`${word} ${sub}`, rest.slice(1)];
  return [word, [...rest]];
}

/** Asked-for help goes to stdout and succeeds; help shown because something was missing is a usage error. */
function showUsage(io: CliIo, usage: string, asked: boolean): ExitCode {
  if (asked) {
    io.out(usage);
    return ExitCodes.ok;
  }
  io.err(usage);
  return ExitCodes.usage;
}

function helpFor(io: CliIo, words: readonly string[]): ExitCode {
  const name = words.join(' ');
  if (name === '') return showUsage(io, Usage, true);
  const group = Groups[name];
  if (group !== undefined) return showUsage(io, group, true);
  const command = Commands[name];
  if (!command) throw new UsageError(`no help for "${name}"; run \`handoff --help\``);
  return showUsage(io, command.usage, true);
}

function report(io: CliIo, e: unknown, json: boolean, command: string | null): ExitCode {
  if (e instanceof UsageError) {
    const about = e.command ?? command;
    io.err(`error: ${e.message}`);
    io.err(`run \`handoff ${about ? `${about} ` : ''}--help\` for usage`);
    return ExitCodes.usage;
  }
  if (e instanceof ApiError) {
    if (json) io.out(JSON.stringify(isRecord(e.body) ? e.body : { error: { code: e.code, message: e.message } }));
    else io.err(`error ${e.code}: ${e.message}`);
    return ExitCodes.apiError;
  }
  if (e instanceof ConnectionError) {
    io.err(`error: ${e.message}\n  (${e.detail})`);
    return ExitCodes.apiError;
  }
  // Anything else is a bug in the CLI: show the stack, it is what a bug report needs.
  io.err(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return ExitCodes.apiError;
}

async function printVersion(io: CliIo, json: boolean): Promise<ExitCode> {
  const pkg: unknown = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
  const version = isRecord(pkg) && typeof pkg.version === 'string' ? pkg.version : 'unknown';
  io.out(json ? JSON.stringify({ version }) : `handoff ${version} (node ${process.version})`);
  return ExitCodes.ok;
}

/**
 * Hands the rest of the command line to the control plane, untouched. Imported lazily so the
 * server's dependencies (SQLite, the runtime) load only for `handoff server`.
 */
async function runServer(args: readonly string[]): Promise<ExitCode> {
  const { runServerCommand } = await import('../server/main.js');
  const status = await runServerCommand([...args]);
  // 75 and 78 tell a supervisor whether a restart can help (command.ts): passed through as they are.
  return status === 0 ? ExitCodes.ok : status === ExitCodes.tempFail ? ExitCodes.tempFail : status === ExitCodes.config ? ExitCodes.config : ExitCodes.apiError;
}

/** `handoff agent`: lazily loaded like the server (it runs the local runtime). */
async function runAgent(args: readonly string[]): Promise<ExitCode> {
  const { runAgentCommand } = await import('../agent/main.js');
  const status = await runAgentCommand([...args]);
  return status === 0 ? ExitCodes.ok : status === 2 ? ExitCodes.usage : ExitCodes.apiError;
}

/** Backups work on the store, not through the API; loaded lazily like the server. */
async function runBackup(word: 'backup' | 'restore', args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { runBackupCli } = await import('../store/backup/cli.js');
  return runBackupCli(word, args, io);
}

/** Local like `server`: reads the data directory, not the API. Lazy for the same reason. */
async function runArchive(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { runArchiveCommand } = await import('../retention/cli.js');
  return runArchiveCommand(args, io.out, io.err);
}

function processIo(): CliIo {
  return {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
    readStdin: () => readStream(process.stdin),
    readFile: (path) => readFile(path, 'utf8'),
    env: process.env,
    isTTY: process.stdout.isTTY === true,
    now: () => Date.now(),
    sleep: (ms) => sleep(ms),
  };
}

process.exitCode = await main(process.argv.slice(2), processIo());
