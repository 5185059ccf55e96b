import {
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
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
  account.dynamodb.createTable('locks', 'pk');
});

afterEach(() => uninstall());

/** The lock acquisition the workflow performs: free, expired, or already ours. */
const acquire = (owner: string, now: number, expiresAt: number) =>
  ddb.send(
    new PutItemCommand({
      TableName: 'locks',
      Item: { pk: { S: 'env#orders' }, owner: { S: owner }, expiresAt: { N: String(expiresAt) } },
      ConditionExpression: 'attribute_not_exists(pk) OR #exp < :now OR #owner = :me',
      ExpressionAttributeNames: { '#exp': 'expiresAt', '#owner': 'owner' },
      ExpressionAttributeValues: { ':now': { N: String(now) }, ':me': { S: owner } },
    }),
  );

describe('simulated DynamoDB: conditional writes', () => {
  it('grants a free lock, refuses it to a second owner, and lets it be taken once expired', async () => {
    await acquire('exec-1', 100, 200);
    await expect(acquire('exec-2', 150, 250)).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
      message: 'The conditional request failed',
      $metadata: { httpStatusCode: 400 },
    });
    await acquire('exec-1', 150, 300);
    await acquire('exec-2', 301, 400);
    expect(account.dynamodb.items('locks')).toEqual([{ pk: { S: 'env#orders' }, owner: { S: 'exec-2' }, expiresAt: { N: '400' } }]);
  });

  it('deletes only when the condition on the owner holds, and returns the old item on request', async () => {
    await acquire('exec-1', 0, 10);
    const del = (me: string) =>
      ddb.send(
        new DeleteItemCommand({
          TableName: 'locks',
          Key: { pk: { S: 'env#orders' } },
          ConditionExpression: '#owner = :me',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':me': { S: me } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ReturnValues: 'ALL_OLD',
        }),
      );
    await expect(del('someone-else')).rejects.toMatchObject({ name: 'ConditionalCheckFailedException', Item: { owner: { S: 'exec-1' } } });
    const ok = await del('exec-1');
    expect(ok.Attributes?.owner).toEqual({ S: 'exec-1' });
    expect(account.dynamodb.items('locks')).toEqual([]);
  });

  it('treats a comparison with a missing attribute as false, except <> which holds', async () => {
    account.dynamodb.putItemDirect('locks', { pk: { S: 'a' } });
    const check = (expr: string) =>
      ddb
        .send(new PutItemCommand({ TableName: 'locks', Item: { pk: { S: 'a' } }, ConditionExpression: expr, ExpressionAttributeValues: { ':v': { N: '1' } } }))
        .then(
          () => true,
          (e: unknown) => {
            if ((e as Error).name === 'ConditionalCheckFailedException') return false;
            throw e;
          },
        );
    expect(await check('absent = :v')).toBe(false);
    expect(await check('absent < :v')).toBe(false);
    expect(await check('absent <> :v')).toBe(true);
  });

  it('evaluates AND before OR, NOT, parentheses, BETWEEN, IN, begins_with, contains, size and nested paths', async () => {
    account.dynamodb.putItemDirect('locks', {
      pk: { S: 'x' },
      n: { N: '5' },
      s: { S: 'prefix-body' },
      tags: { SS: ['a', 'b'] },
      meta: { M: { lvl: { N: '2' }, entries: { L: [{ S: 'first' }] } } },
    });
    const holds = async (expr: string, values: Record<string, { N: string } | { S: string }>) => {
      try {
        await ddb.send(
          new UpdateItemCommand({
            TableName: 'locks',
            Key: { pk: { S: 'x' } },
            UpdateExpression: 'SET touched = :t',
            ConditionExpression: expr,
            ExpressionAttributeValues: { ':t': { BOOL: true }, ...values },
          }),
        );
        return true;
      } catch (e) {
        if ((e as Error).name === 'ConditionalCheckFailedException') return false;
        throw e;
      }
    };
    expect(await holds('n = :a OR n = :b AND n = :c', { ':a': { N: '5' }, ':b': { N: '1' }, ':c': { N: '2' } })).toBe(true);
    expect(await holds('(n = :a OR n = :b) AND n = :c', { ':a': { N: '5' }, ':b': { N: '1' }, ':c': { N: '2' } })).toBe(false);
    expect(await holds('NOT n = :a', { ':a': { N: '5' } })).toBe(false);
    expect(await holds('n BETWEEN :lo AND :hi', { ':lo': { N: '4' }, ':hi': { N: '10' } })).toBe(true);
    expect(await holds('n IN (:a, :b)', { ':a': { N: '1' }, ':b': { N: '5' } })).toBe(true);
    expect(await holds('begins_with(s, :p)', { ':p': { S: 'prefix' } })).toBe(true);
    expect(await holds('contains(tags, :t2)', { ':t2': { S: 'b' } })).toBe(true);
    expect(await holds('size(s) > :n', { ':n': { N: '10' } })).toBe(true);
    expect(await holds('meta.lvl = :d AND meta.entries[0] = :f', { ':d': { N: '2' }, ':f': { S: 'first' } })).toBe(true);
    // Numbers compare as numbers, strings as UTF-8 bytes.
    expect(await holds('n < :ten', { ':ten': { N: '10' } })).toBe(true);
    expect(await holds('s < :z', { ':z': { S: 'z' } })).toBe(true);
  });
});

describe('simulated DynamoDB: expression errors DynamoDB itself raises', () => {
  it('rejects a reserved word used as a bare attribute name', async () => {
    await expect(
      ddb.send(new PutItemCommand({ TableName: 'locks', Item: { pk: { S: 'a' } }, ConditionExpression: 'attribute_not_exists(status)' })),
    ).rejects.toMatchObject({ name: 'ValidationException', message: 'Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status' });
  });

  it('rejects undefined and unused placeholders', async () => {
    await expect(
      ddb.send(new PutItemCommand({ TableName: 'locks', Item: { pk: { S: 'a' } }, ConditionExpression: 'attribute_not_exists(#pk)' })),
    ).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('attribute name: #pk') });
    await expect(
      ddb.send(
        new PutItemCommand({
          TableName: 'locks',
          Item: { pk: { S: 'a' } },
          ConditionExpression: 'attribute_not_exists(pk)',
          ExpressionAttributeValues: { ':unused': { S: 'x' } },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException', message: 'Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}' });
  });

  it('rejects a syntax error', async () => {
    await expect(
      ddb.send(new PutItemCommand({ TableName: 'locks', Item: { pk: { S: 'a' } }, ConditionExpression: 'attribute_not_exists(pk) OR' })),
    ).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('Syntax error') });
  });
});

describe('simulated DynamoDB: tables and items', () => {
  it('creates and describes a table and fails item calls on a missing one with ResourceNotFoundException', async () => {
    const created = await ddb.send(
      new CreateTableCommand({
        TableName: 'runs',
        KeySchema: [
          { AttributeName: 'env', KeyType: 'HASH' },
          { AttributeName: 'at', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'env', AttributeType: 'S' },
          { AttributeName: 'at', AttributeType: 'N' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    expect(created.TableDescription?.TableStatus).toBe('CREATING');
    const described = await ddb.send(new DescribeTableCommand({ TableName: 'runs' }));
    expect(described.Table).toMatchObject({ TableStatus: 'ACTIVE', TableArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/runs' });
    await expect(ddb.send(new CreateTableCommand({ TableName: 'runs', KeySchema: [{ AttributeName: 'x', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'x', AttributeType: 'S' }] }))).rejects.toMatchObject({
      name: 'ResourceInUseException',
    });
    await expect(ddb.send(new GetItemCommand({ TableName: 'nope', Key: { pk: { S: 'a' } } }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('validates items and keys against the key schema', async () => {
    await expect(ddb.send(new PutItemCommand({ TableName: 'locks', Item: { other: { S: 'a' } } }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'One or more parameter values were invalid: Missing the key pk in the item',
    });
    await expect(ddb.send(new PutItemCommand({ TableName: 'locks', Item: { pk: { N: '1' } } }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(ddb.send(new GetItemCommand({ TableName: 'locks', Key: { pk: { S: 'a' }, extra: { S: 'b' } } }))).rejects.toMatchObject({
      message: 'The provided key element does not match the schema',
    });
  });

  it('gets an item, a projection of it, or nothing', async () => {
    account.dynamodb.putItemDirect('locks', { pk: { S: 'a' }, owner: { S: 'me' }, n: { N: '1' } });
    expect((await ddb.send(new GetItemCommand({ TableName: 'locks', Key: { pk: { S: 'a' } } }))).Item).toEqual({ pk: { S: 'a' }, owner: { S: 'me' }, n: { N: '1' } });
    const projected = await ddb.send(
      new GetItemCommand({ TableName: 'locks', Key: { pk: { S: 'a' } }, ProjectionExpression: '#o, n', ExpressionAttributeNames: { '#o': 'owner' } }),
    );
    expect(projected.Item).toEqual({ owner: { S: 'me' }, n: { N: '1' } });
    expect((await ddb.send(new GetItemCommand({ TableName: 'locks', Key: { pk: { S: 'b' } } }))).Item).toBeUndefined();
  });

  it('updates with SET (values, arithmetic, if_not_exists, list_append) and REMOVE, creating the item when absent', async () => {
    const update = (expr: string, values: Record<string, { N: string } | { S: string } | { L: { S: string }[] }>, returnValues: 'ALL_NEW' | 'UPDATED_OLD' = 'ALL_NEW') =>
      ddb.send(
        new UpdateItemCommand({
          TableName: 'locks',
          Key: { pk: { S: 'c' } },
          UpdateExpression: expr,
          ExpressionAttributeValues: values,
          ReturnValues: returnValues,
        }),
      );
    const first = await update('SET attempts = if_not_exists(attempts, :zero) + :one, history = :empty', { ':zero': { N: '0' }, ':one': { N: '1' }, ':empty': { L: [] } });
    expect(first.Attributes).toEqual({ pk: { S: 'c' }, attempts: { N: '1' }, history: { L: [] } });
    const second = await update('SET attempts = attempts + :one, history = list_append(history, :h) REMOVE gone', { ':one': { N: '1' }, ':h': { L: [{ S: 'x' }] } });
    expect(second.Attributes).toEqual({ pk: { S: 'c' }, attempts: { N: '2' }, history: { L: [{ S: 'x' }] } });
    const old = await update('SET attempts = :n', { ':n': { N: '9' } }, 'UPDATED_OLD');
    expect(old.Attributes).toEqual({ attempts: { N: '2' } });
    await expect(update('SET pk = :k', { ':k': { S: 'other' } })).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('part of the key') });
  });
});
