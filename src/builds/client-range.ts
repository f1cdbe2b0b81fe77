/**
 * How a client version matches a build's `compatibleClients` range: by semver precedence, with
 * prerelease versions included (`includePrerelease`), so `1.5.0-beta.1` matches `>=1.4.0 <2`
 * but not `^1.5.0`. npm's default keeps installs off unstable packages; here the client is
 * already installed, and that default would send beta testers to "update required" on every
 * build whose range they sit inside. The rule and its one trap (`<2.0.0` admits
 * `2.0.0-beta.1`) are documented in docs/client-versions.md.
 */
import semver from 'semver';

const options = { includePrerelease: true } as const;

/** The parsed range, or null for `*` (every client, semver or not). Throws on an invalid range. */
export function parseClientRange(range: string): semver.Range | null {
  return range === '*' ? null : new semver.Range(range, options);
}

/** Whether a client version is accepted; a client that sends no version is accepted everywhere. */
export function acceptsClient(range: semver.Range | null, clientVersion: string | null): boolean {
  if (range === null || clientVersion === null) return true;
  return semver.valid(clientVersion) !== null && range.test(clientVersion);
}
