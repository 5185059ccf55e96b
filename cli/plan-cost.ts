/**
 * The expected cost of one planned migration at list prices (issue 14, "Plan"): the workflow's own
 * usage (Step Functions, Lambda, the S3 requests of the copies, verifications and emptying) and what
 * the migration creates for its duration (the temporary stack's databases, the snapshots, the copy in
 * the temporary buckets), itemised, each line with the price and the page it comes from
 * (bench/prices.ts). US East (N. Virginia), on-demand, free tiers and allowances ignored: an upper
 * bound where an allowance applies (backup storage), and a model's figure, not a bill.
 *
 * The workflow's usage is the tiny benchmark's, measured (TINY_BENCHMARK), plus what grows with the
 * buckets, in the units the benchmark counts them (bench/README.md "What the figures mean"):
 * - S3: one CopyObject per version and clone (COPY); each bucket listed LISTINGS_PER_BUCKET times, a
 *   ListObjectVersions per 1,000 versions (LIST); reads (HeadObject, GetObjectTagging...) at the tiny
 *   benchmark's ratio per version copied; DeleteObjects (the emptying) is free. Multipart copies
 *   (UploadPartCopy, an object's parts) are not counted: 6 % more PUT-class requests in the benchmark.
 * - Lambda: the copy and verify steps run as long as the bucket work the timing model gives
 *   (cli/plan-estimate.ts bucketWorkSeconds), at 1 GB, per bucket and clone; every other step as in the
 *   tiny benchmark. A copy or verification longer than one invocation's budget continues in another.
 * - Step Functions: the tiny benchmark's transitions for its two buckets, plus, per clone, each further
 *   bucket's Map iteration and each further invocation of a continuation loop.
 * Not included (named in `notIncluded`): the temporary stack's EC2 instances and load balancer,
 * DynamoDB, SNS, CloudWatch Logs and GetMetricStatistics, KMS requests, content proofs (S3 Batch
 * Operations jobs, lambdas/shared/content-proof.ts), data transfer.
 */
import { PRICES, PRICE_SOURCES, RESOURCE_PRICES } from '../bench/prices';
import { STEPS } from '../lambdas/steps';
import type { MigrationPlan, PlannedDatabase } from './plan-core';
import { type DurationEstimate, bucketWorkSeconds, pagesOf, versionsOf } from './plan-estimate';

/**
 * `npm run bench -- --size tiny --workflow-only --init-imports 0` (2026-12-05): two buckets of about 300
 * versions each (one listing page each), 605 versions copied per clone, one database.
 */
export const TINY_BENCHMARK = {
  buckets: 2,
  versions: 605,
  /** Its buckets as the benchmark prints them (UploadsBucket 305 versions, 7.2 GiB; ReportsBucket 300, 8.5 GiB). */
  bucketSizes: [
    { versions: 305, bytes: 7.2 * 1024 ** 3 },
    { versions: 300, bytes: 8.5 * 1024 ** 3 },
  ],
  /** copy-bucket's GB-s alone (4 invocations: 2 buckets × 2 clones). */
  copyGbSeconds: 24.9,
  /** 242 before blue/green: a double clone now passes 3 Choices more (Which strategy?, Clone into the idle slot?, Other locks to release?). */
  stateTransitions: 245,
  lambdaInvocations: 62,
  lambdaGbSeconds: 35.9,
  /** Of which copy-bucket and verify-bucket (24.9 + 1.9). */
  copyVerifyGbSeconds: 26.8,
  s3Tier1Requests: 1306,
  s3Tier2Requests: 2723,
} as const;

const CLONES = 2;
/**
 * Full listings of each bucket in a migration: Migrate's inventory; per clone the copy's listing of the
 * source and the verification's of both sides; the proof that the original is unchanged; the emptying
 * of the original and of the temporary stack before their deletion. 1 + 2 × 3 + 1 + 2.
 */
export const LISTINGS_PER_BUCKET = 10;
/** GET/HEAD-class requests per version and clone: the tiny benchmark's 2,723 for 2 × 605 versions copied. */
export const READS_PER_VERSION_COPIED = TINY_BENCHMARK.s3Tier2Requests / (CLONES * TINY_BENCHMARK.versions);
/**
 * From the tiny benchmark's history (statemachine/clone.ts): the states one bucket's Map iteration
 * enters in a clone (the copy, its check, the verification, its check, the report) and the three
 * Passes that collect its results; the steps read cancel requests themselves (no state).
 */
export const TRANSITIONS_PER_BUCKET_AND_CLONE = 8;
/** From statemachine/building-blocks.ts continuationLoop: a further call and its Choice. */
export const TRANSITIONS_PER_CONTINUATION = 2;
/** The timing model's copy and verification time of a bucket of `versions` versions and `bytes` bytes. */
function modelledWork(versions: number, bytes: number) {
  return bucketWorkSeconds({ currentObjects: versions, noncurrentVersions: 0, deleteMarkers: 0, bytes } as MigrationPlan['buckets'][number]);
}
const tinyModelled = TINY_BENCHMARK.bucketSizes.map((b) => modelledWork(b.versions, b.bytes));
/**
 * Seconds the copy step runs per second of copy the timing model gives: the model spreads the bytes over
 * the copy's 64 slots, the Lambda also waits on heads, tags and multipart parts. Calibrated on the tiny
 * benchmark (its copy-bucket GB-s at 1 GB ÷ the model's copy seconds for its buckets, both clones).
 */
export const COPY_RUN_PER_MODELLED_SECOND = TINY_BENCHMARK.copyGbSeconds / (CLONES * tinyModelled.reduce((n, w) => n + w.copySeconds, 0));
/** The same for the verification step (its 1.9 GB-s). */
export const VERIFY_RUN_PER_MODELLED_SECOND = (TINY_BENCHMARK.copyVerifyGbSeconds - TINY_BENCHMARK.copyGbSeconds) / (CLONES * tinyModelled.reduce((n, w) => n + w.verifySeconds, 0));

/** What one invocation of the copy or verify step works before it hands over (its 900 s timeout less a margin). */
const INVOCATION_BUDGET_SECONDS = STEPS['copy-bucket'].timeoutSeconds - 60;
const GIB = 1024 ** 3;

export interface CostLine {
  /** What is paid for. */
  what: string;
  /** The quantity and the price, in words. */
  basis: string;
  /** US dollars; null when no price is known here (the basis says why). */
  usd: number | null;
  /** The pricing page. */
  source: string;
}

/** The workflow's own usage, in the units the benchmark counts (bench/metrics.ts Usage). */
export interface WorkflowUsage {
  stateTransitions: number;
  lambdaInvocations: number;
  lambdaGbSeconds: number;
  /** PUT, COPY, POST, LIST. */
  s3Tier1Requests: number;
  /** GET, HEAD and others. */
  s3Tier2Requests: number;
}

export interface CostEstimate {
  /** The lines with a price, summed. */
  totalUsd: number;
  /** The workflow's usage the first lines price. */
  usage: WorkflowUsage;
  /** One migration: the workflow's usage, then what exists for the migration's duration. */
  lines: CostLine[];
  /** What stays after a successful migration and costs every month (the kept snapshots). */
  monthly: CostLine[];
  monthlyUsd: number;
  /** Lines without a price (e.g. "price unknown for class db.r6g.large"), by their `what`. */
  unpriced: string[];
  notIncluded: string[];
  model: string;
}

const usd = (n: number) => `$${n < 0.01 ? n.toFixed(4) : n.toFixed(2)}`;
const hoursOf = (seconds: number) => seconds / 3600;

/**
 * The cost of one migration of `plan` at list prices, its durations from `estimate` (the timing model's
 * figures for the same plan, cli/plan-estimate.ts). Returns the itemised estimate; throws nothing.
 */
export function estimateCost(plan: MigrationPlan, estimate: DurationEstimate): CostEstimate {
  const lines: CostLine[] = [];
  const monthly: CostLine[] = [];

  // --- The workflow's own usage --------------------------------------------------------------
  const versions = plan.buckets.reduce((n, b) => n + versionsOf(b), 0);
  const pages = plan.buckets.reduce((n, b) => n + pagesOf(b), 0);
  // How long the copy and verify steps run for each bucket, per clone.
  const work = plan.buckets.map((b) => {
    const w = bucketWorkSeconds(b);
    return { copySeconds: w.copySeconds * COPY_RUN_PER_MODELLED_SECOND, verifySeconds: w.verifySeconds * VERIFY_RUN_PER_MODELLED_SECOND };
  });
  const continuations = work.reduce((n, w) => n + extraInvocations(w.copySeconds) + extraInvocations(w.verifySeconds), 0);
  const extraBuckets = plan.buckets.length - TINY_BENCHMARK.buckets;
  const transitions = Math.max(0, TINY_BENCHMARK.stateTransitions + CLONES * (extraBuckets * TRANSITIONS_PER_BUCKET_AND_CLONE + continuations * TRANSITIONS_PER_CONTINUATION));
  const invocations = Math.max(0, TINY_BENCHMARK.lambdaInvocations + CLONES * (extraBuckets * 2 + continuations));
  const gbSeconds =
    TINY_BENCHMARK.lambdaGbSeconds -
    TINY_BENCHMARK.copyVerifyGbSeconds +
    CLONES * work.reduce((n, w) => n + w.copySeconds * (STEPS['copy-bucket'].memoryMb / 1024) + w.verifySeconds * (STEPS['verify-bucket'].memoryMb / 1024), 0);
  const copies = CLONES * versions;
  const listings = LISTINGS_PER_BUCKET * pages;
  const reads = Math.round(READS_PER_VERSION_COPIED * copies);
  const usage: WorkflowUsage = { stateTransitions: transitions, lambdaInvocations: invocations, lambdaGbSeconds: round(gbSeconds, 1), s3Tier1Requests: copies + listings, s3Tier2Requests: reads };

  lines.push({
    what: 'Step Functions state transitions',
    basis: `${transitions.toLocaleString('en-US')} transitions × $0.025 per 1,000 (the tiny benchmark's ${TINY_BENCHMARK.stateTransitions}, plus the further buckets and continuation calls)`,
    usd: transitions * PRICES.stepFunctionsPerTransition,
    source: PRICE_SOURCES.stepFunctions,
  });
  lines.push({
    what: 'Lambda (Arm)',
    basis: `${round(gbSeconds, 1).toLocaleString('en-US')} GB-s × $0.0000133334 + ${invocations.toLocaleString('en-US')} requests × $0.20 per million`,
    usd: gbSeconds * PRICES.lambdaArmPerGbSecond + invocations * PRICES.lambdaPerRequest,
    source: PRICE_SOURCES.lambda,
  });
  lines.push({
    what: 'S3 requests: copies and listings (PUT, COPY, POST, LIST)',
    basis: `${copies.toLocaleString('en-US')} CopyObject (${versions.toLocaleString('en-US')} versions × 2 clones) + ${listings.toLocaleString('en-US')} ListObjectVersions (${pages.toLocaleString('en-US')} pages × ${LISTINGS_PER_BUCKET} listings) × $0.005 per 1,000`,
    usd: (copies + listings) * PRICES.s3Tier1PerRequest,
    source: PRICE_SOURCES.s3,
  });
  lines.push({
    what: 'S3 requests: reads (GET, HEAD and others)',
    basis: `${reads.toLocaleString('en-US')} requests (${round(READS_PER_VERSION_COPIED, 2)} per version copied, as in the tiny benchmark) × $0.0004 per 1,000; the emptying's DeleteObjects is free`,
    usd: reads * PRICES.s3Tier2PerRequest,
    source: PRICE_SOURCES.s3,
  });

  // --- What exists for the migration's duration ---------------------------------------------
  const [standby = 0, snapshot = 0, createTemp = 0] = estimate.segments.map((s) => s.seconds);
  const snapshotHours = hoursOf(estimate.totalSeconds - standby);
  const tempDbHours = hoursOf(estimate.totalSeconds - standby - snapshot);
  const tempBucketHours = hoursOf(estimate.totalSeconds - standby - snapshot - createTemp);
  const months = (hours: number) => hours / RESOURCE_PRICES.hoursPerMonth;

  for (const db of plan.databases) {
    const hourly = instancePrice(db);
    lines.push({
      what: `temporary copy of ${db.logicalId}: instance ${db.instanceClass ?? '(class unknown)'}${db.multiAz ? ' Multi-AZ' : ''}`,
      basis:
        hourly === undefined
          ? `price unknown for class ${db.instanceClass ?? '(not given)'} of engine ${db.engine}${db.multiAz ? ' (Multi-AZ)' : ''}: not in bench/prices.ts; ${round(tempDbHours, 2)} h`
          : `${round(tempDbHours, 2)} h (restore to the temporary stack's deletion) × $${hourly} per hour`,
      usd: hourly === undefined ? null : tempDbHours * hourly,
      source: PRICE_SOURCES.rdsPostgres,
    });
    const storage = db.storageType === undefined ? undefined : RESOURCE_PRICES.rdsStoragePerGbMonth[db.storageType];
    const copiesOfStorage = db.multiAz ? 2 : 1;
    lines.push({
      what: `temporary copy of ${db.logicalId}: ${db.allocatedStorageGb} GiB ${db.storageType ?? '(storage type unknown)'} storage`,
      basis:
        storage === undefined
          ? `price unknown for storage type ${db.storageType ?? '(not given)'}: not in bench/prices.ts`
          : `${db.allocatedStorageGb} GiB${copiesOfStorage > 1 ? ' × 2 (Multi-AZ)' : ''} × $${storage} per GB-month × ${round(tempDbHours, 2)} h of ${RESOURCE_PRICES.hoursPerMonth}`,
      usd: storage === undefined ? null : db.allocatedStorageGb * copiesOfStorage * storage * months(tempDbHours),
      source: PRICE_SOURCES.rds,
    });
    lines.push({
      what: `clone 1 snapshot of ${db.logicalId} (deleted at the end)`,
      basis: `at most ${db.allocatedStorageGb} GiB (allocated; a snapshot holds the data only) × $${RESOURCE_PRICES.rdsBackupPerGbMonth} per GB-month × ${round(snapshotHours, 2)} h; free within the Region's backup allowance`,
      usd: db.allocatedStorageGb * RESOURCE_PRICES.rdsBackupPerGbMonth * months(snapshotHours),
      source: PRICE_SOURCES.rds,
    });
    monthly.push({
      what: `clone 2 snapshot of ${db.logicalId} (kept: ${plan.stackName} was restored from it)`,
      basis: `at most ${db.allocatedStorageGb} GiB × $${RESOURCE_PRICES.rdsBackupPerGbMonth} per GB-month, until deleted; free within the Region's backup allowance`,
      usd: db.allocatedStorageGb * RESOURCE_PRICES.rdsBackupPerGbMonth,
      source: PRICE_SOURCES.rds,
    });
  }
  const gib = plan.totals.bytes / GIB;
  lines.push({
    what: 'temporary stack buckets: a copy of every version',
    basis: `${round(gib, 2)} GiB × $${RESOURCE_PRICES.s3StandardPerGbMonth} per GB-month (S3 Standard) × ${round(tempBucketHours, 2)} h (copy to the temporary stack's deletion)`,
    usd: gib * RESOURCE_PRICES.s3StandardPerGbMonth * months(tempBucketHours),
    source: PRICE_SOURCES.s3,
  });

  const sum = (ls: CostLine[]) => ls.reduce((n, l) => n + (l.usd ?? 0), 0);
  return {
    totalUsd: sum(lines),
    usage,
    lines,
    monthly,
    monthlyUsd: sum(monthly),
    unpriced: [...lines, ...monthly].filter((l) => l.usd === null).map((l) => l.what),
    notIncluded: [
      "the temporary stack's EC2 instances and load balancer (their types are not read)",
      'DynamoDB (the lock), SNS, CloudWatch Logs and metrics, KMS requests, data transfer',
      'content proofs of objects no ETag or checksum compares (hashing or S3 Batch Operations: lambdas/shared/content-proof.ts)',
      'multipart copies of objects written in parts (UploadPartCopy: 6 % more PUT-class requests in the tiny benchmark)',
    ],
    model: 'US East (N. Virginia) on-demand list prices (bench/prices.ts, bench/README.md "Prices"), usage from the tiny benchmark and the timing model (cli/plan-cost.ts); free tiers and allowances ignored',
  };
}

/** Further invocations of a continuation loop whose work takes `seconds`. */
function extraInvocations(seconds: number): number {
  return Math.max(0, Math.ceil(seconds / INVOCATION_BUDGET_SECONDS) - 1);
}

/** The on-demand hourly price of a database's class, or undefined when bench/prices.ts has none. */
function instancePrice(db: PlannedDatabase): number | undefined {
  if (!db.instanceClass) return undefined;
  const price = RESOURCE_PRICES.rdsInstancePerHour[db.engine]?.[db.instanceClass];
  if (!price) return undefined;
  return db.multiAz ? price.multiAz : price.singleAz;
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** The estimate, for people: one line per item, then the total and the monthly cost of what is kept. */
export function costLines(c: CostEstimate): string[] {
  const amount = (l: CostLine) => (l.usd === null ? 'unknown' : usd(l.usd));
  return [
    `Expected cost of this migration at list prices: ${usd(c.totalUsd)}${c.unpriced.length ? ` + what has no price here (${c.unpriced.length} item${c.unpriced.length > 1 ? 's' : ''})` : ''}`,
    ...c.lines.map((l) => `  ${amount(l).padStart(9)}  ${l.what}: ${l.basis} (${l.source})`),
    `Then every month, until deleted: ${usd(c.monthlyUsd)}`,
    ...c.monthly.map((l) => `  ${amount(l).padStart(9)}  ${l.what}: ${l.basis} (${l.source})`),
    `  Not included: ${c.notIncluded.join('; ')}.`,
    `  (${c.model})`,
  ];
}
