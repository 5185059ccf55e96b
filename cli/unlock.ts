/**
 * `env-migrator unlock --stack <name>`: releases an environment's migration lock once the execution
 * holding it has ended (cli/unlock-core.ts decides), for the executions that end without releasing
 * it (StopExecution, a timeout). The lock table is --table, or the LockTableName output of the
 * deployed migrator stack, found as `start` finds the state machine.
 */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { EXIT, type ExitCode } from './exit-codes';
import { AwsCallFailed, type Io, awsCall, humanOf } from './io';
import { DEFAULT_MIGRATOR_STACK } from './options';
import { awsFailure, endWith } from './result';
import { type LockItem, type UnlockResult, releaseLock } from './unlock-core';

export { DEFAULT_MIGRATOR_STACK };

/** The migrator stack's output that names the lock table (infra/migrator-stack.ts). */
export const LOCK_TABLE_OUTPUT = 'LockTableName';

/** What `unlock` was given, parsed (cli/program.ts). */
export interface UnlockOptions {
  stack: string;
  table?: string;
  migratorStack: string;
  json: boolean;
}

/** The lock table: --table, else the migrator stack's LockTableName output (shared with recover). */
export async function lockTableOf(io: Io, flag: string | undefined, migratorStack: string): Promise<string> {
  if (flag) return flag;
  const out = await awsCall('DescribeStacks', () => io.cloudformation().send(new DescribeStacksCommand({ StackName: migratorStack })));
  const table = out.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === LOCK_TABLE_OUTPUT)?.OutputValue;
  if (!table) throw new AwsCallFailed('DescribeStacks', 'OutputNotFound', `stack ${migratorStack} has no output ${LOCK_TABLE_OUTPUT}; give --table`);
  return table;
}

function describeLock(lock: LockItem): string {
  const parts = [`held by ${lock.owner ?? '(no execution named)'}`];
  if (lock.startedAt) parts.push(`started ${lock.startedAt}`);
  if (lock.targetVersion) parts.push(`to version ${lock.targetVersion}`);
  if (lock.expiresAt !== undefined) parts.push(`expires ${new Date(lock.expiresAt * 1000).toISOString()}`);
  return parts.join(', ');
}

/** The line for people, the exit code and the error of each result. */
function verdict(r: UnlockResult): { line: string; exitCode: ExitCode; error: { name: string; cause: string } | null } {
  switch (r.outcome) {
    case 'NO_LOCK_HELD':
      return { line: `no lock held on ${r.stackName}: nothing to release`, exitCode: EXIT.SUCCEEDED, error: null };
    case 'LOCK_RELEASED':
      return {
        line: `released the lock of ${r.lock.stackName} (${describeLock(r.lock)}; the execution is ${r.holderStatus}${r.holderRedriveStatus === 'REDRIVABLE' ? ', still REDRIVABLE' : ''}). Do not redrive that execution: it would continue without the lock (README, "Recovery")`,
        exitCode: EXIT.SUCCEEDED,
        error: null,
      };
    case 'HOLDER_STILL_RUNNING': {
      const cause = `execution ${r.lock.owner} holds the lock of ${r.lock.stackName} and is ${r.holderStatus}: not released (wait for it to end, or stop it first)`;
      return { line: `refused: ${cause}`, exitCode: EXIT.FAILED, error: { name: 'LockHolderRunning', cause } };
    }
    case 'LOCK_CHANGED': {
      const cause = `the lock of ${r.lock.stackName} changed while it was being released (${describeLock(r.lock)} was ${r.holderStatus}): it was released or taken by another execution meanwhile; nothing was deleted, run unlock again to see who holds it now`;
      return { line: `refused: ${cause}`, exitCode: EXIT.FAILED, error: { name: 'LockChanged', cause } };
    }
    case 'HOLDER_UNKNOWN': {
      const cause = `the lock of ${r.lock.stackName} names no execution ARN (owner: ${r.lock.owner ?? 'missing'}): nobody can tell whether its holder runs; not released`;
      return { line: `refused: ${cause}`, exitCode: EXIT.FAILED, error: { name: 'LockHolderUnknown', cause } };
    }
  }
}

/**
 * `env-migrator unlock`: finds the lock table and releases the stack's lock when its holder ended.
 * Exit code: 0 released or no lock held; 1 refused (the holder runs, the lock changed meanwhile, or
 * the item names no execution); 6 when an AWS call fails (nothing was deleted).
 */
export async function unlockCommand(io: Io, o: UnlockOptions): Promise<ExitCode> {
  const say = humanOf(io, o.json);
  let tableName: string;
  let result: UnlockResult;
  try {
    tableName = await lockTableOf(io, o.table, o.migratorStack);
    const dynamodb = await io.dynamodb();
    result = await awsCall('GetItem/DescribeExecution/DeleteItem', () => releaseLock({ dynamodb, sfn: (region) => io.sfn(region) }, tableName, o.stack));
  } catch (err) {
    return awsFailure(io, err, o.json);
  }
  const v = verdict(result);
  const lock = 'lock' in result ? result.lock : null;
  return endWith(io, say, o.json, v, {
    outcome: result.outcome,
    survivor: null,
    error: v.error,
    executionArn: lock?.owner ?? null,
    stackName: o.stack,
    tableName,
    lock,
    holderStatus: 'holderStatus' in result ? result.holderStatus : null,
    holderRedriveStatus: result.outcome === 'LOCK_RELEASED' ? (result.holderRedriveStatus ?? null) : null,
  });
}
