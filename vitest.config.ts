import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts', 'scripts/**/*.test.ts', 'bench/**/*.test.ts'],
    // Integration tests spawn real processes and databases; a 2-core CI box needs headroom.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Fails a test file that leaves a process it started running.
    setupFiles: ['./test/support/process-guard.ts'],
    // One throwaway PostgreSQL cluster for the run (skipped without the binaries; see the file).
    globalSetup: ['./test/support/postgres-global.ts'],
  },
});
