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
  statistics: z._default(StatisticsConfigSchema, StatisticsConfigSchema.parse({})),
  smokeTest: z.optional(SmokeTestConfigSchema),
  waits: z._default(WaitsSchema, WaitsSchema.parse({})),
  /** Keep the snapshots of the original environment after success (a pre-migration backup). */
  retainOriginalSnapshots: z._default(z.boolean(), false),
});

/** What the caller writes (defaults optional). */
export type MigrationInputRaw = z.input<typeof MigrationInputSchema>;
/** What every step after Validate sees (defaults applied). */
export type MigrationInput = z.output<typeof MigrationInputSchema>;
export type Waits = z.output<typeof WaitsSchema>;
export type StatisticsConfig = z.output<typeof StatisticsConfigSchema>;
export type SmokeTestConfig = z.output<typeof SmokeTestConfigSchema>;

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
}
export interface Discovery {
  stackName: string;
  stackId: string;
  stackStatus: string;
  /** Template body of the current stack (used when no templateUrl is given), stored as-is. */
  templateBody: string;
  parameters: StackParameter[];
  outputs: Record<string, string>;
  tags: Record<string, string>;
  autoScalingGroups: AsgRef[];
  dbInstances: DbInstanceRef[];
  buckets: BucketRef[];
  environmentVersion: string;
  /** Present when `pairWith` was given: each source bucket with its destination partner. */
  bucketPairs?: BucketPair[];
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

export interface StandbyStatusEvent extends WaitInput {
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

export interface SnapshotStatusEvent extends WaitInput {
  snapshots: SnapshotRef[];
  execution: ExecutionRef;
}
export interface SnapshotStatusResult {
  status: 'READY' | 'PENDING' | 'FAILED';
  /** Why, when FAILED: each snapshot that failed and its status. */
  reason?: string;
  wait: WaitState;
}

/** create-stack: the destination stack from the source's template or a new one. */
export interface CreateStackEvent {
  source: Discovery;
  destinationStackName: string;
  templateUrl?: string;
  targetVersion: string;
  parameterOverrides: Record<string, string>;
  snapshots: SnapshotRef[];
  execution: ExecutionRef;
}
export interface CreateStackResult {
  stackName: string;
  stackId: string;
  /** True when the stack already existed and carried this execution's tag (a retry). */
  alreadyExisted: boolean;
}

export interface StackStatusEvent extends WaitInput {
  stackName: string;
  /** CREATE waits for CREATE_COMPLETE; DELETE waits for DELETE_COMPLETE (or the stack gone). */
  operation: 'CREATE' | 'DELETE';
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
}

/** Pairing of one source bucket with its destination, by logical ID. */
export interface BucketPair {
  logicalId: string;
  sourceBucket: string;
  destinationBucket: string;
}

/** copy-buckets: one invocation copies as much of one bucket pair as its time budget allows. */
export interface CopyBucketEvent {
  pair: BucketPair;
  /** Absent on the first invocation; returned by the previous one otherwise. */
  continuation?: CopyContinuation;
  execution: ExecutionRef;
}
export interface CopyContinuation {
  /** ListObjectsV2 token of the next source page to copy. */
  continuationToken?: string;
  /** Last source key already processed: the destination listing resumes after it. */
  lastKey?: string;
  /** Running totals across invocations. */
  totals: CopyTotals;
  invocations: number;
}
export interface CopyTotals {
  objectsCopied: number;
  objectsSkipped: number;
  bytesCopied: number;
  multipartObjects: number;
  requests: number;
}
export interface CopyBucketResult {
  status: 'DONE' | 'CONTINUE';
  pair: BucketPair;
  continuation: CopyContinuation;
}

/** verify-buckets: manifest comparison of one pair. */
export interface VerifyBucketEvent {
  pair: BucketPair;
  execution: ExecutionRef;
}
export interface BucketManifest {
  objectCount: number;
  totalBytes: number;
  /** SHA-256 over the sorted (key, size, comparable fingerprint) lines. */
  digest: string;
}
export interface ObjectDifference {
  key: string;
  problem: 'MISSING_AT_DESTINATION' | 'EXTRA_AT_DESTINATION' | 'SIZE_DIFFERS' | 'CONTENT_DIFFERS' | 'NOT_COMPARABLE';
  source?: { size: number; etag: string };
  destination?: { size: number; etag: string };
}
export interface VerifyBucketResult {
  status: 'EQUAL' | 'MISMATCH';
  pair: BucketPair;
  source: BucketManifest;
  destination: BucketManifest;
  /** How many objects each rule compared: ETag equality, checksum equality, none possible. */
  comparedBy: { etag: number; checksum: number; notComparable: number };
  /** Up to 100 differing keys. */
  differences: ObjectDifference[];
  differenceCount: number;
}

/** smoke-test: one probe of the destination environment. */
export interface SmokeTestEvent extends WaitInput {
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
  /** The value on each side; null where `absentOn` names that side (JSON has no undefined). */
  source: unknown;
  destination: unknown;
  /** The side that has no value at this path at all (as opposed to a JSON null). */
  absentOn?: 'source' | 'destination';
}
export interface EndpointReading {
  url: string;
  ok: boolean;
  /** Present when ok: the parsed `data` object. */
  data?: Record<string, unknown>;
  /** Present when not ok: timeout, HTTP status, not JSON, no data. */
  reason?: string;
}
export interface CompareStatisticsResult {
  status: 'EQUAL' | 'MISMATCH';
  source: EndpointReading;
  destination: EndpointReading;
  /** The first differing paths (at most MAX_STATISTICS_DIFFERENCES: the result travels in a 256 KiB state). */
  differences: StatisticsDifference[];
  /** How many paths differ in all, listed or not (absent: as many as listed). */
  differenceCount?: number;
  /** One sentence an engineer can read in a notification. */
  summary: string;
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
  verifiedCopy?: CloneOutput;
}
export interface DeleteStackResult {
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
  statistics: StatisticsConfig;
  smokeTest?: SmokeTestConfig;
  waits: Waits;
  /** "c1" for current→temp, "c2" for temp→new current; part of snapshot names. */
  phase: string;
  runId: string;
  /** The Migrate execution this clone belongs to (tags, names, logs). */
  execution: ExecutionRef;
  /**
   * Snapshots of the source's databases already started under this clone's names (Migrate starts
   * clone 2's while the current environment is being deleted): Clone waits for these instead of
   * taking its own. Absent: Clone snapshots the source itself.
   */
  snapshots?: SnapshotRef[];
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
  copies: CopyBucketResult[];
  verification: VerifyBucketResult[];
  statistics: CompareStatisticsResult;
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
  compensation?: Record<string, unknown>;  /** On success: the snapshots the new stack's `<LogicalId>SnapshotIdentifier` parameters name, kept by the clean-up. */
  snapshotsInUse?: SnapshotRef[];
}
export interface ComposeNotificationResult {
  subject: string;
  message: string;
  /** The same facts as JSON, for the SNS message attribute `details`. */
  details: string;
}

/** Output of a successful Migrate execution, for pipelines to chain on. */
export interface MigrationOutput {
  outcome: 'SUCCEEDED';
  stackName: string;
  stackId: string;
  version: string;
  previousVersion: string;
  statistics: Record<string, unknown>;
  /** Snapshots left in place: those the new stack restores from (its `<LogicalId>SnapshotIdentifier`
   *  parameters name them), plus the original's with `retainOriginalSnapshots`. */
  snapshotsRetained: string[];
  executionArn: string;
}
