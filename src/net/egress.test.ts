import { describe, expect, it } from 'vitest';
import { checkUrls, egressPolicy, egressRefusal, literalHost, parseCidr } from './egress.js';

describe('egressRefusal', () => {
  const defaults = egressPolicy();
  it.each([
    ['169.254.169.254', 'cloud metadata (AWS, GCP, Azure)'],
    ['169.254.1.1', 'IPv4 link-local'],
    ['::ffff:169.254.169.254', 'metadata as an IPv4-mapped IPv6 address'],
    ['fe80::1', 'IPv6 link-local'],
    ['fd00:ec2::254', 'AWS metadata over IPv6'],
    ['100.100.100.200', 'Alibaba Cloud metadata'],
  ])('refuses %s by default (%s)', (ip) => {
    expect(egressRefusal(defaults, ip)).toMatch(/which webhooks may not call/);
  });

  it.each([
    ['127.0.0.1', 'loopback: hooks beside the control plane'],
    ['::1', 'IPv6 loopback'],
    ['10.1.2.3', 'a private network: studios run internal hooks'],
    ['192.168.10.5', 'a private network'],
    ['172.16.0.9', 'a private network'],
    ['203.0.113.7', 'the internet'],
    ['169.253.255.255', 'just below link-local'],
  ])('lets %s through by default (%s)', (ip) => {
    expect(egressRefusal(defaults, ip)).toBeNull();
  });

  it('refuses the ranges --webhook-deny adds, and lets --webhook-allow exempt part of any refused range', () => {
    const p = egressPolicy({ deny: ['10.0.0.0/8', 'fd00::/8'], allow: ['10.9.0.0/16', '169.254.170.2'] });
    expect(egressRefusal(p, '10.1.2.3')).toMatch(/10\.0\.0\.0\/8/);
    expect(egressRefusal(p, 'fd12::1')).toMatch(/fd00::\/8/);
    expect(egressRefusal(p, '10.9.4.4')).toBeNull();
    expect(egressRefusal(p, '169.254.170.2')).toBeNull();
    expect(egressRefusal(p, '169.254.169.254')).not.toBeNull();
  });

  it('refuses what is not an IP address', () => {
    expect(egressRefusal(defaults, 'example.com')).toMatch(/not an IP address/);
  });
});

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', { address: '10.0.0.0', prefix: 8, family: 'ipv4' }],
    ['192.0.2.7', { address: '192.0.2.7', prefix: 32, family: 'ipv4' }],
    ['fe80::/10', { address: 'fe80::', prefix: 10, family: 'ipv6' }],
    ['::1', { address: '::1', prefix: 128, family: 'ipv6' }],
  ])('reads %s', (text, want) => {
    expect(parseCidr(text)).toEqual(want);
  });

  it.each(['10.0.0.0/33', 'fe80::/129', 'example.com/8', '10.0.0.0/x', '10.0.0.0/8/8', ''])('refuses %j', (text) => {
    expect(() => parseCidr(text)).toThrow(RangeError);
  });
});

describe('literalHost', () => {
  it.each([
    ['http://169.254.169.254/latest/meta-data', '169.254.169.254'],
    ['http://2852039166/', '169.254.169.254'], // the decimal spelling: the URL parser normalizes it
    ['http://0xa9.0xfe.0xa9.0xfe/', '169.254.169.254'],
    ['http://[fe80::1]:8080/x', 'fe80::1'],
    ['https://hooks.example.com/x', null],
    ['not a url', null],
  ])('reads the host of %s as %s', (url, want) => {
    expect(literalHost(url)).toBe(want);
  });
});

describe('checkUrls', () => {
  it('refuses a forbidden literal anywhere in a spec, naming where', () => {
    const spec = { strategy: 'canary', steps: [{ setWeight: 10 }, { analysis: { webhook: { url: 'http://169.254.169.254/x', timeoutSeconds: 5 } } }] };
    expect(() => checkUrls(spec, egressPolicy())).toThrow(expect.objectContaining({ code: 'WEBHOOK_URL_FORBIDDEN', details: expect.objectContaining({ path: 'steps[1].analysis.webhook.url' }) }));
    const prom = { backgroundAnalysis: { prometheus: [{ name: 'q', query: 'up', address: 'http://[fe80::1]:9090' }] } };
    expect(() => checkUrls(prom, egressPolicy())).toThrow(expect.objectContaining({ code: 'WEBHOOK_URL_FORBIDDEN' }));
  });

  it('accepts loopback, private and named hosts (names are judged when called)', () => {
    expect(() => checkUrls({ a: { url: 'http://127.0.0.1:9/h' }, b: [{ url: 'http://10.0.0.5/h' }, { address: 'http://metadata.internal/' }] }, egressPolicy())).not.toThrow();
  });
});
