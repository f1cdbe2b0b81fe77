/**
 * vitest globalSetup: one throwaway PostgreSQL cluster for the whole run (see
 * postgres-cluster.ts), stopped at the end. Test files get its superuser URL through
 * `inject('postgres')` (see postgres.ts) and make their own databases on it. It runs in
 * vitest's main process, so the per-file leak guard never sees the cluster as a file's leak.
 *
 * HANDOFF_PG_URL points the tests at an existing server instead (a superuser URL). Without
 * PostgreSQL binaries the PostgreSQL tests are skipped and say why; under CI=true a missing
 * PostgreSQL fails the run instead, since .ci/run installs it.
 */
import type { TestProject } from 'vitest/node';
import { findPostgresBin, startPostgresCluster } from './postgres-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: { url: string } | { skipped: string };
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const given = process.env.HANDOFF_PG_URL;
  if (given) {
    project.provide('postgres', { url: given });
    return undefined;
  }
  const bin = findPostgresBin();
  if (!bin) {
    const why = 'no PostgreSQL binaries (initdb, postgres) found: apt-get install postgresql, or set HANDOFF_PG_BIN or HANDOFF_PG_URL';
    if (process.env.CI) throw new Error(`CI runs the PostgreSQL tests, but ${why}`);
    process.stderr.write(`\n[postgres] PostgreSQL tests skipped: ${why}\n`);
    project.provide('postgres', { skipped: why });
    return undefined;
  }
  const cluster = await startPostgresCluster(bin);
  project.provide('postgres', { url: cluster.url });
  return () => cluster.stop();
}
