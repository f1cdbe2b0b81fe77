/**
 * What every command is made of. Parsing is separate from execution so flags can be checked
 * (and unit-tested) without a server, and so a usage error never sends a request.
 */
import type { ApiClient } from './client.js';
import type { GlobalFlags } from './usage.js';

/**
 * `handoff server` adds two (sysexits.h): 75, temporary — no usable database yet, or a lost
 * lease: a supervisor should restart it; 78, configuration — a schema from a newer Handoff that
 * this version cannot run on: restarting it cannot help.
 */
export const ExitCodes = { ok: 0, apiError: 1, usage: 2, tempFail: 75, config: 78 } as const;
export type ExitCode = (typeof ExitCodes)[keyof typeof ExitCodes];

/** Everything a command touches outside itself, so nothing reaches for `process` directly. */
export interface CliIo {
  /** Writes `text` and a newline to stdout. */
  out(text: string): void;
  /** Writes `text` and a newline to stderr. */
  err(text: string): void;
  readStdin(): Promise<string>;
  readFile(path: string): Promise<string>;
  env: Readonly<Record<string, string | undefined>>;
  /** Whether stdout is a terminal (ANSI redraws are only for terminals). */
  isTTY: boolean;
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** A parsed invocation, connected: where to send requests and how to print. */
export interface Session {
  io: CliIo;
  api: ApiClient;
  /** Print the API's JSON instead of tables. */
  json: boolean;
}

export type Parsed<I> = { global: GlobalFlags; help: true } | { global: GlobalFlags; help: false; input: I };

/** A command with its input type erased, so commands of different inputs share one registry. */
export interface Command {
  readonly usage: string;
  /** Throws `UsageError`; `run` is null when only help was asked for. */
  prepare(args: readonly string[]): { global: GlobalFlags; run: ((s: Session) => Promise<ExitCode>) | null };
}

export function defineCommand<I>(spec: {
  usage: string;
  parse: (args: readonly string[]) => Parsed<I>;
  execute: (input: I, session: Session) => Promise<ExitCode>;
}): Command {
  return {
    usage: spec.usage,
    prepare(args) {
      const parsed = spec.parse(args);
      if (parsed.help) return { global: parsed.global, run: null };
      return { global: parsed.global, run: (session) => spec.execute(parsed.input, session) };
    },
  };
}

/** Prints a successful response: the raw body under `--json`, otherwise the human rendering. */
export function printResult(session: Session, text: string, human: () => string): void {
  if (session.json) session.io.out(text.endsWith('\n') ? text.slice(0, -1) : text);
  else session.io.out(human());
}
