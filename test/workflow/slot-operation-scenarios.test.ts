/**
 * The rehearsal scenarios after a blue/green switch (local/scenarios.ts SLOT_OPERATION_SCENARIOS), as
 * `npm run rehearse -- --scenario <name>` runs them, on the small test environment: each run ends as
 * designed, with one notification and the blue/green invariants held.
 */
import { describe, expect, it } from 'vitest';
import { rehearseSlotOperation } from '../../local/rehearse-slot-operation';
import { TEST_SIZE } from '../../local/sample-environment';
import { SLOT_OPERATION_SCENARIOS } from '../../local/scenarios';

describe('rehearsal scenarios after a blue/green switch', () => {
  it.each(SLOT_OPERATION_SCENARIOS.map((s) => [s.name, s] as const))('%s ends as designed, one notification per run, invariants held', async (_name, scenario) => {
    const summary = await rehearseSlotOperation(scenario, { size: TEST_SIZE });
    expect(summary.runs.map((r) => ({ outcome: r.outcome, error: r.error, violations: r.violations, notifications: r.notifications }))).toEqual(
      scenario.runs.map((r) => ({ outcome: r.expected.outcome, error: r.expected.error, violations: [], notifications: 1 })),
    );
    expect(summary.endedAsDesigned).toBe(true);
  });
});
