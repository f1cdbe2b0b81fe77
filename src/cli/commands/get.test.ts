import { describe, expect, it } from 'vitest';
import { UsageError } from '../usage.js';
import { parseGet } from './get.js';

function inputOf(args: string[]) {
  const parsed = parseGet(args);
  if (parsed.help) throw new Error('expected a request, got help');
  return parsed.input;
}

describe('parseGet', () => {
  it('lists a resource with the fleet and limit given', () => {
    expect(inputOf(['rollouts', '--fleet', 'arena', '--limit', '5'])).toEqual({
      resource: 'rollouts',
      path: '/v1/rollouts',
      query: { fleet: 'arena', limit: 5 },
    });
  });

  it('asks for open sessions only unless --all', () => {
    expect(inputOf(['sessions']).query).toEqual({ fleet: undefined, limit: undefined, open: true });
    expect(inputOf(['sessions', '--all']).query).toEqual({ fleet: undefined, limit: undefined });
  });

  it('asks for stopped servers too only with --all', () => {
    expect(inputOf(['servers']).query).not.toHaveProperty('all');
    expect(inputOf(['servers', '--all']).query).toMatchObject({ all: true });
  });

  it('returns help without checking the rest', () => {
    expect(parseGet(['--help'])).toMatchObject({ help: true });
  });

  it.each([
    [[], /missing RESOURCE/],
    [['pods'], /unknown resource "pods"/],
    [['fleets', '--all'], /--all applies to servers and sessions only/],
    [['fleets', '--limit', '0'], /--limit/],
    [['fleets', 'extra'], /unexpected argument "extra"/],
  ])('rejects %j', (args, message) => {
    expect(() => parseGet(args)).toThrow(UsageError);
    expect(() => parseGet(args)).toThrow(message);
  });
});
