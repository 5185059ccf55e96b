import { describe, expect, it } from 'vitest';
import type { WaitState } from '../../lambdas/shared/contracts';
import { WaitTimedOut } from '../../lambdas/shared/errors';
import { advanceWait, BACKOFF, type Backoff } from '../../lambdas/shared/wait';
import { leastRemainingSeconds } from '../../lambdas/snapshot-status/core';

const T0 = new Date('2030-01-01T10:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

/**
 * The delays a wait loop sleeps while the operation is still running at `until` seconds; `estimate`
 * is what the status step would estimate at each check.
 */
function schedule(backoff: Backoff, until: number, timeoutSeconds = 7200, estimate?: (now: number) => number | undefined): number[] {
  const delays: number[] = [];
  let wait: WaitState | undefined;
  let now = 0;
  while (now < until) {
    wait = advanceWait({ timeoutSeconds, ...(wait ? { wait } : {}) }, 'op', backoff, false, at(now), estimate?.(now));
    delays.push(wait.nextDelaySeconds);
    now += wait.nextDelaySeconds;
  }
  return delays;
}

describe('advanceWait', () => {
  it('sleeps the expected shortest duration after the first check, then backs off from the first delay up to the cap', () => {
    const backoff: Backoff = { initialDelaySeconds: 300, firstDelaySeconds: 20, factor: 1.5, maxDelaySeconds: 40 };
    expect(schedule(backoff, 420)).toEqual([300, 20, 30, 40, 40]);
  });

  it('backs off from the first check when no initial delay is given', () => {
    expect(schedule({ firstDelaySeconds: 5, factor: 2, maxDelaySeconds: 30 }, 100)).toEqual([5, 10, 20, 30, 30, 30]);
  });

  it('never sleeps past the timeout, and throws WaitTimedOut once it is reached', () => {
    const backoff: Backoff = { initialDelaySeconds: 900, firstDelaySeconds: 30, factor: 1, maxDelaySeconds: 30 };
    const first = advanceWait({ timeoutSeconds: 600 }, 'stack x to be created', backoff, false, at(0));
    expect(first.nextDelaySeconds).toBe(600);
    expect(() => advanceWait({ timeoutSeconds: 600, wait: first }, 'stack x to be created', backoff, false, at(600))).toThrow(WaitTimedOut);
  });

  it('reports a finished operation as finished even past its timeout', () => {
    const first = advanceWait({ timeoutSeconds: 60 }, 'op', BACKOFF.snapshot, false, at(0));
    expect(advanceWait({ timeoutSeconds: 60, wait: first }, 'op', BACKOFF.snapshot, true, at(90))).toMatchObject({ attempt: 2, elapsedSeconds: 90 });
  });

  it('checks right after the end a status step estimates, instead of on the backoff schedule', () => {
    const first = advanceWait({ timeoutSeconds: 7200 }, 'snapshot', BACKOFF.snapshot, false, at(0), 250);
    expect(first.nextDelaySeconds).toBe(252);
    // Never sooner than 10 s, never later than 10 min, never past the timeout.
    expect(advanceWait({ timeoutSeconds: 7200, wait: first }, 'snapshot', BACKOFF.snapshot, false, at(252), 3).nextDelaySeconds).toBe(10);
    expect(advanceWait({ timeoutSeconds: 7200 }, 'snapshot', BACKOFF.snapshot, false, at(0), 5000).nextDelaySeconds).toBe(600);
    expect(advanceWait({ timeoutSeconds: 100 }, 'snapshot', BACKOFF.snapshot, false, at(0), 5000).nextDelaySeconds).toBe(100);
    // No usable estimate: the backoff applies.
    expect(advanceWait({ timeoutSeconds: 7200 }, 'snapshot', BACKOFF.snapshot, false, at(0), Number.NaN).nextDelaySeconds).toBe(BACKOFF.snapshot.initialDelaySeconds);
  });

  it('drops an estimate that keeps saying "any moment now" after three checks, and goes back to the backoff', () => {
    const delays = schedule(BACKOFF.snapshot, 400, 7200, () => 0);
    expect(delays.slice(0, 3)).toEqual([10, 10, 10]);
    expect(delays[3]).toBeGreaterThanOrEqual(BACKOFF.snapshot.firstDelaySeconds);
  });

  it('sees a snapshot end within seconds from its PercentProgress, whatever its size, in a handful of checks', () => {
    for (const duration of [45, 140, 520, 3000, 20_000]) {
      // RDS's figure: the share transferred so far, rounded down (linear here).
      const estimate = (now: number) =>
        leastRemainingSeconds({ PercentProgress: Math.floor((now / duration) * 100), SnapshotCreateTime: at(0) }, at(0), at(now));
      const delays = schedule(BACKOFF.snapshot, duration, 86_400, estimate);
      const seenAt = delays.reduce((a, b) => a + b, 0);
      // Within the first check's 60 s for a tiny one, 12 s up to an hour, then 1 % of the duration
      // (1 % is PercentProgress's own resolution).
      expect(seenAt - duration, `lag for ${duration} s`).toBeLessThanOrEqual(duration < 100 ? 60 : Math.max(12, duration / 100));
      // At most 10 min between checks: about one per 10 min on a long snapshot, and a few near the end.
      expect(delays.length + 1, `checks for ${duration} s`).toBeLessThanOrEqual(duration <= 600 ? 5 : Math.ceil(duration / 600) + 12);
    }
  });

  it('checks each long operation of the reference migration at most ten times and sees its end within a minute', () => {
    // Durations of bench/timing.json for the reference environment (100 GB database).
    // A snapshot without PercentProgress falls back to its backoff: still seen within a minute.
    const expected: [Backoff, number, number][] = [
      [BACKOFF.standby, 300, 10],
      [BACKOFF.snapshot, 520, 12],
      [BACKOFF.stackCreate, 1200, 10],
      [BACKOFF.stackDelete, 670, 10],
    ];
    for (const [backoff, duration, checks] of expected) {
      const delays = schedule(backoff, duration);
      const seenAt = delays.reduce((a, b) => a + b, 0);
      expect(delays.length + 1, `checks for ${duration} s`).toBeLessThanOrEqual(checks);
      expect(seenAt - duration, `lag for ${duration} s`).toBeLessThanOrEqual(60);
    }
  });
});
