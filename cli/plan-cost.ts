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
 *
 * Blue/green (plan.strategy `blue-green`, docs/design.md "Strategies") is priced as what it does: one
 * clone (one snapshot and restore, one copy and verification per bucket), into the idle slot, which is
 * the new environment and no temporary copy, so it costs nothing extra once it serves; the snapshots
 * it restores from are kept (monthly). What it adds is the second environment: the previous slot,
 * kept after the switch for keepPreviousHours as the rollback point (its databases' instance-hours
 * and storage, its buckets' storage), and the time both slots exist before the switch. Its EC2
 * instances stay in Standby, which EC2 bills ("You are billed for instances that are in a standby
 * state", Amazon EC2 Auto Scaling User Guide, "Temporarily remove instances from your Auto Scaling
 * group", https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-enter-exit-standby.html); their
 * types are not read and EC2 has no price in bench/prices.ts: not included, as the temporary stack's.
 * The switch is free: Route 53 bills hosted zones, queries, health checks and domains, not changes
 * to records (https://aws.amazon.com/route53/pricing/, as summarised by
 * https://kindatechnical.com/aws-route53/optimizing-costs-with-route-53.html "Understanding Route 53
 * Pricing"); the hosted zone exists before and after the migration.
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
  /** copy-bucket's and verify-bucket's memory in that run (now lambdas/steps.ts gives them 1,769 MB): their GB-s ÷ this are seconds. */
  copyVerifyMemoryMb: 1024,
  s3Tier1Requests: 1306,
  s3Tier2Requests: 2723,
} as const;

const CLONES = 2;

/**
 * The fixed part of a blue/green run's orchestration against the double clone's, measured on the
 * sample environment (two buckets, one database, as the tiny benchmark): `npm run rehearse -- --json`
 * (double clone, scenario happy) executed 197 states and 46 Lambda invocations, `npm run rehearse --
 * --strategy blue-green --json` 146 and 39. The benchmark has no blue/green run yet: the tiny
 * benchmark's transitions, invocations and GB-s other than the copies are scaled by these ratios, and
 * the per-bucket terms are counted for one clone.
 */
export const BLUE_GREEN_REHEARSAL_RATIO = { states: 146 / 197, invocations: 39 / 46 } as const;
/**
 * Full listings of each bucket in a blue/green migration and its retire run: Migrate's inventory;
 * the clone's listing of the source and the verification's of both sides; the retire run's proof
 * that the previous slot is unchanged and its emptying before the deletion. 1 + 3 + 2.
 */
export const LISTINGS_PER_BUCKET_BLUE_GREEN = 6;
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
 * benchmark (its copy-bucket seconds, GB-s ÷ its memory then, ÷ the model's copy seconds for its buckets, both clones).
 */
export const COPY_RUN_PER_MODELLED_SECOND = TINY_BENCHMARK.copyGbSeconds / (TINY_BENCHMARK.copyVerifyMemoryMb / 1024) / (CLONES * tinyModelled.reduce((n, w) => n + w.copySeconds, 0));
/** The same for the verification step (its 1.9 GB-s). */
export const VERIFY_RUN_PER_MODELLED_SECOND =
  (TINY_BENCHMARK.copyVerifyGbSeconds - TINY_BENCHMARK.copyGbSeconds) / (TINY_BENCHMARK.copyVerifyMemoryMb / 1024) / (CLONES * tinyModelled.reduce((n, w) => n + w.verifySeconds, 0));

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
  const blueGreen = plan.strategy === 'blue-green' ? plan.blueGreen : undefined;
  const clones = blueGreen ? 1 : CLONES;
  // The tiny benchmark's fixed part (everything but the per-bucket terms), as a double clone ran it, or scaled to a blue/green run.
  const fixed = blueGreen ? BLUE_GREEN_REHEARSAL_RATIO : { states: 1, invocations: 1 };
  const listingsPerBucket = blueGreen ? LISTINGS_PER_BUCKET_BLUE_GREEN : LISTINGS_PER_BUCKET;

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
  const transitions = Math.max(0, Math.round(TINY_BENCHMARK.stateTransitions * fixed.states) + clones * (extraBuckets * TRANSITIONS_PER_BUCKET_AND_CLONE + continuations * TRANSITIONS_PER_CONTINUATION));
  const invocations = Math.max(0, Math.round(TINY_BENCHMARK.lambdaInvocations * fixed.invocations) + clones * (extraBuckets * 2 + continuations));
  const gbSeconds =
    (TINY_BENCHMARK.lambdaGbSeconds - TINY_BENCHMARK.copyVerifyGbSeconds) * fixed.invocations +
    clones * work.reduce((n, w) => n + w.copySeconds * (STEPS['copy-bucket'].memoryMb / 1024) + w.verifySeconds * (STEPS['verify-bucket'].memoryMb / 1024), 0);
  const copies = clones * versions;
  const listings = listingsPerBucket * pages;
  const reads = Math.round(READS_PER_VERSION_COPIED * copies);
  const usage: WorkflowUsage = { stateTransitions: transitions, lambdaInvocations: invocations, lambdaGbSeconds: round(gbSeconds, 1), s3Tier1Requests: copies + listings, s3Tier2Requests: reads };
  const fixedBasis = blueGreen
    ? `the tiny benchmark's ${TINY_BENCHMARK.stateTransitions} × ${round(fixed.states, 3)} (a blue/green rehearsal's states ÷ a double clone's), plus one clone's further buckets and continuation calls`
    : `the tiny benchmark's ${TINY_BENCHMARK.stateTransitions}, plus the further buckets and continuation calls`;

  lines.push({
    what: 'Step Functions state transitions',
    basis: `${transitions.toLocaleString('en-US')} transitions × $0.025 per 1,000 (${fixedBasis})`,
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
    basis: `${copies.toLocaleString('en-US')} CopyObject (${versions.toLocaleString('en-US')} versions × ${clones === 1 ? '1 clone' : `${clones} clones`}) + ${listings.toLocaleString('en-US')} ListObjectVersions (${pages.toLocaleString('en-US')} pages × ${listingsPerBucket} listings${blueGreen ? ', the retire run\'s two included' : ''}) × $0.005 per 1,000`,
    usd: (copies + listings) * PRICES.s3Tier1PerRequest,
    source: PRICE_SOURCES.s3,
  });
  lines.push({
    what: 'S3 requests: reads (GET, HEAD and others)',
    basis: `${reads.toLocaleString('en-US')} requests (${round(READS_PER_VERSION_COPIED, 2)} per version copied, as in the tiny benchmark) × $0.0004 per 1,000; the emptying's DeleteObjects is free`,
    usd: reads * PRICES.s3Tier2PerRequest,
    source: PRICE_SOURCES.s3,
  });

  if (blueGreen) secondEnvironmentLines(plan, blueGreen, estimate, lines, monthly);
  else temporaryStackLines(plan, estimate, lines, monthly);

  const sum = (ls: CostLine[]) => ls.reduce((n, l) => n + (l.usd ?? 0), 0);
  return {
    totalUsd: sum(lines),
    usage,
    lines,
    monthly,
    monthlyUsd: sum(monthly),
    unpriced: [...lines, ...monthly].filter((l) => l.usd === null).map((l) => l.what),
    notIncluded: [
      ...(blueGreen
        ? [
            `the previous slot's EC2 instances, in Standby until its retire run (EC2 bills instances in Standby: ${STANDBY_BILLED_SOURCE}), and its load balancer: their types are not read, EC2 and ELB have no price in bench/prices.ts`,
            'the retire run itself (Step Functions, Lambda: a few cents at most) and EventBridge Scheduler (one invocation of the retire schedule)',
          ]
        : ["the temporary stack's EC2 instances and load balancer (their types are not read)"]),
      'DynamoDB (the lock), SNS, CloudWatch Logs and metrics, KMS requests, data transfer',
      'content proofs of objects no ETag or checksum compares (hashing or S3 Batch Operations: lambdas/shared/content-proof.ts)',
      'multipart copies of objects written in parts (UploadPartCopy: 6 % more PUT-class requests in the tiny benchmark)',
    ],
    model: `US East (N. Virginia) on-demand list prices (bench/prices.ts, bench/README.md "Prices"), usage from the tiny benchmark${blueGreen ? ' (scaled to a blue/green run by the rehearsal, cli/plan-cost.ts BLUE_GREEN_REHEARSAL_RATIO)' : ''} and the timing model (cli/plan-cost.ts); free tiers and allowances ignored`,
  };
}

/** EC2 bills instances in Standby (Amazon EC2 Auto Scaling User Guide, "Temporarily remove instances from your Auto Scaling group"). */
export const STANDBY_BILLED_SOURCE = 'https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-enter-exit-standby.html';
/** Route 53 bills hosted zones, queries, health checks and domains; a change to a record is not billed. */
export const ROUTE53_PRICING = 'https://aws.amazon.com/route53/pricing/';

/** The database lines of `hours` of a copy of `db`: its instance-hours and its storage, prorated. */
function databaseLines(db: PlannedDatabase, label: string, hours: number, hoursBasis: string): CostLine[] {
  const hourly = instancePrice(db);
  const storage = db.storageType === undefined ? undefined : RESOURCE_PRICES.rdsStoragePerGbMonth[db.storageType];
  const copiesOfStorage = db.multiAz ? 2 : 1;
  return [
    {
      what: `${label} ${db.logicalId}: instance ${db.instanceClass ?? '(class unknown)'}${db.multiAz ? ' Multi-AZ' : ''}`,
      basis:
        hourly === undefined
          ? `price unknown for class ${db.instanceClass ?? '(not given)'} of engine ${db.engine}${db.multiAz ? ' (Multi-AZ)' : ''}: not in bench/prices.ts; ${round(hours, 2)} h`
          : `${round(hours, 2)} h (${hoursBasis}) × $${hourly} per hour`,
      usd: hourly === undefined ? null : hours * hourly,
      source: PRICE_SOURCES.rdsPostgres,
    },
    {
      what: `${label} ${db.logicalId}: ${db.allocatedStorageGb} GiB ${db.storageType ?? '(storage type unknown)'} storage`,
      basis:
        storage === undefined
          ? `price unknown for storage type ${db.storageType ?? '(not given)'}: not in bench/prices.ts`
          : `${db.allocatedStorageGb} GiB${copiesOfStorage > 1 ? ' × 2 (Multi-AZ)' : ''} × $${storage} per GB-month × ${round(hours, 2)} h of ${RESOURCE_PRICES.hoursPerMonth}`,
      usd: storage === undefined ? null : (db.allocatedStorageGb * copiesOfStorage * storage * hours) / RESOURCE_PRICES.hoursPerMonth,
      source: PRICE_SOURCES.rds,
    },
  ];
}

/** Double clone: the temporary stack's databases and buckets for the run's duration, clone 1's snapshots until the end, clone 2's kept. */
function temporaryStackLines(plan: MigrationPlan, estimate: DurationEstimate, lines: CostLine[], monthly: CostLine[]): void {
  const [standby = 0, snapshot = 0, createTemp = 0] = estimate.segments.map((s) => s.seconds);
  const snapshotHours = hoursOf(estimate.totalSeconds - standby);
  const tempDbHours = hoursOf(estimate.totalSeconds - standby - snapshot);
  const tempBucketHours = hoursOf(estimate.totalSeconds - standby - snapshot - createTemp);
  const months = (hours: number) => hours / RESOURCE_PRICES.hoursPerMonth;

  for (const db of plan.databases) {
    lines.push(...databaseLines(db, 'temporary copy of', tempDbHours, "restore to the temporary stack's deletion"));
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
}

/**
 * Blue/green: the idle slot is the new environment (no temporary copy); what the migration adds is a
 * second environment, from the idle slot's restore to the previous slot's retire run: the hours before
 * the switch (both slots exist while the new one is built and verified) and keepPreviousHours after it,
 * priced at the previous slot's databases and buckets. The clone's snapshots are kept (the new slot
 * restores from them); the switch costs nothing.
 */
function secondEnvironmentLines(plan: MigrationPlan, bg: NonNullable<MigrationPlan['blueGreen']>, estimate: DurationEstimate, lines: CostLine[], monthly: CostLine[]): void {
  const [, , create = 0, copy = 0, switchSeconds = 0] = estimate.segments.map((s) => s.seconds);
  const beforeSwitch = hoursOf(create + copy + switchSeconds);
  const bucketsBeforeSwitch = hoursOf(copy + switchSeconds);
  const kept = bg.keepPreviousHours;
  const previous = `previous slot ${bg.liveSlot} (kept as the rollback point):`;
  for (const db of plan.databases) {
    lines.push(...databaseLines(db, previous, beforeSwitch + kept, `keepPreviousHours ${kept} h after the switch + ${round(beforeSwitch, 2)} h before it while ${bg.idleSlot} is restored and verified`));
  }
  const gib = plan.totals.bytes / GIB;
  lines.push({
    what: `${previous} its buckets, every version`,
    basis: `${round(gib, 2)} GiB × $${RESOURCE_PRICES.s3StandardPerGbMonth} per GB-month (S3 Standard) × ${round(kept + bucketsBeforeSwitch, 2)} h (keepPreviousHours ${kept} h + ${round(bucketsBeforeSwitch, 2)} h from the copy into ${bg.idleSlot} to the switch) of ${RESOURCE_PRICES.hoursPerMonth}`,
    usd: (gib * RESOURCE_PRICES.s3StandardPerGbMonth * (kept + bucketsBeforeSwitch)) / RESOURCE_PRICES.hoursPerMonth,
    source: PRICE_SOURCES.s3,
  });
  lines.push({
    what: `the switch of ${bg.recordName} (ChangeResourceRecordSets, GetChange)`,
    basis: 'no charge: Route 53 bills hosted zones, DNS queries, health checks and domains, not changes to records; the hosted zone exists before and after',
    usd: 0,
    source: ROUTE53_PRICING,
  });
  for (const db of plan.databases) {
    monthly.push({
      what: `the clone's snapshot of ${db.logicalId} (kept: ${bg.idleSlot} was restored from it)`,
      basis: `at most ${db.allocatedStorageGb} GiB × $${RESOURCE_PRICES.rdsBackupPerGbMonth} per GB-month, until deleted; free within the Region's backup allowance`,
      usd: db.allocatedStorageGb * RESOURCE_PRICES.rdsBackupPerGbMonth,
      source: PRICE_SOURCES.rds,
    });
  }
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
