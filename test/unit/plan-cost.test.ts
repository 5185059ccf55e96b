/**
 * The plan's cost at list prices (cli/plan-cost.ts) and its reading of CloudWatch's daily S3 storage
 * metrics (cli/plan-metrics.ts, CloudWatch mocked).
 */
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { STEPS } from '../../lambdas/steps';
import { PRICES, RESOURCE_PRICES } from '../../bench/prices';
import type { MigrationPlan, PlannedBucket, PlannedDatabase } from '../../cli/plan-core';
import { BLUE_GREEN_REHEARSAL_RATIO, LISTINGS_PER_BUCKET, LISTINGS_PER_BUCKET_BLUE_GREEN, STANDBY_BILLED_SOURCE, TINY_BENCHMARK, estimateCost } from '../../cli/plan-cost';
import { estimateDurations } from '../../cli/plan-estimate';
import { readBucketStorageMetrics } from '../../cli/plan-metrics';

const GIB = 1024 ** 3;

function bucket(logicalId: string, versions: number, bytes: number): PlannedBucket {
  return { logicalId, bucketName: logicalId.toLowerCase(), versioning: 'Never', currentObjects: versions, noncurrentVersions: 0, deleteMarkers: 0, bytes, notCarried: 0, cloudwatch: null };
}

function planOf(buckets: PlannedBucket[], databases: PlannedDatabase[]): MigrationPlan {
  return {
    stackName: 'orders-prod',
    databases,
    buckets,
    totals: { databasesAllocatedGb: 0, objects: 0, versions: 0, bytes: buckets.reduce((n, b) => n + b.bytes, 0) },
  } as unknown as MigrationPlan;
}

const ORDERS_DB: PlannedDatabase = { logicalId: 'OrdersDb', dbInstanceIdentifier: 'db-1', engine: 'postgres', allocatedStorageGb: 100, instanceClass: 'db.t4g.micro', multiAz: false, storageType: 'gp3' };
const TINY = TINY_BENCHMARK.bucketSizes.map((b, i) => bucket(`B${i}`, b.versions, b.bytes));

describe('the cost of a planned migration at list prices', () => {
  it("reproduces the tiny benchmark's measured usage for its own sizes (transitions, invocations, GB-s; S3 requests within the 6 % multipart copies it leaves out)", () => {
    const plan = planOf(TINY, [ORDERS_DB]);
    const { usage } = estimateCost(plan, estimateDurations(plan));
    expect(usage.stateTransitions).toBe(TINY_BENCHMARK.stateTransitions);
    expect(usage.lambdaInvocations).toBe(TINY_BENCHMARK.lambdaInvocations);
    // The copy and verify steps ran at copyVerifyMemoryMb then; their seconds are billed at today's memory
    // (both steps have the same), the rest as measured.
    const nowPerThen = STEPS['copy-bucket'].memoryMb / TINY_BENCHMARK.copyVerifyMemoryMb;
    expect(STEPS['verify-bucket'].memoryMb).toBe(STEPS['copy-bucket'].memoryMb);
    expect(usage.lambdaGbSeconds).toBeCloseTo(TINY_BENCHMARK.lambdaGbSeconds + TINY_BENCHMARK.copyVerifyGbSeconds * (nowPerThen - 1), 0);
    expect(usage.s3Tier2Requests).toBe(TINY_BENCHMARK.s3Tier2Requests);
    // 1,210 copies + 2 pages × 10 listings = 1,230 of the 1,306 measured.
    expect(usage.s3Tier1Requests).toBe(2 * TINY_BENCHMARK.versions + 2 * LISTINGS_PER_BUCKET);
    expect(usage.s3Tier1Requests / TINY_BENCHMARK.s3Tier1Requests).toBeGreaterThan(0.93);
  });

  it('grows with the buckets: copies per version and clone, a listing page per 1,000 versions, further continuation calls for a copy longer than one invocation', () => {
    const small = planOf([bucket('A', 1_000, 0)], []);
    const big = planOf([bucket('A', 1_000_000, 500 * GIB)], []);
    const s = estimateCost(small, estimateDurations(small)).usage;
    const b = estimateCost(big, estimateDurations(big)).usage;
    expect(b.s3Tier1Requests - s.s3Tier1Requests).toBe(2 * 999_000 + LISTINGS_PER_BUCKET * 999);
    expect(b.stateTransitions).toBeGreaterThan(s.stateTransitions);
    expect(b.lambdaInvocations).toBeGreaterThan(s.lambdaInvocations);
    expect(b.lambdaGbSeconds).toBeGreaterThan(100 * s.lambdaGbSeconds);
  });

  it('prices the temporary database by its class, Multi-AZ at its own rate, and says "price unknown" for a class or storage type it has no price for', () => {
    const plan = planOf([bucket('A', 10, 0)], [
      { ...ORDERS_DB, multiAz: true },
      { logicalId: 'ArchiveDb', dbInstanceIdentifier: 'db-2', engine: 'postgres', allocatedStorageGb: 20, instanceClass: 'db.r6g.large', multiAz: false, storageType: 'io2' },
    ]);
    const estimate = estimateDurations(plan);
    const c = estimateCost(plan, estimate);
    const line = (what: string) => c.lines.find((l) => l.what.startsWith(what))!;
    const hours = (estimate.totalSeconds - estimate.segments[0]!.seconds - estimate.segments[1]!.seconds) / 3600;
    expect(line('temporary copy of OrdersDb: instance').usd).toBeCloseTo(hours * RESOURCE_PRICES.rdsInstancePerHour.postgres!['db.t4g.micro']!.multiAz, 10);
    expect(line('temporary copy of OrdersDb: 100 GiB').usd).toBeCloseTo((2 * 100 * 0.115 * hours) / 730, 10);
    expect(line('temporary copy of ArchiveDb: instance')).toMatchObject({ usd: null, basis: expect.stringContaining('price unknown for class db.r6g.large') as string });
    expect(line('temporary copy of ArchiveDb: 20 GiB')).toMatchObject({ usd: null, basis: expect.stringContaining('price unknown for storage type io2') as string });
    expect(c.unpriced).toHaveLength(2);
    // The kept clone 2 snapshots are a monthly cost, not the migration's.
    expect(c.monthly.map((l) => l.usd)).toEqual([100 * 0.095, 20 * 0.095]);
    expect(c.totalUsd).toBeCloseTo(c.lines.reduce((n, l) => n + (l.usd ?? 0), 0), 12);
    for (const l of [...c.lines, ...c.monthly]) expect(l.source).toMatch(/^https:\/\/aws\.amazon\.com\/[a-z0-9-/]+pricing\/$/);
  });

  it('prices the workflow at the benchmark\'s list prices', () => {
    const plan = planOf(TINY, [ORDERS_DB]);
    const c = estimateCost(plan, estimateDurations(plan));
    expect(c.lines[0]!.usd).toBeCloseTo(TINY_BENCHMARK.stateTransitions * PRICES.stepFunctionsPerTransition, 12);
  });
});

describe('the cost of a planned blue/green migration', () => {
  const bluePlan = (keepPreviousHours: number, databases: PlannedDatabase[] = [ORDERS_DB]) =>
    ({
      ...planOf(TINY, databases),
      strategy: 'blue-green',
      blueGreen: { liveSlot: 'orders-prod', idleSlot: 'orders-prod-b', recordName: 'orders.example.com', keepPreviousHours },
    }) as MigrationPlan;

  it('counts one clone: one CopyObject per version, the per-bucket terms once, a listing count that holds no temporary stack', () => {
    const double = planOf(TINY, [ORDERS_DB]);
    const blue = bluePlan(24);
    const d = estimateCost(double, estimateDurations(double)).usage;
    const b = estimateCost(blue, estimateDurations(blue)).usage;
    expect(b.s3Tier1Requests).toBe(TINY_BENCHMARK.versions + 2 * LISTINGS_PER_BUCKET_BLUE_GREEN);
    expect(b.s3Tier2Requests).toBe(Math.round(TINY_BENCHMARK.s3Tier2Requests / 2));
    expect(b.stateTransitions).toBe(Math.round(TINY_BENCHMARK.stateTransitions * BLUE_GREEN_REHEARSAL_RATIO.states));
    expect(b.stateTransitions).toBeLessThan(d.stateTransitions);
    // One copy and verification of each bucket instead of two.
    expect(b.lambdaGbSeconds).toBeLessThan(d.lambdaGbSeconds - TINY_BENCHMARK.copyVerifyGbSeconds / 2 + 0.1);
  });

  it("charges the previous slot's databases and buckets for keepPreviousHours after the switch plus the hours both slots exist before it, no temporary copy, the switch at $0, the clone's snapshot kept monthly", () => {
    const plan = bluePlan(24);
    const estimate = estimateDurations(plan);
    const c = estimateCost(plan, estimate);
    const what = c.lines.map((l) => l.what);
    expect(what.join('\n')).not.toMatch(/temporary/);
    const [, , create, copy, switched] = estimate.segments.map((s) => s.seconds);
    const hours = 24 + (create! + copy! + switched!) / 3600;
    const line = (start: string) => c.lines.find((l) => l.what.startsWith(start))!;
    expect(line('previous slot orders-prod (kept as the rollback point): OrdersDb: instance').usd).toBeCloseTo(hours * 0.016, 10);
    expect(line('previous slot orders-prod (kept as the rollback point): OrdersDb: 100 GiB').usd).toBeCloseTo((100 * 0.115 * hours) / 730, 10);
    const gib = plan.totals.bytes / 1024 ** 3;
    expect(line('previous slot orders-prod (kept as the rollback point): its buckets').usd).toBeCloseTo((gib * 0.023 * (24 + (copy! + switched!) / 3600)) / 730, 10);
    expect(line('the switch of orders.example.com')).toMatchObject({ usd: 0, source: 'https://aws.amazon.com/route53/pricing/' });
    expect(c.monthly).toEqual([expect.objectContaining({ what: expect.stringContaining('kept: orders-prod-b was restored from it') as string, usd: 100 * 0.095 })]);
    // Standby instances are billed by EC2, and named as not included (no EC2 price here).
    expect(c.notIncluded.join('\n')).toContain(STANDBY_BILLED_SOURCE);
    for (const l of [...c.lines, ...c.monthly]) expect(l.source).toMatch(/^https:\/\/aws\.amazon\.com\/[a-z0-9-/]+pricing\/$/);
    // A longer retention costs more, by the previous slot's hourly price alone.
    const longer = bluePlan(72);
    const c72 = estimateCost(longer, estimateDurations(longer));
    expect(c72.totalUsd - c.totalUsd).toBeCloseTo(48 * (0.016 + (100 * 0.115) / 730 + (gib * 0.023) / 730), 8);
  });

  it('says "price unknown" for a previous slot database of a class it has no price for', () => {
    const plan = bluePlan(24, [{ ...ORDERS_DB, instanceClass: 'db.r6g.large' }]);
    const c = estimateCost(plan, estimateDurations(plan));
    expect(c.unpriced).toEqual(['previous slot orders-prod (kept as the rollback point): OrdersDb: instance db.r6g.large']);
  });
});

describe('reading a bucket\'s daily storage metrics', () => {
  const cw = mockClient(CloudWatchClient);
  beforeEach(() => cw.reset());
  const NOW = new Date('2026-12-05T09:30:00Z');

  it('asks each metric with both dimensions, a one-day period from a midnight three days back, and keeps the latest day NumberOfObjects has', async () => {
    cw.on(GetMetricStatisticsCommand).resolves({ Datapoints: [] });
    cw.on(GetMetricStatisticsCommand, { MetricName: 'NumberOfObjects' }).resolves({
      Datapoints: [
        { Timestamp: new Date('2026-12-03T00:00:00Z'), Average: 90, Unit: 'Count' },
        { Timestamp: new Date('2026-12-04T00:00:00Z'), Average: 100, Unit: 'Count' },
      ],
    });
    cw.on(GetMetricStatisticsCommand, { MetricName: 'BucketSizeBytes', Dimensions: [{ Name: 'BucketName', Value: 'b' }, { Name: 'StorageType', Value: 'StandardStorage' }] }).resolves({
      Datapoints: [
        { Timestamp: new Date('2026-12-04T00:00:00Z'), Average: 5000, Unit: 'Bytes' },
        { Timestamp: new Date('2026-12-03T00:00:00Z'), Average: 4000, Unit: 'Bytes' },
      ],
    });
    cw.on(GetMetricStatisticsCommand, { MetricName: 'BucketSizeBytes', Dimensions: [{ Name: 'BucketName', Value: 'b' }, { Name: 'StorageType', Value: 'GlacierStorage' }] }).resolves({
      Datapoints: [{ Timestamp: new Date('2026-12-04T00:00:00Z'), Average: 700, Unit: 'Bytes' }],
    });

    const m = await readBucketStorageMetrics(new CloudWatchClient({ region: 'us-east-1' }), 'b', NOW);
    expect(m).toEqual({ asOf: '2026-12-04T00:00:00.000Z', numberOfObjects: 100, bytesByStorageType: { StandardStorage: 5000, GlacierStorage: 700 }, bytes: 5700 });
    const calls = cw.commandCalls(GetMetricStatisticsCommand).map((c) => c.args[0].input);
    expect(calls[0]).toEqual({
      Namespace: 'AWS/S3',
      MetricName: 'NumberOfObjects',
      Dimensions: [
        { Name: 'BucketName', Value: 'b' },
        { Name: 'StorageType', Value: 'AllStorageTypes' },
      ],
      StartTime: new Date('2026-12-02T00:00:00Z'),
      EndTime: NOW,
      Period: 86_400,
      Statistics: ['Average'],
    });
    expect(calls.filter((c) => c.MetricName === 'BucketSizeBytes').map((c) => c.Dimensions![1]!.Value)).toContain('DeepArchiveStorage');
  });

  it('returns undefined for a bucket without any data point (younger than a day, or not measured yet)', async () => {
    cw.on(GetMetricStatisticsCommand).resolves({ Datapoints: [] });
    expect(await readBucketStorageMetrics(new CloudWatchClient({ region: 'us-east-1' }), 'new', NOW)).toBeUndefined();
  });

  it('fails with the SDK error when the caller may not read metrics (no silent fallback that would hide a missing permission)', async () => {
    cw.on(GetMetricStatisticsCommand).rejects(Object.assign(new Error('not authorized to perform: cloudwatch:GetMetricStatistics'), { name: 'AccessDenied' }));
    await expect(readBucketStorageMetrics(new CloudWatchClient({ region: 'us-east-1' }), 'b', NOW)).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});
