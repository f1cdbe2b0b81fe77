/**
 * Flags of the canary and A/B strategies, parsed into the API's JSON shapes (the same shapes a
 * manifest takes). Pure; every parser throws `UsageError` naming its flag.
 *
 *   --steps "20, pause 30s, 50, pause, webhook https://ci/check 10s, 100"
 *   --cohort-player alice --cohort-attr beta=true --cohort-region eu-west
 *   --variant A:arena-v1=50 --variant B:arena-v2=50
 */
import { parseDurationSeconds, parseSmokeHttp, splitCommandLine } from '../parse.js';
import { UsageError } from '../usage.js';

export type SmokeRequest = { kind: 'http'; port: string; path: string } | { kind: 'command'; command: string[] };

export type StepRequest =
  | { setWeight: number }
  | { pause: { seconds?: number } }
  | { analysis: { smoke: SmokeRequest } | { webhook: { url: string; timeoutSeconds?: number } } };

export interface CohortRequest {
  players?: string[];
  attributes?: Record<string, string | string[]>;
  regions?: string[];
}

export interface VariantRequest {
  name?: string;
  build: string;
  weight: number;
  cohort?: CohortRequest;
}

const STEPS_HELP = 'a comma-separated list of: N (a weight, 0-100), pause, pause D, smoke-http PORT:PATH, smoke-cmd "CMD", webhook URL [D]';

/** `--steps "20, pause 30s, 50, pause, 100"` → the canary's steps, in order. */
export function parseSteps(flag: string, text: string): StepRequest[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new UsageError(`${flag}: "${text}" has an empty step; it is ${STEPS_HELP}`);
  return items.map((item) => parseStep(flag, item));
}

function parseStep(flag: string, item: string): StepRequest {
  const [word = '', ...rest] = item.split(/\s+/);
  const arg = item.slice(word.length).trim();
  if (/^\d+(\.\d+)?%?$/.test(word) && rest.length === 0) return { setWeight: weight(flag, word) };
  if (word === 'pause') {
    if (rest.length === 0) return { pause: {} };
    if (rest.length === 1) return { pause: { seconds: parseDurationSeconds(`${flag} (pause)`, arg) } };
  }
  if (word === 'smoke-http' && rest.length === 1) return { analysis: { smoke: { kind: 'http', ...parseSmokeHttp(`${flag} (smoke-http)`, arg) } } };
  if (word === 'smoke-cmd' && arg !== '') return { analysis: { smoke: { kind: 'command', command: splitCommandLine(`${flag} (smoke-cmd)`, arg) } } };
  if (word === 'webhook' && (rest.length === 1 || rest.length === 2)) {
    const [url = '', timeout] = rest;
    if (!/^https?:\/\//.test(url)) throw new UsageError(`${flag}: webhook "${url}" is not an http:// or https:// URL`);
    return { analysis: { webhook: timeout === undefined ? { url } : { url, timeoutSeconds: parseDurationSeconds(`${flag} (webhook)`, timeout) } } };
  }
  throw new UsageError(`${flag}: "${item}" is not a step; steps are ${STEPS_HELP}`);
}

function weight(flag: string, text: string): number {
  const w = Number(text.replace(/%$/, ''));
  if (!(w >= 0 && w <= 100)) throw new UsageError(`${flag}: weight ${text} is not between 0 and 100 (a share of new sessions)`);
  return w;
}

/** `--cohort-player` (repeatable, or comma-separated), `--cohort-attr k=v` (a repeated key allows each value), `--cohort-region`; null when none is given. */
export function parseCohort(players: readonly string[], attrs: readonly string[], regions: readonly string[]): CohortRequest | null {
  const cohort: CohortRequest = {};
  const list = (xs: readonly string[]): string[] => xs.flatMap((x) => x.split(',')).map((x) => x.trim()).filter((x) => x !== '');
  if (players.length > 0) cohort.players = list(players);
  if (regions.length > 0) cohort.regions = list(regions);
  if (attrs.length > 0) {
    const attributes: Record<string, string[]> = {};
    for (const pair of attrs) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new UsageError(`--cohort-attr: "${pair}" is not KEY=VALUE (e.g. beta=true)`);
      (attributes[pair.slice(0, eq)] ??= []).push(pair.slice(eq + 1));
    }
    cohort.attributes = Object.fromEntries(Object.entries(attributes).map(([k, vs]) => [k, vs.length === 1 ? (vs[0] ?? '') : vs]));
  }
  return Object.keys(cohort).length > 0 ? cohort : null;
}

/**
 * `--variant [NAME:]BUILD=WEIGHT`, repeatable, in routing order. A cohort from the `--cohort-*`
 * flags goes to the release's own build (`--build`), which must be one of the variants.
 */
export function parseVariants(specs: readonly string[], build: string, cohort: CohortRequest | null): VariantRequest[] {
  const variants = specs.map((text): VariantRequest => {
    const m = /^(?:([^:=]+):)?([^:=]+)=(\S+)$/.exec(text.trim());
    if (!m?.[2] || m[3] === undefined) throw new UsageError(`--variant: "${text}" is not [NAME:]BUILD=WEIGHT (e.g. A:arena-v1=50)`);
    const v: VariantRequest = { build: m[2], weight: weight('--variant', m[3]) };
    if (m[1]) v.name = m[1];
    return v;
  });
  if (cohort) {
    const own = variants.find((v) => v.build === build);
    if (!own) throw new UsageError(`--cohort-* flags send players to --build ${build}, which no --variant names`);
    own.cohort = cohort;
  }
  return variants;
}
