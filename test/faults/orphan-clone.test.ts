/**
 * A Clone task can fail while its execution still runs (Migrate loses track of it, or the task's
 * own timeout strikes): the compensation must stop that execution first, or it goes on creating
 * the stacks and snapshots being cleaned up. Found by a randomized schedule; kept as a regular test.
 */
import { describe, expect, it } from 'vitest';
import { isRunning, runFaulted } from '../../local/faults/runner';

const denied = { code: 'AccessDenied', message: 'denied (simulated fault)', httpStatusCode: 403 };

describe('a clone that outlives its task', () => {
  for (const state of ['Clone the environment to a temporary stack', 'Clone the temporary stack to the new version']) {
    it(`is stopped before the compensation when "${state}" fails while the clone runs, leaving nothing behind`, async () => {
      let calls = 0;
      const key = `Migrate: ${state}`;
      // The second call of the task is its first look at the running clone.
      const r = await runFaulted({ name: 'orphan', arm: ({ account }) => void account.faults.add({ kind: 'error', match: () => isRunning(key) && ++calls === 2, times: 1, error: denied }) });
      expect(r.execution.status).toBe('FAILED');
      expect(r.violations).toEqual([]);
      const clones = [...r.account.sfn.executions.values()].filter((e) => e.name.endsWith(state.includes('temporary stack to') ? '-c2' : '-c1'));
      expect(clones.map((c) => c.status)).toEqual(['ABORTED']);
    });
  }
});
