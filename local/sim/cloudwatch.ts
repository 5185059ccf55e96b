/**
 * Simulated Amazon CloudWatch: the AWS/S3 daily storage metrics of the account's buckets, read with
 * GetMetricStatistics (what `env-migrator plan` reads, cli/plan-metrics.ts), and AWS/RDS ReplicaLag of
 * read replicas (live sync's replica-status step), read with GetMetricStatistics or GetMetricData
 * (RDS_PUBLICATION_DELAY_MS below). Nothing else of CloudWatch is modelled: any other call fails as an
 * unknown operation, any other metric has no data points.
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
import type {
  GetMetricDataCommandInput,
  GetMetricDataCommandOutput,
  GetMetricStatisticsCommandInput,
  GetMetricStatisticsCommandOutput,
  MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
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

/**
 * AWS/RDS ReplicaLag (a read replica's lag, ./rds.ts replicaLag): "Amazon RDS automatically sends
 * metrics to CloudWatch every minute for each active database" (RDS user guide, "Monitoring Amazon RDS
 * metrics with Amazon CloudWatch"); ReplicaLag: "the amount of time a read replica DB instance lags
 * behind the source DB instance", units Seconds, dimension DBInstanceIdentifier (RDS user guide,
 * "Amazon CloudWatch metrics for Amazon RDS"). Modelled: one measurement per replica per UTC minute,
 * taken at the minute's end and stamped with its start, readable RDS_PUBLICATION_DELAY_MS after the
 * minute's end (an estimate: AWS publishes no delay), only for the minutes during which the instance
 * replicated (none for an instance that is not a read replica, none before it is available, none
 * after its promotion started).
 */
export const RDS_PUBLICATION_DELAY_MS = 60_000;
const MINUTE_MS = 60_000;

interface Datapoint {
  /** The midnight measured, or the minute's start (ms). */
  at: number;
  value: number;
  unit: 'Bytes' | 'Count' | 'Seconds';
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
      GetMetricData: (i) => this.opGetMetricData(i),
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
    const readable = this.readable(i.Namespace, i.MetricName, i.Dimensions ?? [], start, end);
    const Datapoints = aggregate(readable, start, period).map(({ slot, points }) => {
      const all = statisticsOf(points.map((p) => p.value));
      const stats: Record<string, number> = {};
      for (const s of statistics) stats[s] = all[s]!;
      return { Timestamp: new Date(slot), Unit: points[0]!.unit, ...stats };
    });
    return { Label: label, Datapoints };
  }

  /**
   * GetMetricData (CloudWatch API reference) for MetricStat queries (metric math is not modelled and
   * refused): each query's values aggregated into Period slots counted from StartTime rounded down to
   * the minute ("Start time less than 15 days ago - Round down to the nearest whole minute"), ordered
   * by ScanBy (default TimestampDescending), StatusCode Complete. Same readable points as
   * GetMetricStatistics.
   */
  private opGetMetricData(input: OpInput): Out<GetMetricDataCommandOutput> {
    const i = input as unknown as GetMetricDataCommandInput;
    const queries = i.MetricDataQueries ?? [];
    if (!queries.length) throw invalid('MissingParameter', 'The parameter MetricDataQueries is required.');
    if (queries.length > 500) throw invalid('InvalidParameterValue', 'The collection MetricDataQueries must not have a size greater than 500.');
    if (!i.StartTime || !i.EndTime) throw invalid('MissingParameter', 'The parameters StartTime and EndTime are required.');
    const start = Math.floor(new Date(i.StartTime).getTime() / MINUTE_MS) * MINUTE_MS;
    const end = new Date(i.EndTime).getTime();
    if (!(start < end)) throw invalid('ValidationError', 'The parameter StartTime must be less than the parameter EndTime.');
    const ids = new Set<string>();
    const results: MetricDataResult[] = [];
    for (const q of queries) {
      if (!q.Id || !/^[a-z][A-Za-z0-9_]*$/.test(q.Id)) throw invalid('ValidationError', `Invalid metric data query id: ${String(q.Id)}. It must start with a lowercase letter.`);
      if (ids.has(q.Id)) throw invalid('ValidationError', `The metric data query id ${q.Id} is used more than once.`);
      ids.add(q.Id);
      if (q.Expression !== undefined || !q.MetricStat) throw invalid('ValidationError', 'The simulated account models MetricStat queries only (no metric math).');
      const { Metric: metric, Period: period, Stat: stat } = q.MetricStat;
      if (!metric?.Namespace || !metric.MetricName) throw invalid('ValidationError', 'A MetricStat query needs a Metric with Namespace and MetricName.');
      if (period === undefined || !Number.isInteger(period) || period < 60 || period % 60 !== 0) throw invalid('ValidationError', 'The Period of a MetricStat query must be a multiple of 60.');
      if (!stat || !STATISTICS.has(stat)) throw invalid('ValidationError', `Invalid statistic: ${String(stat)}`);
      const points = aggregate(this.readable(metric.Namespace, metric.MetricName, metric.Dimensions ?? [], start, end), start, period).map(({ slot, points: p }) => ({
        slot,
        value: statisticsOf(p.map((x) => x.value))[stat]!,
      }));
      if (i.ScanBy !== 'TimestampAscending') points.reverse();
      if (q.ReturnData === false) continue;
      results.push({ Id: q.Id, Label: q.Label ?? metric.MetricName, Timestamps: points.map((p) => new Date(p.slot)), Values: points.map((p) => p.value), StatusCode: 'Complete' });
    }
    return { MetricDataResults: results, Messages: [] };
  }

  /** The data points of a metric (exactly these dimensions) in [start, end) that are published by now. */
  private readable(namespace: string, metricName: string, dimensions: { Name?: string; Value?: string }[], start: number, end: number): Datapoint[] {
    const dims = new Map(dimensions.map((d) => [d.Name ?? '', d.Value ?? '']));
    const now = this.account.now();
    if (namespace === 'AWS/RDS' && metricName === 'ReplicaLag') {
      const id = dims.get('DBInstanceIdentifier');
      if (dims.size !== 1 || id === undefined) return [];
      return this.replicaLagPoints(id, start, end, now);
    }
    if (namespace !== 'AWS/S3') return [];
    // Exactly the dimensions the metric was published with: BucketName and StorageType.
    const bucket = dims.get('BucketName');
    const type = dims.get('StorageType');
    if (dims.size !== 2 || bucket === undefined || type === undefined) return [];
    return (this.series.get(`${metricName}|${bucket}|${type}`) ?? []).filter((p) => p.at >= start && p.at < end && p.at + PUBLICATION_DELAY_MS <= now);
  }

  /** ReplicaLag of one instance: a point per minute it replicated through, published by now (RDS_PUBLICATION_DELAY_MS). */
  private replicaLagPoints(identifier: string, start: number, end: number, now: number): Datapoint[] {
    const span = this.account.rds.replicationSpans().find((r) => r.identifier === identifier.toLowerCase());
    if (!span) return [];
    const first = Math.max(Math.ceil(start / MINUTE_MS) * MINUTE_MS, Math.floor(span.from / MINUTE_MS) * MINUTE_MS);
    const points: Datapoint[] = [];
    for (let minute = first; minute < end; minute += MINUTE_MS) {
      const sampledAt = minute + MINUTE_MS;
      if (sampledAt + RDS_PUBLICATION_DELAY_MS > now) break;
      const value = this.account.rds.replicaLag(identifier, sampledAt);
      if (value !== undefined) points.push({ at: minute, value, unit: 'Seconds' });
    }
    return points;
  }
}

/** Points grouped into periods counted from `start`, each stamped with its period's start, oldest first. */
function aggregate(points: Datapoint[], start: number, periodSeconds: number): { slot: number; points: Datapoint[] }[] {
  const byPeriod = new Map<number, Datapoint[]>();
  for (const p of points) {
    const slot = start + Math.floor((p.at - start) / (periodSeconds * 1000)) * periodSeconds * 1000;
    byPeriod.set(slot, [...(byPeriod.get(slot) ?? []), p]);
  }
  return [...byPeriod.entries()].sort((a, b) => a[0] - b[0]).map(([slot, grouped]) => ({ slot, points: grouped }));
}

function statisticsOf(values: number[]): Record<string, number> {
  const sum = values.reduce((n, v) => n + v, 0);
  return { SampleCount: values.length, Average: sum / values.length, Sum: sum, Minimum: Math.min(...values), Maximum: Math.max(...values) };
}
