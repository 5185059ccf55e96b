/**
 * The fault matrix, blue/green's Retire and Rollback (issue 11): every Task state of each synthesized
 * definition × every fault kind that applies, each run on the state a successful migration A → B
 * leaves, then held to the blue/green invariants: the slot the record points at is never deleted, the
 * previous slot only after its retention and while the record points elsewhere, a rollback never
 * silently discards writes, one notification per run, and no lock of its own left unless the
 * notification says how to release it.
 */
import { describe, expect, it } from 'vitest';
import { deployment, runMatrix, taskStates } from '../../local/faults/matrix';
import { matrixTable } from '../../local/faults/report';
import { SLOT_OPERATION_MATRICES } from '../../local/faults/slot-operations';

describe('fault matrix: Retire and Rollback', () => {
  for (const { machine, options } of SLOT_OPERATION_MATRICES) {
    it(`every fault in every Task state of ${machine} leaves every blue/green invariant holding`, { timeout: 300_000 }, async () => {
      const m = await runMatrix(options);
      const table = matrixTable(m).join('\n');
      expect(m.states.length, 'the Task states come from the synthesized definition').toBe(taskStates(await deployment(), [machine]).length);
      expect(m.routes.filter((r) => r.outcome.violations.length > 0).map((r) => r.route.name), table).toEqual([]);
      expect(m.cells.filter((c) => c.status !== 'held' && c.status !== 'n/a').map((c) => `${c.key} × ${c.kind}: ${c.status} ${c.note ?? ''} ${c.violations.join('; ')}`), table).toEqual([]);
      for (const s of m.states) expect(m.cells.some((c) => c.key === s.key && c.status === 'held'), `${s.key} is faulted`).toBe(true);
    });
  }
});
