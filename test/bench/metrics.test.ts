import { describe, expect, it } from 'vitest';
import { blueGreenDowntime, criticalPath, entryPointTtlSeconds, subtract, union } from '../../bench/metrics';

describe('the critical path of a window', () => {
  it('merges overlapping AWS work into segments and counts the gaps as ours, split by what filled them', () => {
    const path = criticalPath(
      { start: 0, end: 100_000 },
      [
        { label: 'snapshot', start: 1_000, end: 40_000 },
        { label: 'create stack', start: 50_000, end: 80_000 },
        { label: 'discover', start: 79_000, end: 81_000 },
        { label: 'copy buckets', start: 90_000, end: 120_000 },
      ],
      [{ start: 40_000, end: 48_000 }],
      [{ start: 48_000, end: 50_000 }],
    );
    expect(path.segments.map((s) => [s.label, s.awsSeconds, s.oursBeforeSeconds])).toEqual([
      ['snapshot', 39, 1],
      ['create stack + discover', 31, 10],
      ['copy buckets', 10, 9],
    ]);
    expect(path.overheadSeconds).toBe(20);
    expect(path.overheadPercent).toBe(20);
    expect(path.breakdown).toEqual({ pollWaitSeconds: 8, lambdaSeconds: 2, orchestrationSeconds: 10 });
  });

  it('computes unions and differences of intervals', () => {
    expect(union([{ start: 5, end: 9 }, { start: 0, end: 3 }, { start: 2, end: 6 }])).toEqual([{ start: 0, end: 9 }]);
    expect(subtract([{ start: 0, end: 10 }], [{ start: 2, end: 4 }, { start: 6, end: 12 }])).toEqual([
      { start: 0, end: 2 },
      { start: 4, end: 6 },
    ]);
  });
});

describe('the downtime of a blue/green run', () => {
  it('ends at the switch seen INSYNC plus the TTL resolvers keep the previous answer: a CNAME its own, an alias to a load balancer 60 s', () => {
    expect(entryPointTtlSeconds({ TTL: 300 })).toBe(300);
    expect(entryPointTtlSeconds({ AliasTarget: { HostedZoneId: 'Z35SXDOTRQ7X7K', DNSName: 'dualstack.lb.elb.amazonaws.com.' } })).toBe(60);
    const marks = { standby: 1_000, switchEntered: 500_000, switched: 560_000, served: true, end: 700_000 };
    const bg = blueGreenDowntime(marks, 60);
    expect(bg).toMatchObject({ until: 'switched', window: { start: 1_000, end: 620_000 }, switch: { start: 500_000, end: 620_000 }, dnsCaches: { start: 560_000, end: 620_000 } });
  });

  it('runs to the end of the execution when the new slot never served (no switch, or a switch followed by a switch back)', () => {
    for (const marks of [
      { standby: 1_000, served: false, end: 700_000 },
      { standby: 1_000, switchEntered: 500_000, switched: 560_000, served: false, end: 700_000 },
    ]) {
      const bg = blueGreenDowntime(marks, 60);
      expect(bg).toMatchObject({ until: 'ended', window: { start: 1_000, end: 700_000 } });
      expect(bg.switch).toBeUndefined();
    }
  });
});
