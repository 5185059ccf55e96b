/**
 * Every Lambda step of the workflow: its folder under lambdas/, its timeout and memory. The CDK
 * construct builds one function per entry; the local executor loads the same handlers by name.
 */
export const STEPS = {
  'validate-input': { timeoutSeconds: 10, memoryMb: 256 },
  discover: { timeoutSeconds: 60, memoryMb: 512 },
  'standby-enter': { timeoutSeconds: 120, memoryMb: 256 },
  'standby-exit': { timeoutSeconds: 120, memoryMb: 256 },
  'standby-status': { timeoutSeconds: 30, memoryMb: 256 },
  snapshot: { timeoutSeconds: 60, memoryMb: 256 },
  'snapshot-status': { timeoutSeconds: 30, memoryMb: 256 },
  'create-stack': { timeoutSeconds: 60, memoryMb: 256 },
  'stack-status': { timeoutSeconds: 60, memoryMb: 256 },
  // Up to ~200 listing pages of 1,000 entries parsed and sorted (about 1 + 16 per search round + 32 + 48 + 7 requests).
  'split-bucket': { timeoutSeconds: 120, memoryMb: 1024 },
  // The copy and the verification are bound by their client's CPU, not by S3, below one full vCPU.
  // Lambda gives a function CPU in proportion to its memory, one vCPU at 1,769 MB ("Configure Lambda
  // function memory", Lambda developer guide); a Node.js handler's JavaScript runs on one thread, so
  // more than one vCPU is no faster. With the client CPU per request of bench/timing.json (clientCpuMs:
  // CopyObject 0.9 ms, HeadObject 0.65 ms, a ListObjectVersions page of 1,000 versions 25 ms, at one
  // vCPU), one function reaches 1000 × share ÷ cpuMsPerObject objects/s:
  //   copy   (one CopyObject + its share of both listings, ~0.95 ms): 1,024 MB = 0.579 vCPU → ~610/s,
  //          1,769 MB → ~1,050/s; its latency bound (DEFAULT_COPY_CONCURRENCY 128 in flight ÷ 15 + 45
  //          ms per small copy) is ~2,100/s: CPU-bound either way, so one full vCPU.
  //   verify (two HeadObject + both listings, ~1.35 ms): 1,024 MB → ~430/s, 1,769 MB → ~740/s; its
  //          latency bound (64 heads in flight at 20 ms, two per object) is ~1,600/s: CPU-bound either way.
  // Lambda bills GB-seconds: a CPU-bound step at 1.73 × the memory runs 1 ÷ 1.73 as long, the same
  // GB-s, so the copy and the verification cost nothing more and end sooner, all of it downtime.
  // Re-derive when the CPU per object changes (npx tsx bench/client-cpu.ts, npm run bench:copy;
  // bench/README.md "Timing model" [client-cpu]).
  'copy-bucket': { timeoutSeconds: 900, memoryMb: 1769 },
  'verify-bucket': { timeoutSeconds: 900, memoryMb: 1769 },
  'smoke-test': { timeoutSeconds: 90, memoryMb: 256 },
  'compare-statistics': { timeoutSeconds: 300, memoryMb: 256 },
  'inventory-buckets': { timeoutSeconds: 900, memoryMb: 512 },
  'recheck-original': { timeoutSeconds: 900, memoryMb: 512 },
  'delete-stack': { timeoutSeconds: 900, memoryMb: 512 },
  'delete-snapshots': { timeoutSeconds: 60, memoryMb: 256 },
  'compose-notification': { timeoutSeconds: 10, memoryMb: 256 },
  'start-checksum-job': { timeoutSeconds: 30, memoryMb: 256 },
  // Reads the completion report line by line; the result document is built in memory (~150 B a task).
  'checksum-job-status': { timeoutSeconds: 900, memoryMb: 1024 },
  // Blue/green (issue 11): a few Route 53, CloudFormation and Scheduler calls each.
  'entry-point': { timeoutSeconds: 30, memoryMb: 256 },
  'switch-entry-point': { timeoutSeconds: 30, memoryMb: 256 },
  'switch-status': { timeoutSeconds: 30, memoryMb: 256 },
  'schedule-retire': { timeoutSeconds: 30, memoryMb: 256 },
  // Retire and Rollback (issue 11): a few calls each; the rollback's reads fetch one statistics document.
  'validate-slot-operation': { timeoutSeconds: 10, memoryMb: 256 },
  'read-verified-copy': { timeoutSeconds: 30, memoryMb: 512 },
  'read-switch-record': { timeoutSeconds: 120, memoryMb: 512 },
  'probe-entry-point': { timeoutSeconds: 90, memoryMb: 256 },
  'close-switch-record': { timeoutSeconds: 30, memoryMb: 256 },
  // Migrate's blue/green path: the switch record before the switch, the smoke test through the record after it.
  'record-switch': { timeoutSeconds: 30, memoryMb: 256 },
  // Live sync (issue 12): a few CloudFormation, RDS and CloudWatch calls each.
  'plan-promotion': { timeoutSeconds: 30, memoryMb: 256 },
  'promotion-status': { timeoutSeconds: 30, memoryMb: 256 },
  'promote-replicas': { timeoutSeconds: 30, memoryMb: 256 },
  'replica-status': { timeoutSeconds: 30, memoryMb: 256 },
} as const satisfies Record<string, { timeoutSeconds: number; memoryMb: number }>;

/** NODE_OPTIONS of every step's function (infra/lambda-step.ts), and of bench:copy's copy step: stack traces point into the TypeScript sources. */
export const STEP_NODE_OPTIONS = '--enable-source-maps';


export type StepName = keyof typeof STEPS;
export const STEP_NAMES = Object.keys(STEPS) as StepName[];

/**
 * Key ranges a bucket is copied in at most, by as many copy-bucket invocations at once (split-bucket,
 * Clone's "Copy each key range" Map). One function copies about 1,000 objects/s (CPU-bound, issue 15),
 * so 8 ranges reach about 8,000 copies/s per bucket: above S3's "at least 3,500 PUT/COPY/POST/DELETE
 * requests per second per partitioned prefix" (S3 user guide, optimizing performance), where each
 * invocation's adaptive limiter backs off on SlowDown while S3 partitions the prefix further. With
 * BUCKET_COPY_CONCURRENCY (8) buckets at once that is 64 copy functions, within Lambda's default
 * 1,000 concurrent executions, and within an inline Map's 40 concurrent iterations per Map state.
 */
export const MAX_KEY_RANGES = 8;
/**
 * A range is cut per this many estimated entries at least (one listing page): a smaller range saves
 * less than a second of copying at ~1,000 objects/s for the invocation and ~4 state transitions it costs.
 */
export const MIN_RANGE_ENTRIES = 1000;

/**
 * Copy requests in flight at once unless COPY_CONCURRENCY says otherwise. By Little's law, the
 * requests in flight one function needs = the rate its CPU allows × a request's latency: about
 * 1,000–1,300 CopyObject/s on one vCPU (0.75–1.0 ms of client CPU each: bench/client-cpu.ts, and
 * 0.83–1.02 ms per object copied in `npm run bench:copy`) × 60–100 ms for a small object's
 * server-side copy (bench/README.md "Timing model": 15 ms request + 45 ms copy, more for larger
 * objects) = 60–130. At 64 the copy waited on latency with CPU to spare; 128 keeps the
 * CPU busy, and S3's SlowDown still halves it (the adaptive limiter). Each is one socket (copy-bucket/handler.ts).
 */
export const DEFAULT_COPY_CONCURRENCY = 128;
/** The copy step stops starting new copies when less than this remains of its invocation. */
export const COPY_SAFETY_MARGIN_MS = 3 * 60 * 1000;
/** verify-bucket starts no new key with less than this left: the keys in flight (a hashed version of up to 1 GiB) finish within it. */
export const VERIFY_SAFETY_MARGIN_MS = 3 * 60 * 1000;

/** The recheck of the original and the inventory stop listing (CONTINUE) when less than this remains of their invocation. */
export const RECHECK_SAFETY_MARGIN_MS = 2 * 60 * 1000;

/** delete-stack stops comparing or emptying a bucket (CONTINUE) when less than this remains: a DeleteObjects of 1,000 versions in flight finishes within it. */
export const DELETE_SAFETY_MARGIN_MS = 2 * 60 * 1000;
/**
 * How long Clone waits for one S3 Batch Operations checksum job (checksum-job-status throws
 * WaitTimedOut past it, which fails the clone like any wait). At the pace assumed in
 * lambdas/shared/content-proof.ts, 6 hours is about 20 million versions or 40 TiB.
 */
export const CHECKSUM_JOB_TIMEOUT_SECONDS = 6 * 3600;

/**
 * State-machine-wide timeout of Retire and Rollback, and the lifetime of their locks: a stack
 * deletion, a standby in and out and a switch, each bounded by its own wait, fit well within it.
 */
export const SLOT_OPERATION_TIMEOUT_SECONDS = 12 * 3600;

/**
 * State-machine-wide timeout of Migrate; also the lifetime of the environment lock (DynamoDB TTL).
 * Two clones, a live sync's PREPARE and Migrate's own waits fit in it (validate-input waitsProblem).
 */
export const MIGRATION_TIMEOUT_SECONDS = 60 * 3600;

/**
 * Part of MIGRATION_TIMEOUT_SECONDS kept for the steps themselves (invocations, retries with backoff,
 * the notification and the unlock) and for the compensation after a clone ran out of time. Reaching
 * Migrate's own timeout would end the execution with no notification and the lock held, so every
 * wait and both clones are given bounds that add up to less than the timeout (validate-input).
 */
export const STEP_RESERVE_SECONDS = 3600;

/** The least a clone must be left for copying the buckets, once its own waits are counted. */
export const MIN_COPY_SECONDS = 3600;

/**
 * TimeoutSeconds of Migrate's two Clone tasks. A clone's waits are bounded by the input; its copy is
 * not (a bucket takes as many invocations as it needs), so the task bounds it: a clone that overruns
 * fails its task, whose Catch compensates and notifies, before Migrate's own timeout could strike.
 */
export const CLONE_TIMEOUT_SECONDS = 18 * 3600;

/**
 * Bound of a live sync's PREPARE clone (the read replicas created, their promotion planned, every
 * bucket pre-copied, all while the environment serves): one that overruns fails before the standby.
 */
export const LIVE_PREPARE_TIMEOUT_SECONDS = 12 * 3600;

/** Tag keys this workflow puts on what it creates (stacks, snapshots) and on ASGs while in standby. */
export const TAGS = {
  execution: 'env-migrator:execution',
  environment: 'env-migrator:environment',
  version: 'env-migrator:version',
  sourceStack: 'env-migrator:source-stack',
  standbyOriginalMinSize: 'env-migrator:original-min-size',
  /** Comma-separated processes this execution suspended on an ASG, so a retried standby-enter knows them. */
  standbySuspendedProcesses: 'env-migrator:suspended-processes',
} as const;

/** The environment variable naming the schedule group of the retire schedules; the construct sets it on schedule-retire. */
export const RETIRE_SCHEDULE_GROUP_ENV = 'RETIRE_SCHEDULE_GROUP';
/** The schedule group the construct defines for the retire schedules (infra RETIRE_SCHEDULE_GROUP). */
export const RETIRE_SCHEDULE_GROUP_NAME = 'env-migrator';
