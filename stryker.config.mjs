// Mutation testing of the safety cores (`npm run mutants`, bench/mutants/run.ts): the code that
// decides whether anything may be deleted, copied or trusted. See README "Mutation testing".
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutants.config.ts', related: false },
  coverageAnalysis: 'perTest',
  mutate: [
    'lambdas/delete-stack/core.ts',
    'lambdas/delete-stack/emptying.ts',
    'lambdas/delete-stack/deletion-progress.ts',
    'lambdas/verify-bucket/core.ts',
    'lambdas/compare-statistics/core.ts',
    'lambdas/copy-bucket/core.ts',
    'lambdas/delete-snapshots/core.ts',
    'lambdas/shared/s3-objects.ts',
  ],
  // Two cores: two vitest instances, each single-worker (the runner forces it).
  concurrency: 2,
  // Module-level constants are covered at import by every test; running the whole set for each is
  // what would make the run take an hour. They are listed as Ignored in the report.
  ignoreStatic: true,
  reporters: ['json', 'clear-text', 'progress'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  // Reruns test only the mutants whose code or covering tests changed (reports/stryker-incremental.json).
  incremental: true,
  // Build output and run artefacts are not copied into the sandboxes.
  ignorePatterns: ['dist', 'cdk.out', '.rehearsal', '.scratch', 'coverage'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  timeoutMS: 10000,
  // The first run of every unit test with per-test coverage takes 3–4 min on a loaded 2-core machine (default limit: 5).
  dryRunTimeoutMinutes: 20,
};
