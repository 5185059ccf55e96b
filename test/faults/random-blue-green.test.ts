/**
 * Randomized fault schedules over blue/green migrations (issue 11): fast-check draws several faults
 * per migration at random AWS calls and Lambda invocations of the sample's blue/green run (the lock
 * of the record and both slots, the clone into the idle slot, the switch, INSYNC, the smoke test
 * through the record, the switch back), sometimes with a silent data loss in the clone, and every
 * invariant must hold, the blue/green ones included (the record only ever points at a verified slot
 * that serves; the previous slot is never deleted by Migrate). FAULTS_SEED overrides the seed,
 * FAULTS_BG_RUNS the number of schedules; a failure prints the shrunk schedule and how to replay it.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SEED, runRandomSchedules } from '../../local/faults/random';

const seed = Number(process.env.FAULTS_SEED ?? DEFAULT_SEED) + 2;
const runs = Number(process.env.FAULTS_BG_RUNS ?? 100);

describe('randomized fault schedules, strategy blue-green', () => {
  it(`every invariant holds under ${runs} random fault schedules of a blue/green migration (seed ${seed})`, { timeout: 900_000 }, async () => {
    const result = await runRandomSchedules({ seed, runs, blueGreen: true });
    expect(result.failure?.message ?? '', result.failure?.message).toBe('');
    expect(result.passed).toBe(runs);
  });
});
