/**
 * The core of `env-migrator cancel <execution-arn>`: asks a running Migrate execution to stop at its
 * next safe point and compensate, as for an error of its phase (statemachine/building-blocks.ts
 * cancelPoint). A plain StopExecution runs no Catch: no compensation, and the lock stays; this is
 * the stop that undoes. Clients are passed in; no printing, no exit codes.
 *
 * The request is the lock item's `cancelRequested` attribute (CANCEL_REQUEST_ATTRIBUTE), set with an
 * UpdateItem conditional on `owner` being this execution: a request is never put on the lock of
 * another migration, and never creates an item (the condition fails when there is none). The first
 * request stays (`if_not_exists`): asking twice changes nothing. The lock's PutItem at the start of
 * the next migration replaces the whole item, so a request never outlives its execution.
 */
import { ConditionalCheckFailedException, type DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { CANCEL_REQUEST_ATTRIBUTE } from '../lambdas/shared/contracts';
import type { ExecutionArn } from './arn';

export type CancelResult =
  /** The request is on the lock (now, or by an earlier cancel: `request` is the one in force). */
  | { outcome: 'CANCEL_REQUESTED'; stackName: string; request: string; alreadyRequested: boolean }
  /** The execution has ended (or is not running): there is nothing to cancel. */
  | { outcome: 'NOT_RUNNING'; status: string }
  /** Its input names no stack: not a Migrate execution (a Clone run alone is stopped with StopExecution). */
  | { outcome: 'NOT_A_MIGRATION'; status: string }
  /**
   * The lock of its stack is not held by it: it has not taken it yet (its first seconds) or has
   * released it (it is ending). Nothing was written.
   */
  | { outcome: 'LOCK_NOT_HELD'; stackName: string; lockOwner: string | null };

export interface CancelClients {
  dynamodb: DynamoDBClient;
  /** A Step Functions client in the region the execution's ARN names. */
  sfn: (region: string) => SFNClient;
}

/** The `stackName` of an execution's input; undefined when the input is not Migrate's. */
function stackNameOf(input: string | undefined): string | undefined {
  try {
    const parsed = JSON.parse(input ?? '') as unknown;
    const name = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>).stackName : undefined;
    return typeof name === 'string' && name !== '' ? name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Outside the workflow, while a migration runs: DescribeExecution (RUNNING, and an input naming a
 * stack), then puts the cancel request on that stack's lock, on the condition that the lock is held
 * by this execution. `requestText` says who asked and why; it reaches the execution's error cause
 * and the notification. Returns what happened (CancelResult). Throws the SDK's errors
 * (ExecutionDoesNotExist, access denied, no such table): then nothing was written.
 */
export async function requestCancel(clients: CancelClients, tableName: string, execution: ExecutionArn, requestText: string): Promise<CancelResult> {
  const described = await clients.sfn(execution.region).send(new DescribeExecutionCommand({ executionArn: execution.arn }));
  const status = described.status ?? 'UNKNOWN';
  if (status !== 'RUNNING') return { outcome: 'NOT_RUNNING', status };
  const stackName = stackNameOf(described.input);
  if (!stackName) return { outcome: 'NOT_A_MIGRATION', status };

  try {
    const updated = await clients.dynamodb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { stackName: { S: stackName } },
        UpdateExpression: 'SET #request = if_not_exists(#request, :request)',
        ConditionExpression: '#owner = :me',
        ExpressionAttributeNames: { '#request': CANCEL_REQUEST_ATTRIBUTE, '#owner': 'owner' },
        ExpressionAttributeValues: { ':request': { S: requestText }, ':me': { S: execution.arn } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const inForce = updated.Attributes?.[CANCEL_REQUEST_ATTRIBUTE]?.S ?? requestText;
    return { outcome: 'CANCEL_REQUESTED', stackName, request: inForce, alreadyRequested: inForce !== requestText };
  } catch (err) {
    if (!(err instanceof ConditionalCheckFailedException || (err as Error).name === 'ConditionalCheckFailedException')) throw err;
  }
  // Who holds it instead, for the message (consistent: the condition just read the latest item).
  const got = await clients.dynamodb.send(new GetItemCommand({ TableName: tableName, Key: { stackName: { S: stackName } }, ConsistentRead: true }));
  return { outcome: 'LOCK_NOT_HELD', stackName, lockOwner: got.Item?.owner?.S ?? null };
}
