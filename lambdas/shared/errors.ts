/**
 * Named error classes. Each sets `name`, which Step Functions reports as the state's Error and
 * which `ErrorEquals` in the definitions matches. Expected outcomes are never thrown: they are
 * returned as a status for a Choice state.
 */

abstract class MigratorError extends Error {
  abstract override readonly name: string;
}

/** Input that cannot be migrated. Never retried. `issues` lists every bad field. */
export class InputInvalid extends MigratorError {
  override readonly name = 'InputInvalid';
  constructor(readonly issues: { field: string; problem: string }[]) {
    super(`Input rejected: ${issues.map((i) => `${i.field}: ${i.problem}`).join('; ')}`);
  }
}

/** The environment is not in a state that can be migrated (stack status, template contract...). Never retried. */
export class PreflightFailed extends MigratorError {
  override readonly name = 'PreflightFailed';
  constructor(readonly problems: string[]) {
    super(`Preflight failed: ${problems.join('; ')}`);
  }
}

/**
 * The migration was cancelled (`env-migrator cancel`): the execution found the cancel request on its
 * lock at a safe point and compensated as for an error of its phase. Raised by the definitions
 * (statemachine/building-blocks.ts cancelPoint), never by a step; the class names the error for
 * the CLI and the tests.
 */
export class MigrationCancelled extends MigratorError {
  override readonly name = 'MigrationCancelled';
}

/** The Error name a cancelled Migrate or Clone execution ends with. */
export const MIGRATION_CANCELLED = 'MigrationCancelled';

/** A wait loop ran past its timeout. */
export class WaitTimedOut extends MigratorError {
  override readonly name = 'WaitTimedOut';
  constructor(label: string, elapsedSeconds: number, timeoutSeconds: number) {
    super(`Timed out waiting for ${label}: waited ${elapsedSeconds} s, timeout ${timeoutSeconds} s`);
  }
}

/**
 * Live sync: the change set that would promote the read replicas replaces or removes a resource
 * (a database replaced is a new, empty one). Found before the standby. Never retried.
 */
export class PromotionUnsafe extends MigratorError {
  override readonly name = 'PromotionUnsafe';
}

/** Live sync: a destination database is not (any more) a read replica of its source, or its replication stopped. Never retried. */
export class ReplicationBroken extends MigratorError {
  override readonly name = 'ReplicationBroken';
}

/** Live sync was asked for and the preflight found databases it cannot carry, with liveSyncFallback "refuse". Never retried. */
export class LiveSyncNotPossible extends MigratorError {
  override readonly name = 'LiveSyncNotPossible';
}

/** A resource exists under our deterministic name but does not carry this execution's tag. Never retried. */
export class ResourceConflict extends MigratorError {
  override readonly name = 'ResourceConflict';
}

/** A deletion that the safety rules refuse (the stack is not ours to delete). Never retried. */
export class DeletionRefused extends MigratorError {
  override readonly name = 'DeletionRefused';
}

/**
 * A stack's emptying, begun in an earlier invocation, stopped because what allowed it no longer
 * holds (the verified copy's stack changed, another stack took the name...). Unlike DeletionRefused,
 * some of the stack's data may already be gone: never a reason to treat the stack as whole.
 */
export class DeletionInterrupted extends MigratorError {
  override readonly name = 'DeletionInterrupted';
}

/**
 * Deleting the original failed before anything of it was deleted (no delete request sent, every
 * verified version still in its buckets): Migrate returns the original to service (phase A). The
 * message names the failure underneath. Never retried.
 */
export class DeletionNotStarted extends MigratorError {
  override readonly name = 'DeletionNotStarted';
}

/** DeletionNotStarted for a throttle or an outage: retried by the state machine like them, then phase A. */
export class DeletionNotStartedTransient extends MigratorError {
  override readonly name = 'DeletionNotStartedTransient';
}

/**
 * A deletion refused because another stack has taken the name of the one verified: that stack (by
 * its ID) is gone, deleted by someone else with whatever it held, so the verified copy may be the
 * only one. Unlike DeletionRefused (the original whole: undo the migration, deleting the copy), the
 * workflow keeps the copy (phase B). Never retried.
 */
export class OriginalReplaced extends MigratorError {
  override readonly name = 'OriginalReplaced';
}

/** Instances of ours are still moving into Standby, so they cannot be moved back yet (ExitStandby
 *  accepts only instances in Standby). Transient: the state machine retries it with a delay. */
export class StandbyInTransition extends MigratorError {
  override readonly name = 'StandbyInTransition';
}

/** A bucket copy failed for an object (after the SDK's own retries). */
export class CopyFailed extends MigratorError {
  override readonly name = 'CopyFailed';
}

/**
 * The source bucket has a history (noncurrent versions or delete markers) that its destination,
 * a bucket without versioning, cannot hold. Never retried: the template or the input must change.
 */
export class VersionHistoryNotCarried extends MigratorError {
  override readonly name = 'VersionHistoryNotCarried';
}

/** The function lacks a setting the construct gives it (an environment variable). Never retried. */
export class ConfigurationMissing extends MigratorError {
  override readonly name = 'ConfigurationMissing';
}

/** A document of the workflow's bucket is missing or not what was written (its SHA-256 differs). Never retried. */
export class DocumentCorrupt extends MigratorError {
  override readonly name = 'DocumentCorrupt';
}

/**
 * The original environment no longer equals what clone 1 verified (a write after the verification:
 * a background job, a presigned upload, log delivery; or its statistics moved). Its deletion is
 * refused and the migration undone: the original keeps the data. Never retried.
 */
export class OriginalChangedAfterVerification extends MigratorError {
  override readonly name = 'OriginalChangedAfterVerification';
}

/**
 * The blue/green entry point cannot be used as it is: its record is missing, is not a simple A alias
 * or CNAME, points at no slot or at both, or a slot lacks the outputs that tell where it answers.
 * `problems` names each. Never retried: the record or the stacks must change.
 */
export class EntryPointInvalid extends MigratorError {
  override readonly name = 'EntryPointInvalid';
  constructor(readonly problems: string[]) {
    super(`Entry point refused: ${problems.join('; ')}`);
  }
}

/**
 * The entry point's record is no longer what this run read (or last wrote): someone else changed it.
 * The switch writes nothing over another's change (Route 53 refused the batch, InvalidChangeBatch,
 * or the record read before it already differed). Never retried: a human decides which value wins.
 */
export class EntryPointChanged extends MigratorError {
  override readonly name = 'EntryPointChanged';
}

/** A schedule under this run's retire name exists but is not this run's (another target, time or input). Never retried. */
export class RetireScheduleConflict extends MigratorError {
  override readonly name = 'RetireScheduleConflict';
}

/**
 * The retire run will not delete the previous slot: the record points at it, the stack under its name
 * is not the one the switch replaced, or its verified copy does not prove it. Nothing was deleted.
 */
export class RetireRefused extends MigratorError {
  override readonly name = 'RetireRefused';
}

/**
 * The rollback cannot run: no switch of this entry point is recorded, it was already rolled back, or
 * a slot is no longer the stack the switch left. Nothing was changed.
 */
export class RollbackRefused extends MigratorError {
  override readonly name = 'RollbackRefused';
}

/** AWS throttled us (after the SDK's own retries): retried by the state machine with backoff. */
export class AwsThrottled extends MigratorError {
  override readonly name = 'AwsThrottled';
}

/** AWS answered 5xx or the connection failed: retried by the state machine with backoff. */
export class AwsUnavailable extends MigratorError {
  override readonly name = 'AwsUnavailable';
}

/** AWS refused the call for permissions. Never retried: a human must fix the role. */
export class AwsAccessDenied extends MigratorError {
  override readonly name = 'AwsAccessDenied';
}

/** Any other AWS error, with the service's error code in the message. Not retried. */
export class AwsRequestFailed extends MigratorError {
  override readonly name = 'AwsRequestFailed';
}

/** Errors the state machines retry with backoff. Everything else goes straight to compensation. */
export const RETRYABLE_ERRORS = ['AwsThrottled', 'AwsUnavailable'] as const;

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'SlowDown',
  'PriorRequestNotComplete',
  'TransactionInProgressException',
  'EC2ThrottledException',
  'BandwidthLimitExceeded',
  'LimitExceededException',
]);
const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError', 'InvalidClientTokenId', 'ExpiredToken', 'ExpiredTokenException']);

interface SdkLikeError {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

/**
 * Maps an error thrown by an AWS SDK call into one of the named classes above, so the state machine
 * can retry what is transient and stop on what is not. Our own named errors pass through unchanged.
 */
export function classifyAwsError(err: unknown): Error {
  if (err instanceof MigratorError) return err;
  const e = (err ?? {}) as SdkLikeError;
  const code = e.name ?? 'Error';
  const detail = `${code}: ${e.message ?? String(err)}`;
  if (THROTTLING.has(code)) return new AwsThrottled(detail);
  if (ACCESS_DENIED.has(code)) return new AwsAccessDenied(detail);
  const status = e.$metadata?.httpStatusCode;
  if (e.$fault === 'server' || (status !== undefined && status >= 500) || ['TimeoutError', 'ECONNRESET', 'ETIMEDOUT', 'NetworkingError'].includes(code)) {
    return new AwsUnavailable(detail);
  }
  if (err instanceof Error && !('$metadata' in err)) return err;
  return new AwsRequestFailed(detail);
}
