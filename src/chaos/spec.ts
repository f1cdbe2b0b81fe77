/**
 * A `kind: ChaosExperiment` document → an `Experiment`: defaults filled, durations in ms, every
 * field checked once with a coded error (`CHAOS_EXPERIMENT_INVALID`) naming the field, so an
 * experiment that cannot run never injects anything. The manifest is the operator's, not an
 * API body: hand-checked here, with no HTTP schema in the domain.
 */
import { HandoffError } from '../core/errors.js';
import { FaultTypes, type Experiment, type FaultSpec, type FaultType, type Hypothesis, type LoadSpec, type ServerRadius } from './model.js';

type Obj = Record<string, unknown>;

function invalid(field: string, message: string): HandoffError {
  return new HandoffError('CHAOS_EXPERIMENT_INVALID', `${field}: ${message}`, { field });
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function objectAt(v: unknown, field: string, known: readonly string[]): Obj {
  if (!isObj(v)) throw invalid(field, 'must be a mapping');
  const unknown = Object.keys(v).find((k) => !known.includes(k));
  if (unknown !== undefined) throw invalid(`${field}.${unknown}`, `unknown field (known: ${known.join(', ')})`);
  return v;
}

const Units = { ms: 1, s: 1000, m: 60_000 } as const;

/** `500ms`, `2s`, `1.5m`, or a number of milliseconds. */
export function durationMs(v: unknown, field: string): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return Math.round(v);
  const m = typeof v === 'string' ? /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(v.trim()) : null;
  if (!m?.[1] || !m[2]) throw invalid(field, `"${String(v)}" is not a duration (examples: 500ms, 5s, 2m)`);
  return Math.round(Number(m[1]) * Units[m[2] as keyof typeof Units]);
}

function positiveInt(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw invalid(field, 'must be a positive integer');
  return v;
}

function nonNegative(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw invalid(field, 'must be a number ≥ 0');
  return v;
}

function text(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw invalid(field, 'must be a non-empty string');
  return v;
}

/** `0.999` or `"99.9%"` → 0.999. */
function ratio(v: unknown, field: string): number {
  // Rounded so "99.9%" is 0.999 exactly, not 0.9990000000000001.
  const n = typeof v === 'string' && v.trim().endsWith('%') ? Math.round(Number(v.trim().slice(0, -1)) * 10_000) / 1_000_000 : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n > 1) throw invalid(field, 'must be a ratio between 0 and 1, or a percentage such as "99.9%"');
  return n;
}

function hypothesis(v: unknown): Hypothesis {
  const h = objectAt(v, 'hypothesis', ['minAllocationSuccess', 'maxSessionsInterrupted', 'maxP99LatencyMs', 'window', 'minSamples']);
  const out: Hypothesis = {
    minAllocationSuccess: h.minAllocationSuccess === undefined ? null : ratio(h.minAllocationSuccess, 'hypothesis.minAllocationSuccess'),
    maxSessionsInterrupted: h.maxSessionsInterrupted === undefined ? null : nonNegative(h.maxSessionsInterrupted, 'hypothesis.maxSessionsInterrupted'),
    maxP99LatencyMs: h.maxP99LatencyMs === undefined ? null : nonNegative(h.maxP99LatencyMs, 'hypothesis.maxP99LatencyMs'),
    windowMs: h.window === undefined ? 1000 : durationMs(h.window, 'hypothesis.window'),
    minSamples: h.minSamples === undefined ? 5 : positiveInt(h.minSamples, 'hypothesis.minSamples'),
  };
  if (out.minAllocationSuccess === null && out.maxSessionsInterrupted === null && out.maxP99LatencyMs === null) {
    throw invalid('hypothesis', 'states no check (minAllocationSuccess, maxSessionsInterrupted, maxP99LatencyMs)');
  }
  if (out.windowMs < 100) throw invalid('hypothesis.window', 'must be at least 100ms');
  return out;
}

function load(v: unknown): LoadSpec {
  const l = objectAt(v, 'load', ['fleet', 'rate', 'timeout']);
  return {
    fleet: text(l.fleet, 'load.fleet'),
    ratePerS: positiveInt(l.rate, 'load.rate'),
    timeoutMs: l.timeout === undefined ? 2000 : durationMs(l.timeout, 'load.timeout'),
  };
}

function signal(v: unknown, field: string): 'SIGKILL' | 'SIGTERM' {
  if (v === undefined) return 'SIGKILL';
  if (v !== 'SIGKILL' && v !== 'SIGTERM') throw invalid(field, 'must be SIGKILL or SIGTERM');
  return v;
}

function radius(f: Obj): ServerRadius {
  const fleet = text(f.fleet, 'fault.fleet');
  if ((f.count === undefined) === (f.percent === undefined)) throw invalid('fault', 'give the blast radius as exactly one of count or percent');
  if (f.count !== undefined) return { fleet, count: positiveInt(f.count, 'fault.count') };
  const percent = nonNegative(f.percent, 'fault.percent');
  if (percent === 0 || percent > 100) throw invalid('fault.percent', 'must be more than 0 and at most 100');
  return { fleet, percent };
}

function fault(v: unknown): FaultSpec {
  if (!isObj(v)) throw invalid('fault', 'must be a mapping');
  const type = v.type;
  if (typeof type !== 'string' || !(FaultTypes as readonly string[]).includes(type)) throw invalid('fault.type', `must be one of ${FaultTypes.join(', ')}`);
  switch (type as FaultType) {
    case 'kill-servers': {
      const f = objectAt(v, 'fault', ['type', 'fleet', 'count', 'percent', 'signal']);
      return { type: 'kill-servers', radius: radius(f), signal: signal(f.signal, 'fault.signal') };
    }
    case 'hang-servers':
      return { type: 'hang-servers', radius: radius(objectAt(v, 'fault', ['type', 'fleet', 'count', 'percent'])) };
    case 'kill-replica': {
      const f = objectAt(v, 'fault', ['type', 'target', 'pids', 'signal']);
      const pids = objectAt(f.pids ?? {}, 'fault.pids', Object.keys(isObj(f.pids) ? f.pids : {}));
      const checked = Object.fromEntries(Object.entries(pids).map(([id, pid]) => [id, positiveInt(pid, `fault.pids.${id}`)]));
      if (Object.keys(checked).length === 0) throw invalid('fault.pids', 'name the pid of each replica the experiment may kill (/v1/cluster does not show processes)');
      return { type: 'kill-replica', target: text(f.target ?? 'leader', 'fault.target'), pids: checked, signal: signal(f.signal, 'fault.signal') };
    }
    case 'db-proxy': {
      const f = objectAt(v, 'fault', ['type', 'control', 'latency', 'drop']);
      const latencyMs = f.latency === undefined ? 0 : durationMs(f.latency, 'fault.latency');
      if (f.drop !== undefined && typeof f.drop !== 'boolean') throw invalid('fault.drop', 'must be true or false');
      const drop = f.drop === true;
      if (latencyMs === 0 && !drop) throw invalid('fault', 'a db-proxy fault needs latency, drop: true, or both');
      const control = text(f.control, 'fault.control');
      if (!URL.canParse(control)) throw invalid('fault.control', `"${control}" is not a URL (the proxy's --control address, e.g. http://127.0.0.1:7460)`);
      return { type: 'db-proxy', control, latencyMs, drop };
    }
    case 'fill-disk': {
      const f = objectAt(v, 'fault', ['type', 'path', 'leaveBytes']);
      return { type: 'fill-disk', path: text(f.path, 'fault.path'), leaveBytes: f.leaveBytes === undefined ? 0 : nonNegative(f.leaveBytes, 'fault.leaveBytes') };
    }
  }
}

/** Compiles one parsed YAML/JSON document. Throws `HandoffError('CHAOS_EXPERIMENT_INVALID')`. */
export function compileExperiment(doc: unknown): Experiment {
  const d = objectAt(doc, 'experiment', ['kind', 'name', 'description', 'hypothesis', 'load', 'fault', 'warmup', 'baseline', 'duration', 'after']);
  if (d.kind !== 'ChaosExperiment') throw invalid('kind', 'must be ChaosExperiment');
  const name = text(d.name, 'name');
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) throw invalid('name', 'lower-case letters, digits and dashes, at most 63');
  const exp: Experiment = {
    name,
    description: d.description === undefined ? '' : text(d.description, 'description'),
    hypothesis: hypothesis(d.hypothesis),
    load: load(d.load),
    fault: fault(d.fault),
    warmupMs: d.warmup === undefined ? 500 : durationMs(d.warmup, 'warmup'),
    baselineMs: d.baseline === undefined ? 2000 : durationMs(d.baseline, 'baseline'),
    durationMs: durationMs(d.duration, 'duration'),
    afterMs: d.after === undefined ? 2000 : durationMs(d.after, 'after'),
  };
  if (exp.baselineMs < exp.hypothesis.windowMs) throw invalid('baseline', 'must be at least the hypothesis window: a baseline shorter than one window measures nothing');
  if (exp.durationMs <= 0) throw invalid('duration', 'must be longer than 0');
  return exp;
}
