/** Rehearses a scenario and hands the account, as the run left it, to checks of the test's own. */
import { expect } from 'vitest';
import { rehearse } from '../../local/rehearsal';
import { TEST_SIZE } from '../../local/sample-environment';
import type { Scenario } from '../../local/scenarios';

/** What afterRun is given: the account behind the SDK, the baseline, the lock table, the invariant report. */
export type Run = Parameters<NonNullable<NonNullable<Parameters<typeof rehearse>[1]>['afterRun']>>[0];

/** Rehearses `s` at TEST_SIZE and hands the finished run to `check` (which must have run). */
export async function rehearseAndInspect(s: Scenario, check: (run: Run) => void | Promise<void> = () => undefined) {
  let inspected = false;
  const result = await rehearse(s, {
    size: TEST_SIZE,
    afterRun: async (run) => {
      await check(run);
      inspected = true;
    },
  });
  expect(inspected).toBe(true);
  return result;
}
