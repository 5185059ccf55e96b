/**
 * Emptying buckets across invocations, end to end: every DeleteObjects takes most of an invocation,
 * so the deletion of the current environment and of the temporary stack each continue in further
 * invocations of the same state (the synthesized definitions, the real handlers, the simulated
 * account), and the migration still ends as designed with every invariant holding.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LIGHT_TIMING, isRunning, runFaulted } from '../../local/faults/runner';
import { taskHooks } from '../../local/faults/state-context';
import type { TimingProfile } from '../../local/sim/core';

/** A DeleteObjects this slow leaves less than delete-stack's safety margin of a 900 s invocation. */
const SLOW_DELETE_MS = 800_000;
const DELETERS = ['Migrate: Delete the current environment', 'Migrate: Delete the temporary stack'];

const SLOW_DELETION: TimingProfile = new Proxy(LIGHT_TIMING, {
  get(target, property, receiver) {
    const base = Reflect.get(target, property, receiver) as unknown;
    if (property === 'latencyMs' && DELETERS.some(isRunning)) return { ...(base as Record<string, number>), 'S3.DeleteObjects': SLOW_DELETE_MS };
    return base;
  },
});

afterEach(() => {
  delete taskHooks.beforeTask;
});

describe('slow deletion', () => {
  it('empties the current environment and the temporary stack in several invocations each, and the migration succeeds with every invariant holding', { timeout: 180_000 }, async () => {
    const calls = new Map<string, number>();
    const outcome = await runFaulted({
      name: 'slow-deletion',
      timing: SLOW_DELETION,
      arm: () => {
        taskHooks.beforeTask = (s) => {
          if (s.state.startsWith('Delete the')) calls.set(s.state, Math.max(calls.get(s.state) ?? 0, s.invocation));
        };
      },
    });
    expect(outcome.violations).toEqual([]);
    expect(outcome.execution.status).toBe('SUCCEEDED');
    // One DeleteObjects per invocation: each of the two buckets in an invocation of its own, at least.
    expect(calls.get('Delete the current environment')).toBeGreaterThanOrEqual(2);
    expect(calls.get('Delete the temporary stack')).toBeGreaterThanOrEqual(2);
  });
});
