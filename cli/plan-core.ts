/**
 * The plan of a migration (issue 14, "Plan"): everything Migrate checks before it touches anything,
 * run with read-only calls and the workflow's own cores, in Migrate's order (statemachine/migrate.ts:
 * validate the input → discover + preflight with the new template → count each bucket's objects), and
 * what the run would then create, copy, delete and leave behind. No lock is taken, nothing is written.
 *
 * Used by `env-migrator plan` (cli/plan.ts) on the real SDK; the tests run it on the simulated account.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { discover } from '../lambdas/discover/core';
import { inventoryBucket } from '../lambdas/inventory-buckets/core';
import { type BucketInventory, type DbInstanceRef, type DeletionPlanItem, type Discovery, type EntryRecord, KEEP_PREVIOUS_HOURS, type LiveSyncPlan, type MigrationInput } from '../lambdas/shared/contracts';
import { InputInvalid, PreflightFailed } from '../lambdas/shared/errors';
import { tempStackName } from '../lambdas/shared/naming';
import { snapshotIdentifier } from '../lambdas/snapshot/core';
import { type InputIssue, validateInput } from '../lambdas/validate-input/core';
import { type BlueGreenRefusal, checkEntryPoint, lockKeysOf, lockRefusalOf } from './plan-blue-green';
import { type BucketStorageMetrics, readBucketStorageMetrics } from './plan-metrics';
import { type LockItem, lockOf } from './unlock-core';

export interface PlanClients {
  cfn: CloudFormationClient;
  rds: RDSClient;
  s3: S3Client;
  kms: KMSClient;
  secrets: SecretsManagerClient;
  /** The buckets' daily storage metrics (GetMetricStatistics). */
  cloudwatch: CloudWatchClient;
  /** The lock table (GetItem, consistent read). */
  dynamodb: DynamoDBClient;
  /** Blue/green: the entry point's record (ListResourceRecordSets), as the `entry-point` step reads it. */
  route53: Route53Client;
}

/** The plan's clients on the standard AWS SDK configuration, beside the given CloudFormation one (`plan` passes its Io's, the rehearsal a plain one). */
export function planClientsWith(cfn: CloudFormationClient): PlanClients {
  return {
    cfn,
    rds: new RDSClient({}),
    s3: new S3Client({}),
    kms: new KMSClient({}),
    secrets: new SecretsManagerClient({}),
    cloudwatch: new CloudWatchClient({}),
    dynamodb: new DynamoDBClient({}),
    route53: new Route53Client({}),
  };
}

/** The strategies a migration can use (docs/design.md "Strategies"). */
export const STRATEGIES = ['double-clone', 'blue-green'] as const;
export type Strategy = (typeof STRATEGIES)[number];
/** The default strategy. */
export const DEFAULT_STRATEGY: Strategy = 'double-clone';

/** What the plan needs besides Migrate's input. */
export interface PlanOptions {
  /** --strategy, unchecked (checked with the input: an unknown one is a rejected input naming `strategy`). */
  strategy?: string;
  /**
   * Finds the lock table (--table, or the migrator stack's LockTableName output). Called only after the
   * input passed its checks: a rejected input makes no AWS call.
   */
  lockTable: () => Promise<string>;
  /** The time the lock's expiry is compared with, and the metrics read up to (tests pin it). */
  now?: () => Date;
}

/** Names that depend on the execution's ARN are shown with this in place of its run id (naming.ts runIdOf). */
export const RUN_ID_PLACEHOLDER = '<runId>';

/** A planned database: its allocated storage is what each snapshot holds and each restore creates. */
export interface PlannedDatabase {
  logicalId: string;
  dbInstanceIdentifier: string;
  engine: string;
  allocatedStorageGb: number;
  /** DescribeDBInstances' DBInstanceClass, MultiAZ and StorageType: what the temporary copy costs an hour. */
  instanceClass?: string;
  multiAz?: boolean;
  storageType?: string;
}

/** A bucket's contents, as the inventory step counts them: what each of the two copies carries. */
export interface PlannedBucket {
  logicalId: string;
  bucketName: string;
  versioning: BucketInventory['versioning'];
  currentObjects: number;
  noncurrentVersions: number;
  deleteMarkers: number;
  bytes: number;
  /** With objectVersions `current`: noncurrent versions and delete markers that will not be carried. */
  notCarried: number;
  /**
   * CloudWatch's daily storage metrics of the bucket (cli/plan-metrics.ts), as of their day; null for a
   * bucket without any (younger than a day, or not measured yet). A cross-check: the figures above are
   * the listing's, made now, which is also what finds archived versions.
   */
  cloudwatch: BucketStorageMetrics | null;
}

/** The environment's migration lock, read by the plan (a held one is a refusal). */
export interface PlannedLock {
  table: string;
  /** The item's key (`stackName`): the stack's name, or for blue/green also the idle slot's and the record's (naming.ts entryPointLockKey). */
  key: string;
  /** FREE: no item. EXPIRED: an item past its expiry, which Migrate's condition lets a new execution take. */
  state: 'FREE' | 'EXPIRED';
  holder?: LockItem;
}

export interface PlannedStep {
  /** What happens, in words. */
  what: string;
  /** When, in the run's order. */
  when: string;
}

/** What a migration that can start would do. */
export interface MigrationPlan {
  stackName: string;
  strategy: Strategy;
  /** What the live-sync preflight found (requested false without liveSync; possible false with a fallback to snapshots, and why). */
  liveSync: LiveSyncPlan;
  lock: PlannedLock;
  currentVersion: string;
  targetVersion: string;
  /** Where the new version's template comes from. */
  template: string;
  objectVersions: MigrationInput['objectVersions'];
  databases: PlannedDatabase[];
  buckets: PlannedBucket[];
  totals: { databasesAllocatedGb: number; objects: number; versions: number; bytes: number };
  created: PlannedStep[];
  deleted: PlannedStep[];
  /** What deleting the original leaves behind, snapshots or does not copy (the deletion preflight), and versions not carried. */
  notCarried: PlannedStep[];
  /** Auto Scaling groups whose instances go into standby for the downtime. */
  standby: string[];
  /** Strategy blue-green: the slots, the entry point, and how long the previous slot is kept after the switch (what the cost charges for it). */
  blueGreen?: {
    liveSlot: string;
    idleSlot: string;
    recordName: string;
    keepPreviousHours: number;
    /** The entry point's record as the `entry-point` step read it (pointing at liveSlot). */
    record: EntryRecord;
    /** How long resolvers may keep the previous answer after the switch (bench/metrics.ts entryPointTtlSeconds: a CNAME's TTL, an alias's target's 60 s). */
    ttlSeconds: number;
    /** Each key Migrate's "Lock the entry point and both slots" takes, in its order (stackName, the idle slot, the record): FREE or EXPIRED. */
    locks: PlannedLock[];
  };
}

export type PlanOutcome =
  /** The input is rejected (the workflow's first state would fail with InputInvalid): nothing was called. */
  | { verdict: 'INPUT_REJECTED'; issues: InputIssue[] }
  /**
   * A preflight check refuses: Migrate would fail before the standby, nothing touched. Every problem
   * found. `errorName` is the error Migrate would end with: PreflightFailed, or MigrationInProgress
   * when another execution holds a lock Migrate takes (`lock` then names the first held, `locks`
   * every one held; nothing else was checked), or, for blue/green, what its "Read the entry point"
   * refuses at once (BlueGreenRefusal: NotTheLiveSlot, IdleSlotOccupied, EntryPointInvalid,
   * NoSuchHostedZone; nothing after it was checked). `survivor`: where the data is when that is not
   * `stackName` (NotTheLiveSlot: the slot the record points at).
   */
  | {
      verdict: 'REFUSED';
      stackName: string;
      refusals: string[];
      errorName: 'PreflightFailed' | 'MigrationInProgress' | 'LiveSyncNotPossible' | BlueGreenRefusal['errorName'];
      lock?: LockItem;
      locks?: LockItem[];
      survivor?: string;
    }
  | { verdict: 'READY'; plan: MigrationPlan };

/** The execution the checks run as: no execution exists, and no name derived from it is shown as real. */
export const PLAN_EXECUTION = { id: 'arn:aws:states:local:000000000000:execution:env-migrator-plan:plan', name: 'plan' };

/**
 * Plans a migration of `input` (Migrate's execution input) with `options.strategy`. Runs
 * validate-input's checks and the strategy's (no AWS call), reads the environment's lock as Migrate's
 * "Lock the environment" would find it (blue/green: the three items its transaction takes), for
 * blue/green reads the entry point as "Read the entry point" does and refuses as Migrate would at once
 * (not the live slot, idle slot occupied), then discover with Migrate's own event (template contract,
 * new template and pairing, the deletion preflight), then counts every bucket as the inventory step
 * does, collecting every refusal of every bucket, and reads each database's class and each bucket's
 * CloudWatch storage metrics. Read-only calls only. Returns INPUT_REJECTED, REFUSED or READY with the
 * plan; throws what the SDK throws for a call that fails for another reason (credentials, throttling,
 * no such lock table).
 */
export async function planMigration(clients: PlanClients, input: unknown, options: PlanOptions): Promise<PlanOutcome> {
  const now = options.now ?? (() => new Date());
  const strategyIssue = checkStrategy(options.strategy, input);
  let validated: ReturnType<typeof validateInput>;
  try {
    validated = validateInput({ input: withStrategy(input, options.strategy), execution: PLAN_EXECUTION });
  } catch (err) {
    if (err instanceof InputInvalid) return { verdict: 'INPUT_REJECTED', issues: [...err.issues, ...(strategyIssue ? [strategyIssue] : [])] };
    throw err;
  }
  if (strategyIssue) return { verdict: 'INPUT_REJECTED', issues: [strategyIssue] };
  const migration = validated.input;
  const { stackName } = migration;

  // Migrate's "Lock the environment" (double clone) or "Lock the entry point and both slots" (blue/green,
  // one TransactWriteItems): each put succeeds when no item exists or the item has expired (LOCK_TAKE_CONDITION;
  // "ours" cannot apply: no execution exists yet); otherwise the execution ends with MigrationInProgress
  // before anything else runs. So a held lock is the plan's only refusal: nothing else is checked. Every
  // key is read, so that each one held is named.
  const table = await options.lockTable();
  const nowSeconds = Math.floor(now().getTime() / 1000);
  const keys = lockKeysOf(migration, validated.blueGreen);
  const locks: PlannedLock[] = [];
  const held: LockItem[] = [];
  for (const key of keys) {
    const got = await clients.dynamodb.send(new GetItemCommand({ TableName: table, Key: { stackName: { S: key.key } }, ConsistentRead: true }));
    if (!got.Item) {
      locks.push({ table, key: key.key, state: 'FREE' });
      continue;
    }
    const holder = lockOf(key.key, got.Item);
    // Migrate's condition is `#expiresAt < :now`: an item without expiresAt never expires.
    const expired = holder.expiresAt !== undefined && holder.expiresAt < nowSeconds;
    if (expired) locks.push({ table, key: key.key, state: 'EXPIRED', holder });
    else held.push(holder);
  }
  if (held.length) {
    const refusals = held.map((holder) => (validated.blueGreen ? lockRefusalOf(keys.find((k) => k.key === holder.stackName)!, holder, migration) : lockRefusal(stackName, holder)));
    return { verdict: 'REFUSED', stackName, errorName: 'MigrationInProgress', lock: held[0], ...(validated.blueGreen ? { locks: held } : {}), refusals };
  }
  const lock = locks[0]!;

  // Blue/green's "Read the entry point" (the entry-point step's own core, read-only), then "Is the stack
  // the live slot?" and "Is the idle slot free?": each refuses at once, before the discovery.
  let blueGreen: Pick<NonNullable<MigrationPlan['blueGreen']>, 'record' | 'ttlSeconds' | 'locks'> | undefined;
  if (validated.blueGreen) {
    const checked = await checkEntryPoint(clients, migration, PLAN_EXECUTION);
    if ('refused' in checked) return { verdict: 'REFUSED', stackName, ...checked.refused };
    blueGreen = { record: checked.entry.record, ttlSeconds: checked.ttlSeconds, locks };
  }

  // Migrate's "Require the statistics (and service) outputs", then "Discover the environment".
  const requiredOutputs = [migration.statistics.outputKey, ...(migration.smokeTest ? [migration.smokeTest.outputKey] : [])];
  let current: Discovery;
  try {
    current = await discover(clients, {
      stackName,
      execution: PLAN_EXECUTION,
      requiredOutputs,
      deletesStack: true,
      newTemplate: migration,
      acceptUncopiedResources: migration.acceptUncopiedResources,
    });
  } catch (err) {
    if (err instanceof PreflightFailed) return { verdict: 'REFUSED', stackName, errorName: 'PreflightFailed', refusals: err.problems };
    throw err;
  }
  // Migrate's "Can live sync carry every database?": refused before the standby unless the input falls back to snapshots.
  const liveSync = current.liveSync;
  if (liveSync?.requested && !liveSync.possible && migration.liveSyncFallback === 'refuse') {
    return { verdict: 'REFUSED', stackName, errorName: 'LiveSyncNotPossible', refusals: liveSync.reasons };
  }

  // "Count each bucket's objects": one listing per bucket, to its end (no Lambda time limit here). The
  // listing stays even where CloudWatch has the bucket's size: it is what finds archived versions
  // (a refusal), and it is the bucket as it is now, where the metric is as of a past midnight.
  const refusals: string[] = [];
  const inventory: BucketInventory[] = [];
  for (const bucket of current.buckets) {
    try {
      let continuation;
      for (;;) {
        const counted = await inventoryBucket(
          clients.s3,
          { bucket, objectVersions: migration.objectVersions, execution: PLAN_EXECUTION, ...(continuation ? { continuation } : {}) },
          () => Number.POSITIVE_INFINITY,
          { safetyMarginMs: 0, concurrency: 8 },
        );
        if (counted.status === 'DONE') {
          inventory.push({ bucket: counted.bucket, versioning: counted.versioning, counts: counted.counts, notCarried: counted.notCarried });
          break;
        }
        continuation = counted.continuation;
      }
    } catch (err) {
      if (!(err instanceof PreflightFailed)) throw err;
      refusals.push(...err.problems);
    }
  }
  if (refusals.length) return { verdict: 'REFUSED', stackName, errorName: 'PreflightFailed', refusals };

  const [metrics, instances] = await Promise.all([
    Promise.all(inventory.map((b) => readBucketStorageMetrics(clients.cloudwatch, b.bucket.bucketName, now()))),
    Promise.all(current.dbInstances.map((d) => describeInstance(clients.rds, d.dbInstanceIdentifier))),
  ]);
  const plan = planOf(migration, current, inventory, lock, blueGreen);
  plan.buckets.forEach((b, i) => {
    b.cloudwatch = metrics[i] ?? null;
  });
  plan.databases.forEach((d, i) => Object.assign(d, instances[i]));
  return { verdict: 'READY', plan };
}

/** The issue for a --strategy this version cannot run, or that the input contradicts, or undefined. */
function checkStrategy(strategy: string | undefined, input: unknown): InputIssue | undefined {
  if (strategy === undefined) return undefined;
  if (!(STRATEGIES as readonly string[]).includes(strategy)) return { field: 'strategy', problem: `must be one of ${STRATEGIES.join(', ')}, got "${strategy}"` };
  const given = inputStrategy(input);
  if (given !== undefined && given !== strategy) return { field: 'strategy', problem: `--strategy ${strategy}, but the input says "${String(given)}": give one` };
  return undefined;
}

function inputStrategy(input: unknown): unknown {
  return input !== null && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>).strategy : undefined;
}

/** The input as Migrate would get it: --strategy becomes its `strategy` when it names none (blue-green then requires entryPoint and slots). */
function withStrategy(input: unknown, strategy: string | undefined): unknown {
  if (strategy === undefined || inputStrategy(input) !== undefined || input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  return { ...(input as Record<string, unknown>), strategy };
}

/** Why a held lock refuses, with what to do about it. */
function lockRefusal(stackName: string, lock: LockItem): string {
  const who = lock.owner ? `execution ${lock.owner}` : 'a lock item that names no execution';
  const details = [lock.startedAt ? `started ${lock.startedAt}` : undefined, lock.targetVersion ? `to version ${lock.targetVersion}` : undefined, lock.expiresAt !== undefined ? `lock expires ${new Date(lock.expiresAt * 1000).toISOString()}` : 'the lock never expires']
    .filter(Boolean)
    .join(', ');
  return `${stackName} is locked by ${who} (${details}): a migration started now would end at once with MigrationInProgress. Wait for that execution to end (env-migrator watch), or, if it ended without releasing the lock (stopped, timed out), release it with env-migrator unlock --stack ${stackName}`;
}

/** What the temporary copy of a database costs depends on: its class, Multi-AZ and storage type (DescribeDBInstances). */
async function describeInstance(rds: RDSClient, identifier: string): Promise<Pick<PlannedDatabase, 'instanceClass' | 'multiAz' | 'storageType'>> {
  const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }));
  const db = out.DBInstances?.[0];
  return {
    ...(db?.DBInstanceClass ? { instanceClass: db.DBInstanceClass } : {}),
    ...(db?.MultiAZ !== undefined ? { multiAz: db.MultiAZ } : {}),
    ...(db?.StorageType ? { storageType: db.StorageType } : {}),
  };
}

/** The temporary stack's name, with the run id left as a placeholder. */
export function plannedTempStackName(stackName: string): string {
  return tempStackName(stackName, RUN_ID_PLACEHOLDER);
}

/** A snapshot's name, with the run id left as a placeholder (snapshot/core.ts snapshotIdentifier). */
export function plannedSnapshotName(phase: 'c1' | 'c2', logicalId: string): string {
  const marker = 'runidplaceholder';
  return snapshotIdentifier(marker, phase, logicalId).replace(marker, RUN_ID_PLACEHOLDER);
}

function planOf(
  migration: MigrationInput,
  current: Discovery,
  inventory: BucketInventory[],
  lock: PlannedLock,
  entry: Pick<NonNullable<MigrationPlan['blueGreen']>, 'record' | 'ttlSeconds' | 'locks'> | undefined,
): MigrationPlan {
  const { stackName, targetVersion } = migration;
  const temp = plannedTempStackName(stackName);
  const databases: PlannedDatabase[] = current.dbInstances.map((d: DbInstanceRef) => ({
    logicalId: d.logicalId,
    dbInstanceIdentifier: d.dbInstanceIdentifier,
    engine: d.engine,
    allocatedStorageGb: d.allocatedStorageGb,
  }));
  const buckets: PlannedBucket[] = inventory.map((b) => ({
    logicalId: b.bucket.logicalId,
    bucketName: b.bucket.bucketName,
    versioning: b.versioning,
    currentObjects: b.counts.currentObjects,
    noncurrentVersions: b.counts.noncurrentVersions,
    deleteMarkers: b.counts.deleteMarkers,
    // Every version's size, as listed (the archived count is not here: a non-zero one is a refusal).
    bytes: b.counts.bytes,
    notCarried: b.notCarried,
    cloudwatch: null,
  }));
  const snapshots = (phase: 'c1' | 'c2') => databases.map((d) => plannedSnapshotName(phase, d.logicalId)).join(', ') || 'none (no database)';
  const template = migration.templateUrl ?? `the current template of ${stackName}`;

  const created: PlannedStep[] = [
    { what: `snapshots of ${stackName}'s databases: ${snapshots('c1')}`, when: 'clone 1, after the standby' },
    { what: `temporary stack ${temp} at ${current.environmentVersion} (the current template), restored from those snapshots, its buckets copied from ${stackName}'s`, when: 'clone 1' },
    { what: `snapshots of ${temp}'s databases: ${snapshots('c2')}`, when: `clone 2, while ${stackName} is deleted` },
    { what: `stack ${stackName} at ${targetVersion} (${template}), restored from the clone 2 snapshots, its buckets copied from ${temp}'s`, when: 'clone 2' },
  ];
  const deleted: PlannedStep[] = [
    {
      what: `stack ${stackName} (${current.stackId}) at ${current.environmentVersion}; its buckets emptied first, of the versions verified in ${temp} only`,
      when: `after clone 1 is verified (stack complete, smoke test if configured, bucket manifests, statistics) and ${stackName} is proven unchanged since`,
    },
    { what: `temporary stack ${temp}`, when: `after clone 2 is verified: ${stackName} at ${targetVersion} holds the data` },
    { what: `this migration's snapshots but those ${stackName} restores from (${snapshots('c2')} are kept)`, when: 'at the end of a successful run' },
  ];
  if (migration.strategy === 'blue-green') {
    // The live slot is cloned once into the idle one; nothing is deleted by this run.
    const idle = migration.slots!.find((slot) => slot !== stackName) ?? '?';
    created.splice(
      0,
      created.length,
      { what: `snapshots of ${stackName}'s databases: ${snapshots('c1')}`, when: 'the clone, after the standby of the live slot' },
      { what: `the idle slot ${idle} at ${targetVersion} (${template}), restored from those snapshots, its buckets copied from ${stackName}'s`, when: 'the clone' },
      { what: `the entry point ${migration.entryPoint!.recordName} switched from ${stackName} to ${idle}`, when: `once ${idle} is verified (stack complete, smoke test if configured, bucket manifests, statistics)` },
    );
    deleted.splice(0, deleted.length, {
      what: `nothing by this run: ${stackName} stays in standby as the rollback point (env-migrator rollback --environment ${migration.entryPoint!.recordName}); its retire run deletes it ${migration.keepPreviousHours} h after the switch, outside the downtime`,
      when: `${migration.keepPreviousHours} h after the switch`,
    });
  }
  const notCarried: PlannedStep[] = (current.deletionPlan ?? []).map((item: DeletionPlanItem) => ({
    what: `${item.logicalId} (${item.resourceType}, ${item.physicalId}): ${item.fate}`,
    when: `when ${stackName} is deleted`,
  }));
  for (const b of buckets) {
    if (b.notCarried > 0) {
      notCarried.push({
        what: `${b.notCarried} noncurrent version(s) and delete marker(s) of bucket ${b.logicalId} (${b.bucketName}): objectVersions is "current"`,
        when: `when ${stackName}'s buckets are emptied`,
      });
    }
  }
  return {
    stackName,
    strategy: migration.strategy,
    liveSync: current.liveSync ?? { requested: false, possible: false, reasons: [] },
    lock,
    currentVersion: current.environmentVersion,
    targetVersion,
    template,
    objectVersions: migration.objectVersions,
    databases,
    buckets,
    totals: {
      databasesAllocatedGb: databases.reduce((n, d) => n + d.allocatedStorageGb, 0),
      objects: buckets.reduce((n, b) => n + b.currentObjects, 0),
      versions: buckets.reduce((n, b) => n + b.currentObjects + b.noncurrentVersions + b.deleteMarkers, 0),
      bytes: buckets.reduce((n, b) => n + b.bytes, 0),
    },
    created,
    deleted,
    notCarried,
    standby: current.autoScalingGroups.map((g) => g.autoScalingGroupName),
    ...(migration.strategy === 'blue-green' && entry
      ? {
          blueGreen: {
            liveSlot: stackName,
            idleSlot: migration.slots!.find((slot) => slot !== stackName) ?? '?',
            recordName: migration.entryPoint!.recordName,
            keepPreviousHours: migration.keepPreviousHours ?? KEEP_PREVIOUS_HOURS.default,
            ...entry,
          },
        }
      : {}),
  };
}
