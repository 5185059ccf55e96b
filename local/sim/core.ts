/**
 * The simulated AWS account's plumbing: service errors shaped like the SDK's, the fault injector,
 * the timing model and the call log. The services themselves (S3, CloudFormation, RDS, ...) live in
 * their own files and register their operations with the account (./account.ts).
 */

/** Input of an operation as the SDK command received it. */
export type OpInput = Record<string, unknown>;
/** One operation: takes the command input, returns the command output (without $metadata). */
export type OpHandler = (input: OpInput) => unknown | Promise<unknown>;

export interface SimService {
  /** SDK client name without "Client": "S3", "CloudFormation", "RDS", "AutoScaling", "SNS", "SFN", "DynamoDB", "SecretsManager", "Route53", "Scheduler". */
  readonly serviceName: string;
  /** Operation name without "Command" → handler. */
  readonly operations: Record<string, OpHandler>;
}

/**
 * An error as the AWS SDK v3 throws it: `name` is the service's error code, `$fault` and
 * `$metadata.httpStatusCode` drive the SDK's retry classification (throttling and 5xx are retried
 * by the SDK's standard retry strategy, as against real AWS).
 */
export class SimServiceError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode: number; requestId: string; attempts: number; totalRetryDelay: number };
  readonly Code: string;
  constructor(code: string, message: string, httpStatusCode = 400) {
    super(message);
    this.name = code;
    this.Code = code;
    this.$fault = httpStatusCode >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode, requestId: 'sim-request', attempts: 1, totalRetryDelay: 0 };
  }
}

// ---------------------------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------------------------

export interface CallFault {
  /** SDK service name ("S3") or undefined for any. */
  service?: string;
  /** Operation name ("CopyObject") or undefined for any. */
  operation?: string;
  /** Calls of every service but this one: a step's own work, not the lock read before it (lambdas/shared/cancel-request.ts). */
  exceptService?: string;
  /** Only calls whose input matches. */
  match?: (input: OpInput) => boolean;
  /** Let this many matching calls through first. */
  skip?: number;
  /** How many matching calls fail (default 1; Infinity for all). */
  times?: number;
  /**
   * error: the call fails before doing anything, with `error` (default InternalError 500).
   * throttle: the call fails with the service's throttling error (S3: SlowDown 503; others: Throttling 400).
   * after: the call takes effect, then the caller sees an error (a response lost on the way back).
   */
  kind: 'error' | 'throttle' | 'after';
  error?: { code: string; message: string; httpStatusCode?: number };
}

/** Silent data loss: nothing fails, the data is just wrong. Each models a real way a copy goes bad. */
export interface SilentFaults {
  /** A restore from snapshot loses the last N rows of each table (an incomplete snapshot or restore). */
  restoreDropsRows?: { rows: number; onlyInstancesOfStack?: string };
  /** CopyObject answers 200 but the object never lands (a key the copy silently skips). */
  copySkipsKey?: (key: string) => boolean;
  /** The statistics endpoint of this stack answers the numbers cached before its database was restored (stale zeros). */
  staleStatisticsForStack?: string;
  /** The statistics endpoint of this stack answers HTTP 500 (an application error behind a healthy load balancer). */
  statisticsErrorForStack?: string;
  /** The statistics endpoint of this stack answers 200 with an empty document (`{"data":{}}`): nothing counted. */
  emptyStatisticsForStack?: string;
  /**
   * An S3 Batch Operations task on this object fails (403 AccessDenied: the job's role may not read it,
   * e.g. a KMS key policy that leaves the role out); the job still completes and reports the failed task.
   */
  checksumTaskFails?: (bucket: string, key: string) => boolean;
  /**
   * An RDS read replica (of this stack's, or any) stops applying once its source stops being written:
   * the writes of its last replicaLagSeconds and every later one never reach it, its ReplicaLag keeps
   * growing and its replication status still says 'replicating' ("the replica never catches up").
   */
  replicaStalls?: { onlyInstancesOfStack?: string };
}

interface ArmedFault extends CallFault {
  seen: number;
  fired: number;
}

export class FaultInjector {
  private readonly armed: ArmedFault[] = [];
  silent: SilentFaults = {};

  add(fault: CallFault): this {
    this.armed.push({ ...fault, seen: 0, fired: 0 });
    return this;
  }

  /**
   * Disarms every call fault and silent fault ("the operator fixed the cause", e.g. before
   * `rehearse --recover`). Returns what was armed, for the rehearsal to say what it cleared.
   */
  clear(): { armed: number; silent: string[] } {
    const cleared = { armed: this.armed.length, silent: Object.keys(this.silent).filter((k) => this.silent[k as keyof SilentFaults] !== undefined) };
    this.armed.length = 0;
    this.silent = {};
    return cleared;
  }

  /** While set, no armed fault sees or fires on a call (what runs then is not the run under test). */
  private suspended = false;

  /** Runs `fn` with every armed fault held back, then re-arms them as they were (e.g. the plan a rehearsal runs first). */
  async withoutFaults<T>(fn: () => Promise<T>): Promise<T> {
    this.suspended = true;
    try {
      return await fn();
    } finally {
      this.suspended = false;
    }
  }

  /** Decides, for one call, whether a fault fires and how. */
  check(service: string, operation: string, input: OpInput): ArmedFault | undefined {
    if (this.suspended) return undefined;
    for (const f of this.armed) {
      if (f.service && f.service !== service) continue;
      if (f.exceptService && f.exceptService === service) continue;
      if (f.operation && f.operation !== operation) continue;
      if (f.match && !f.match(input)) continue;
      f.seen += 1;
      if (f.seen <= (f.skip ?? 0)) continue;
      if (f.fired >= (f.times ?? 1)) continue;
      f.fired += 1;
      return f;
    }
    return undefined;
  }
}

export function faultError(service: string, fault: CallFault): SimServiceError {
  if (fault.kind === 'throttle') {
    if (service === 'S3') return new SimServiceError('SlowDown', 'Please reduce your request rate.', 503);
    // Each service's own throttling code (its API reference, Errors): the state machines retry them by name.
    const code: Record<string, string> = { DynamoDB: 'ThrottlingException', SFN: 'ThrottlingException', SNS: 'ThrottledException', SecretsManager: 'ThrottlingException', Scheduler: 'ThrottlingException' };
    return new SimServiceError(code[service] ?? 'Throttling', 'Rate exceeded', 400);
  }
  const e = fault.error ?? { code: 'InternalError', message: 'We encountered an internal error. Please try again.', httpStatusCode: 500 };
  return new SimServiceError(e.code, e.message, e.httpStatusCode ?? 500);
}

// ---------------------------------------------------------------------------------------------
// Timing
// ---------------------------------------------------------------------------------------------

/**
 * How long things take in the simulated account. Latencies are waited on the (fake) clock, so a
 * rehearsal's "elapsed" is simulated time; durations of long operations (snapshots, stacks) are
 * compared with Date.now() when their status is read. bench/ supplies a measured profile; tests of
 * the simulator itself use ZERO_TIMING so nothing waits.
 */
export interface TimingProfile {
  /** Latency of any API call not listed below, in ms. */
  defaultLatencyMs: number;
  /** Per "Service.Operation" latency in ms, e.g. "S3.ListObjectsV2". */
  latencyMs: Record<string, number>;
  /** CopyObject / UploadPartCopy: fixed part + bytes at this rate. */
  copyFixedMs: number;
  copyBytesPerSecond: number;
  /** RDS snapshot and restore: fixed + per allocated GB. */
  snapshotFixedSeconds: number;
  snapshotSecondsPerGb: number;
  restoreFixedSeconds: number;
  restoreSecondsPerGb: number;
  /** CloudFormation stack create/delete of everything but the databases. */
  stackCreateSeconds: number;
  stackDeleteSeconds: number;
  dbDeleteSeconds: number;
  /** Auto Scaling: instance launch to InService; EnterStandby/ExitStandby transitions. */
  instanceLaunchSeconds: number;
  standbyTransitionSeconds: number;
  /** S3 PUT/COPY/POST/DELETE requests per second per prefix (SlowDown beyond it); 0 disables. */
  s3WritesPerSecondPerPrefix: number;
  /** S3 GET/HEAD requests per second per prefix (SlowDown beyond it); 0 disables. */
  s3ReadsPerSecondPerPrefix: number;
  /** Lambda cold start added to the first invocation of each function, in ms. */
  lambdaColdStartMs: number;
  /**
   * Route 53: a change batch is PENDING this long, then INSYNC ("Changes generally propagate to all
   * Route 53 name servers within 60 seconds", Route 53 developer guide, "Editing records").
   */
  route53PropagationSeconds: number;
  /**
   * RDS read replicas (./rds.ts): how far (seconds) a replica stays behind its source while the source
   * is being written; a write reaches the replica this long after it was made.
   */
  replicaLagSeconds: number;
  /**
   * RDS read replicas: source seconds a replica applies per second while it is further behind than
   * replicaLagSeconds (its backlog after creation); must be ≥ 1 to ever catch up.
   */
  replicaCatchUpRate: number;
  /** RDS PromoteReadReplica: 'modifying' this long, then a standalone 'available' instance. */
  promoteSeconds: number;
  /**
   * CPU one request costs the calling Lambda function's client (the AWS SDK building, signing and
   * parsing it), in ms at one full vCPU, per "Service.Operation" (e.g. "S3.CopyObject"). Charged on the
   * invocation's CPU lane (./client-cpu.ts), not to S3: only calls made inside a Lambda invocation.
   */
  clientCpuMs: Record<string, number>;
  /** Client CPU of any call not listed in clientCpuMs, in ms at one full vCPU. */
  defaultClientCpuMs: number;
  /**
   * The memory setting at which a Lambda function has one full vCPU; below it the function's CPU share
   * is memory ÷ this (a Node.js handler's JavaScript runs on one thread: more than one vCPU is no faster).
   */
  fullVcpuMemoryMb: number;
}

export const DEFAULT_TIMING: TimingProfile = {
  defaultLatencyMs: 40,
  latencyMs: {},
  copyFixedMs: 30,
  copyBytesPerSecond: 250 * 1024 * 1024,
  snapshotFixedSeconds: 120,
  snapshotSecondsPerGb: 3,
  restoreFixedSeconds: 420,
  restoreSecondsPerGb: 2,
  stackCreateSeconds: 180,
  stackDeleteSeconds: 120,
  dbDeleteSeconds: 300,
  instanceLaunchSeconds: 90,
  standbyTransitionSeconds: 20,
  s3WritesPerSecondPerPrefix: 0,
  s3ReadsPerSecondPerPrefix: 0,
  lambdaColdStartMs: 400,
  route53PropagationSeconds: 60,
  replicaLagSeconds: 30,
  replicaCatchUpRate: 2,
  promoteSeconds: 300,
  // Rehearsals and tests charge no client CPU: only the benchmark's profile (bench/timing.json) does.
  clientCpuMs: {},
  defaultClientCpuMs: 0,
  fullVcpuMemoryMb: 1769,
};

export const ZERO_TIMING: TimingProfile = {
  defaultLatencyMs: 0,
  latencyMs: {},
  copyFixedMs: 0,
  copyBytesPerSecond: Number.POSITIVE_INFINITY,
  snapshotFixedSeconds: 0,
  snapshotSecondsPerGb: 0,
  restoreFixedSeconds: 0,
  restoreSecondsPerGb: 0,
  stackCreateSeconds: 0,
  stackDeleteSeconds: 0,
  dbDeleteSeconds: 0,
  instanceLaunchSeconds: 0,
  standbyTransitionSeconds: 0,
  s3WritesPerSecondPerPrefix: 0,
  s3ReadsPerSecondPerPrefix: 0,
  lambdaColdStartMs: 0,
  route53PropagationSeconds: 0,
  replicaLagSeconds: 0,
  replicaCatchUpRate: Number.POSITIVE_INFINITY,
  promoteSeconds: 0,
  clientCpuMs: {},
  defaultClientCpuMs: 0,
  fullVcpuMemoryMb: 1769,
};

/** Waits `ms` on whatever clock setTimeout is (the fake one during a local run). */
export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

// ---------------------------------------------------------------------------------------------
// Call log
// ---------------------------------------------------------------------------------------------

export interface CallRecord {
  service: string;
  operation: string;
  startedAt: number;
  finishedAt: number;
  error?: string;
}
