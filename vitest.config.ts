import { defineConfig } from 'vitest/config';

/**
 * Test files that import the same heavy modules and leave no global state behind share one module
 * cache per worker (isolate: false) instead of importing everything again per file:
 * - the fault catalogue (test/faults): hundreds of whole migrations through the synthesized app, the
 *   handlers and the simulated account; every fault run sets up and tears down its own account, hooks
 *   and seeded Math.random (local/faults/runner.ts), and the handlers' concurrency settings are the
 *   same in all of them (limitCopyConcurrency), which is why they are a project of their own;
 * - the end-to-end files (test/workflow and the CLI tests that run the workflow on a simulated
 *   account): each builds its own account and harness (or rehearsal) and disposes of it, none mocks a
 *   module, stubs an SDK client or fakes timers, and the handlers keep their default concurrency (a
 *   project apart from the faults' workers, which never run another project's files). Importing the
 *   SDK clients, the handlers and the executor and validating the definitions once per worker instead
 *   of once per file halves their CPU;
 * - the simulated account's tests (test/sim) and the CDK assertions (test/infra): one account or app
 *   per test, aws-cdk-lib loaded once.
 * Everything else keeps a fresh module graph per file: the unit tests' and the other CLI tests'
 * aws-sdk-client-mock stubs patch the SDK clients' shared prototypes, the benchmark fakes Date and
 * measures heaps and init times. A file added to END_TO_END must do none of that.
 *
 * Vitest queues the projects' files by project name, then longest first: 'end-to-end' and 'faults'
 * (the longest files) start first, the short files of 'shared' end the run.
 */
const FAULTS = ['test/faults/**/*.test.ts'];
const SHARED = ['test/sim/**/*.test.ts', 'test/infra/**/*.test.ts'];
const END_TO_END = [
  'test/workflow/**/*.test.ts',
  'test/cli/plan-blue-green.test.ts',
  'test/cli/plan.test.ts',
  'test/cli/recover-blue-green-switch-back.test.ts',
  'test/cli/recover-blue-green.test.ts',
  'test/cli/recover-workflow.test.ts',
  'test/cli/rehearse-recover.test.ts',
  'test/cli/report-blue-green.test.ts',
  'test/cli/rollback.test.ts',
  'test/cli/run-local.test.ts',
  'test/cli/start-wait.test.ts',
  'test/cli/unlock-workflow.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'end-to-end', include: END_TO_END, isolate: false } },
      { extends: true, test: { name: 'isolated', include: ['test/**/*.test.ts'], exclude: [...FAULTS, ...SHARED, ...END_TO_END] } },
      { extends: true, test: { name: 'faults', include: FAULTS, isolate: false } },
      { extends: true, test: { name: 'shared', include: SHARED, isolate: false } },
    ],
  },
});
