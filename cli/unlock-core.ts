/**
 * The core of `env-migrator unlock`: releases an environment's migration lock (the item that
 * Migrate's "Lock the environment" puts, statemachine/migrate.ts) only when the execution that holds
 * it can no longer act on the environment. Clients are passed in; no printing, no exit codes.
 *
 * The lock item, as Migrate writes it: partition key `stackName` (S), `owner` (S, the Migrate
 * execution's ARN, `$.execution.id`), `startedAt` (S), `targetVersion` (S), `expiresAt` (N, epoch
 * seconds, the table's TTL attribute).
 */
import { ConditionalCheckFailedException, DeleteItemCommand, type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { parseExecutionArn } from './arn';

/** The lock item, read back. Fields Migrate always writes may still be missing from an item put by hand. */
export interface LockItem {
  stackName: string;
  /** The execution ARN that holds the lock. */
  owner?: string;
  startedAt?: string;
  targetVersion?: string;
  /** Epoch seconds after which Migrate's own condition lets a new execution take the lock. */
  expiresAt?: number;
}

/**
 * Statuses of an execution that may still act on the environment. PENDING_REDRIVE: a redrive was
 * accepted and the execution is about to run again (DescribeExecution API reference, "status").
 */
const STILL_ACTIVE: ReadonlySet<string> = new Set(['RUNNING', 'PENDING_REDRIVE']);

export type UnlockResult =
  /** No item for this stack: nothing to release. */
  | { outcome: 'NO_LOCK_HELD'; stackName: string }
  /** The holder had ended (SUCCEEDED, FAILED, TIMED_OUT, ABORTED): the item was deleted. */
  | { outcome: 'LOCK_RELEASED'; lock: LockItem; holderStatus: string; /** DescribeExecution's redriveStatus (REDRIVABLE: a redrive would resume it without the lock). */ holderRedriveStatus?: string }
  /** The holder is RUNNING or PENDING_REDRIVE: nothing was deleted. */
  | { outcome: 'HOLDER_STILL_RUNNING'; lock: LockItem; holderStatus: string }
  /** Between the read and the delete the item changed (released, or taken by another execution): nothing was deleted. */
  | { outcome: 'LOCK_CHANGED'; lock: LockItem; holderStatus: string }
  /** The item names no execution ARN: nobody can tell whether its holder runs, so nothing was deleted. */
  | { outcome: 'HOLDER_UNKNOWN'; lock: LockItem };

export interface UnlockClients {
  dynamodb: DynamoDBClient;
  /** A Step Functions client in the region the holder's ARN names. */
  sfn: (region: string) => SFNClient;
}

/** The lock item read back from GetItem's Item (attributes as Migrate writes them). */
export function lockOf(stackName: string, item: Record<string, { S?: string; N?: string }>): LockItem {
  const expires = item.expiresAt?.N !== undefined ? Number(item.expiresAt.N) : undefined;
  return {
    stackName,
    owner: item.owner?.S,
    startedAt: item.startedAt?.S,
    targetVersion: item.targetVersion?.S,
    expiresAt: expires !== undefined && Number.isFinite(expires) ? expires : undefined,
  };
}

/**
 * Outside the workflow, after an execution ended without releasing its lock (StopExecution, a
 * timeout, or a release that failed): reads the lock (consistent read), asks Step Functions whether
 * its holder still runs, and deletes the item only if it does not, on the condition that the item
 * still names that holder, so a lock taken meanwhile by a new execution is never released.
 * Returns what happened (UnlockResult). Throws the SDK's errors (no such table, DescribeExecution
 * refused or ExecutionDoesNotExist: then nobody can prove the holder ended, and nothing is deleted).
 */
export async function releaseLock(clients: UnlockClients, tableName: string, stackName: string): Promise<UnlockResult> {
  const got = await clients.dynamodb.send(new GetItemCommand({ TableName: tableName, Key: { stackName: { S: stackName } }, ConsistentRead: true }));
  if (!got.Item) return { outcome: 'NO_LOCK_HELD', stackName };
  const lock = lockOf(stackName, got.Item);
  const holder = lock.owner === undefined ? undefined : parseExecutionArn(lock.owner);
  if (!holder) return { outcome: 'HOLDER_UNKNOWN', lock };

  const described = await clients.sfn(holder.region).send(new DescribeExecutionCommand({ executionArn: holder.arn }));
  const holderStatus = described.status ?? 'UNKNOWN';
  // An answer without a status proves nothing: only a terminal status lets the lock go.
  if (STILL_ACTIVE.has(holderStatus) || holderStatus === 'UNKNOWN') return { outcome: 'HOLDER_STILL_RUNNING', lock, holderStatus };

  try {
    await clients.dynamodb.send(
      new DeleteItemCommand({
        TableName: tableName,
        Key: { stackName: { S: stackName } },
        // The same condition as Migrate's own "Release the lock": only while the item names this holder.
        ConditionExpression: '#owner = :holder',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':holder': { S: holder.arn } },
      }),
    );
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException || (err as Error).name === 'ConditionalCheckFailedException') return { outcome: 'LOCK_CHANGED', lock, holderStatus };
    throw err;
  }
  return { outcome: 'LOCK_RELEASED', lock, holderStatus, ...(described.redriveStatus ? { holderRedriveStatus: described.redriveStatus } : {}) };
}
