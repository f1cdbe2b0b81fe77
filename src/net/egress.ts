/**
 * Which addresses the control plane may call with an operator-supplied URL (webhook gates,
 * analysis webhooks, notification webhooks, Prometheus addresses in a spec): a guard against
 * server-side request forgery. Pure: it judges an IP address; the client (`post.ts`) asks it
 * for the literal host and for every address DNS gives when it connects.
 *
 * The default refuses only link-local and cloud-metadata addresses. Loopback and private ranges
 * stay open on purpose: studios run their CI hooks, chat bridges and Prometheus on internal
 * networks and on the same host. `--webhook-deny` adds ranges to refuse (e.g. 10.0.0.0/8 for a
 * control plane that must only call the internet); `--webhook-allow` exempts ranges from any
 * refusal (a hook that really lives on a link-local address).
 */
import { BlockList, isIP } from 'node:net';
import { HandoffError } from '../core/errors.js';

/** Link-local (where cloud metadata services live) and the metadata addresses outside it. */
export const DEFAULT_DENIED = [
  '169.254.0.0/16', // IPv4 link-local: 169.254.169.254 is AWS, GCP, Azure and OpenStack metadata
  'fe80::/10', // IPv6 link-local
  'fd00:ec2::254/128', // AWS metadata over IPv6
  '100.100.100.200/32', // Alibaba Cloud metadata
] as const;

export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

export interface EgressPolicy {
  deny: readonly Cidr[];
  allow: readonly Cidr[];
}

/** `10.0.0.0/8`, `fe80::/10`, or one address (`192.0.2.7`: a /32 or /128). Throws RangeError. */
export function parseCidr(text: string): Cidr {
  const [address = '', bits, ...rest] = text.trim().split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) throw new RangeError(`"${text}" is not an IP address or CIDR range (examples: 10.0.0.0/8, fd00::/8, 192.0.2.7)`);
  const max = version === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!(prefix >= 0 && prefix <= max)) throw new RangeError(`"${text}": the prefix must be 0 to ${max}`);
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** The policy: the defaults plus `deny`, with `allow` exempt from both. */
export function egressPolicy(opts: { allow?: readonly string[]; deny?: readonly string[] } = {}): EgressPolicy {
  return { deny: [...DEFAULT_DENIED, ...(opts.deny ?? [])].map(parseCidr), allow: (opts.allow ?? []).map(parseCidr) };
}

/** Why the policy refuses this IP address, or null when it may be called. */
export function egressRefusal(policy: EgressPolicy, ip: string): string | null {
  const address = unmapped(ip);
  const family = isIP(address) === 4 ? 'ipv4' : isIP(address) === 6 ? 'ipv6' : null;
  if (!family) return `${ip} is not an IP address`;
  const hit = (list: readonly Cidr[]): Cidr | undefined => list.find((c) => c.family === family && blockOf(c).check(address, family));
  if (hit(policy.allow)) return null;
  const denied = hit(policy.deny);
  return denied ? `${ip} is in ${denied.address}/${denied.prefix}, which webhooks may not call (link-local and cloud metadata by default; see --webhook-allow)` : null;
}

/** `::ffff:169.254.169.254` is the IPv4 address it carries: judged as IPv4, so a mapped form slips through no rule. */
function unmapped(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m?.[1] ?? ip;
}

function blockOf(c: Cidr): BlockList {
  const list = new BlockList();
  list.addSubnet(c.address, c.prefix, c.family);
  return list;
}

/** The host of a URL when it is an IP literal (brackets removed), else null (a name DNS resolves). */
export function literalHost(url: string): string | null {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return null;
  }
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return isIP(bare) ? bare : null;
}

/**
 * Refuses, before anything is applied, a spec whose `url` or `address` (at any depth: webhook
 * gates, analysis webhooks, Prometheus queries, notification webhooks) is an IP literal the
 * policy refuses. Host names are judged when they are called: what they resolve to can change.
 */
export function checkUrls(value: unknown, policy: EgressPolicy, path = ''): void {
  if (Array.isArray(value)) return value.forEach((v, i) => checkUrls(v, policy, `${path}[${i}]`));
  if (typeof value !== 'object' || value === null) return;
  for (const [key, v] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if ((key === 'url' || key === 'address') && typeof v === 'string') {
      const literal = literalHost(v);
      const why = literal ? egressRefusal(policy, literal) : null;
      if (why) throw new HandoffError('WEBHOOK_URL_FORBIDDEN', `${at}: ${v}: ${why}`, { url: v, path: at });
    } else checkUrls(v, policy, at);
  }
}
