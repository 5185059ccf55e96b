/**
 * Randomized fault schedules, part 1 of 2 (the parts run side by side): fast-check draws several
 * faults per migration at random AWS calls and Lambda invocations, sometimes with a silent data
 * loss, and every invariant must hold. The seed is fixed (FAULTS_SEED overrides it, FAULTS_RUNS the
 * number of schedules); a failure prints the seed, the shrunk schedule and how to replay it.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SEED, runRandomSchedules } from '../../local/faults/random';

const seed = Number(process.env.FAULTS_SEED ?? DEFAULT_SEED) + 0;
// 240 double clones in npm test and 100 blue/green migrations (random-blue-green.test.ts): the suite
// must stay under five minutes on two cores (each schedule is a whole migration that verifies every
// version, reads manifests and rechecks the original); npm run faults runs 1,000 with the same seed.
const runs = Number(process.env.FAULTS_RUNS ?? 240) / 2;

describe('randomized fault schedules (part 1)', () => {
  it(`every invariant holds under ${runs} random fault schedules (seed ${seed})`, { timeout: 900_000 }, async () => {
    const result = await runRandomSchedules({ seed, runs });
    expect(result.failure?.message ?? '', result.failure?.message).toBe('');
    expect(result.passed).toBe(runs);
  });
});
