/**
 * Bad input through the real Migrate execution (docs/design.md invariant 7): every malformed input is
 * rejected by the first state, before any AWS call but the publish of the rejection notice, with an
 * error naming the field, and the notification says the input was rejected.
 */
import { describe, expect, it } from 'vitest';
import { BAD_INPUTS, runBadInput } from '../../local/faults/bad-inputs';

describe('bad input', () => {
  it('covers at least 30 malformed inputs', () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(30);
  });

  for (const bad of BAD_INPUTS) {
    it(`${bad.name}: rejected naming ${bad.field}, nothing called but the notice`, async () => {
      const result = await runBadInput(bad);
      expect(result.problems).toEqual([]);
    });
  }
});
