/**
 * Command-line shape: global flags, the per-command `parseArgs` wrapper and the usage error.
 * Global flags are accepted before the command (`handoff --json get fleets`) and after it
 * (`handoff get fleets --json`); the later one wins.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseUrlList } from '../client/urls.js';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

export const DefaultServerUrl = 'http://127.0.0.1:7350';

/** Bad invocation: exit 2 and, when known, point at the command's help. */
export class UsageError extends Error {
  /** The command whose `--help` explains the mistake, e.g. `rollout start`. */
  readonly command: string | null;

  constructor(message: string, command: string | null = null) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

export interface GlobalFlags {
  server?: string | undefined;
  json?: boolean | undefined;
  help?: boolean | undefined;
}

export const GlobalOptions = {
  server: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig;

export interface Invocation {
  /** The first word that is not a global flag; null when there is none. */
  command: string | null;
  rest: string[];
  global: GlobalFlags;
  /** `--version` given before any command. */
  version: boolean;
}

/**
 * Splits `argv` at the command word. Only global flags may precede it; everything after is the
 * command's, untouched, so `handoff server --port 1` forwards `--port 1` verbatim.
 */
export function splitInvocation(argv: readonly string[]): Invocation {
  const global: GlobalFlags = {};
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--json') global.json = true;
    else if (arg === '-h' || arg === '--help') global.help = true;
    else if (arg === '--version') version = true;
    else if (arg.startsWith('--server=')) global.server = arg.slice('--server='.length);
    else if (arg === '--server') {
      const value = argv[++i];
      if (value === undefined) throw new UsageError('--server needs a URL');
      global.server = value;
    } else if (arg.startsWith('-')) throw new UsageError(`unknown global option ${arg}`);
    else return { command: arg, rest: argv.slice(i + 1), global, version };
  }
  return { command: null, rest: [], global, version };
}

interface CommandConfig<O extends ParseArgsOptionsConfig> {
  args: string[];
  options: typeof GlobalOptions & O;
  allowPositionals: true;
  strict: true;
}

/**
 * `parseArgs` with the global flags mixed in, strict, positionals allowed. Node's own
 * messages ("Unknown option '--bild'") are clear; they only change class here.
 */
export function parseCommandArgs<const O extends ParseArgsOptionsConfig>(
  command: string,
  args: readonly string[],
  options: O,
): ReturnType<typeof parseArgs<CommandConfig<O>>> {
  const config: CommandConfig<O> = {
    args: [...args],
    options: { ...GlobalOptions, ...options },
    allowPositionals: true,
    strict: true,
  };
  try {
    return parseArgs(config);
  } catch (e) {
    // Node appends a paragraph on `--` to every unknown-option message; the first sentence says it.
    const message = (e instanceof Error ? e.message : String(e)).split('. To specify a positional')[0] ?? '';
    throw new UsageError(message, command);
  }
}

/** Exactly `names.length` positionals, returned in order. */
export function expectPositionals(command: string, positionals: readonly string[], names: readonly string[]): string[] {
  if (positionals.length < names.length) {
    const missing = names.slice(positionals.length).join(' ');
    throw new UsageError(`missing ${missing}`, command);
  }
  if (positionals.length > names.length) {
    throw new UsageError(`unexpected argument "${positionals[names.length]}"`, command);
  }
  return [...positionals];
}

/**
 * `--server` beats `HANDOFF_URL` beats the default. Either may list several replicas,
 * comma-separated (`http://a:7350,http://b:7350`); every URL must be http(s).
 */
export function resolveServerUrls(flags: readonly GlobalFlags[], env: Readonly<Record<string, string | undefined>>): string[] {
  const fromFlags = flags.map((f) => f.server).filter((s): s is string => s !== undefined).at(-1);
  const raw = fromFlags ?? (env.HANDOFF_URL || undefined) ?? DefaultServerUrl;
  try {
    return parseUrlList(raw);
  } catch (e) {
    throw new UsageError(`--server: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The first of `resolveServerUrls`: for commands that talk to one replica. */
export function resolveServerUrl(flags: readonly GlobalFlags[], env: Readonly<Record<string, string | undefined>>): string {
  return resolveServerUrls(flags, env)[0] as string;
}
