/**
 * `env-migrator cancel <execution-arn>`: a stop that compensates. Puts a cancel request on the lock
 * of the running migration (cli/cancel-core.ts); the execution reads it at its next safe point
 * (every wait loop, every Map iteration, each phase boundary, in Migrate and in its Clone runs),
 * then undoes what its phase requires, releases the lock, notifies and fails with
 * MigrationCancelled. The command does not wait: follow the end with `env-migrator watch`.
 */
import { EXIT, type ExitCode } from './exit-codes';
import type { ExecutionArn } from './arn';
import { type Io, awsCall, humanOf } from './io';
import { awsFailure, endWith } from './result';
import { type CancelResult, requestCancel } from './cancel-core';
import { lockTableOf } from './unlock';

/** What `cancel` was given, parsed (cli/program.ts). */
export interface CancelOptions {
  table?: string;
  migratorStack: string;
  /** Why, in the operator's words: it reaches the execution's error cause and the notification. */
  reason?: string;
  json: boolean;
}

/** What happens next, the same for every request: what the two phases' compensations do. */
const WHAT_HAPPENS =
  'before the deletion of the original starts, the migration is undone: the temporary copy deleted, the original back in service; ' +
  'once its deletion has started, the temporary copy is kept (it holds the data) and the notification names it';

function verdict(r: CancelResult, execution: ExecutionArn): { line: string; exitCode: ExitCode; error: { name: string; cause: string } | null } {
  switch (r.outcome) {
    case 'CANCEL_REQUESTED':
      return {
        line:
          `${r.alreadyRequested ? 'cancel already requested' : 'cancel requested'} for ${execution.arn} (${r.request}). ` +
          `It stops at its next safe point (within one wait of its current loop), compensates, releases the lock of ${r.stackName} and notifies: ${WHAT_HAPPENS}. ` +
          `Follow it: env-migrator watch ${execution.arn}`,
        exitCode: EXIT.SUCCEEDED,
        error: null,
      };
    case 'NOT_RUNNING': {
      const cause = `execution ${execution.arn} is ${r.status}: nothing to cancel (env-migrator status ${execution.arn} tells how it ended)`;
      return { line: `refused: ${cause}`, exitCode: EXIT.FAILED, error: { name: 'ExecutionNotRunning', cause } };
    }
    case 'NOT_A_MIGRATION': {
      const cause = `execution ${execution.arn} has no stackName in its input: not a Migrate execution. A Clone started by a migration is cancelled through that migration; a Clone run alone is stopped with StopExecution`;
      return { line: `refused: ${cause}`, exitCode: EXIT.FAILED, error: { name: 'NotAMigration', cause } };
    }
    case 'LOCK_NOT_HELD': {
      const cause = `execution ${execution.arn} does not hold the lock of ${r.stackName} (${r.lockOwner ? `held by ${r.lockOwner}` : 'no lock held'}): it has not taken it yet, or is already ending; nothing was written. Run cancel again in a few seconds, or watch it end`;
      return { line: `refused: ${cause}`, exitCode: EXIT.FAILED, error: { name: 'LockNotHeld', cause } };
    }
  }
}

/**
 * `env-migrator cancel`: finds the lock table and puts the cancel request on the execution's lock.
 * Exit code: 0 requested (or already requested); 1 refused (not running, not a migration, its lock
 * not held by it); 6 when an AWS call fails (nothing was written).
 */
export async function cancelCommand(io: Io, execution: ExecutionArn, o: CancelOptions): Promise<ExitCode> {
  const say = humanOf(io, o.json);
  const request = `env-migrator cancel at ${new Date().toISOString()}${o.reason ? `: ${o.reason}` : ''}`;
  let tableName: string;
  let result: CancelResult;
  try {
    tableName = await lockTableOf(io, o.table, o.migratorStack);
    const dynamodb = await io.dynamodb();
    result = await awsCall('DescribeExecution/UpdateItem', () => requestCancel({ dynamodb, sfn: (region) => io.sfn(region) }, tableName, execution, request));
  } catch (err) {
    return awsFailure(io, err, o.json);
  }
  const v = verdict(result, execution);
  return endWith(io, say, o.json, v, {
    outcome: result.outcome,
    survivor: null,
    error: v.error,
    executionArn: execution.arn,
    stackName: 'stackName' in result ? result.stackName : null,
    tableName,
    request: result.outcome === 'CANCEL_REQUESTED' ? result.request : null,
    status: 'status' in result ? result.status : 'RUNNING',
  });
}
