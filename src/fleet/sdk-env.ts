import type { Build } from '../builds/model.js';

/** The variables that tell a game server where the control plane's SDK endpoints are. */
export interface SdkEnv {
  HANDOFF_SDK_URL: string;
  HANDOFF_SDK_URLS: string;
}

/**
 * Where a game server of `build` reaches the SDK endpoints: `urls` is every live replica's, the
 * launching replica's first. HANDOFF_SDK_URLS always lists them all (comma-separated); the SDK
 * reads it first. HANDOFF_SDK_URL holds the list only for a build that declares it reads one
 * (`sdkUrlList`): the 0.1.0 SDK parses the variable as a single URL and stops at start on a
 * list, so every other build gets the launching replica's endpoint alone there.
 */
export function sdkEnv(urls: readonly string[], build: Pick<Build, 'sdkUrlList'>): SdkEnv {
  const unique = [...new Set(urls.filter((u) => u !== ''))];
  const all = unique.join(',');
  return { HANDOFF_SDK_URL: build.sdkUrlList === true ? all : (unique[0] ?? ''), HANDOFF_SDK_URLS: all };
}
