import { describe, expect, it } from 'vitest';
import { sdkEnv } from './sdk-env.js';

const a = 'http://127.0.0.1:7351';
const b = 'http://127.0.0.1:7361';
const c = 'http://127.0.0.1:7371';

describe('sdkEnv', () => {
  it.each([
    { case: 'one replica, undeclared build', urls: [a], sdkUrlList: undefined, url: a, list: a },
    { case: 'one replica, list-reading build', urls: [a], sdkUrlList: true, url: a, list: a },
    { case: 'three replicas, undeclared build (the 0.1.0 SDK)', urls: [a, b, c], sdkUrlList: undefined, url: a, list: `${a},${b},${c}` },
    { case: 'three replicas, sdkUrlList: false', urls: [a, b, c], sdkUrlList: false, url: a, list: `${a},${b},${c}` },
    { case: 'three replicas, list-reading build', urls: [a, b, c], sdkUrlList: true, url: `${a},${b},${c}`, list: `${a},${b},${c}` },
    { case: 'a replica listed twice', urls: [a, b, a], sdkUrlList: true, url: `${a},${b}`, list: `${a},${b}` },
  ])('gives $case HANDOFF_SDK_URL=$url', ({ urls, sdkUrlList, url, list }) => {
    expect(sdkEnv(urls, sdkUrlList === undefined ? {} : { sdkUrlList })).toEqual({ HANDOFF_SDK_URL: url, HANDOFF_SDK_URLS: list });
  });

  it('keeps the launching replica first in both variables, so a 0.1.0 SDK talks to it', () => {
    const env = sdkEnv([b, a, c], {});
    expect(env.HANDOFF_SDK_URL).toBe(b);
    expect(env.HANDOFF_SDK_URLS.split(',')[0]).toBe(b);
  });
});
