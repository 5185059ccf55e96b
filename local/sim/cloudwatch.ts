/**
 * Simulated Amazon CloudWatch: the AWS/S3 daily storage metrics of the account's buckets, read with
 * GetMetricStatistics (what `env-migrator plan` reads, cli/plan-metrics.ts). Nothing else of
 * CloudWatch is modelled: any other call fails as an unknown operation.
 *
 * How S3 reports them, and how it is modelled here (never fresher than AWS: a plan must not take a
 * day-old figure for the bucket as it is now):
 * - "These storage metrics for Amazon S3 are reported once per day" (S3 user guide, "Monitoring metrics
 *   with Amazon CloudWatch"); "the Amazon S3 monitoring metrics are recorded once per day, and therefore
 *   might not display the most updated information" (AWS knowledge center, "Why is there a discrepancy
 *   in storage and size metrics between the Amazon S3 console and Amazon CloudWatch?"). Modelled: one
 *   measurement per bucket at each 00:00 UTC, of the bucket as it is then, stamped with that midnight.
 * - AWS publishes no delay between the measurement and the data point's appearance; public examples
 *   show the day's point (stamped 00:00 UTC) readable by the same evening. Modelled: readable
 *   PUBLICATION_DELAY_MS (12 h) after its midnight, so the freshest point is 12–36 h old.
 * - A new bucket has no data point until S3 has measured it: modelled as no measurement of a bucket
 *   less than a day old at that midnight (a bucket created today has none before the day after
 *   tomorrow's publication). The plan lists such a bucket instead.
 * - BucketSizeBytes: "the size of all objects and metadata in the bucket (both current and noncurrent
 *   objects), including the size of all parts for all incomplete multipart uploads", one metric per
 *   StorageType dimension; NumberOfObjects: "counting all objects in the bucket (both current and
 *   noncurrent objects) and the total number of parts for all incomplete multipart uploads", with
 *   StorageType AllStorageTypes; valid statistic: Average (S3 user guide, "Metrics and dimensions").
 *   Delete markers are not named there and are not counted (S3Sim.storageMeasurement). A storage type
 *   with no bytes has no data point.
 * - GetMetricStatistics (CloudWatch API reference): "CloudWatch treats each unique combination of
 *   dimensions as a separate metric. If a specific combination of dimensions was not published, you
 *   can't retrieve statistics for it" (both BucketName and StorageType must be given); StartTime is
 *   inclusive, EndTime exclusive; data points are aggregated into periods counted from StartTime, each
 *   stamped with its period's start; the period must be a multiple of 60 s; at most 1,440 data points
 *   a call (InvalidParameterCombination beyond).
 *
 * Measurements happen as simulated time passes midnights: SimAccount.dispatch calls `observe` before
 * every call, and since the buckets change only through calls, the state then is the state at the
 * midnight that passed (midnights before the account's first call are not measured). `recordDailyMeasurement` lets a test or scenario seed a past measurement.
 */
import type { GetMetricStatisticsCommandInput, GetMetricStatisticsCommandOutput } from '@aws-sdk/client-cloudwatch';
import type { SimAccount } from './account';
import { type OpHandler, type OpInput, SimServiceError, type SimService } from './core';

type Out<T> = Omit<T, '$metadata'>;

const DAY_MS = 86_400_000;
/** A midnight's measurement is readable this long after it (an assumption: AWS publishes no figure). */
export const PUBLICATION_DELAY_MS = 12 * 3_600_000;
/** S3 measures only buckets at least this old at the midnight (no data point for a new bucket). */
export const MIN_BUCKET_AGE_MS = DAY_MS;
const MAX_DATAPOINTS = 1440;
const STATISTICS = new Set(['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum']);

interface Datapoint {
  /** The midnight measured (ms). */
  at: number;
  value: number;
  unit: 'Bytes' | 'Count';
}

const invalid = (code: string, message: string) => new SimServiceError(code, message, 400);

export class CloudWatchSim implements SimService {
  readonly serviceName = 'CloudWatch';
  readonly operations: Record<string, OpHandler>;

  /** `metric|BucketName|StorageType` → data points, oldest first. */
  private readonly series = new Map<string, Datapoint[]>();
  /**
   * Midnights up to this time (ms) have been measured; unset until the first call (reading the clock in
   * the constructor would pin the account's time before a test sets its fake clock).
   */
  private observedThrough: number | undefined;

  constructor(private readonly account: SimAccount) {
    this.operations = {
      GetMetricStatistics: (i) => this.opGetMetricStatistics(i),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Internal API
  // -------------------------------------------------------------------------------------------

  /**
   * S3's daily measurement at `at` (a UTC midnight) of every bucket as it is now, for the buckets at
   * least a day old then. Seeding: a test measures the buckets it has just seeded "last night".
   */
  recordDailyMeasurement(at: Date): void {
    const midnight = at.getTime();
    if (midnight % DAY_MS !== 0) throw new Error(`S3 measures buckets at 00:00 UTC, not at ${at.toISOString()}`);
    this.measure([midnight]);
  }

  /** Measures the buckets at each UTC midnight passed since the last call (SimAccount.dispatch calls it). */
  observe(now: number): void {
    if (this.observedThrough === undefined) this.observedThrough = now;
    if (now <= this.observedThrough) return;
    const first = Math.floor(this.observedThrough / DAY_MS) * DAY_MS + DAY_MS;
    // Called on every answered call: no midnight passed (nearly always), nothing allocated.
    if (first > now) {
      this.observedThrough = now;
      return;
    }
    const midnights: number[] = [];
    for (let m = first; m <= now; m += DAY_MS) midnights.push(m);
    this.observedThrough = now;
    // Nothing changed between those midnights (no call was answered): one measurement serves them all.
    // Beyond 15 months CloudWatch keeps nothing anyway; a plan reads the last few days.
    if (midnights.length) this.measure(midnights.slice(-16));
  }

  private measure(midnights: number[]): void {
    const s3 = this.account.s3;
    for (const bucket of s3.bucketNames()) {
      const createdAt = s3.bucketCreatedAt(bucket).getTime();
      const measured = midnights.filter((m) => m - createdAt >= MIN_BUCKET_AGE_MS);
      if (!measured.length) continue;
      const { numberOfObjects, bytesByStorageType } = s3.storageMeasurement(bucket);
      for (const at of measured) {
        this.put(`NumberOfObjects|${bucket}|AllStorageTypes`, { at, value: numberOfObjects, unit: 'Count' });
        for (const [type, bytes] of Object.entries(bytesByStorageType)) {
          if (bytes > 0) this.put(`BucketSizeBytes|${bucket}|${type}`, { at, value: bytes, unit: 'Bytes' });
        }
      }
    }
  }

  private put(key: string, point: Datapoint): void {
    const points = this.series.get(key) ?? [];
    const same = points.findIndex((p) => p.at === point.at);
    if (same >= 0) points[same] = point;
    else points.push(point);
    points.sort((a, b) => a.at - b.at);
    this.series.set(key, points);
  }

  // -------------------------------------------------------------------------------------------
  // Operations
  // -------------------------------------------------------------------------------------------

  private opGetMetricStatistics(input: OpInput): Out<GetMetricStatisticsCommandOutput> {
    const i = input as unknown as GetMetricStatisticsCommandInput;
    if (!i.Namespace) throw invalid('MissingParameter', 'The parameter Namespace is required.');
    if (!i.MetricName) throw invalid('MissingParameter', 'The parameter MetricName is required.');
    if (!i.StartTime || !i.EndTime) throw invalid('MissingParameter', 'The parameters StartTime and EndTime are required.');
    if (i.Period === undefined) throw invalid('MissingParameter', 'The parameter Period is required.');
    const statistics = i.Statistics ?? [];
    if (!statistics.length) throw invalid('InvalidParameterCombination', 'Must specify either Statistics or ExtendedStatistics, but not both.');
    for (const s of statistics) if (!STATISTICS.has(s)) throw invalid('InvalidParameterValue', `The parameter Statistics contains an invalid value: ${s}`);
    const period = i.Period;
    if (!Number.isInteger(period) || period < 60 || period % 60 !== 0) throw invalid('InvalidParameterValue', 'The parameter Period must be a multiple of 60.');
    const start = new Date(i.StartTime).getTime();
    const end = new Date(i.EndTime).getTime();
    if (!(start < end)) throw invalid('InvalidParameterValue', 'The parameter StartTime must be less than the parameter EndTime.');
    if ((end - start) / (period * 1000) > MAX_DATAPOINTS) {
      throw invalid('InvalidParameterCombination', `You have requested up to ${Math.ceil((end - start) / (period * 1000))} datapoints, which exceeds the limit of ${MAX_DATAPOINTS}.`);
    }
    const label = i.MetricName;
    if (i.Namespace !== 'AWS/S3') return { Label: label, Datapoints: [] };
    // Exactly the dimensions the metric was published with: BucketName and StorageType.
    const dims = new Map((i.Dimensions ?? []).map((d) => [d.Name ?? '', d.Value ?? '']));
    const bucket = dims.get('BucketName');
    const type = dims.get('StorageType');
    if (dims.size !== 2 || bucket === undefined || type === undefined) return { Label: label, Datapoints: [] };

    const now = this.account.now();
    const readable = (this.series.get(`${i.MetricName}|${bucket}|${type}`) ?? []).filter((p) => p.at >= start && p.at < end && p.at + PUBLICATION_DELAY_MS <= now);
    const byPeriod = new Map<number, Datapoint[]>();
    for (const p of readable) {
      const slot = start + Math.floor((p.at - start) / (period * 1000)) * period * 1000;
      byPeriod.set(slot, [...(byPeriod.get(slot) ?? []), p]);
    }
    const Datapoints = [...byPeriod.entries()].map(([slot, points]) => {
      const values = points.map((p) => p.value);
      const sum = values.reduce((n, v) => n + v, 0);
      const all: Record<string, number> = { SampleCount: values.length, Average: sum / values.length, Sum: sum, Minimum: Math.min(...values), Maximum: Math.max(...values) };
      const stats: Record<string, number> = {};
      for (const s of statistics) stats[s] = all[s]!;
      return { Timestamp: new Date(slot), Unit: points[0]!.unit, ...stats };
    });
    return { Label: label, Datapoints };
  }
}
