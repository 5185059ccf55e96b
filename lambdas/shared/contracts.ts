/**
 * The one contracts file: the execution input schema and the input/output of every step.
 * The state machine definitions (statemachine/) and the handlers (lambdas/) both import from here,
 * so a field renamed in one place is a compile error in the other.
 *
 * Expected outcomes (READY, PENDING, EQUAL, MISMATCH, DONE, CONTINUE) are returned for Choice
 * states; real failures are thrown as the named errors in ./errors.ts.
 */
// zod/mini: the same schemas and issues as zod's chained API in a bundle of about 15 KB instead of
// about 450 KB (the chained API cannot be tree-shaken); validate-input is the only step that runs it.
import * as z from 'zod/mini';

// ---------------------------------------------------------------------------------------------
// Execution input (Migrate)
// ---------------------------------------------------------------------------------------------

/** CloudFormation stack names: a letter, then letters, digits and hyphens, 128 at most. We keep 100
 *  so the temporary stack name (`<name>-tmp-<8 hex>`) still fits. */
export const STACK_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]*$/;
export const STACK_NAME_MAX = 100;

export const DEFAULT_WAITS = {
  snapshotSeconds: 2 * 3600,
  stackCreateSeconds: 3600,
  stackDeleteSeconds: 3600,
  standbySeconds: 600,
  smokeTestSeconds: 600,
  replicaCatchUpSeconds: 1800,
} as const;

/** A whole number from `min` to `max`, `fallback` when absent. */
const wholeNumber = (min: number, max: number, fallback: number) => z._default(z.int().check(z.gte(min), z.lte(max)), fallback);
const seconds = (max: number, fallback: number) => wholeNumber(1, max, fallback);
/** A string matching `pattern`, with the problem said in our words. */
const matching = (pattern: RegExp, problem: string) => z.string().check(z.regex(pattern, problem));

export const WaitsSchema = z.strictObject({
  snapshotSeconds: seconds(24 * 3600, DEFAULT_WAITS.snapshotSeconds),
  stackCreateSeconds: seconds(12 * 3600, DEFAULT_WAITS.stackCreateSeconds),
  stackDeleteSeconds: seconds(12 * 3600, DEFAULT_WAITS.stackDeleteSeconds),
  standbySeconds: seconds(3 * 3600, DEFAULT_WAITS.standbySeconds),
  smokeTestSeconds: seconds(3 * 3600, DEFAULT_WAITS.smokeTestSeconds),
  /** Live sync: how long the read replicas may take to apply everything once the source stops taking writes. */
  replicaCatchUpSeconds: seconds(6 * 3600, DEFAULT_WAITS.replicaCatchUpSeconds),
});

const outputKey = matching(/^[A-Za-z0-9]{1,255}$/, 'must be a CloudFormation output key (letters and digits)');

export const StatisticsConfigSchema = z.strictObject({
  /** Stack output holding each environment's statistics URL. */
  outputKey: z._default(outputKey, 'StatisticsUrl'),
  /** Optional request header whose value is read from Secrets Manager; the input never holds the value. */
  header: z.optional(
    z.strictObject({
      name: matching(/^[A-Za-z0-9-]{1,128}$/, 'must be an HTTP header name'),
      secretArn: matching(
        /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/,
        'must be a Secrets Manager secret ARN',
      ),
    }),
  ),
  timeoutSeconds: wholeNumber(1, 120, 10),
});

export const SmokeTestConfigSchema = z.strictObject({
  /** Stack output holding the environment's base URL. */
  outputKey: z._default(outputKey, 'ServiceUrl'),
  path: z._default(matching(/^\/[A-Za-z0-9/_.~%-]*$/, 'must be a URL path starting with /'), '/health'),
  expectedStatus: wholeNumber(100, 599, 200),
  /** Timeout of one probe; the whole smoke test is bounded by waits.smokeTestSeconds. */
  timeoutSeconds: wholeNumber(1, 60, 5),
});

const parameterKey = matching(/^[A-Za-z0-9]{1,255}$/, 'must be a CloudFormation parameter name');

/** A Secrets Manager secret ARN, full or partial (without the random suffix): what GetSecretValue's SecretId accepts. */
export const SECRET_ARN_PATTERN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;
/** Most parameters `secretParameters` may name (each is one GetSecretValue in each clone's create-stack). */
export const MAX_SECRET_PARAMETERS = 20;

/** The migration strategies (MigrationInput.strategy). */
export const STRATEGIES = ['double-clone', 'blue-green'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export const MigrationInputSchema = z.strictObject({
  stackName: z
    .string()
    .check(
      z.maxLength(STACK_NAME_MAX, `must be at most ${STACK_NAME_MAX} characters`),
      z.regex(STACK_NAME_PATTERN, 'must be a CloudFormation stack name: a letter, then letters, digits and hyphens'),
    ),
  targetVersion: z
    .string()
    .check(z.minLength(1), z.maxLength(64), z.regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'must be a version label such as 1.4.0')),
  templateUrl: z.optional(
    z.string().check(
      z.maxLength(1024),
      z.regex(
        // S3 hosts only (s3.amazonaws.com, <bucket>.s3.<region>.amazonaws.com, s3-<region>...):
        // CloudFormation's TemplateURL must point to Amazon S3, and failing here is before any AWS call.
        /^https:\/\/([a-z0-9.-]+\.)?s3([.-][a-z0-9.-]*)?\.amazonaws\.com(\.cn)?\/[A-Za-z0-9!\-_.*'()/%+=]+$/,
        'must be an https URL of a template in Amazon S3',
      ),
    ),
  ),
  parameters: z._default(
    z.record(parameterKey, z.string().check(z.maxLength(4096))).check(z.refine((p) => Object.keys(p).length <= 200, 'at most 200 parameters')),
    {},
  ),
  /**
   * Parameters whose value is read from a Secrets Manager secret (its SecretString) by the step that
   * creates each clone, never carried in the execution state: NoEcho parameters, which CloudFormation
   * never shows again (DescribeStacks masks them), so they cannot be carried over. Name → secret ARN.
   */
  secretParameters: z._default(
    z
      .record(parameterKey, matching(SECRET_ARN_PATTERN, 'must be a Secrets Manager secret ARN'))
      .check(z.refine((p) => Object.keys(p).length <= MAX_SECRET_PARAMETERS, `at most ${MAX_SECRET_PARAMETERS} secret parameters`)),
    {},
  ),
  statistics: z._default(StatisticsConfigSchema, StatisticsConfigSchema.parse({})),
  smokeTest: z.optional(SmokeTestConfigSchema),
  waits: z._default(WaitsSchema, WaitsSchema.parse({})),
  /** Keep the snapshots of the original environment after success (a pre-migration backup). */
  retainOriginalSnapshots: z._default(z.boolean(), false),
  /**
   * Which object versions the buckets' copies carry: "all" (every version and delete marker of every
   * key, in order) or "current" (the current objects only; noncurrent versions and delete markers are
   * counted by the preflight and not carried).
   */
  objectVersions: z._default(z.enum(['all', 'current']), 'all'),
  /**
   * Logical IDs of stateful resources of the stack the workflow does not copy (a DynamoDB table, an EFS
   * file system, an Aurora cluster...) that may be migrated WITHOUT their data: the new environment gets
   * new, empty ones. Any such resource not listed here fails the preflight; the listed ones are named in
   * the output (`deletionPlan`) and the success notification.
   */
  acceptUncopiedResources: z._default(
    z.array(matching(/^[A-Za-z0-9]{1,255}$/, 'must be a CloudFormation logical ID (letters and digits)')).check(z.maxLength(200, 'at most 200 logical IDs')),
    [],
  ),
  /**
   * How the environment is migrated (docs/design.md "Strategies"): `double-clone` keeps the stack's
   * name; `blue-green` clones the live slot into the idle one and switches the entry point's record.
   */
  strategy: z._default(z.enum(STRATEGIES), 'double-clone'),
  /**
   * Live sync (docs/design.md "Strategies", with either strategy): while the environment still serves,
   * the copy's databases start as read replicas of the current ones and its buckets are copied; after
   * the standby only the replicas' catch-up, their promotion and what changed in the buckets remain.
   */
  liveSync: z._default(z.boolean(), false),
  /**
   * What a live sync does when the preflight finds a database it cannot carry as a read replica (it
   * names each one): "refuse" fails before the standby; "snapshots" migrates with snapshots instead
   * (the whole environment, as without liveSync) and says so in the output and the notification.
   */
  liveSyncFallback: z._default(z.enum(['refuse', 'snapshots']), 'refuse'),
  // Blue/green only (validate-input refuses them with double-clone and requires entryPoint and slots
  // with blue-green). Getters: the schemas are defined with the other blue/green pieces at the end of
  // this file, and a getter reads them when the schema is first used, not at this line.
  /** The Route 53 record that says which slot is live. */
  get entryPoint() {
    return z.optional(EntryPointSchema);
  },
  /** The two slot stacks the environment alternates between; `stackName` is one of them (the live one). */
  get slots() {
    return z.optional(SlotsSchema);
  },
  /** Hours the previous slot is kept in standby as the rollback point (KEEP_PREVIOUS_HOURS; default 24 with blue-green). */
  get keepPreviousHours() {
    return z.optional(z.int().check(z.gte(KEEP_PREVIOUS_HOURS.min), z.lte(KEEP_PREVIOUS_HOURS.max)));
  },
});

/** What the caller writes (defaults optional). */
export type MigrationInputRaw = z.input<typeof MigrationInputSchema>;
/** What every step after Validate sees (defaults applied). */
export type MigrationInput = z.output<typeof MigrationInputSchema>;
export type Waits = z.output<typeof WaitsSchema>;
export type StatisticsConfig = z.output<typeof StatisticsConfigSchema>;
export type SmokeTestConfig = z.output<typeof SmokeTestConfigSchema>;
/** Which versions of each bucket a copy carries (MigrationInput.objectVersions). */
export type ObjectVersions = MigrationInput['objectVersions'];

/** Largest execution input accepted (Step Functions' own limit is 256 KiB per payload). */
export const MAX_INPUT_BYTES = 32 * 1024;

// ---------------------------------------------------------------------------------------------
// Shared shapes
// ---------------------------------------------------------------------------------------------

/** Identity of the Migrate execution, carried to every step for logging, naming and tagging. */
export interface ExecutionRef {
  /** Execution ARN ($$.Execution.Id). */
  id: string;
  /** Execution name ($$.Execution.Name). */
  name: string;
}

/** State of one wait loop, carried from one status check to the next (no Lambda sleeps). */
export interface WaitState {
  /** What is being waited for, in words ("stack orders-prod-tmp-1a2b3c4d to be created"). */
  label: string;
  /** ISO time of the first check. */
  startedAt: string;
  timeoutSeconds: number;
  elapsedSeconds: number;
  /** Seconds the state machine's Wait state sleeps before the next check (backoff). */
  nextDelaySeconds: number;
  attempt: number;
  /** Checks in a row at the shortest estimated delay (advanceWait); absent when none. */
  nearEndChecks?: number;
  /** How long the whole operation is expected to take, from a precedent (stack-status sets and carries it); absent when none. */
  expectedSeconds?: number;
}

/**
 * What a status check saw of the operation it waits for, for the people watching (`watch` and the
 * rehearsal print it in their heartbeats): never read by a Choice, never needed by the next check.
 */
export interface WaitProgress {
  /** The least RDS PercentProgress of the snapshots still being created. */
  percent?: number;
  /** The stack's newest events, newest first, at most MAX_PROGRESS_EVENTS: "<ISO time> <logical ID> <status>[: reason]". */
  latestEvents?: string[];
}

/** What a status step receives: the wait so far (absent on the first check) and its timeout. */
export interface WaitInput {
  timeoutSeconds: number;
  wait?: WaitState;
}

export interface DbInstanceRef {
  logicalId: string;
  dbInstanceIdentifier: string;
  allocatedStorageGb: number;
  engine: string;
}

export interface BucketRef {
  logicalId: string;
  bucketName: string;
}

export interface AsgRef {
  logicalId: string;
  autoScalingGroupName: string;
}

export interface StackParameter {
  key: string;
  value: string;
}

/**
 * A document the workflow keeps in its own bucket (WORKFLOW_BUCKET) instead of in the execution state:
 * Step Functions fails an execution whose state exceeds 256 KiB with States.DataLimitExceeded, which
 * no Catch catches (docs/design.md invariant 10). The state carries only this reference and a digest.
 */
export interface DocumentRef {
  bucket: string;
  key: string;
  bytes: number;
  /** SHA-256 (hex) of the stored bytes: a reader checks it, so a changed document is never trusted. */
  sha256: string;
}

/**
 * Order-independent digest of a set of lines (lambdas/shared/manifest.ts): the sum of each line's
 * SHA-256 modulo 2^256, and how many lines. Computable page by page, across invocations and key
 * ranges, and carried in a continuation as two small strings.
 */
export interface SetDigest {
  /** 64 hex digits. */
  sum: string;
  count: number;
}

/**
 * One object version or delete marker of a bucket, as ListObjectVersions reports it: one line of a
 * manifest part (NDJSON). `etag` without quotes.
 */
export interface ManifestEntry {
  key: string;
  versionId: string;
  /** Present (true) for a delete marker, which has no size nor ETag. */
  deleteMarker?: true;
  size?: number;
  etag?: string;
}

/**
 * A bucket's listing as it was verified: NDJSON parts `<prefix>/part-<n>.ndjson` (n from 1) in the
 * workflow bucket, in ListObjectVersions order (keys in UTF-8 binary order, each key's versions
 * newest first). `listing` is the SetDigest of the identity lines (lambdas/shared/manifest.ts
 * `listingLine`) of every entry: what a later listing of the same bucket is compared with to prove
 * nothing was written since (late writes), and what emptying the bucket is limited to.
 */
export interface ManifestRef {
  /** The listed bucket (not the workflow bucket). */
  listedBucket: string;
  bucket: string;
  prefix: string;
  parts: number;
  listing: SetDigest;
}

// ---------------------------------------------------------------------------------------------
// Step contracts
// ---------------------------------------------------------------------------------------------

/** validate-input: the raw execution input plus the execution identity. */
export interface ValidateInputEvent {
  input: unknown;
  execution: ExecutionRef;
}
export interface ValidateInputResult {
  input: MigrationInput;
  execution: ExecutionRef;
  /** Deterministic name of the temporary stack for this execution. */
  tempStackName: string;
  /** Short deterministic id derived from the execution ARN, used in resource names. */
  runId: string;
  /** Epoch seconds after which the environment lock may be reclaimed (DynamoDB TTL safety net). */
  lockExpiresAt: number;
  /**
   * Strategy blue-green only: the idle slot (the other slot; `tempStackName` names it too, so the
   * compensations that delete a run's own copy find it) and the lock item of the entry point's record.
   */
  blueGreen?: BlueGreenRun;
}

/** What validate-input derives for a blue/green run (ValidateInputResult.blueGreen). */
export interface BlueGreenRun {
  /** The slot that is not `stackName`: the clone's destination. */
  idleSlot: string;
  /** The lock table key of the entry point (naming.ts entryPointLockKey, `route53:<zone id>/<record name>`): never a stack name (stack names hold no ':'). */
  recordLockKey: string;
  /** The record name as given, lowercase, without the trailing dot (what the smoke test through it requests). */
  recordHost: string;
  /** The migration's statistics and smoke test settings, as the switch record keeps them (SwitchRecord.checks). */
  checks: { statistics: StatisticsConfig; smokeTest?: SmokeTestConfig };
}

/** discover: one stack, preflight-checked. */
export interface DiscoverEvent {
  stackName: string;
  execution: ExecutionRef;
  /** For a clone's destination: the source to pair resources with, by logical ID. Every source
   *  bucket and database must have a partner, or the preflight fails (its data would be lost). */
  pairWith?: Discovery;
  /** Stack outputs the workflow will read (statistics URL, smoke-test URL): missing ones fail the preflight. */
  requiredOutputs?: string[];
  /** The workflow deletes this stack after copying it (Migrate's current environment): a KMS key of the
   *  stack that encrypts its databases or buckets must outlive it (DeletionPolicy Retain), or the preflight fails. */
  deletesStack?: boolean;
  /**
   * The migration this stack is the current environment of (Migrate passes its whole input): the
   * preflight then reads the new template (its `templateUrl`, else the stack's own) and checks, before
   * the standby, that both clones can be created from what the input gives (lambdas/discover/new-template.ts).
   */
  newTemplate?: NewTemplateCheck;
  /** With `deletesStack`: uncopied stateful resources the input accepts to leave behind (MigrationInput.acceptUncopiedResources). */
  acceptUncopiedResources?: string[];
}
/** What the new-template preflight reads of the migration input. */
export type NewTemplateCheck = Pick<MigrationInput, 'targetVersion' | 'templateUrl' | 'parameters' | 'secretParameters'> & Partial<Pick<MigrationInput, 'strategy' | 'liveSync'>>;

/**
 * What deleting the current stack does to one of its resources beyond the copy, as the preflight
 * finds it (lambdas/discover/deletion-preflight.ts): RETAINED (DeletionPolicy Retain: left behind with
 * its data, not deleted), FINAL_SNAPSHOT (DeletionPolicy Snapshot: CloudFormation takes a final
 * snapshot, then deletes it), NOT_COPIED (a stateful resource the workflow does not copy, accepted by
 * acceptUncopiedResources: the new environment starts without its data).
 */
export interface DeletionPlanItem {
  kind: 'RETAINED' | 'FINAL_SNAPSHOT' | 'NOT_COPIED';
  logicalId: string;
  resourceType: string;
  physicalId: string;
  /** What happens to it, in words. */
  fate: string;
}

export interface Discovery {
  stackName: string;
  stackId: string;
  stackStatus: string;
  /** Template body of the current stack, stored as-is; absent when over CreateStack's 51,200-byte
   *  TemplateBody limit (a step result must stay small: create-stack reads it itself then). */
  templateBody?: string;
  parameters: StackParameter[];
  outputs: Record<string, string>;
  tags: Record<string, string>;
  autoScalingGroups: AsgRef[];
  dbInstances: DbInstanceRef[];
  buckets: BucketRef[];
  environmentVersion: string;
  /** Present when `pairWith` was given: each source bucket with its destination partner. */
  bucketPairs?: BucketPair[];
  /** Present with `deletesStack`: what deleting the stack does beyond the copy (empty when nothing). */
  deletionPlan?: DeletionPlanItem[];
  /** Present with `newTemplate`: whether a live sync can carry every database as a read replica. */
  liveSync?: LiveSyncPlan;
}

/**
 * The live-sync preflight (discover, with `newTemplate`): whether every database of the stack can be
 * the source of a read replica in the copy, and the template the replicas are created from declares
 * how (`<LogicalId>SourceDBInstanceIdentifier`). Always present then, so that a Choice can read it.
 */
export interface LiveSyncPlan {
  /** MigrationInput.liveSync. */
  requested: boolean;
  /** Every database can start as a read replica (false when not requested). */
  possible: boolean;
  /** Why not: one line per database or template problem, each naming it (empty when possible or not requested). */
  reasons: string[];
}

/** standby-enter / standby-exit / standby-status operate on the current stack's groups. */
export interface StandbyGroupRecord {
  autoScalingGroupName: string;
  originalMinSize: number;
  originalDesiredCapacity: number;
  /** Instances this execution moved to Standby (only these are moved back). */
  instanceIds: string[];
  /** Processes this execution suspended (only these are resumed). */
  suspendedProcesses: string[];
}
export interface StandbyRecord {
  groups: StandbyGroupRecord[];
}
export interface StandbyEnterEvent {
  autoScalingGroups: AsgRef[];
  execution: ExecutionRef;
}
export type StandbyEnterResult = StandbyRecord;

export interface StandbyExitEvent {
  /** What standby-enter recorded. Absent when standby-enter failed before returning (compensation). */
  standby?: StandbyRecord;
  /** The discovered groups: each one that carries this execution's tag but is missing from
   *  `standby` (standby-enter failed halfway) is recovered from its tags and returned to service too. */
  autoScalingGroups?: AsgRef[];
  execution: ExecutionRef;
}
export interface StandbyExitResult {
  groups: { autoScalingGroupName: string; instancesReturned: number; processesResumed: string[]; minSizeRestored: number }[];
  /** What was acted on (recorded plus recovered groups): the input of standby-status with direction EXIT. */
  standby: StandbyRecord;
}

export interface StandbyStatusEvent extends WaitInput, CancellableEvent {
  standby: StandbyRecord;
  /** Which way the instances are moving. */
  direction: 'ENTER' | 'EXIT';
  execution: ExecutionRef;
}
export interface StatusResult {
  status: 'READY' | 'PENDING';
  wait: WaitState;
}

/** snapshot: one manual snapshot per DB instance of the source stack. */
export interface SnapshotEvent {
  sourceStackName: string;
  dbInstances: DbInstanceRef[];
  /** Distinguishes the two clones of one migration ("c1", "c2"). */
  phase: string;
  runId: string;
  execution: ExecutionRef;
}
export interface SnapshotRef {
  logicalId: string;
  dbInstanceIdentifier: string;
  snapshotIdentifier: string;
}
export interface SnapshotResult {
  snapshots: SnapshotRef[];
}

export interface SnapshotStatusEvent extends WaitInput, CancellableEvent {
  snapshots: SnapshotRef[];
  execution: ExecutionRef;
}
export interface SnapshotStatusResult {
  status: 'READY' | 'PENDING' | 'FAILED';
  /** Why, when FAILED: each snapshot that failed and its status. */
  reason?: string;
  wait: WaitState;
  /** The least percent of the snapshots still creating (absent when RDS gives none). */
  progress?: WaitProgress;
}

/**
 * The source as Clone carries it: its discovery without the template body (up to 51,200 bytes,
 * which would travel twice in the state: `$.source` and the create-stack request). create-stack
 * reads the body itself (GetTemplate of the source's stack ID) when it needs it.
 */
export type SourceDiscovery = Omit<Discovery, 'templateBody'> & { templateBody?: string };

/** create-stack: the destination stack from the source's template or a new one. */
export interface CreateStackEvent {
  source: SourceDiscovery;
  destinationStackName: string;
  templateUrl?: string;
  targetVersion: string;
  parameterOverrides: Record<string, string>;
  /** Parameters read from Secrets Manager (name → secret ARN), by this step only: values never enter the state. */
  secretParameters?: Record<string, string>;
  snapshots: SnapshotRef[];
  /**
   * Live sync: every database starts as a read replica of its source partner (parameter
   * `<LogicalId>SourceDBInstanceIdentifier` = the source's identifier, `<LogicalId>SnapshotIdentifier`
   * emptied) instead of from a snapshot; `snapshots` is empty then.
   */
  liveSync?: boolean;
  execution: ExecutionRef;
}
export interface CreateStackResult {
  stackName: string;
  stackId: string;
  /** True when the stack already existed and carried this execution's tag (a retry). */
  alreadyExisted: boolean;
}

export interface StackStatusEvent extends WaitInput, CancellableEvent {
  stackName: string;
  /** CREATE waits for CREATE_COMPLETE; DELETE waits for DELETE_COMPLETE (or the stack gone); UPDATE for UPDATE_COMPLETE (live sync's promotion). */
  operation: 'CREATE' | 'DELETE' | 'UPDATE';
  /**
   * UPDATE: the change set whose execution is awaited (PromoteReplicasResult.changeSetId). When given,
   * the stack counts as updated only once DescribeStacks names it as the stack's change set, so an
   * earlier update's UPDATE_COMPLETE is never taken for this one.
   */
  changeSetId?: string;
  execution: ExecutionRef;
}
export interface StackFailureReason {
  logicalId: string;
  resourceType: string;
  status: string;
  reason: string;
}
export interface StackStatusResult {
  status: 'READY' | 'PENDING' | 'FAILED';
  stackStatus: string;
  /** Failure reasons from the stack events (create) or the stuck resources (delete). */
  failures: StackFailureReason[];
  wait: WaitState;
  /** The stack's latest events while PENDING (absent when they could not be read). */
  progress?: WaitProgress;
}

/** Pairing of one source bucket with its destination, by logical ID. */
export interface BucketPair {
  logicalId: string;
  sourceBucket: string;
  destinationBucket: string;
}

/** copy-buckets: one invocation copies as much of one bucket pair as its time budget allows. */
export interface CopyBucketEvent extends CancellableEvent {
  pair: BucketPair;
  /** "all" (default): every version and delete marker, in order; "current": current objects only. */
  objectVersions?: ObjectVersions;
  /** Absent on the first invocation; returned by the previous one otherwise. */
  continuation?: CopyContinuation;
  /**
   * Live sync's delta pass: the destination becomes a mirror of the source, so the histories of keys
   * the source no longer has are removed from it too (the destination is this run's own new bucket).
   */
  mirror?: boolean;
  /**
   * The part of the bucket this invocation's copy covers (split-bucket): only its keys are copied,
   * and mirror removes only its keys. Absent: the whole bucket.
   */
  range?: KeyRange;
  execution: ExecutionRef;
}
/**
 * A contiguous part of a bucket's key space, in S3's listing order (UTF-8 binary): the keys k with
 * after < k ≤ upTo. An absent bound is open (no `after`: from the first key; no `upTo`: to the last).
 */
export interface KeyRange {
  after?: string;
  upTo?: string;
}
/** split-bucket: cuts one bucket pair's source into key ranges copied in parallel (Clone, per bucket). */
export interface SplitBucketEvent extends CancellableEvent {
  pair: BucketPair;
  /** At most this many ranges (default MAX_KEY_RANGES, lambdas/steps.ts). */
  maxRanges?: number;
  execution: ExecutionRef;
}
export interface SplitBucketResult {
  /** Cover the whole key space exactly, in order: the first has no `after`, the last no `upTo`, each `after` is the previous `upTo`. */
  ranges: KeyRange[];
  /** The listing entries (versions and delete markers) the split estimated the source to hold. */
  estimatedEntries: number;
  /** ListObjectVersions requests the estimate took. */
  requests: number;
}
export interface CopyContinuation {
  /**
   * Last source key whose whole history was handled: both listings resume after it
   * (ListObjectVersions KeyMarker), so a key's versions are never split between invocations.
   */
  lastKey?: string;
  /** Running totals across invocations. */
  totals: CopyTotals;
  invocations: number;
}
export interface CopyTotals {
  /** Object versions copied (current and noncurrent). */
  objectsCopied: number;
  /** Object versions already identical at the destination, not copied again. */
  objectsSkipped: number;
  bytesCopied: number;
  multipartObjects: number;
  /** Delete markers recreated at the destination. */
  deleteMarkersCopied: number;
  /** Destination versions removed because the key's destination history was not a prefix of the source's (a resumed copy). */
  versionsCleared: number;
  /** Mirror only: destination versions and markers removed because the source no longer has their key. */
  versionsRemoved?: number;
  requests: number;
}
export interface CopyBucketResult {
  status: 'DONE' | 'CONTINUE';
  pair: BucketPair;
  continuation: CopyContinuation;
  /** The key range copied, as the event gave it: progress readers add a bucket's ranges up. */
  range?: KeyRange;
}

/** verify-buckets: one invocation compares as much of one bucket pair's histories as its time budget allows. */
export interface VerifyBucketEvent extends CancellableEvent {
  pair: BucketPair;
  /** As given to the copy: with "current" only the source's current objects are expected at the destination. */
  objectVersions?: ObjectVersions;
  /** The clone's phase ("c1", "c2"): part of the manifest's key, so the two clones' manifests never meet. */
  phase?: string;
  /** Absent on the first invocation; returned by the previous one otherwise. */
  continuation?: VerifyContinuation;
  execution: ExecutionRef;
  /**
   * The bucket's size as the copy counted it (CopyTotals, or one per key range, summed): chooseContentProof decides from it whether
   * versions that need reading are hashed in the step or proven by a Compute checksum job.
   */
  bucketTotals?: CopyTotals | CopyTotals[];
  /**
   * The second pass after PROOF_NEEDED (with that result's `continuation`): each side's checksum job
   * as checksum-job-status last saw it (READY with its result document, or FAILED with why).
   */
  proofResults?: { source: ChecksumJobStatusResult; destination: ChecksumJobStatusResult };
}
/**
 * What verify-bucket hands to the state machine when versions need S3 Batch Operations Compute
 * checksum (PROOF_NEEDED): one CSV manifest per side in the workflow bucket (under checksum-jobs/),
 * where each job's report goes, and counts. The version pairs themselves are in documents.
 */
export interface ProofRequest {
  /** Version pairs to prove. */
  versions: number;
  /** Their bytes (one side). */
  bytes: number;
  manifests: { source: ObjectRef; destination: ObjectRef };
  reportPrefixes: { source: string; destination: string };
}
/** What one side of a verified pair holds, and the digest of its history. */
export interface BucketSide {
  /** Keys with at least one entry (version or delete marker) compared. */
  objects: number;
  /** Object versions (not delete markers). */
  versions: number;
  deleteMarkers: number;
  bytes: number;
  /**
   * SetDigest over one line per entry: (key, position in its history, delete marker, size, content
   * fingerprint under the rule that compared it, digest of metadata and tags). The two sides' digests
   * are equal exactly when the histories are.
   */
  digest: SetDigest;
}
/** How each compared version's content was proven (docs/design.md: say which rule compared each object, count the ones none could). */
export interface ComparedBy {
  /** Both ETags are MD5s of the content (single-part, not KMS). */
  etag: number;
  /** Both sides carry the same kind of full-object checksum. */
  checksum: number;
  /** The source version was read and its CRC64NVME computed, against the destination's (written by the copy). */
  hashed: number;
  /**
   * Both versions' CRC64NVME computed by S3 Batch Operations Compute checksum jobs (one per side) and
   * compared (the second verification pass, after PROOF_NEEDED). Absent in results written before it existed.
   */
  batch?: number;
  /** None could: counted, and a mismatch. */
  notComparable: number;
}
export type DifferenceProblem =
  | 'MISSING_AT_DESTINATION'
  | 'EXTRA_AT_DESTINATION'
  | 'SIZE_DIFFERS'
  | 'CONTENT_DIFFERS'
  | 'METADATA_DIFFERS'
  | 'TAGS_DIFFERS'
  | 'DELETE_MARKER_DIFFERS'
  | 'VERSION_MISSING'
  | 'NOT_COMPARABLE';
export interface ObjectDifference {
  /** The key (shortened to 100 characters with an ellipsis: the state is limited). */
  key: string;
  /** Position in the key's history, 1 = oldest; absent when the whole key is concerned. */
  version?: number;
  problem: DifferenceProblem;
  /** A few words: sizes, which metadata field, why not comparable. */
  detail?: string;
}
export interface VerifyContinuation {
  /** Last key whose history on both sides was compared: both listings resume after it. */
  lastKey?: string;
  source: BucketSide;
  destination: BucketSide;
  comparedBy: ComparedBy;
  differences: ObjectDifference[];
  differenceCount: number;
  /** Parts of the full difference list written so far (the state keeps only the first 20). */
  differenceParts: DocumentRef[];
  /** The source's manifest so far. */
  manifest: ManifestRef;
  invocations: number;
  /**
   * Version pairs no rule of the step could prove, kept for Compute checksum jobs: NDJSON parts in the
   * workflow bucket (one line per pair), and how many. Absent when there are none.
   */
  pendingProof?: {
    parts: DocumentRef[];
    versions: number;
    bytes: number;
    /** The same pairs split by key into partitions, as the checksum jobs' results are (written with the jobs' manifests). */
    partitioned?: DocumentRef;
  };
}
export interface VerifyBucketResult {
  /**
   * CONTINUE: call again with `continuation`; EQUAL / MISMATCH once both listings are exhausted;
   * PROOF_NEEDED: run the checksum jobs `proof` describes, then call again with `continuation` and
   * their results (`proofResults`), which answers EQUAL or MISMATCH.
   */
  status: 'EQUAL' | 'MISMATCH' | 'CONTINUE' | 'PROOF_NEEDED';
  pair: BucketPair;
  source: BucketSide;
  destination: BucketSide;
  comparedBy: ComparedBy;
  /** Up to 20 differences. */
  differences: ObjectDifference[];
  differenceCount: number;
  /** The full difference list (JSON: its NDJSON parts), when there are more than listed. */
  differencesDocument?: DocumentRef;
  /**
   * The source bucket's manifest as verified: every version and delete marker, in listing order.
   * What the recheck before deletion and the emptying of the original compare with. Present once DONE.
   */
  sourceManifest?: ManifestRef;
  /**
   * The bucket's copy totals it was given (`bucketTotals`), summed over the key ranges: what Clone
   * reports as the bucket's copy. Present once DONE when given.
   */
  copyTotals?: CopyTotals;
  /** Present with CONTINUE and PROOF_NEEDED. */
  continuation?: VerifyContinuation;
  /** Present with PROOF_NEEDED. */
  proof?: ProofRequest;
}

/** smoke-test: one probe of the destination environment. */
export interface SmokeTestEvent extends WaitInput, CancellableEvent {
  stackName: string;
  smokeTest: SmokeTestConfig;
  execution: ExecutionRef;
}
export interface SmokeTestResult {
  status: 'READY' | 'PENDING';
  /** Last probe: URL, HTTP status or error. */
  probe: { url: string; httpStatus?: number; error?: string };
  wait: WaitState;
}

/** compare-statistics: the source's and destination's statistics endpoints. */
export interface CompareStatisticsEvent {
  sourceStackName: string;
  destinationStackName: string;
  statistics: StatisticsConfig;
  execution: ExecutionRef;
}
export interface StatisticsDifference {
  path: string;
  /**
   * The value on each side; null where `absentOn` names that side (JSON has no undefined). A value
   * whose JSON is longer than STATISTICS_VALUE_PREVIEW_CHARS is replaced by a string preview of it
   * (its JSON text, cut, ending in "…") and `truncated` names the side(s): the full values are in
   * the result's `differencesDocument`.
   */
  source: unknown;
  destination: unknown;
  /** The side that has no value at this path at all (as opposed to a JSON null). */
  absentOn?: 'source' | 'destination';
  truncated?: 'source' | 'destination' | 'both';
}
/**
 * What was read from one statistics endpoint. The document itself is never in the state (a
 * statistics document can be megabytes; the state is limited to 256 KiB): it is stored in the
 * workflow bucket and referenced by `document`, and its `data` is summed up by `dataSha256`.
 */
export interface EndpointReading {
  url: string;
  ok: boolean;
  /** Present when not ok: timeout, HTTP status, not JSON, no data, the wrong environment. */
  reason?: string;
  /** Present when ok: SHA-256 (hex) of the canonical JSON of `data` (object keys sorted at every
   *  level, no spaces): equal for equal statistics whatever their key order, so a later reading can
   *  be compared with this one without the document. */
  dataSha256?: string;
  /** Present when ok: how many leaf values `data` holds. */
  values?: number;
  /** Bytes of the response body as received (present when a body was received). */
  bytes?: number;
  /** Present when ok: the whole response document (JSON) in the workflow bucket. */
  document?: DocumentRef;
  /** The environment the document says it describes (its top-level `environment.stackId`, else
   *  `environment.stackName`), when it says: it must be the stack whose output gave the URL. */
  reportedEnvironment?: string;
}
export interface CompareStatisticsResult {
  status: 'EQUAL' | 'MISMATCH';
  source: EndpointReading;
  destination: EndpointReading;
  /** The first differing paths (at most MAX_STATISTICS_DIFFERENCES, values previewed). */
  differences: StatisticsDifference[];
  /** How many paths differ in all, listed or not. */
  differenceCount: number;
  /** Every difference with its full values, in the workflow bucket, when some are not listed or previewed. */
  differencesDocument?: DocumentRef;
  /** One sentence an engineer can read in a notification. */
  summary: string;
}

/** inventory-buckets: one bucket of the current stack, counted before the standby (preflight). */
export interface InventoryBucketEvent extends CancellableEvent {
  bucket: BucketRef;
  objectVersions: 'all' | 'current';
  /** Absent on the first invocation; returned by the previous one otherwise. */
  continuation?: InventoryContinuation;
  execution: ExecutionRef;
}
export interface InventoryCounts {
  currentObjects: number;
  noncurrentVersions: number;
  deleteMarkers: number;
  bytes: number;
  /** Versions in an archive storage class (or archive tier) among those that would be carried. */
  archived: number;
}
export interface InventoryContinuation {
  keyMarker?: string;
  versionIdMarker?: string;
  counts: InventoryCounts;
  /** Up to 10 archived keys seen so far (named in the refusal). */
  archivedKeys: string[];
  /** Whether the bucket has an Intelligent-Tiering archive configuration (read once, on the first such object). */
  intelligentTieringArchive?: boolean;
  invocations: number;
}
export interface InventoryBucketResult {
  status: 'DONE' | 'CONTINUE';
  bucket: BucketRef;
  /** GetBucketVersioning's Status: Enabled, Suspended, or Never (never enabled). */
  versioning: 'Enabled' | 'Suspended' | 'Never';
  counts: InventoryCounts;
  /** With objectVersions `current`: what will not be carried (noncurrent versions + delete markers); 0 with `all`. */
  notCarried: number;
  continuation: InventoryContinuation;
}

/** One bucket's inventory as Migrate keeps it (`$.inventory`, the execution output, the success notification). */
export type BucketInventory = Pick<InventoryBucketResult, 'bucket' | 'versioning' | 'counts' | 'notCarried'>;

/** recheck-original: the original, just before its deletion, against what clone 1 verified. */
export interface RecheckOriginalEvent extends CancellableEvent {
  stackName: string;
  /** The original's stack ID as discovered (a stack that took the name since is refused). */
  expectedStackId: string;
  /** Clone 1's output: its verification (each pair's sourceManifest) and its statistics. */
  verifiedCopy: CloneOutput;
  statistics: StatisticsConfig;
  /** Absent on the first invocation; returned by the previous one otherwise. */
  continuation?: RecheckContinuation;
  execution: ExecutionRef;
}
export interface RecheckedBucket {
  bucketName: string;
  /** Versions and delete markers the verified manifest names. */
  verified: number;
  /** Versions and delete markers listed now. */
  listed: number;
  unchanged: boolean;
}
export interface RecheckContinuation {
  /** Index into the stack's buckets (sorted by name) of the bucket being listed. */
  bucketIndex: number;
  keyMarker?: string;
  versionIdMarker?: string;
  /** The digest of the listing so far (only this is kept: bounded memory). */
  listing?: SetDigest;
  /** Buckets already listed in full. */
  done: RecheckedBucket[];
  /** The original's statistics: read once, on the first invocation. */
  statistics?: { unchanged: boolean; reason?: string };
  invocations: number;
}
export interface RecheckOriginalResult {
  /** CONTINUE: call again with `continuation`. CHANGED is never returned: it is thrown (OriginalChangedAfterVerification). */
  status: 'UNCHANGED' | 'CONTINUE';
  buckets: RecheckedBucket[];
  continuation: RecheckContinuation;
}

/** delete-stack: empty the stack's buckets, then DeleteStack. */
export interface DeleteStackEvent {
  stackName: string;
  execution: ExecutionRef;
  /** Why this stack is being deleted, in words (logged, and quoted in a refusal). */
  reason: string;
  /**
   * Defence in depth for invariant 1. A stack that does not carry this execution's tag (the current
   * environment) is deleted only when `verifiedCopy` proves a complete, verified copy of exactly this
   * stack exists (outcome EQUAL, source = this stack, destination stack CREATE_COMPLETE), and when its
   * stack ID is still `expectedStackId` (never a different stack that took the name). Otherwise the
   * step throws DeletionRefused. Stacks tagged with this execution need neither.
   */
  expectedStackId?: string;
  /** The clone's output as Migrate keeps it (Migrate's Clone tasks leave `copies` out). */
  verifiedCopy?: CloneOutput;
  /** Absent or null on the first invocation; the previous result's otherwise (buckets too large for one invocation). */
  continuation?: DeleteStackContinuation | null;
}
/** Where a read of a verified manifest resumes (bounded: one part is read at a time). */
export interface ManifestPosition {
  /** The part at hand (from 1). */
  part: number;
  /** Entries of that part already consumed. */
  index: number;
  /** Digest of the parts before it, and of the part itself (read again, it must be the same). */
  before: SetDigest;
  partDigest: SetDigest;
}
/** Where the emptying of one bucket resumes. */
export interface EmptyingPosition {
  /** The original's buckets: every key up to this one is done, in the listing and in the manifest. */
  lastKey?: string;
  manifest?: ManifestPosition;
  /** A copy's buckets: the listing's markers of the next page. */
  keyMarker?: string;
  versionIdMarker?: string;
}
export interface DeleteStackContinuation {
  /** The stack being emptied: a continuation applies to this stack only. */
  stackId: string;
  /**
   * CHECK: the original's buckets compared read-only with their verified manifests (all of them
   * before anything is deleted); EMPTY: deleting.
   */
  phase: 'CHECK' | 'EMPTY';
  /** Index into the buckets being emptied (sorted by name) of the bucket at hand. */
  bucketIndex: number;
  position?: EmptyingPosition;
  /** The original's buckets compared in full with their manifests. */
  checked: string[];
  /** What the comparison found that the manifests do not name (a refusal once every bucket is compared). */
  unverified: { bucketName: string; count: number; named: string[] }[];
  bucketsEmptied: { bucketName: string; objectVersionsDeleted: number }[];
  invocations: number;
}
export interface DeleteStackResult {
  /** CONTINUE: call again with `continuation`; DONE: finished (`deleteStarted` says whether DeleteStack was called). */
  status: 'DONE' | 'CONTINUE';
  continuation?: DeleteStackContinuation;
  stackName: string;
  bucketsEmptied: { bucketName: string; objectVersionsDeleted: number }[];
  /** False when the stack did not exist (already deleted counts as done). */
  deleteStarted: boolean;
  /** Buckets left with their data because CloudFormation keeps them (DeletionPolicy Retain). */
  bucketsRetained?: string[];
}

/** delete-snapshots: this migration's manual snapshots. */
export interface DeleteSnapshotsEvent {
  /** Snapshots known by name (may be empty); each must carry this execution's tag or the step is refused. */
  snapshots: SnapshotRef[];
  execution: ExecutionRef;
  /**
   * When given, also sweeps: every manual snapshot named `em-<runId>-...` that carries this
   * execution's tag is deleted too, so a clone that failed before reporting its snapshots leaves none.
   */
  runId?: string;
  /** Snapshots never deleted (the original's, kept as a backup once it is gone); reported in `kept`. */
  keep?: SnapshotRef[];
}
export interface DeleteSnapshotsResult {
  deleted: string[];
  alreadyGone: string[];
  /** Ours but not deletable yet (RDS deletes only `available` snapshots, e.g. one still `creating`):
   *  left in place, to be listed as left to do by hand. */
  notDeletable: { snapshotIdentifier: string; status: string }[];
  /** Ours, found, and left in place because `keep` names them. */
  kept: string[];
}

// ---------------------------------------------------------------------------------------------
// Clone state machine
// ---------------------------------------------------------------------------------------------

export interface CloneInput {
  sourceStackName: string;
  destinationStackName: string;
  targetVersion: string;
  templateUrl?: string;
  parameters: Record<string, string>;
  /** Parameters whose values create-stack reads from Secrets Manager (MigrationInput.secretParameters). */
  secretParameters?: Record<string, string>;
  statistics: StatisticsConfig;
  smokeTest?: SmokeTestConfig;
  waits: Waits;
  /** "c1" for current→temp, "c2" for temp→new current; part of snapshot names. */
  phase: string;
  runId: string;
  /** The Migrate execution this clone belongs to (tags, names, logs). */
  execution: ExecutionRef;
  /** Which object versions the bucket copies carry (MigrationInput.objectVersions); "all" when absent. */
  objectVersions?: ObjectVersions;
  /**
   * Snapshots of the source's databases already started under this clone's names (Migrate starts
   * clone 2's while the current environment is being deleted): Clone waits for these instead of
   * taking its own. Absent: Clone snapshots the source itself.
   */
  snapshots?: SnapshotRef[];
  /**
   * Live sync (MigrationInput.liveSync): PREPARE, while the source still serves, creates the
   * destination with its databases as read replicas, plans their promotion and copies every bucket
   * (nothing verified: the source changes); FINISH, after the standby, waits for the replicas to
   * catch up, promotes them, copies what changed and verifies as ever. Absent: the snapshot copy.
   */
  liveSync?: LiveSyncStage;
  /**
   * The lock whose cancel request stops this clone at its next safe point (Migrate passes the
   * environment it has locked; the lock must be held by `execution.id`). Absent: a Clone run alone,
   * which `env-migrator cancel` cannot stop (StopExecution does).
   */
  cancellation?: CancellationRef;
}

/** Where a cancel request is read: the lock item of `stackName` in the lock table. */
export interface CancellationRef {
  stackName: string;
}

/**
 * The event of a step that a loop calls again and again (a status check, a copy, a verification, a
 * count): with `cancellation`, the step reads the cancel request first and obeys it
 * (lambdas/shared/cancel-request.ts obeyingCancel). Absent: nothing is read.
 */
export interface CancellableEvent {
  cancellation?: CancellationRef;
}

/** What such a step returns instead of its result when a cancel request of its execution is found: the request's text. */
export interface CancelRequested {
  cancelRequested: string;
}

/**
 * The lock item's attribute that asks its owner to cancel (`env-migrator cancel` sets it with an
 * UpdateItem conditional on `owner`): a string saying who asked and when. Every call of a loop step
 * given a `cancellation` (obeyingCancel) and every phase boundary of Migrate and Clone (cancelPoint)
 * reads it; the lock's
 * PutItem at the start of the next migration replaces the whole item, so a request never outlives
 * the execution it was made for.
 */
export const CANCEL_REQUEST_ATTRIBUTE = 'cancelRequested';

/**
 * When a run may take an environment's lock item: nobody holds it, this execution does (a retry), or
 * it has expired. One condition for Migrate, Retire, Rollback and `recover`, with the names #owner,
 * #expiresAt and the values :me (the execution) and :now (epoch seconds).
 */
export const LOCK_TAKE_CONDITION = 'attribute_not_exists(stackName) OR #owner = :me OR #expiresAt < :now';

/** CloneInput.liveSync. */
export interface LiveSyncStage {
  stage: 'PREPARE' | 'FINISH';
  /** FINISH: what PREPARE returned (the destination it made, its replicas, the promotion it planned and checked). */
  prepared?: Pick<ClonePrepared, 'destinationStackId' | 'destinationDbInstances' | 'promotion'>;
}

/** What a live sync's PREPARE clone returns: the destination, ready for FINISH. */
export interface ClonePrepared {
  outcome: 'PREPARED';
  sourceStackName: string;
  destinationStackName: string;
  destinationStackId: string;
  /** The destination's databases (the read replicas), as its discovery found them. */
  destinationDbInstances: DbInstanceRef[];
  promotion: PromotionPlan;
  /** Each bucket's pre-copy totals. */
  copies: CopyTotals[];
}

export interface CloneOutput {
  outcome: 'EQUAL' | 'MISMATCH';
  sourceStackName: string;
  destinationStackName: string;
  destinationStackId: string;
  /** The destination's databases, as its discovery found them (what a next clone would snapshot). */
  destinationDbInstances: DbInstanceRef[];
  version: string;
  snapshots: SnapshotRef[];
  /** Each bucket's copy totals, in the order of `verification`. */
  copies: CopyTotals[];
  verification: VerifyBucketResult[];
  statistics: CompareStatisticsResult;
}

// ---------------------------------------------------------------------------------------------
// Live sync (MigrationInput.liveSync): read replicas, their promotion
// ---------------------------------------------------------------------------------------------

/**
 * plan-promotion: creates (idempotently, deterministic name) the change set that promotes the
 * destination's read replicas: the stack's previous template, every `<LogicalId>SourceDBInstanceIdentifier`
 * emptied (and `<LogicalId>PromotedFrom` set to the source's identifier where the template declares it),
 * every other parameter its previous value. Made before the standby so that what the promotion would
 * do is known while nothing is down.
 */
export interface PlanPromotionEvent {
  /** The destination stack (its databases are the replicas). */
  stackName: string;
  /** The source's databases: the destination's database of the same logical ID replicates each one. */
  dbInstances: DbInstanceRef[];
  phase: string;
  runId: string;
  execution: ExecutionRef;
}
export interface PromotionPlan {
  stackName: string;
  changeSetName: string;
  changeSetId: string;
  /** The logical IDs of the databases the change set promotes: promotion-status requires each to be modified in place. */
  replicaLogicalIds: string[];
}

/**
 * promotion-status: waits for the change set to be created, then reads what it would do: READY when
 * it only modifies resources in place. Throws PromotionUnsafe when it would replace or remove any
 * resource (a database replaced is an empty one: its data would be gone), naming each and why.
 */
export interface PromotionStatusEvent extends WaitInput {
  promotion: PromotionPlan;
  execution: ExecutionRef;
}
export interface PromotionStatusResult {
  status: 'READY' | 'PENDING';
  wait: WaitState;
  /** READY: what the promotion changes, one line per resource ("OrdersDb Modify: SourceDBInstanceIdentifier"). */
  changes?: string[];
}

/** promote-replicas: executes the planned change set (already executing or executed by this run counts as done). */
export interface PromoteReplicasEvent {
  promotion: PromotionPlan;
  execution: ExecutionRef;
}
export interface PromoteReplicasResult {
  stackName: string;
  changeSetId: string;
  /** True when an earlier attempt had already started it. */
  alreadyStarted: boolean;
}

/**
 * replica-status: whether every replica of the destination has applied everything the source wrote
 * before it stopped taking writes: replication running (DescribeDBInstances StatusInfos) and the
 * CloudWatch ReplicaLag metric at zero in a reading taken after `since`. Throws ReplicationBroken
 * when a database is not a replica of its source (any more) or its replication stopped.
 */
export interface ReplicaStatusEvent extends WaitInput, CancellableEvent {
  /** The destination's databases (the replicas). */
  dbInstances: DbInstanceRef[];
  /**
   * ISO time from which the source takes no writes. Absent: the first check's own time (the wait's
   * `startedAt`), right for a loop that starts once the source's standby is confirmed (Clone's FINISH).
   */
  since?: string;
  execution: ExecutionRef;
}
export interface ReplicaLagReading {
  logicalId: string;
  dbInstanceIdentifier: string;
  /** The newest ReplicaLag reading taken after `since`, seconds; absent when none yet. */
  lagSeconds?: number;
  /** When that reading was taken (ISO). */
  at?: string;
  /** The read replication status RDS reports (StatusInfos): replicating, error, stopped... */
  replication?: string;
}
export interface ReplicaStatusResult {
  status: 'READY' | 'PENDING';
  wait: WaitState;
  replicas: ReplicaLagReading[];
}

// ---------------------------------------------------------------------------------------------
// Notification and outcome
// ---------------------------------------------------------------------------------------------

export type Outcome =
  | 'SUCCEEDED'
  | 'PRESERVED_AFTER_FIRST_CLONE_MISMATCH'
  | 'PRESERVED_AFTER_SECOND_CLONE_MISMATCH'
  | 'FAILED_AND_COMPENSATED'
  | 'REJECTED_INPUT'
  | 'MIGRATION_IN_PROGRESS';

/** compose-notification: everything the on-call engineer needs, as text and as JSON. */
export interface ComposeNotificationEvent {
  outcome: Outcome;
  stackName: string;
  execution: ExecutionRef;
  /** The stack that holds the data now. */
  survivor: string | null;
  failedState?: string;
  error?: { Error: string; Cause: string };
  statistics?: CompareStatisticsResult;
  verification?: VerifyBucketResult[];
  cleanedUp: string[];
  leftToDo: string[];
  region?: string;
  /** Target version (named in the subject of a success). */
  version?: string;
  /**
   * What Migrate's compensation chain did, by action: `{ status: 'DONE', target? }` when the action
   * completed, the caught `{ Error, Cause }` when it failed (the chain goes on regardless). Keys:
   * deleteTemporaryStack, exitStandby, deleteSnapshots, deleteNewStack. The composer turns entries
   * into cleanedUp / leftToDo lines (a JSONPath state machine cannot build conditional lists).
   */
  compensation?: Record<string, unknown>;
  /** The preflight inventory of the original's buckets (success): what was not carried is named. */
  inventory?: BucketInventory[];
  /** On success: the snapshots the new stack's `<LogicalId>SnapshotIdentifier` parameters name, kept by the clean-up. */
  snapshotsInUse?: SnapshotRef[];
  /** On success: what the original's deletion left behind, snapshotted or did not copy (the preflight's plan). */
  deletionPlan?: DeletionPlanItem[];
  /** Success: whether the copy was made live (the preflight's finding; a fallback to snapshots is named with why). */
  liveSync?: LiveSyncPlan;
  /** Strategy blue-green: the slots, when the previous one is retired, how to roll back (BlueGreenFacts). */
  blueGreen?: BlueGreenFacts;
  /**
   * The stack this run copied the environment into (`$.tempStackName`): the temporary stack, or with
   * blue-green the idle slot. Given by every notice after validate-input; without it the composer
   * derives the double clone's temporary stack name from the execution.
   */
  copyStackName?: string;
}
export interface ComposeNotificationResult {
  subject: string;
  message: string;
  /** The same facts as JSON, for the SNS message attribute `details`. */
  details: string;
  /**
   * The error the execution ends with, as the notification names it: the event's, made precise (a
   * failed Clone's own error unwrapped from States.TaskFailed, BucketsDiffer when only the bucket
   * verification found a difference). Absent when the event has no error.
   */
  error?: { Error: string; Cause: string };
}

/** Output of a successful Migrate execution, for pipelines to chain on. */
export interface MigrationOutput {
  outcome: 'SUCCEEDED';
  stackName: string;
  stackId: string;
  version: string;
  previousVersion: string;
  /** The new environment's statistics, as compared with the previous one's (equal to them). */
  statistics: MigrationStatistics;
  /** Snapshots left in place: those the new stack restores from (its `<LogicalId>SnapshotIdentifier`
   *  parameters name them), plus the original's with `retainOriginalSnapshots`. */
  snapshotsRetained: string[];
  executionArn: string;
  /** `all` or `current` (MigrationInput.objectVersions). */
  objectVersions: 'all' | 'current';
  /** The original's buckets as the preflight counted them; `notCarried` > 0 only with objectVersions `current`. */
  buckets: BucketInventory[];
  /** What the original's deletion left behind (Retain), snapshotted (Snapshot) or did not copy (acceptUncopiedResources). */
  deletionPlan: DeletionPlanItem[];
  /** Whether liveSync was asked for and could carry every database (otherwise the copy was by snapshots, `reasons` say why). */
  liveSync: LiveSyncPlan;
  /** Strategy blue-green: `stackName` is then the new live slot; the previous one, its retire time and the rollback command. */
  blueGreen?: BlueGreenFacts;
}

// ---------------------------------------------------------------------------------------------
// Content proof with S3 Batch Operations "Compute checksum" (start-checksum-job, checksum-job-status)
// ---------------------------------------------------------------------------------------------

/** An object in a bucket of the workflow (a manifest, a report, a result document). */
export interface ObjectRef {
  bucket: string;
  key: string;
}

/** What a checksum job computes: S3's FULL_OBJECT algorithms (CRC64NVME is S3's default). */
export type ChecksumJobAlgorithm = 'CRC64NVME' | 'CRC32' | 'CRC32C' | 'SHA1' | 'SHA256';

/**
 * start-checksum-job: a Compute checksum job over the object versions a manifest lists. The manifest
 * is a CSV of `bucket,key,versionId` rows with URL-encoded keys (lambdas/shared/checksum-job.ts
 * manifestCsv writes it); the completion report goes to `reportPrefix` in the manifest's bucket.
 */
export interface StartChecksumJobEvent {
  execution: ExecutionRef;
  /** The bucket whose objects the manifest lists (named in the job's description). */
  bucket: string;
  manifest: ObjectRef;
  reportPrefix: string;
  /** Default CRC64NVME. */
  algorithm?: ChecksumJobAlgorithm;
}
export interface StartChecksumJobResult {
  jobId: string;
}

/** checksum-job-status: the check of the wait loop after start-checksum-job. */
export interface ChecksumJobStatusEvent extends WaitInput, CancellableEvent {
  execution: ExecutionRef;
  jobId: string;
  /** Where start-checksum-job put the report (its event's manifest bucket and reportPrefix). */
  reportBucket: string;
  reportPrefix: string;
}
/**
 * The job's result: JSON lines, one per manifest row, `{bucket,key,versionId,checksum,algorithm,type,
 * etag}` for a computed checksum or `{bucket,key,versionId,error,httpStatus}` for a failed task (a
 * missing object or version), split by key into `partitions` (lambdas/shared/checksum-job.ts
 * PartitionedLines, proofPartitions of the task count); `index` names each partition's documents
 * (`bucket`/`key` are the index's). Only counts and the index's reference travel in the state.
 */
export interface ChecksumJobResultRef extends ObjectRef {
  objects: number;
  succeeded: number;
  failed: number;
  partitions: number;
  index: DocumentRef;
}
export interface ChecksumJobStatusResult {
  status: 'READY' | 'PENDING' | 'FAILED';
  /** Why, when FAILED: the job's failure reasons or an incomplete report. */
  reason?: string;
  /** Set when READY. */
  result?: ChecksumJobResultRef;
  /** The job's own progress, when S3 gives it. */
  progress?: { total: number; succeeded: number; failed: number };
  wait: WaitState;
}

/**
 * The statistics of a migrated environment in the output: their digest and where the document is,
 * not the document (it can exceed what a state may hold).
 */
export interface MigrationStatistics {
  /** SHA-256 of the canonical JSON of the new environment's `data` (EndpointReading.dataSha256). */
  dataSha256: string;
  /** Leaf values compared. */
  values: number;
  /** The new environment's statistics document in the workflow bucket (expires with the bucket's retention). */
  document: DocumentRef;
  /** The comparison in one sentence ("statistics equal (57 values)"). */
  summary: string;
}

// ---------------------------------------------------------------------------------------------
// Blue/green (issue 11): the entry point and the retire schedule
// ---------------------------------------------------------------------------------------------

/** The Route 53 record whose value says which slot is live (MigrationInput blue-green `entryPoint`). */
export interface EntryPointRef {
  /** The hosted zone holding the record (`Z…`; a `/hostedzone/` prefix is accepted). */
  hostedZoneId: string;
  /** The record's name, as a DNS name ("app.example.com"; a trailing dot and any letter case are accepted). */
  recordName: string;
}

/**
 * The entry point's record set exactly as Route 53 lists it, in the SDK's field names so it goes into
 * a change batch as it is: the switch DELETEs it (Route 53 deletes a record only when every value
 * matches) and CREATEs its successor. Only what a simple-routing A alias or CNAME can hold: a record
 * with any other field (a routing policy, a traffic policy) is refused when read, never carried half.
 */
export interface EntryRecord {
  /** As listed: lowercase, with the trailing dot, special characters as `\ddd` octal escapes. */
  Name: string;
  Type: 'A' | 'CNAME';
  /** CNAME only (an alias record takes the TTL of its target). */
  TTL?: number;
  /** CNAME only: one value, the endpoint's DNS name. */
  ResourceRecords?: { Value: string }[];
  /** A alias only. */
  AliasTarget?: { HostedZoneId: string; DNSName: string; EvaluateTargetHealth: boolean };
  /** A health check on a simple record: carried as it is (a DELETE must name it). */
  HealthCheckId?: string;
}

/** Where a slot's service answers: the host of its `ServiceUrl` output, and for an alias its `ServiceHostedZoneId` output. */
export interface SlotEndpoint {
  dnsName: string;
  /** The endpoint's own hosted zone (an ALB's CanonicalHostedZoneID): what an alias record needs. */
  hostedZoneId?: string;
}

/** entry-point: read the record and tell which slot it points at. */
export interface EntryPointEvent {
  entryPoint: EntryPointRef;
  /** The two slot stacks (`slots` of the input): the live one exists, the idle one may not. */
  slots: [string, string];
  execution: ExecutionRef;
}
export interface EntryPointResult {
  /** The record as read: what the switch must DELETE. */
  record: EntryRecord;
  liveSlot: string;
  idleSlot: string;
  idleExists: boolean;
  /** The idle slot's stack status when it exists (a leftover of an earlier run, say). */
  idleStackStatus?: string;
  /** The live slot's endpoint, from its outputs: where a switch back points the record. */
  liveEndpoint: SlotEndpoint;
}

/** switch-entry-point: one atomic change batch, DELETE the record as read + CREATE it pointing at `target`. */
export interface SwitchEntryPointEvent {
  entryPoint: EntryPointRef;
  /** The record as last read or written (EntryPointResult.record, or a switch's result.record for a switch back). */
  record: EntryRecord;
  /** The slot to point at; `hostedZoneId` is required when the record is an alias. */
  target: SlotEndpoint;
  execution: ExecutionRef;
  /** The change batch's comment (Route 53 keeps up to 256 characters), e.g. "env-migrator <run>: orders-blue → orders-green". */
  comment: string;
}
export interface SwitchEntryPointResult {
  /**
   * Route 53's change id (`C…`) for switch-status; null when the record already pointed at the target
   * (a retried invocation whose first call's answer was lost): no new change was made.
   */
  changeId: string | null;
  /** When the change was submitted (or found applied): switch-status waits from here when there is no change id. */
  submittedAt: string;
  /** The record as now written: what a switch back must DELETE. */
  record: EntryRecord;
  alreadyApplied: boolean;
}

/** switch-status: the check of the wait loop after switch-entry-point. */
export interface SwitchStatusEvent extends WaitInput, CancellableEvent {
  /** SwitchEntryPointResult.changeId (null: wait the documented propagation time from `submittedAt` instead). */
  changeId: string | null;
  submittedAt: string;
  execution: ExecutionRef;
}
export interface SwitchStatusResult {
  status: 'READY' | 'PENDING';
  /** Route 53's status of the change; UNKNOWN when there is no change id. */
  changeStatus: 'PENDING' | 'INSYNC' | 'UNKNOWN';
  wait: WaitState;
}

/** schedule-retire: the one-time schedule that starts the retire run of the previous slot. */
export interface ScheduleRetireEvent {
  runId: string;
  /** ISO time the retire run starts (now + keepPreviousHours, computed once by the state machine); seconds precision. */
  at: string;
  /** The retire state machine (the schedule's target: StartExecution). */
  targetArn: string;
  /** The role EventBridge Scheduler assumes to start it. */
  roleArn: string;
  /** The retire run's input (the previous slot, the record, the run). */
  input: Record<string, unknown>;
  execution: ExecutionRef;
}
export interface ScheduleRetireResult {
  scheduleArn: string;
  /** The time the schedule fires, ISO without milliseconds. */
  at: string;
  /** True when the schedule already existed as this run's (a retry). */
  alreadyExisted: boolean;
}

// ---------------------------------------------------------------------------------------------
// Blue/green (issue 11): input pieces shared by Migrate, Retire and Rollback, and the switch record
// ---------------------------------------------------------------------------------------------

/** A stack name as the inputs take it (the same rule as MigrationInput `stackName`). */
export const StackNameSchema = z
  .string()
  .check(
    z.maxLength(STACK_NAME_MAX, `must be at most ${STACK_NAME_MAX} characters`),
    z.regex(STACK_NAME_PATTERN, 'must be a CloudFormation stack name: a letter, then letters, digits and hyphens'),
  );

/** `entryPoint` of a blue/green input: the Route 53 record that says which slot is live. */
export const EntryPointSchema = z.strictObject({
  // Route 53 hosted zone ids are upper-case letters and digits (Z…); the SDK's `/hostedzone/` prefix is accepted.
  hostedZoneId: matching(/^(\/hostedzone\/)?[A-Z0-9]{1,32}$/, 'must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ'),
  // A DNS name: labels of letters, digits, hyphens and underscores, 253 characters at most, a trailing dot allowed.
  recordName: z
    .string()
    .check(
      z.maxLength(254, 'must be at most 253 characters'),
      z.regex(/^([A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)+[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$/, 'must be a DNS name such as orders.example.com'),
    ),
});

/** `slots` of a blue/green input: the two stack names the environment alternates between (distinct). */
export const SlotsSchema = z
  .tuple([StackNameSchema, StackNameSchema])
  .check(z.refine((s) => s[0].toLowerCase() !== s[1].toLowerCase(), 'must name two different stacks'));

/** Hours the previous slot is kept in standby as the rollback point before the retire run deletes it. */
export const KEEP_PREVIOUS_HOURS = { default: 24, min: 1, max: 24 * 30 } as const;

/** One slot as the switch left it. */
export interface SlotState {
  stackName: string;
  /** The stack's id at the switch: retire and rollback act only on this very stack, never on a later one of the same name. */
  stackId: string;
  endpoint: SlotEndpoint;
  /** Its EnvironmentVersion at the switch. */
  version: string;
  /** Its statistics as read at the switch (the reading's document holds the data). */
  statistics: EndpointReading;
}

/**
 * What a blue/green migration writes when it switches the entry point: a document in the workflow
 * bucket at `switchRecordKey(entryPoint)` (lambdas/shared/documents.ts), replaced by the next switch of
 * the same record. Rollback reads it: the record to DELETE when switching back, the previous slot to
 * return to service, and the statistics to compare so that no write since the switch is lost silently.
 * Retire's input carries the fields it needs (the schedule's input), so a later switch cannot change
 * what an earlier schedule retires.
 */
export interface SwitchRecord {
  runId: string;
  executionArn: string;
  entryPoint: EntryPointRef;
  switchedAt: string;
  /** When the retire run starts (switchedAt + keepPreviousHours), and the schedule that starts it. */
  retireAt: string;
  scheduleName: string;
  /** The record as the switch wrote it: what a switch back DELETEs. */
  record: EntryRecord;
  /** The new environment: the record points at it. */
  live: SlotState;
  /** The environment it replaced: in standby as the rollback point, with what its standby changed. */
  previous: SlotState & { standby: StandbyRecord };
  /** Set by a rollback that switched back: the record then points at `previous` again. */
  rolledBack?: { at: string; executionArn: string; discardedWrites: boolean };
  /**
   * The migration's statistics and smoke test settings (MigrationInput `statistics`, `smokeTest`),
   * written by record-switch: `env-migrator rollback` passes them on, so the rollback reads the
   * statistics (a header from its secret included) and smoke-tests as the migration did. Optional
   * only for switch records written before it existed.
   */
  checks?: { statistics: StatisticsConfig; smokeTest?: SmokeTestConfig };
}

/** The retire run's input (what schedule-retire puts in the schedule): delete `previous` if still safe. */
export interface RetireInput {
  runId: string;
  entryPoint: EntryPointRef;
  slots: [string, string];
  /** The slot to delete: only this stack id, and only while the record points elsewhere. */
  previous: { stackName: string; stackId: string };
  /** The slot the migration made live: the verified copy of `previous` (delete-stack's guard). */
  live: { stackName: string; stackId: string };
  /** Where the migration kept what retire must prove before deleting (the clone's output, with its verification). */
  cloneOutput: DocumentRef;
  /**
   * When the retention ends (the schedule's time, ISO; Migrate's schedule sets it): a retire run
   * started before it (by hand, say) refuses before any AWS call. Optional for a hand-written input.
   */
  retireAt?: string;
}

// ---------------------------------------------------------------------------------------------
// Blue/green (issue 11): the Retire and Rollback machines and their steps
// ---------------------------------------------------------------------------------------------

/** A CloudFormation stack id (an ARN): what retire and rollback compare, never the name alone. */
const StackIdSchema = matching(/^arn:aws[a-z-]*:cloudformation:[a-z0-9-]+:\d{12}:stack\/[A-Za-z][A-Za-z0-9-]*\/[A-Za-z0-9-]+$/, 'must be a CloudFormation stack id (arn:aws:cloudformation:…:stack/<name>/<id>)');
const SlotRefSchema = z.strictObject({ stackName: StackNameSchema, stackId: StackIdSchema });

/** RetireInput as the retire run checks it (the schedule's input is ours, still nothing is trusted unread). */
export const RetireInputSchema = z.strictObject({
  runId: matching(/^[A-Za-z0-9_.-]{1,54}$/, 'must be the run id of the migration (letters, digits, - _ .)'),
  entryPoint: EntryPointSchema,
  slots: SlotsSchema,
  previous: SlotRefSchema,
  live: SlotRefSchema,
  cloneOutput: z.strictObject({
    bucket: matching(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'),
    key: z.string().check(z.minLength(1), z.maxLength(1024)),
    bytes: z.int().check(z.gte(0)),
    sha256: matching(/^[0-9a-f]{64}$/, 'must be a SHA-256 in hex'),
  }),
  retireAt: z.optional(z.iso.datetime({ message: 'must be an ISO time such as 2026-12-06T09:00:00Z' })),
});

/** `env-migrator rollback`'s input: switch the entry point back to the slot the last switch replaced. */
export const RollbackInputSchema = z.strictObject({
  entryPoint: EntryPointSchema,
  slots: SlotsSchema,
  /**
   * The live slot's statistics differ from those recorded at the switch (writes were made since):
   * the rollback refuses unless this is true, and then the notification names what is discarded.
   */
  acceptDiscardingWrites: z._default(z.boolean(), false),
  statistics: z._default(StatisticsConfigSchema, StatisticsConfigSchema.parse({})),
  /** Probed through the record after the switch back, beside the statistics endpoint (which names the stack that answered). */
  smokeTest: z.optional(SmokeTestConfigSchema),
  waits: z._default(WaitsSchema, WaitsSchema.parse({})),
});
export type RollbackInputRaw = z.input<typeof RollbackInputSchema>;
export type RollbackInput = z.output<typeof RollbackInputSchema>;

/** A slot operation run by its own state machine (statemachine/retire.ts, statemachine/rollback.ts). */
export type SlotOperation = 'RETIRE' | 'ROLLBACK';

/** validate-slot-operation: the first step of Retire and Rollback, before any AWS call (invariant 7). */
export interface ValidateSlotOperationEvent {
  operation: SlotOperation;
  input: unknown;
  execution: ExecutionRef;
}
export interface ValidateSlotOperationResult {
  operation: SlotOperation;
  input: RetireInput | RollbackInput;
  execution: ExecutionRef;
  /** This execution's own run id (runIdOf its ARN). */
  runId: string;
  /** The lock items to take, in order: the entry point's (entryPointLockKey), then the slots acted on. */
  lockKeys: string[];
  /** Epoch seconds: the locks' TTL, the end of this execution's own time bound. */
  lockExpiresAt: number;
  /** The waits (rollback: the input's; retire: the defaults). */
  waits: Waits;
  /** How long the switch back may take to reach every Route 53 name server (rollback). */
  switchSeconds: number;
}

/** A slot as retire and rollback name it: the stack name, and the very stack (its id). */
export interface SlotRef {
  stackName: string;
  stackId: string;
}

/** read-verified-copy (Retire): the clone output the migration kept, checked to be the copy of `previous` that is `live`. */
export interface ReadVerifiedCopyEvent {
  cloneOutput: DocumentRef;
  previous: SlotRef;
  live: SlotRef;
  execution: ExecutionRef;
}
/** The clone output without `copies` (the state stays small), as delete-stack's `verifiedCopy`. */
export type ReadVerifiedCopyResult = Omit<CloneOutput, 'copies'>;

/** read-switch-record (Rollback): the switch to undo, the slots as they are now, and the writes since the switch. */
export interface ReadSwitchRecordEvent {
  entryPoint: EntryPointRef;
  slots: [string, string];
  statistics: StatisticsConfig;
  execution: ExecutionRef;
}
export interface WritesSinceSwitch {
  /** UNCHANGED only when the live slot's statistics were read now and their digest equals the one at the switch. */
  status: 'UNCHANGED' | 'CHANGED';
  /** One sentence for the notification: what differs, or why it could not be ruled out. */
  summary: string;
  /** The differing paths with both values ("data.orders.count: 57 → 59"), at most MAX_STATISTICS_DIFFERENCES. */
  differences: string[];
  /** The reading now. */
  now: { url: string; ok: boolean; dataSha256?: string; reason?: string };
}
export interface ReadSwitchRecordResult {
  switchRecord: SwitchRecord;
  /** Where it is (switchRecordKey), in the workflow bucket. */
  recordKey: string;
  /** The execution whose standby the previous slot is in (the migration's): standby-exit acts as it. */
  standbyOwner: ExecutionRef;
  /** The live slot's Auto Scaling groups (what goes into standby once the record points back). */
  liveGroups: AsgRef[];
  writes: WritesSinceSwitch;
}

/**
 * probe-entry-point: the check of the wait loop after a switch (Migrate's to the new slot, Rollback's
 * back to the previous one), through the record's name (what clients resolve). Migrate's loop obeys
 * `env-migrator cancel` (`cancellation`); Rollback's has none.
 */
export interface ProbeEntryPointEvent extends WaitInput, CancellableEvent {
  entryPoint: EntryPointRef;
  /** The slot that must answer: its statistics document must name this stack. */
  expected: SlotRef;
  statistics: StatisticsConfig;
  smokeTest?: SmokeTestConfig;
  execution: ExecutionRef;
}
export interface ProbeEntryPointResult {
  status: 'READY' | 'PENDING';
  /** The last probe: the URLs asked through the record, which stack answered, the smoke test's status. */
  probe: { url: string; answeredBy?: string; smokeUrl?: string; httpStatus?: number; error?: string };
  wait: WaitState;
}

/** close-switch-record (Rollback, after the switch back): delete the retire schedule, mark the switch rolled back. */
export interface CloseSwitchRecordEvent {
  entryPoint: EntryPointRef;
  /** The switch's run id: the record closed must still be that switch's. */
  runId: string;
  discardedWrites: boolean;
  execution: ExecutionRef;
}
export interface CloseSwitchRecordResult {
  scheduleName: string;
  /** False when the schedule was already gone (fired, or deleted by a retry). */
  scheduleDeleted: boolean;
  rolledBack: { at: string; executionArn: string; discardedWrites: boolean };
}

// ---------------------------------------------------------------------------------------------
// Blue/green (issue 11): Migrate's path (record-switch, probe-entry-point, the outcome's facts)
// ---------------------------------------------------------------------------------------------

/** What a blue/green migration tells its notification and its output: where the service is, what is kept, how to go back. */
export interface BlueGreenFacts {
  entryPoint: EntryPointRef;
  /** The slot the record points at now. */
  liveSlot: string;
  /** The slot it pointed at before: in standby, the rollback point until `retireAt`. */
  previousSlot: string;
  /** When the retire run deletes the previous slot (ISO, seconds precision). */
  retireAt: string;
  /** The retire schedule's name (`em-retire-<runId>`). */
  scheduleName: string;
  /** The switch record rollback reads (switchRecordKey). */
  switchRecord: DocumentRef;
  /** `env-migrator rollback --environment <record name>`. */
  rollbackCommand: string;
}

/**
 * record-switch: right before the switch, writes the SwitchRecord at switchRecordKey(entryPoint)
 * and the clone's output (the retire run's proof) under the run's documents.
 */
export interface RecordSwitchEvent {
  runId: string;
  execution: ExecutionRef;
  entryPoint: EntryPointRef;
  /** The record as entry-point read it: what the switch DELETEs. */
  record: EntryRecord;
  keepPreviousHours: number;
  /** The slot being replaced: it serves now, the record points at it. */
  previous: { stackName: string; stackId: string; endpoint: SlotEndpoint; version: string; standby: StandbyRecord };
  /** The verified copy in the idle slot (the clone's destination). */
  next: { stackName: string; stackId: string; version: string };
  /**
   * The clone's output (EQUAL) as Migrate holds it (all but `copies`, which nothing reads): its
   * statistics readings are those at the switch, its verification (a manifest per bucket) retire's
   * proof, read back by read-verified-copy and checked again by delete-stack.
   */
  cloneOutput: Omit<CloneOutput, 'copies'>;
  /** The migration's statistics and smoke test settings (BlueGreenRun.checks): SwitchRecord.checks, which rollback passes on. */
  checks: { statistics: StatisticsConfig; smokeTest?: SmokeTestConfig };
}
export interface RecordSwitchResult {
  /** Where the new slot answers (its ServiceUrl host, ServiceHostedZoneId): the switch's target. */
  target: SlotEndpoint;
  /** The record as the switch will write it: what a switch back DELETEs. */
  record: EntryRecord;
  switchedAt: string;
  retireAt: string;
  scheduleName: string;
  switchRecord: DocumentRef;
  /** The clone's output as a document (RetireInput.cloneOutput). */
  cloneOutput: DocumentRef;
}
