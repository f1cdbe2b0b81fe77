/**
 * Real hosts on one machine: each a network namespace joined to the root namespace by a veth
 * pair, with its own address (10.200.<subnet>.2; the root side is .1). Traffic stays on these
 * links and loopback. Needs root (CAP_NET_ADMIN); `netnsAvailable` says whether it may run.
 */
import { execFileSync } from 'node:child_process';

export interface NetNs {
  name: string;
  /** The namespace's address. */
  address: string;
  /** The root namespace's address on this link. */
  rootAddress: string;
  veth: string;
  /** `ip netns exec <name>`: prefix a command with it to run inside. */
  exec: string[];
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Null when namespaces can be made here; otherwise why not (the test skips with it). */
export function netnsUnavailable(): string | null {
  const probe = `hprobe${process.pid % 100000}`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
    return null;
  } catch (e) {
    return `cannot create network namespaces here (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
  }
}

/**
 * Creates a namespace with a veth link to the root namespace on <net>.<subnet>.0/24. `net` (a /16,
 * default 10.200) lets a test file keep its links apart from another file's running alongside.
 */
export function createNetNs(tag: string, subnet: number, net = '10.200'): NetNs {
  const name = `handoff-${tag}`;
  const veth = `hv${tag}`.slice(0, 15);
  const peer = `hp${tag}`.slice(0, 15);
  const rootAddress = `${net}.${subnet}.1`;
  const address = `${net}.${subnet}.2`;
  ip('netns', 'add', name);
  ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', peer);
  ip('link', 'set', peer, 'netns', name);
  ip('addr', 'add', `${rootAddress}/24`, 'dev', veth);
  ip('link', 'set', veth, 'up');
  const inNs = (...args: string[]): void => ip('netns', 'exec', name, 'ip', ...args);
  inNs('link', 'set', 'lo', 'up');
  inNs('addr', 'add', `${address}/24`, 'dev', peer);
  inNs('link', 'set', peer, 'up');
  // Other namespaces' subnets (and the control plane's address) are reached through the root side.
  inNs('route', 'add', `${net}.0.0/16`, 'via', rootAddress);
  return { name, address, rootAddress, veth, exec: ['ip', 'netns', 'exec', name] };
}

/** Kills whatever still runs inside, then removes the namespace and its link. Never throws. */
export function destroyNetNs(ns: NetNs): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', ns.name], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  } catch {
    // No such namespace.
  }
  for (const args of [['link', 'del', ns.veth], ['netns', 'del', ns.name]]) {
    try {
      ip(...args);
    } catch {
      // Already removed.
    }
  }
}

/** Takes a namespace's link down (a partition) or up again. */
export function setLink(ns: NetNs, up: boolean): void {
  ip('link', 'set', ns.veth, up ? 'up' : 'down');
}

/**
 * A JSON call to the control plane (`url()` read per call: the plane starts in `beforeAll`);
 * a non-2xx answer throws with its body, so a test fails saying what the API refused.
 */
export function apiRequest(url: () => string): <T>(method: string, p: string, body?: unknown) => Promise<T> {
  return async <T>(method: string, p: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url()}${p}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = (await res.json()) as T;
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
}
