/**
 * CloudWatch's daily S3 storage metrics of a bucket, as `env-migrator plan` reads them beside the
 * bucket's listing (issue 14, "Plan"): AWS/S3 NumberOfObjects (StorageType AllStorageTypes) and
 * BucketSizeBytes per StorageType, Period one day, over the last three days, the latest day found.
 *
 * What they are (S3 user guide, "Metrics and dimensions"; "Monitoring metrics with Amazon CloudWatch"):
 * reported once per day, free; NumberOfObjects counts current and noncurrent versions and the parts of
 * unfinished multipart uploads (delete markers are not named); BucketSizeBytes sums their sizes and
 * metadata. A bucket S3 has not measured yet (a new one) has no data point. So a metric is the bucket
 * as it was at its day's measurement, never as it is now: the plan shows it with its date, as a
 * cross-check of the listing, never in place of it (the listing is what finds archived versions,
 * which Migrate refuses).
 */
import { type CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';

const DAY_MS = 86_400_000;
/** Days looked back: the freshest data point may be a day and a half old, and may be late. */
const LOOKBACK_DAYS = 3;

/**
 * The StorageType values of BucketSizeBytes that hold object data (the *Overhead and *Staging types
 * are left out: metadata and staging the copy does not carry), per the S3 user guide's list, with the
 * archive-instant and Glacier Instant Retrieval types added since.
 */
export const DATA_STORAGE_TYPES = [
  'StandardStorage',
  'IntelligentTieringFAStorage',
  'IntelligentTieringIAStorage',
  'IntelligentTieringAIAStorage',
  'IntelligentTieringAAStorage',
  'IntelligentTieringDAAStorage',
  'StandardIAStorage',
  'OneZoneIAStorage',
  'ReducedRedundancyStorage',
  'GlacierInstantRetrievalStorage',
  'GlacierStorage',
  'DeepArchiveStorage',
] as const;

/** The types whose objects cannot be read without a restore: a non-zero figure there is worth naming. */
export const ARCHIVE_STORAGE_TYPES: ReadonlySet<string> = new Set(['GlacierStorage', 'DeepArchiveStorage', 'IntelligentTieringAAStorage', 'IntelligentTieringDAAStorage']);

/** A bucket's daily storage metrics, as of one day's measurement. */
export interface BucketStorageMetrics {
  /** The day measured (00:00 UTC), ISO 8601. */
  asOf: string;
  /** NumberOfObjects: versions, current and noncurrent, and parts of unfinished multipart uploads. */
  numberOfObjects: number;
  /** BucketSizeBytes of that day, per StorageType with data (the types without a data point left out). */
  bytesByStorageType: Record<string, number>;
  /** Their sum. */
  bytes: number;
}

/** The start of the UTC day of `ms`. */
function utcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/**
 * Reads `bucket`'s daily storage metrics with GetMetricStatistics (one call per metric and storage
 * type, in parallel), over the last LOOKBACK_DAYS whole UTC days up to `now`, the window starting at
 * a midnight so that each one-day period holds one measurement, stamped with its own day. Returns the
 * latest day's figures that NumberOfObjects has, or undefined when the bucket has no data point (a
 * bucket younger than a day, or one S3 has not measured yet). Throws what the SDK throws (AccessDenied
 * without cloudwatch:GetMetricStatistics).
 */
export async function readBucketStorageMetrics(cloudwatch: CloudWatchClient, bucket: string, now: Date = new Date()): Promise<BucketStorageMetrics | undefined> {
  const endTime = new Date(now.getTime());
  const startTime = new Date(utcDay(now.getTime()) - LOOKBACK_DAYS * DAY_MS);
  const daily = async (metricName: 'NumberOfObjects' | 'BucketSizeBytes', storageType: string): Promise<Map<number, number>> => {
    const out = await cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: 'AWS/S3',
        MetricName: metricName,
        Dimensions: [
          { Name: 'BucketName', Value: bucket },
          { Name: 'StorageType', Value: storageType },
        ],
        StartTime: startTime,
        EndTime: endTime,
        Period: 86_400,
        Statistics: ['Average'],
      }),
    );
    const points = new Map<number, number>();
    for (const d of out.Datapoints ?? []) {
      if (d.Timestamp && d.Average !== undefined) points.set(utcDay(new Date(d.Timestamp).getTime()), d.Average);
    }
    return points;
  };
  const [objects, ...sizes] = await Promise.all([daily('NumberOfObjects', 'AllStorageTypes'), ...DATA_STORAGE_TYPES.map((t) => daily('BucketSizeBytes', t))]);
  const latest = Math.max(...objects.keys());
  if (!Number.isFinite(latest)) return undefined;
  const bytesByStorageType: Record<string, number> = {};
  DATA_STORAGE_TYPES.forEach((type, i) => {
    const bytes = sizes[i]!.get(latest);
    if (bytes !== undefined && bytes > 0) bytesByStorageType[type] = bytes;
  });
  return {
    asOf: new Date(latest).toISOString(),
    numberOfObjects: objects.get(latest)!,
    bytesByStorageType,
    bytes: Object.values(bytesByStorageType).reduce((n, b) => n + b, 0),
  };
}
