/**
 * The simulated AWS/S3 daily storage metrics (local/sim/cloudwatch.ts) through the real SDK: measured
 * once a day at 00:00 UTC, readable only later, never for a bucket younger than a day, and never the
 * bucket as it is now. Only Date is faked (the account's clock); the calls answer at once.
 */
import { CloudWatchClient, GetMetricDataCommand, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { CreateMultipartUploadCommand, PutObjectCommand, S3Client, UploadPartCopyCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SimAccount } from '../../local/sim/account';
import { PUBLICATION_DELAY_MS, RDS_PUBLICATION_DELAY_MS } from '../../local/sim/cloudwatch';
import { ZERO_TIMING } from '../../local/sim/core';
import { installSimulatedAccount } from '../../local/sim/install';

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** 2026-12-01T15:00:00Z: the account starts mid-afternoon. */
const T0 = Date.UTC(2026, 11, 1, 15);
const MIDNIGHT_1 = Date.UTC(2026, 11, 2);
const MIDNIGHT_2 = Date.UTC(2026, 11, 3);

let account: SimAccount;
let uninstall: () => void;
let cw: CloudWatchClient;
let s3: S3Client;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
  account = new SimAccount({ timing: ZERO_TIMING });
  uninstall = installSimulatedAccount(account);
  cw = new CloudWatchClient({ maxAttempts: 1 });
  s3 = new S3Client({ maxAttempts: 1 });
});

afterEach(() => {
  uninstall();
  vi.useRealTimers();
});

async function daily(bucket: string, metric: 'NumberOfObjects' | 'BucketSizeBytes', storageType: string, from = MIDNIGHT_1 - 2 * DAY) {
  const out = await cw.send(
    new GetMetricStatisticsCommand({
      Namespace: 'AWS/S3',
      MetricName: metric,
      Dimensions: [
        { Name: 'BucketName', Value: bucket },
        { Name: 'StorageType', Value: storageType },
      ],
      StartTime: new Date(from),
      EndTime: new Date(Date.now()),
      Period: 86_400,
      Statistics: ['Average'],
    }),
  );
  return (out.Datapoints ?? []).map((d) => ({ at: d.Timestamp!.toISOString(), value: d.Average, unit: d.Unit }));
}

describe('simulated CloudWatch: AWS/S3 daily storage metrics', () => {
  it('measures a bucket older than a day at 00:00 UTC as it was then, counting noncurrent versions and multipart parts but not delete markers, readable only 12 h later', async () => {
    account.s3.createBucket('old-bucket', { versioning: true });
    account.s3.backdateBucket('old-bucket', new Date(T0 - 3 * DAY));
    account.s3.putObjectDirect('old-bucket', 'a', { body: 'one' });
    account.s3.putObjectDirect('old-bucket', 'a', { body: 'two!' }); // a noncurrent version of 3 B
    account.s3.putObjectDirect('old-bucket', 'b', { size: 1000, storageClass: 'STANDARD_IA' });
    account.s3.deleteObjectDirect('old-bucket', 'b'); // a delete marker: not counted
    const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'old-bucket', Key: 'big' }));
    // One part of an unfinished upload, copied from a's current version (4 B).
    await s3.send(new UploadPartCopyCommand({ Bucket: 'old-bucket', Key: 'big', UploadId: upload.UploadId, PartNumber: 1, CopySource: 'old-bucket/a' }));

    // Midnight passes; the next call sees it and S3 measures the bucket as it was then.
    vi.setSystemTime(MIDNIGHT_1 + HOUR);
    await s3.send(new PutObjectCommand({ Bucket: 'old-bucket', Key: 'after-midnight', Body: 'late' }));
    // Not readable yet: published PUBLICATION_DELAY_MS after its midnight.
    expect(await daily('old-bucket', 'NumberOfObjects', 'AllStorageTypes')).toEqual([]);

    vi.setSystemTime(MIDNIGHT_1 + PUBLICATION_DELAY_MS);
    const day1 = new Date(MIDNIGHT_1).toISOString();
    // a (2 versions) + b's version + 1 part; the delete marker and the object put after midnight are not in it.
    expect(await daily('old-bucket', 'NumberOfObjects', 'AllStorageTypes')).toEqual([{ at: day1, value: 4, unit: 'Count' }]);
    expect(await daily('old-bucket', 'BucketSizeBytes', 'StandardStorage')).toEqual([{ at: day1, value: 3 + 4 + 4, unit: 'Bytes' }]);
    expect(await daily('old-bucket', 'BucketSizeBytes', 'StandardIAStorage')).toEqual([{ at: day1, value: 1000, unit: 'Bytes' }]);
    expect(await daily('old-bucket', 'BucketSizeBytes', 'GlacierStorage')).toEqual([]);

    // The next midnight's measurement includes the late object, once published.
    vi.setSystemTime(MIDNIGHT_2 + PUBLICATION_DELAY_MS);
    const points = await daily('old-bucket', 'NumberOfObjects', 'AllStorageTypes');
    expect(points.map((p) => p.value)).toEqual([4, 5]);
    expect(points[1]!.at).toBe(new Date(MIDNIGHT_2).toISOString());
  });

  it('has no data point for a bucket less than a day old at the midnight', async () => {
    account.s3.createBucket('new-bucket');
    account.s3.putObjectDirect('new-bucket', 'a', { body: 'one' });
    vi.setSystemTime(MIDNIGHT_1 + PUBLICATION_DELAY_MS);
    expect(await daily('new-bucket', 'NumberOfObjects', 'AllStorageTypes')).toEqual([]);
    // Created at 15:00 on day 0: a day old only after 15:00 on day 1, so the second midnight measures it.
    vi.setSystemTime(MIDNIGHT_2 + PUBLICATION_DELAY_MS);
    expect(await daily('new-bucket', 'NumberOfObjects', 'AllStorageTypes')).toEqual([{ at: new Date(MIDNIGHT_2).toISOString(), value: 1, unit: 'Count' }]);
  });

  it('answers only the exact dimensions published, stamps each period from StartTime, and rejects a period that is not a multiple of 60', async () => {
    account.s3.createBucket('old-bucket');
    account.s3.backdateBucket('old-bucket', new Date(T0 - 3 * DAY));
    account.s3.putObjectDirect('old-bucket', 'a', { body: 'one' });
    account.cloudwatch.recordDailyMeasurement(new Date(MIDNIGHT_1 - DAY));

    const bucketOnly = await cw.send(
      new GetMetricStatisticsCommand({
        Namespace: 'AWS/S3',
        MetricName: 'NumberOfObjects',
        Dimensions: [{ Name: 'BucketName', Value: 'old-bucket' }],
        StartTime: new Date(T0 - 3 * DAY),
        EndTime: new Date(T0),
        Period: 86_400,
        Statistics: ['Average'],
      }),
    );
    expect(bucketOnly.Datapoints).toEqual([]);
    // A window that does not start at midnight stamps the point with its period's start, not the measurement's.
    expect(await daily('old-bucket', 'NumberOfObjects', 'AllStorageTypes', MIDNIGHT_1 - DAY - 6 * HOUR)).toEqual([
      { at: new Date(MIDNIGHT_1 - DAY - 6 * HOUR).toISOString(), value: 1, unit: 'Count' },
    ]);
    await expect(
      cw.send(
        new GetMetricStatisticsCommand({
          Namespace: 'AWS/S3',
          MetricName: 'NumberOfObjects',
          Dimensions: [
            { Name: 'BucketName', Value: 'old-bucket' },
            { Name: 'StorageType', Value: 'AllStorageTypes' },
          ],
          StartTime: new Date(T0 - DAY),
          EndTime: new Date(T0),
          Period: 90,
          Statistics: ['Average'],
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    expect(() => account.cloudwatch.recordDailyMeasurement(new Date(T0))).toThrow(/00:00 UTC/);
  });
});

describe('simulated CloudWatch: AWS/RDS ReplicaLag', () => {
  const lagQuery = (id: string, dimensions = [{ Name: 'DBInstanceIdentifier', Value: id }]) => ({
    Id: 'lag',
    MetricStat: { Metric: { Namespace: 'AWS/RDS', MetricName: 'ReplicaLag', Dimensions: dimensions }, Period: 60, Stat: 'Maximum' as const },
  });

  it('publishes a replica minute a minute after it ends, stamps periods from StartTime rounded down to the minute, newest first by default, and only for the exact dimension', async () => {
    account.rds.createInstance({ identifier: 'src', allocatedStorage: 10, readyAt: T0, engine: 'mysql' });
    account.rds.setWriteActivity('src', true);
    account.rds.createReadReplica({ identifier: 'rep', sourceIdentifier: 'src', readyAt: T0 });
    vi.setSystemTime(T0 + 2 * 60_000 + RDS_PUBLICATION_DELAY_MS - 1);
    const early = await cw.send(new GetMetricDataCommand({ StartTime: new Date(T0 + 25_000), EndTime: new Date(Date.now()), MetricDataQueries: [lagQuery('rep')] }));
    // Minute 0 is readable (ended at T0 + 60 s, published a minute later); minute 1 not yet.
    expect(early.MetricDataResults?.[0]).toMatchObject({ Id: 'lag', StatusCode: 'Complete', Timestamps: [new Date(T0)], Values: [0] });
    vi.setSystemTime(T0 + 5 * 60_000);
    const later = await cw.send(new GetMetricDataCommand({ StartTime: new Date(T0), EndTime: new Date(Date.now()), MetricDataQueries: [lagQuery('rep')] }));
    expect(later.MetricDataResults?.[0]?.Timestamps?.map((t) => (t.getTime() - T0) / 60_000)).toEqual([3, 2, 1, 0]);
    const extra = await cw.send(new GetMetricDataCommand({ StartTime: new Date(T0), EndTime: new Date(Date.now()), MetricDataQueries: [lagQuery('rep', [{ Name: 'DBInstanceIdentifier', Value: 'rep' }, { Name: 'Role', Value: 'x' }])] }));
    expect(extra.MetricDataResults?.[0]?.Values).toEqual([]);
    await expect(cw.send(new GetMetricDataCommand({ StartTime: new Date(T0), EndTime: new Date(Date.now()), MetricDataQueries: [{ Id: 'm', Expression: 'lag * 2' }] }))).rejects.toMatchObject({ name: 'ValidationError' });
  });
});
