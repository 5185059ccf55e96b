/**
 * `env-migrator unlock` with the SDK mocked: the lock goes only when its holder has ended, the delete
 * is conditional on the item still naming that holder, and every refusal deletes nothing.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, GetItemCommand, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes';
import { runCli } from '../../cli/program';
import { cliResultSchema } from '../../cli/result';
import { releaseLock } from '../../cli/unlock-core';

const ddbMock = mockClient(DynamoDBClient);
const sfnMock = mockClient(SFNClient);
const cfnMock = mockClient(CloudFormationClient);
beforeEach(() => {
  ddbMock.reset();
  sfnMock.reset();
  cfnMock.reset();
});

const TABLE = 'EnvMigrator-EnvironmentLocks';
const HOLDER = 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:orders-prod-2-run';
const ITEM = {
  stackName: { S: 'orders-prod' },
  owner: { S: HOLDER },
  startedAt: { S: '2026-12-05T01:00:00.000Z' },
  targetVersion: { S: '2' },
  expiresAt: { N: '1765000000' },
};
const clients = () => ({ dynamodb: new DynamoDBClient({ region: 'eu-west-1' }), sfn: () => new SFNClient({ region: 'eu-west-1' }) });
const holderIs = (status: string) => sfnMock.on(DescribeExecutionCommand, { executionArn: HOLDER }).resolves({ executionArn: HOLDER, status: status as 'RUNNING' });

describe('releaseLock', () => {
  it('refuses while the holder is RUNNING or PENDING_REDRIVE, and deletes nothing', async () => {
    for (const status of ['RUNNING', 'PENDING_REDRIVE']) {
      ddbMock.reset();
      ddbMock.on(GetItemCommand).resolves({ Item: ITEM });
      holderIs(status);
      const r = await releaseLock(clients(), TABLE, 'orders-prod');
      expect(r).toMatchObject({ outcome: 'HOLDER_STILL_RUNNING', holderStatus: status, lock: { owner: HOLDER } });
      expect(ddbMock.commandCalls(DeleteItemCommand)).toHaveLength(0);
    }
  });

  it('deletes an ended holder\'s lock with a consistent read first and a condition naming that holder', async () => {
    ddbMock.on(GetItemCommand).resolves({ Item: ITEM });
    ddbMock.on(DeleteItemCommand).resolves({});
    holderIs('ABORTED');
    const r = await releaseLock(clients(), TABLE, 'orders-prod');
    expect(r).toEqual({
      outcome: 'LOCK_RELEASED',
      holderStatus: 'ABORTED',
      lock: { stackName: 'orders-prod', owner: HOLDER, startedAt: '2026-12-05T01:00:00.000Z', targetVersion: '2', expiresAt: 1765000000 },
    });
    expect(ddbMock.commandCalls(GetItemCommand)[0]!.args[0].input).toMatchObject({ TableName: TABLE, Key: { stackName: { S: 'orders-prod' } }, ConsistentRead: true });
    const del = ddbMock.commandCalls(DeleteItemCommand);
    expect(del).toHaveLength(1);
    expect(del[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Key: { stackName: { S: 'orders-prod' } },
      ConditionExpression: '#owner = :holder',
      ExpressionAttributeNames: { '#owner': 'owner' },
      ExpressionAttributeValues: { ':holder': { S: HOLDER } },
    });
  });

  it('reports a lock taken meanwhile (the condition fails) as LOCK_CHANGED, not as released', async () => {
    ddbMock.on(GetItemCommand).resolves({ Item: ITEM });
    ddbMock.on(DeleteItemCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    holderIs('FAILED');
    expect(await releaseLock(clients(), TABLE, 'orders-prod')).toMatchObject({ outcome: 'LOCK_CHANGED', holderStatus: 'FAILED' });
  });

  it('says no lock is held when there is no item, without asking Step Functions', async () => {
    ddbMock.on(GetItemCommand).resolves({});
    expect(await releaseLock(clients(), TABLE, 'orders-prod')).toEqual({ outcome: 'NO_LOCK_HELD', stackName: 'orders-prod' });
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('refuses an item that names no execution ARN, and one whose holder cannot be described', async () => {
    ddbMock.on(GetItemCommand).resolves({ Item: { ...ITEM, owner: { S: 'someone' } } });
    expect(await releaseLock(clients(), TABLE, 'orders-prod')).toMatchObject({ outcome: 'HOLDER_UNKNOWN' });
    ddbMock.on(GetItemCommand).resolves({ Item: ITEM });
    sfnMock.on(DescribeExecutionCommand).rejects(Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' }));
    await expect(releaseLock(clients(), TABLE, 'orders-prod')).rejects.toThrow(/Does Not Exist/);
    expect(ddbMock.commandCalls(DeleteItemCommand)).toHaveLength(0);
  });
});

describe('env-migrator unlock', () => {
  function terminal() {
    const out: string[] = [];
    const err: string[] = [];
    const deps = {
      sfn: new SFNClient({ region: 'eu-west-1' }),
      cloudformation: new CloudFormationClient({ region: 'eu-west-1' }),
      dynamodb: new DynamoDBClient({ region: 'eu-west-1' }),
      out: (l: string) => out.push(l),
      err: (l: string) => err.push(l),
      env: {},
    };
    return { out, err, deps, json: () => cliResultSchema.parse(JSON.parse(out.join(''))) };
  }

  it('exits 1 naming the execution and its status when the holder runs', async () => {
    ddbMock.on(GetItemCommand).resolves({ Item: ITEM });
    holderIs('RUNNING');
    const t = terminal();
    expect(await runCli(['unlock', '--stack', 'orders-prod', '--table', TABLE, '--json'], t.deps)).toBe(EXIT.FAILED);
    const r = t.json();
    expect(r).toMatchObject({ outcome: 'HOLDER_STILL_RUNNING', exitCode: 1, executionArn: HOLDER, error: { name: 'LockHolderRunning' }, holderStatus: 'RUNNING' });
    expect(t.err.join('\n')).toContain(`execution ${HOLDER} holds the lock of orders-prod and is RUNNING`);
    expect(ddbMock.commandCalls(DeleteItemCommand)).toHaveLength(0);
  });

  it('finds the table in the migrator stack\'s LockTableName output and releases an ended holder\'s lock (exit 0)', async () => {
    cfnMock.on(DescribeStacksCommand, { StackName: 'EnvMigrator' }).resolves({ Stacks: [{ StackName: 'EnvMigrator', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [{ OutputKey: 'LockTableName', OutputValue: TABLE }] }] });
    ddbMock.on(GetItemCommand, { TableName: TABLE }).resolves({ Item: ITEM });
    ddbMock.on(DeleteItemCommand).resolves({});
    sfnMock.on(DescribeExecutionCommand, { executionArn: HOLDER }).resolves({ executionArn: HOLDER, status: 'TIMED_OUT', redriveStatus: 'REDRIVABLE' });
    const t = terminal();
    expect(await runCli(['unlock', '--stack', 'orders-prod'], t.deps)).toBe(EXIT.SUCCEEDED);
    expect(t.out.join('\n')).toMatch(/released the lock of orders-prod .*TIMED_OUT, still REDRIVABLE\)\. Do not redrive that execution/);
    expect(ddbMock.commandCalls(DeleteItemCommand)[0]!.args[0].input.TableName).toBe(TABLE);
  });

  it('says "no lock held" and exits 0 when there is none', async () => {
    ddbMock.on(GetItemCommand).resolves({});
    const t = terminal();
    expect(await runCli(['unlock', '--stack', 'orders-prod', '--table', TABLE, '--json'], t.deps)).toBe(EXIT.SUCCEEDED);
    expect(t.json()).toMatchObject({ outcome: 'NO_LOCK_HELD', exitCode: 0, error: null, executionArn: null, lock: null });
    expect(t.err.join('\n')).toContain('no lock held on orders-prod');
  });

  it('exits 1 with a clear message when the lock changed between the read and the delete', async () => {
    ddbMock.on(GetItemCommand).resolves({ Item: ITEM });
    ddbMock.on(DeleteItemCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    holderIs('ABORTED');
    const t = terminal();
    expect(await runCli(['unlock', '--stack', 'orders-prod', '--table', TABLE], t.deps)).toBe(EXIT.FAILED);
    expect(t.err.join('\n')).toMatch(/changed while it was being released .*nothing was deleted/);
  });

  it('is an AWS error (exit 6) when the table does not exist, and a usage error (exit 2) without --stack', async () => {
    ddbMock.on(GetItemCommand).rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));
    const t = terminal();
    expect(await runCli(['unlock', '--stack', 'orders-prod', '--table', 'nope'], t.deps)).toBe(EXIT.AWS_ERROR);
    expect(t.err.join('\n')).toContain('ResourceNotFoundException');
    const u = terminal();
    expect(await runCli(['unlock', '--json'], u.deps)).toBe(EXIT.USAGE);
    expect(u.err.join('\n')).toContain("required option '--stack <name>' not specified");
    expect(u.json()).toMatchObject({ outcome: 'USAGE_ERROR', exitCode: 2 });
  });
});
