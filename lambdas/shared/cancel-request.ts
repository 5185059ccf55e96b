/**
 * `env-migrator cancel` as the steps of the workflow's loops obey it. Every call of a wait loop or a
 * continuation loop (a status check, one more page of a copy, a verification, a count) that the
 * state machine gives a `cancellation` first reads the environment's lock; when it carries a cancel
 * request of this execution, the step does nothing else and returns `{cancelRequested}`, which the
 * loop's Choice sends to its phase's compensation (statemachine/building-blocks.ts waitLoop,
 * continuationLoop). Read here rather than by a DynamoDB GetItem state of its own before each call:
 * a state per read cost every migration about 90 state transitions (issue 5's budget is 250), and
 * the read inside the call costs none. Nothing is in flight when the request is obeyed: the step
 * returns before it starts any work, so the compensation never races a step.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { clientConfig } from './aws-config';
import { CANCEL_REQUEST_ATTRIBUTE, type CancellableEvent, type CancelRequested, type ExecutionRef } from './contracts';
import { ConfigurationMissing } from './errors';
import type { RemainingTime } from './handler';
import type { WarnLogger } from './logger';

/** The lock table's name, given by the construct to the steps that read cancel requests (CANCEL_CHECK_STEPS). */
export const LOCK_TABLE_ENV = 'LOCK_TABLE';

/** The lock item's attribute naming the execution that holds it (statemachine/migrate.ts "Lock the environment"). */
const OWNER_ATTRIBUTE = 'owner';

/**
 * The cancel request on `stackName`'s lock in `table`, when the lock is still held by `owner` (a
 * Migrate execution ARN): its text (who asked, when, why), or undefined. A consistent read: a
 * request written just before is seen. A lock held by another execution, or none, is no request.
 * Throws what DynamoDB throws.
 */
export async function readCancelRequest(ddb: DynamoDBClient, table: string, stackName: string, owner: string): Promise<string | undefined> {
  const { Item } = await ddb.send(
    new GetItemCommand({
      TableName: table,
      Key: { stackName: { S: stackName } },
      ConsistentRead: true,
      ProjectionExpression: '#owner, #request',
      ExpressionAttributeNames: { '#owner': OWNER_ATTRIBUTE, '#request': CANCEL_REQUEST_ATTRIBUTE },
    }),
  );
  const request = Item?.[CANCEL_REQUEST_ATTRIBUTE]?.S;
  return request !== undefined && Item?.[OWNER_ATTRIBUTE]?.S === owner ? request : undefined;
}

/**
 * Wraps a loop step's core: with `event.cancellation`, the cancel request is read first (the table
 * from LOCK_TABLE) and, when there is one, returned instead of running the core. A read that fails
 * (after the client's retries) is not a request: logged, and the step goes on; the loop's next call
 * reads again, as a failed read state went on before. Without `event.cancellation` (a Clone run
 * alone, a call outside a loop) nothing is read. Throws ConfigurationMissing when the event asks for
 * a read the function has no table for: a deployment error, never silently "no request".
 */
export function obeyingCancel<E extends CancellableEvent & { execution: ExecutionRef }, R>(
  ddb: () => DynamoDBClient,
  logger: WarnLogger,
  core: (event: E, remainingMs: RemainingTime) => Promise<R>,
): (event: E, remainingMs: RemainingTime) => Promise<R | CancelRequested> {
  return async (event, remainingMs) => {
    const stackName = event.cancellation?.stackName;
    if (stackName === undefined) return core(event, remainingMs);
    const table = process.env[LOCK_TABLE_ENV];
    if (!table) throw new ConfigurationMissing(`${LOCK_TABLE_ENV} is not set: the step cannot read cancel requests (deploy with the EnvironmentMigrator construct)`);
    let request: string | undefined;
    try {
      request = await readCancelRequest(ddb(), table, stackName, event.execution.id);
    } catch (err) {
      logger.warn('cancel request not read: going on, the next call reads again', { error: err instanceof Error ? err.name : String(err) });
    }
    return request !== undefined ? { cancelRequested: request } : core(event, remainingMs);
  };
}

let client: DynamoDBClient | undefined;
/** The module's DynamoDB client, made on the first read: steps never given a `cancellation` never make one. */
export function lockClient(): DynamoDBClient {
  client ??= new DynamoDBClient(clientConfig);
  return client;
}
