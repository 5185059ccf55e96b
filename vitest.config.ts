import { defineConfig } from 'vitest/config';

/**
 * Test files that import the same heavy modules and leave no global state behind share one module
 * cache per worker (isolate: false) instead of importing everything again per file:
 * - the fault catalogue (test/faults): hundreds of whole migrations through the synthesized app, the
 *   handlers and the simulated account; every fault run sets up and tears down its own account, hooks
 *   and seeded Math.random (local/faults/runner.ts), and the handlers' concurrency settings are the
 *   same in all of them (limitCopyConcurrency), which is why they are a project of their own;
 * - the simulated account's tests (test/sim) and the CDK assertions (test/infra): one account or app
 *   per test, aws-cdk-lib loaded once.
 * Everything else keeps a fresh module graph per file: the unit tests' aws-sdk-client-mock stubs patch
 * the SDK clients' shared prototypes, and the workflow tests run the handlers with their default
 * concurrency.
 */
const FAULTS = ['test/faults/**/*.test.ts'];
const SHARED = ['test/sim/**/*.test.ts', 'test/infra/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'isolated', include: ['test/**/*.test.ts'], exclude: [...FAULTS, ...SHARED] } },
      { extends: true, test: { name: 'faults', include: FAULTS, isolate: false } },
      { extends: true, test: { name: 'shared', include: SHARED, isolate: false } },
    ],
  },
});
