/**
 * CPU profile of the control plane during one load phase, taken through the V8 inspector of
 * the child (opened with --inspect=127.0.0.1:0). `--cpu-prof` would profile the whole life of
 * the process, setup included, and is only written on a clean exit; the inspector covers
 * exactly the measured window.
 *
 * The summary attributes every sample to a category: the npm package or `src/` directory of
 * the frame, with native frames (JSON.parse, a better-sqlite3 statement, …) charged to their
 * JavaScript caller, so "better-sqlite3" includes the COMMIT (and the fsync, when SQLite does it
 * inside COMMIT). An fsync done on the libuv pool does not block the loop and shows as idle.
 */
import WebSocket from 'ws';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface Share {
  name: string;
  ms: number;
  /** Of all sampled time, idle included. */
  pct: number;
}

export interface ProfileSummary {
  wallMs: number;
  /** Sampled time the main thread was not idle. */
  busyMs: number;
  /** Samples by what they were for (see MARKERS and CATEGORY_GROUPS). */
  byGroup: Share[];
  byCategory: Share[];
  topSelf: Share[];
  /** Project frames (src/**) by time spent in them and everything they called. */
  topInclusiveProject: Share[];
}

export class Inspector {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString('utf8')) as { id?: number; result?: unknown; error?: { message: string } };
      if (msg.id === undefined) return;
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(msg.error.message));
      else p?.resolve(msg.result);
    });
  }

  static connect(url: string): Promise<Inspector> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1 << 30 });
      ws.once('open', () => resolve(new Inspector(ws)));
      ws.once('error', reject);
    });
  }

  send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: (v) => resolve(v as T), reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  async startProfile(intervalUs: number): Promise<void> {
    await this.send('Profiler.enable');
    await this.send('Profiler.setSamplingInterval', { interval: intervalUs });
    await this.send('Profiler.start');
  }

  async stopProfile(): Promise<CpuProfile> {
    const { profile } = await this.send<{ profile: CpuProfile }>('Profiler.stop');
    await this.send('Profiler.disable');
    return profile;
  }

  close(): void {
    this.ws.close();
  }
}

const SPECIAL: Record<string, string> = {
  '(idle)': 'idle (waiting for I/O)',
  '(garbage collector)': 'GC',
  '(program)': 'V8/native outside JS (program)',
  '(root)': 'root',
};

const G = {
  commit: 'SQLite commit on the event loop (statements, COMMIT, any fsync done inside it)',
  request: 'Reading the request (body reader, web streams, AbortSignal)',
  response: 'Writing the response (node:http, writev)',
  http: 'HTTP parsing and socket reads (node:http, net, streams)',
  routing: 'Routing and validation (src/http, zod, src/api, URL parsing)',
  allocation: 'Allocation logic and its crypto (ids, join token, request hash)',
  metrics: 'Metrics (prom-client)',
  promises: 'Promise and timer machinery',
  gc: 'GC',
  idle: 'idle (waiting for I/O)',
  other: 'other (V8 outside JS, reconciler, SDK endpoint, …)',
} as const;

/**
 * Functions that say what a sample is for, whatever it bottoms out in (a writev under the
 * response adapter is response cost, not generic socket I/O). The innermost marker on the
 * stack wins; samples with none are grouped by the category of their leaf (CATEGORY_GROUPS).
 */
const MARKERS: [string, string, string][] = [
  [G.commit, 'commit', 'src/store/sqlite/sqlite-store.ts'],
  [G.request, 'readJsonBody', 'src/http/body.ts'],
  [G.allocation, 'allocate', 'src/allocation/service.ts'],
  [G.metrics, '', 'prom-client'],
];

const CATEGORY_GROUPS: [string, string[]][] = [
  [G.commit, ['better-sqlite3', 'src/store']],
  [G.request, ['node:internal/deps', 'node:internal/webstreams', 'node:internal/worker', 'node:internal/abort_controller', 'node:internal/event_target']],
  [G.http, ['node:_http', 'node:net', 'node:internal/stream_base_commons', 'node:internal/streams', 'node:events', 'node:buffer', 'node:internal/buffer', 'node:internal/encoding']],
  [G.routing, ['src/http', 'zod', 'src/api', 'node:internal/url', 'node:url']],
  [G.allocation, ['src/allocation', 'src/state', 'src/session', 'src/core', 'node:internal/crypto']],
  [G.metrics, ['prom-client', 'node:internal/perf']],
  [G.promises, ['node:internal/process', 'node:internal/timers', 'node:timers']],
  [G.gc, ['GC']],
  [G.idle, ['idle (waiting for I/O)']],
];

export function groupOf(category: string): string {
  for (const [group, prefixes] of CATEGORY_GROUPS) if (prefixes.some((p) => category === p || category.startsWith(p))) return group;
  return G.other;
}

function markerOf(f: CallFrame): string | undefined {
  for (const [group, fn, url] of MARKERS) if ((fn === '' || f.functionName === fn) && f.url.includes(url)) return group;
  return undefined;
}

export function categoryOf(url: string, root: string): string {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + '/node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? url);
  }
  const local = url.replace(/^file:\/\//, '');
  if (local.startsWith(`${root}/`)) {
    const parts = local.slice(root.length + 1).split('/');
    return parts.length > 2 ? `${parts[0]}/${parts[1]}` : (parts[0] ?? local);
  }
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  return url;
}

function frameName(f: CallFrame, root: string): string {
  const file = f.url.replace(/^file:\/\//, '').replace(`${root}/`, '').replace(/^.*\/node_modules\//, '');
  // tsx-compiled project files report line 0 for everything: a line there would mislead.
  const line = f.lineNumber > 0 ? `:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'} ${file ? `${file}${line}` : '(native)'}`;
}

export function summarizeProfile(p: CpuProfile, root: string, top = 20): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const category = new Map<number, string>();
  const categorize = (id: number): string => {
    const cached = category.get(id);
    if (cached !== undefined) return cached;
    const n = byId.get(id);
    let c = 'unknown';
    if (n) {
      const special = SPECIAL[n.callFrame.functionName];
      if (special !== undefined && n.callFrame.url === '') c = special;
      else if (n.callFrame.url !== '') c = categoryOf(n.callFrame.url, root);
      else {
        // A native frame: charge its JavaScript caller.
        const up = parent.get(id);
        c = up === undefined ? 'native' : categorize(up);
      }
    }
    category.set(id, c);
    return c;
  };

  const cats = new Map<string, number>();
  const groups = new Map<string, number>();
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  let total = 0;
  let idle = 0;
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] ?? 0;
    // timeDeltas[i + 1] is the time until the next sample, i.e. how long this stack was current.
    const ms = (deltas[i + 1] ?? 0) / 1000;
    const node = byId.get(id);
    if (!node) continue;
    total += ms;
    const cat = categorize(id);
    if (cat === SPECIAL['(idle)']) idle += ms;
    cats.set(cat, (cats.get(cat) ?? 0) + ms);
    let group: string | undefined;
    for (let at: number | undefined = id; at !== undefined && group === undefined; at = parent.get(at)) {
      const f = byId.get(at)?.callFrame;
      if (f) group = markerOf(f);
    }
    group ??= groupOf(cat);
    groups.set(group, (groups.get(group) ?? 0) + ms);
    const leaf = node.callFrame.url === '' && SPECIAL[node.callFrame.functionName] === undefined
      ? `${node.callFrame.functionName || '(anonymous)'} (native) ← ${categorize(id)}`
      : frameName(node.callFrame, root);
    self.set(leaf, (self.get(leaf) ?? 0) + ms);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)?.callFrame;
      if (!f || !f.url.replace(/^file:\/\//, '').startsWith(`${root}/src/`)) continue;
      const name = frameName(f, root);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + ms);
    }
  }
  const rank = (m: Map<string, number>, n: number): Share[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), pct: total === 0 ? 0 : Math.round((1000 * ms) / total) / 10 }));
  return {
    wallMs: Math.round((p.endTime - p.startTime) / 1000),
    busyMs: Math.round(total - idle),
    byGroup: rank(groups, Object.keys(G).length),
    byCategory: rank(cats, 30),
    topSelf: rank(self, top),
    topInclusiveProject: rank(inclusive, top),
  };
}
