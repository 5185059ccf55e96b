/**
 * The fault matrix, Migrate's rows: every Task state of the synthesized Migrate definition × every
 * fault kind that applies to it, one migration each on the simulated account, every invariant of
 * docs/design.md checked on the final state. (Clone's rows are in matrix-clone.test.ts: the two files
 * run side by side.)
 */
import { describe, expect, it } from 'vitest';
import { deployment, isDoubleCloneState, runMatrix, type TaskState, taskStates } from '../../local/faults/matrix';
import { matrixTable } from '../../local/faults/report';

describe('fault matrix: Migrate', () => {
  it('every fault in every Task state of Migrate leaves every invariant holding', { timeout: 600_000 }, async () => {
    const doubleClone = (t: TaskState) => t.machine === 'Migrate' && isDoubleCloneState(t);
    const m = await runMatrix({ filter: doubleClone });
    const table = matrixTable(m).join('\n');
    expect(m.states.length, 'the Task states come from the synthesized definition').toBe(taskStates(await deployment()).filter(doubleClone).length);
    expect(m.routes.filter((r) => r.outcome.violations.length > 0).map((r) => r.route.name), table).toEqual([]);
    expect(m.cells.filter((c) => c.status !== 'held' && c.status !== 'n/a').map((c) => `${c.key} × ${c.kind}: ${c.status} ${c.note ?? ''} ${c.violations.join('; ')}`), table).toEqual([]);
    // Every state is faulted somehow: none is exempt from all five kinds.
    for (const s of m.states) expect(m.cells.some((c) => c.key === s.key && c.status === 'held'), `${s.key} is faulted`).toBe(true);
  });
});
