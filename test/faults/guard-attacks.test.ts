/**
 * Faults that change the world under the last guards (issue 9, items 7 and 8): after the checks
 * before them passed, the temporary copy disappears, orders-prod is re-created under its name,
 * termination protection is switched on, or the statistics endpoints stop telling two environments
 * apart. Each must end with the original keeping the data, back in service (or, when the stack
 * verified is gone from its name, the verified copy kept), and one notification naming why. Without delete-stack's or compare-statistics' guard the invariants see the loss
 * (bench/mutants/named.ts).
 */
import { describe, expect, it } from 'vitest';
import { GUARD_ATTACKS, runGuardAttack } from '../../local/faults/guards';

describe('faults that change the world under the last guards', () => {
  for (const attack of GUARD_ATTACKS) {
    it(`${attack.name} (${attack.description}): ${attack.survivor === 'temp' ? 'the verified copy is kept' : 'the original keeps the data and is back in service'}, "${attack.expectedProblem}" named`, { timeout: 120_000 }, async () => {
      const r = await runGuardAttack(attack);
      expect(r.problems).toEqual([]);
      expect(r.outcome.execution.status).toBe('FAILED');
    });
  }
});
