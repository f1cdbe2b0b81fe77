/**
 * Groups a V8 CPU profile (`SCALE_PROFILE`, restart.ts) into whose time it was: the control
 * plane's (src/ outside the simulated runtime), the simulated fleet's (src/runtime/simulated), the
 * bench's (bench/), GC, and the rest (node internals, idle); then the heaviest functions by self
 * time. Usage: node --import tsx bench/scale/profile-summary.ts FILE [TOP]
 */
import { readFileSync } from 'node:fs';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

export function owner(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'gc';
  if (fn === '(idle)' || fn === '(program)') return fn.slice(1, -1);
  // The runtime adapter is the control plane's view of its machine (as the local runtime is); the
  // host, its game servers and their SDK link are the fleet.
  if (url.includes('/src/runtime/simulated/simulated-runtime')) return 'control plane';
  if (url.includes('/src/runtime/simulated/')) return 'simulated fleet';
  if (url.includes('/bench/')) return 'bench';
  if (url.includes('/src/')) return 'control plane';
  if (url.includes('better-sqlite3')) return 'control plane (sqlite)';
  return 'node/deps';
}

export function summarize(p: Profile, top = 25): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i] as number, (self.get(p.samples[i] as number) ?? 0) + (p.timeDeltas[i] ?? 0));
  // A node's owner for "total" grouping: the nearest frame with a src/ or bench/ url above it.
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const groupOf = (id: number): string => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur) as Node;
      // The inspector's own call that started the profile: time before the restart began.
      if (n.callFrame.url === 'node:inspector') return 'profiler (before the restart)';
      const o = owner(n.callFrame.url, n.callFrame.functionName);
      if (o !== 'node/deps' && o !== 'control plane (sqlite)') return o;
      if (o === 'control plane (sqlite)') return 'control plane';
    }
    return 'node/deps';
  };
  const groups = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id) as Node;
    const g = groupOf(id);
    groups.set(g, (groups.get(g) ?? 0) + us);
    const key = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(src|bench|node_modules)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  // Inclusive time of src/ functions (a function on the stack twice counts once per sample).
  const incl = new Map<string, number>();
  for (const [id, us] of self) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur) as Node;
      if (!n.callFrame.url.includes('/src/')) continue;
      const key = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/src\//, 'src/')}:${n.callFrame.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      incl.set(key, (incl.get(key) ?? 0) + us);
    }
  }
  const total = (p.endTime - p.startTime) / 1000;
  const lines = [`profile: ${Math.round(total)} ms`, '', '| whose (self time, callers attributed to the nearest src/ or bench/ frame) | ms |', '|---|---|'];
  for (const [g, us] of [...groups].sort((a, b) => b[1] - a[1])) lines.push(`| ${g} | ${Math.round(us / 1000)} |`);
  lines.push('', '| function (self time) | ms |', '|---|---|');
  for (const [f, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`| ${f} | ${Math.round(us / 1000)} |`);
  lines.push('', '| src/ function (inclusive time) | ms |', '|---|---|');
  for (const [f, us] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`| ${f} | ${Math.round(us / 1000)} |`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: profile-summary.ts FILE [TOP]');
  process.stdout.write(`${summarize(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(process.argv[3] ?? 25))}\n`);
}
