import { describe, expect, it } from 'vitest';
import { UsageError } from '../usage.js';
import { parseEnv } from './env.js';
import { parseWebhook } from './webhook.js';

const input = <T>(p: { help: boolean; input?: T }) => (p.help ? null : p.input);

describe('env command flags', () => {
  it.each([
    ['stage with a build and warm servers', 'stage', ['prod', '--build', 'v2', '--warm-servers', '0'], { sub: 'stage', name: 'prod', build: 'v2', warmServers: 0 }],
    ['stage from another environment (a promotion)', 'stage', ['prod', '--from', 'staging'], { sub: 'stage', name: 'prod', from: 'staging' }],
    ['restore of a numbered snapshot', 'restore', ['prod', '--snapshot', '3'], { sub: 'restore', name: 'prod', snapshot: 3 }],
    ['status with a longer history', 'status', ['prod', '--history', '30'], { sub: 'status', name: 'prod', limit: 30 }],
    ['list without a name', 'list', [], { sub: 'list', name: '' }],
  ] as const)('parses %s', (_what, sub, args, expected) => {
    expect(input(parseEnv(sub, args))).toEqual(expected);
  });

  it.each([
    ['stage with neither a build nor a source', 'stage', ['prod'], /exactly one of --build B and --from ENV/],
    ['stage with both a build and a source', 'stage', ['prod', '--build', 'v2', '--from', 'staging'], /exactly one of/],
    ['a negative warm-server count', 'stage', ['prod', '--build', 'v2', '--warm-servers', '-1'], /warm-servers/],
    ['restore without a snapshot number', 'restore', ['prod'], /--snapshot N is required/],
    ['a snapshot number that is not one', 'restore', ['prod', '--snapshot', 'latest'], /not a positive integer/],
    ['a flag of another subcommand', 'snapshot', ['prod', '--build', 'v2'], /--build does not apply to env snapshot/],
    ['a missing name', 'status', [], /missing NAME/],
  ] as const)('refuses %s', (_what, sub, args, message) => {
    expect(() => parseEnv(sub, args)).toThrow(UsageError);
    expect(() => parseEnv(sub, args)).toThrow(message);
  });
});

describe('webhook command flags', () => {
  it('parses a create with events and the Slack format, leaving a missing secret to the environment variable', () => {
    expect(input(parseWebhook('create', ['ops', '--url', 'https://hooks.example/x', '--events', 'started, completed', '--format', 'slack']))).toEqual({
      sub: 'create', name: 'ops', body: { url: 'https://hooks.example/x', secret: undefined, events: ['started', 'completed'], format: 'slack' },
    });
  });

  it.each([
    ['a create without a URL', 'create', ['ops'], /--url URL is required/],
    ['an unknown event', 'create', ['ops', '--url', 'http://h/x', '--events', 'started,finished'], /unknown event "finished"/],
    ['an unknown format', 'create', ['ops', '--url', 'http://h/x', '--format', 'teams'], /--format: one of json, slack/],
    ['a limit on delete', 'delete', ['ops', '--limit', '3'], /--limit does not apply/],
  ] as const)('refuses %s', (_what, sub, args, message) => {
    expect(() => parseWebhook(sub, args)).toThrow(message);
  });
});
