/**
 * Faults that attack the verification (issue 9, item 7): a copy damaged in ways counts do not show
 * must stop the migration at clone 1, the original keeping the data and back in service, with one
 * notification naming the problem.
 */
import { describe, expect, it } from 'vitest';
import { VERIFICATION_ATTACKS, runVerificationAttack } from '../../local/faults/verification';

describe('faults that attack the verification', () => {
  for (const attack of VERIFICATION_ATTACKS) {
    it(`${attack.name} (${attack.description}): stops at clone 1, the original preserved and in service, ${attack.expectedProblem} named`, { timeout: 120_000 }, async () => {
      const r = await runVerificationAttack(attack);
      expect(r.problems).toEqual([]);
      expect(r.outcome.execution.status).toBe('FAILED');
    });
  }
});
