import { describe, expect, it } from 'vitest';
import { createAdaptiveLimiter, createLimiter } from '../../lambdas/shared/concurrency';

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Starts `n` tasks that each wait for `release` and reports the peak number running at once. */
async function peakOf(run: <T>(task: () => Promise<T>) => Promise<T>, n: number): Promise<{ peak: () => number; release: () => Promise<void> }> {
  let active = 0;
  let peak = 0;
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const all = Array.from({ length: n }, () =>
    run(async () => {
      active++;
      peak = Math.max(peak, active);
      await gate;
      active--;
    }),
  );
  await tick();
  return {
    peak: () => peak,
    release: async () => {
      open();
      await Promise.all(all);
    },
  };
}

describe('createAdaptiveLimiter', () => {
  it('starts at its maximum', async () => {
    const limit = createAdaptiveLimiter(8);
    const run = await peakOf(limit, 20);
    expect(run.peak()).toBe(8);
    await run.release();
  });

  it('halves on push-back, once for a burst of throttled answers, and never goes below the minimum', async () => {
    const limit = createAdaptiveLimiter(64, 2);
    limit.pushedBack();
    limit.pushedBack();
    limit.pushedBack();
    expect(limit.limit).toBe(32);
    // A further halving needs a round of completed requests first.
    for (let i = 0; i < 10; i++) {
      await Promise.all(Array.from({ length: 64 }, () => limit(async () => undefined)));
      limit.pushedBack();
    }
    expect(limit.limit).toBe(2);
  });

  it('allows one more request in flight after each round of clean answers, up to the maximum', () => {
    const limit = createAdaptiveLimiter(10);
    limit.pushedBack();
    expect(limit.limit).toBe(5);
    for (let i = 0; i < 5; i++) limit.succeeded();
    expect(limit.limit).toBe(6);
    for (let i = 0; i < 100; i++) limit.succeeded();
    expect(limit.limit).toBe(10);
  });

  it('lets queued tasks run as soon as the limit allows, in order', async () => {
    const limit = createAdaptiveLimiter(1);
    const order: number[] = [];
    await Promise.all([1, 2, 3, 4].map((n) => limit(async () => order.push(n))));
    expect(order).toEqual([1, 2, 3, 4]);
  });
});

describe('createLimiter with a long queue', () => {
  it('runs 20,000 queued tasks in order without growing slower per task', async () => {
    const limit = createLimiter(4);
    const order: number[] = [];
    await Promise.all(Array.from({ length: 20_000 }, (_, n) => limit(async () => void order.push(n))));
    expect(order).toHaveLength(20_000);
    expect(order.slice(0, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(order.every((n, i) => i === 0 || n > (order[i - 1] as number))).toBe(true);
  });
});
