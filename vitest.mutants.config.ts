/**
 * The tests Stryker runs against each mutant (`npm run mutants`, bench/mutants/): the unit tests
 * (test/unit), which call the safety cores through aws-sdk-client-mock in milliseconds.
 *
 * The end-to-end checks are measured apart, on the bugs that matter (bench/mutants/named.ts, run
 * against test/workflow and test/faults with the fault matrix): with them in this run, every mutant
 * the unit tests miss paid for workflow runs of 10–40 s each, and 2,412 mutants took about three hours
 * on this 2-core machine. Without them, the score is a lower bound: a mutant that survives here may
 * still be killed end to end, none killed here would survive there.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
