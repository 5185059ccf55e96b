import { defineConfig } from 'vitest/config';

/**
 * The fault catalogue's files run hundreds of whole migrations each through the same modules (the
 * synthesized app, the handlers, the simulated account): they share one module cache per worker
 * (isolate: false) instead of importing everything again per file. Every fault run sets up and tears
 * down its own account, hooks and seeded Math.random (local/faults/runner.ts), and the handlers'
 * concurrency settings are the same in all of them (limitCopyConcurrency). Everything else keeps a
 * fresh module graph per file: the unit tests' aws-sdk-client-mock stubs patch shared prototypes.
 */
const FAULTS = ['test/faults/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'isolated', include: ['test/**/*.test.ts'], exclude: FAULTS } },
      { extends: true, test: { name: 'faults', include: FAULTS, isolate: false } },
    ],
  },
});
