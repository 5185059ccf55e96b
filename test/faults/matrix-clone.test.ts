/**
 * The fault matrix, Clone's rows: every Task state of the synthesized Clone definition, in clone 1
 * (current → temporary) and in clone 2 (temporary → new), × every fault kind that applies to it,
 * one migration each on the simulated account, every invariant of docs/design.md checked on the final
 * state. (Migrate's rows are in matrix-migrate.test.ts: the two files run side by side.)
 */
import { describe, expect, it } from 'vitest';
import { NEVER_RUN, PROOF_STATES, deployment, isDoubleCloneState, runMatrix, taskStates } from '../../local/faults/matrix';
import { matrixTable } from '../../local/faults/report';

describe('fault matrix: Clone', () => {
  it('every fault in every Task state of Clone, in either clone, leaves every invariant holding', { timeout: 600_000 }, async () => {
    // Live sync's own Clone states are the live-sync matrix's (test/faults/matrix-live-sync.test.ts).
    const m = await runMatrix({ filter: (t) => t.machine === 'Clone' && isDoubleCloneState(t) });
    const table = matrixTable(m).join('\n');
    expect(m.states.length, 'the Task states come from the synthesized definition').toBe(taskStates(await deployment()).filter((t) => t.machine === 'Clone' && isDoubleCloneState(t)).length);
    expect(m.routes.filter((r) => r.outcome.violations.length > 0).map((r) => r.route.name), table).toEqual([]);
    expect(m.cells.filter((c) => c.status !== 'held' && c.status !== 'n/a').map((c) => `${c.key} × ${c.kind}: ${c.status} ${c.note ?? ''} ${c.violations.join('; ')}`), table).toEqual([]);
    // Every state is faulted somehow: none is exempt from all five kinds, but the one a migration
    // never runs (clone 2 is given its snapshots), and no route indeed runs it.
    expect(Object.keys(NEVER_RUN)).toEqual(['Clone c2: Snapshot the source databases', ...PROOF_STATES.map((state) => `Clone c2: ${state}`)]);
    for (const key of Object.keys(NEVER_RUN)) expect(m.routes.some((r) => r.outcome.visited.has(key)), `${key} never runs`).toBe(false);
    for (const s of m.states.filter((x) => !NEVER_RUN[x.key])) expect(m.cells.some((c) => c.key === s.key && c.status === 'held'), `${s.key} is faulted`).toBe(true);
  });
});
