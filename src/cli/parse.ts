/**
 * Parsers for the values of command-line flags. Each throws `UsageError` naming the flag, so
 * a typo exits 2 with a message the operator can act on instead of a server-side 400.
 */
import { UsageError } from './usage.js';

const DurationUnits = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
type DurationUnit = keyof typeof DurationUnits;

/** `90` (seconds), `90s`, `500ms`, `5m`, `1h`, `1.5m` → milliseconds. */
export function parseDurationMs(flag: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match?.[1]) {
    throw new UsageError(`${flag}: "${text}" is not a duration (examples: 90, 90s, 5m, 1h)`);
  }
  const unit = (match[2] ?? 's') as DurationUnit;
  return Math.round(Number(match[1]) * DurationUnits[unit]);
}

/** A duration the API takes in whole seconds; `1.5m` is fine, `1500ms` is not. */
export function parseDurationSeconds(flag: string, text: string): number {
  const ms = parseDurationMs(flag, text);
  if (ms % 1000 !== 0) throw new UsageError(`${flag}: "${text}" must be a whole number of seconds`);
  return ms / 1000;
}

/** A positive integer such as `--limit 20`. */
export function parsePositiveInt(flag: string, text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new UsageError(`${flag}: "${text}" is not a positive integer`);
  }
  return Number(text);
}

/** Repeated `--attr k=v` flags → a record. The value may itself contain `=`. */
export function parseKeyValues(flag: string, pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag}: "${pair}" is not KEY=VALUE`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** `--smoke-http game:/healthz` → the port *name* the build declares, and the path. */
export function parseSmokeHttp(flag: string, text: string): { port: string; path: string } {
  const colon = text.indexOf(':');
  const port = colon > 0 ? text.slice(0, colon) : '';
  const path = text.slice(colon + 1);
  if (!port || !path.startsWith('/')) {
    throw new UsageError(`${flag}: "${text}" is not PORT:PATH (e.g. game:/healthz)`);
  }
  return { port, path };
}

/**
 * Splits `--smoke-cmd "./check --map 'de dust'"` into argv the way a POSIX shell would for
 * plain words, single and double quotes and backslash escapes. No expansion of any kind: the
 * server runs the command without a shell.
 */
export function splitCommandLine(flag: string, text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (quote === "'") {
      if (ch === "'") quote = null;
      else word += ch;
    } else if (ch === '\\' && i + 1 < text.length && (quote === null || /["\\$`]/.test(text.charAt(i + 1)))) {
      word += text.charAt(++i);
      inWord = true;
    } else if (quote === '"') {
      if (ch === '"') quote = null;
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote !== null) throw new UsageError(`${flag}: unterminated ${quote} quote in "${text}"`);
  if (inWord) words.push(word);
  if (words.length === 0) throw new UsageError(`${flag}: the command is empty`);
  return words;
}
