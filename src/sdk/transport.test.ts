import { describe, expect, it } from 'vitest';
import { chooseSdkUrls, parseSdkUrls } from './transport.js';

const a = 'http://127.0.0.1:7351';
const b = 'http://127.0.0.1:7361';
const agent = 'http://127.0.0.1:7400';

describe('chooseSdkUrls', () => {
  it.each([
    { case: 'one URL, no list (SQLite, or a control plane before HANDOFF_SDK_URLS)', url: a, urls: undefined, chosen: a },
    { case: 'the first URL and the full list', url: a, urls: `${a},${b}`, chosen: `${a},${b}` },
    { case: 'the full list in both', url: `${a},${b}`, urls: `${a},${b}`, chosen: `${a},${b}` },
    { case: 'a list in HANDOFF_SDK_URL, none in HANDOFF_SDK_URLS', url: `${a},${b}`, urls: undefined, chosen: `${a},${b}` },
    { case: 'an empty HANDOFF_SDK_URLS', url: a, urls: '', chosen: a },
    { case: 'HANDOFF_SDK_URL rewritten by an agent, the list left behind', url: agent, urls: `${a},${b}`, chosen: agent },
    { case: 'the same first URL with a trailing slash', url: `${a}/`, urls: `${a},${b}`, chosen: `${a},${b}` },
  ])('uses $chosen given $case', ({ url, urls, chosen }) => {
    expect(chooseSdkUrls(url, urls)).toBe(chosen);
  });
});

describe('parseSdkUrls', () => {
  it('splits on commas, trims spaces and trailing slashes, and drops empty entries', () => {
    expect(parseSdkUrls(` ${a}/, ,${b} `)).toEqual([a, b]);
  });
});
