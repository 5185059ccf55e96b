/**
 * The fault matrix, blue/green's Migrate rows (issue 11): every Task state of the synthesized Migrate
 * definition that a blue/green migration enters (the lock of the record and both slots, the clone into
 * the idle slot, the switch, INSYNC, the smoke test through the record, the retire schedule, the
 * switch back and the compensations before it) × every fault kind that applies, plus silent data loss
 * in the clone into the idle slot; one migration each, with the double clone's invariants and the
 * blue/green ones (the record only ever points at a verified slot, which is never deleted; the
 * previous slot is not deleted by Migrate) checked on the final state of the simulated account.
 */
import { describe, expect, it } from 'vitest';
import { BLUE_GREEN_MATRIX } from '../../local/faults/blue-green-routes';
import { SILENT_LOSS_STATES, runMatrix } from '../../local/faults/matrix';
import { matrixTable } from '../../local/faults/report';
import { BLUE_GREEN_TASK_STATES } from '../../statemachine/blue-green';

describe('fault matrix: Migrate, strategy blue-green', () => {
  it('every fault in every Task state a blue/green migration enters, and silent loss in its clone, leaves every invariant holding', { timeout: 600_000 }, async () => {
    const m = await runMatrix(BLUE_GREEN_MATRIX);
    const table = matrixTable(m).join('\n');
    expect(m.routes.filter((r) => r.outcome.violations.length > 0).map((r) => r.route.name), table).toEqual([]);
    expect(m.cells.filter((c) => c.status !== 'held' && c.status !== 'n/a').map((c) => `${c.key} × ${c.kind}: ${c.status} ${c.note ?? ''} ${c.violations.join('; ')}`), table).toEqual([]);
    // Every blue/green state is in the matrix (some route enters it), and every state is faulted somehow.
    const keys = new Set(m.states.map((s) => s.key));
    expect(BLUE_GREEN_TASK_STATES.filter((state) => !keys.has(`Migrate: ${state}`)), 'blue/green states no route enters').toEqual([]);
    for (const s of m.states) expect(m.cells.some((c) => c.key === s.key && c.status === 'held'), `${s.key} is faulted`).toBe(true);
    expect(m.cells.filter((c) => c.key.startsWith('Clone c1: ') && c.status === 'held')).toHaveLength(SILENT_LOSS_STATES.length);
  });
});
