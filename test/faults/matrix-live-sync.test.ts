/**
 * The fault matrix, live sync's rows (issue 12): every Task state a live sync adds (the copy made
 * while the environment serves, the promotion's plan, the pre-copy, the replicas' catch-up and
 * promotion after the standby, phase A stopping the live copy) × every fault kind that applies, plus
 * silent loss in the pre-copy; one migration each, every invariant checked on the simulated account.
 */
import { describe, expect, it } from 'vitest';
import { LIVE_SYNC_MATRIX } from '../../local/faults/live-sync-routes';
import { runMatrix } from '../../local/faults/matrix';
import { matrixTable } from '../../local/faults/report';

describe('fault matrix: live sync', () => {
  it('every fault in every Task state live sync adds, and silent loss in its pre-copy, leaves every invariant holding', { timeout: 600_000 }, async () => {
    const m = await runMatrix(LIVE_SYNC_MATRIX);
    const table = matrixTable(m).join('\n');
    expect(m.routes.filter((r) => r.outcome.violations.length > 0).map((r) => `${r.route.name}: ${r.outcome.violations.join('; ')}`), table).toEqual([]);
    expect(m.cells.filter((c) => c.status !== 'held' && c.status !== 'n/a').map((c) => `${c.key} × ${c.kind}: ${c.status} ${c.note ?? ''} ${c.violations.join('; ')}`), table).toEqual([]);
    const keys = new Set(m.states.map((s) => s.key));
    for (const state of ['Migrate: Copy while the environment serves', 'Clone live: Plan the promotion', 'Clone live: Pre-copy objects', 'Clone c1: Check the read replicas', 'Clone c1: Promote the read replicas', 'Clone c1: Check the promotion']) {
      expect(keys.has(state), `${state} is in the matrix`).toBe(true);
    }
    for (const s of m.states) expect(m.cells.some((c) => c.key === s.key && c.status === 'held'), `${s.key} is faulted`).toBe(true);
    expect(m.cells.some((c) => c.key === 'Clone live: Pre-copy objects' && c.kind === 'silent-loss' && c.status === 'held')).toBe(true);
  });
});
