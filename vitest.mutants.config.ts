/**
 * The tests a mutation run uses (`npm run mutants`, bench/mutants/): every unit test, and the lean
 * end-to-end checks — the rehearsal scenarios, Clone on its own, and the fault tests that take
 * seconds. The fault matrix (20+ s per test, covering nearly every line) and the randomized fault
 * schedules (45 s) are left out: Stryker would run them for every mutant the unit tests miss.
 * The named mutants (bench/mutants/named.ts) run against the e2e checks on their own, matrix included.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

export const MUTATION_E2E_TESTS = ['test/workflow/**/*.test.ts', 'test/faults/orphan-clone.test.ts'];

/**
 * Unit tests first, end-to-end checks last: Stryker stops a mutant's run at its first failing test
 * (bail), so a mutant the unit tests kill never pays for a workflow run, and one that only an
 * end-to-end check kills is recorded as killed by it.
 */
class UnitFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => (f.moduleId.includes('/test/unit/') ? 0 : f.moduleId.includes('/test/workflow/') ? 1 : 2);
    return [...files].sort((a, b) => rank(a) - rank(b) || a.moduleId.localeCompare(b.moduleId));
  }
}

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', ...MUTATION_E2E_TESTS],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    sequence: { sequencer: UnitFirst },
  },
});
