import { DynamoDBClient, TransactWriteItemsCommand, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimAccount } from '../../local/sim/account';
import { ZERO_TIMING } from '../../local/sim/core';
import { installSimulatedAccount } from '../../local/sim/install';

let account: SimAccount;
let uninstall: () => void;
let ddb: DynamoDBClient;

beforeEach(() => {
  account = new SimAccount({ timing: ZERO_TIMING });
  uninstall = installSimulatedAccount(account);
  ddb = new DynamoDBClient({ maxAttempts: 1 });
  account.dynamodb.createTable('locks', 'stackName');
});
afterEach(() => uninstall());

/** Migrate's blue/green lock: a conditional put per key (none, ours, or expired). */
const lock = (key: string, owner: string): TransactWriteItem => ({
  Put: {
    TableName: 'locks',
    Item: { stackName: { S: key }, owner: { S: owner }, expiresAt: { N: '2000' } },
    ConditionExpression: 'attribute_not_exists(stackName) OR #owner = :me OR #expiresAt < :now',
    ExpressionAttributeNames: { '#owner': 'owner', '#expiresAt': 'expiresAt' },
    ExpressionAttributeValues: { ':me': { S: owner }, ':now': { N: '1000' } },
  },
});

describe('simulated DynamoDB: TransactWriteItems', () => {
  it('takes every item or none: one held item cancels the whole transaction, with a reason per action in order', async () => {
    account.dynamodb.putItemDirect('locks', { stackName: { S: 'orders-b' }, owner: { S: 'other' }, expiresAt: { N: '5000' } });
    const err = await ddb.send(new TransactWriteItemsCommand({ TransactItems: [lock('orders-a', 'me'), lock('orders-b', 'me'), lock('entry-point:Z1/orders', 'me')] })).catch((e: unknown) => e);
    expect((err as Error).name).toBe('TransactionCanceledException');
    expect((err as Error).message).toContain('[None, ConditionalCheckFailed, None]');
    expect((err as { CancellationReasons?: { Code: string }[] }).CancellationReasons?.map((r) => r.Code)).toEqual(['None', 'ConditionalCheckFailed', 'None']);
    expect(account.dynamodb.items('locks').map((i) => [i.stackName?.S, i.owner?.S])).toEqual([['orders-b', 'other']]);
    // Ours again (a retry) or expired: taken.
    await ddb.send(new TransactWriteItemsCommand({ TransactItems: [lock('orders-a', 'me'), lock('entry-point:Z1/orders', 'me')] }));
    await ddb.send(new TransactWriteItemsCommand({ TransactItems: [lock('orders-a', 'me'), lock('entry-point:Z1/orders', 'me')] }));
    expect(account.dynamodb.items('locks').filter((i) => i.owner?.S === 'me')).toHaveLength(2);
  });

  it('refuses two actions on one item (ValidationException), writing nothing', async () => {
    const err = await ddb.send(new TransactWriteItemsCommand({ TransactItems: [lock('orders-a', 'me'), lock('orders-a', 'me')] })).catch((e: unknown) => e);
    expect((err as Error).name).toBe('ValidationException');
    expect(account.dynamodb.items('locks')).toEqual([]);
  });
});
