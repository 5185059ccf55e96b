/**
 * `env-migrator cancel` with the SDK mocked: the request goes on the lock only while the execution
 * runs and holds it (an UpdateItem conditional on `owner`, never creating an item, keeping the first
 * request), and every refusal writes nothing.
 */
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseExecutionArn } from '../../cli/arn';
import { requestCancel } from '../../cli/cancel-core';
import { EXIT } from '../../cli/exit-codes';
import { runCli } from '../../cli/program';
import { CANCEL_REQUEST_ATTRIBUTE } from '../../lambdas/shared/contracts';
import { terminal } from './terminal';

const ddbMock = mockClient(DynamoDBClient);
const sfnMock = mockClient(SFNClient);
beforeEach(() => {
  ddbMock.reset();
  sfnMock.reset();
});

const TABLE = 'EnvMigrator-EnvironmentLocks';
const ARN = 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:orders-prod-2-run';
const EXECUTION = parseExecutionArn(ARN)!;
const clients = () => ({ dynamodb: new DynamoDBClient({ region: 'eu-west-1' }), sfn: () => new SFNClient({ region: 'eu-west-1' }) });
const executionIs = (status: string, input = JSON.stringify({ stackName: 'orders-prod', targetVersion: '2' })) =>
  sfnMock.on(DescribeExecutionCommand, { executionArn: ARN }).resolves({ executionArn: ARN, status: status as 'RUNNING', input });
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

describe('requestCancel', () => {
  it('puts the request on the lock of the stack the input names, only while the execution owns it, keeping an earlier request', async () => {
    executionIs('RUNNING');
    ddbMock.on(UpdateItemCommand).resolves({ Attributes: { owner: { S: ARN }, [CANCEL_REQUEST_ATTRIBUTE]: { S: 'asked by me' } } });
    const r = await requestCancel(clients(), TABLE, EXECUTION, 'asked by me');
    expect(r).toEqual({ outcome: 'CANCEL_REQUESTED', stackName: 'orders-prod', request: 'asked by me', alreadyRequested: false });
    const input = ddbMock.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      TableName: TABLE,
      Key: { stackName: { S: 'orders-prod' } },
      UpdateExpression: 'SET #request = if_not_exists(#request, :request)',
      // Never on another migration's lock, never creating an item (the condition fails without one).
      ConditionExpression: '#owner = :me',
      ExpressionAttributeNames: { '#request': CANCEL_REQUEST_ATTRIBUTE, '#owner': 'owner' },
      ExpressionAttributeValues: { ':request': { S: 'asked by me' }, ':me': { S: ARN } },
    });
  });

  it('reports the request already in force when asked twice', async () => {
    executionIs('RUNNING');
    ddbMock.on(UpdateItemCommand).resolves({ Attributes: { [CANCEL_REQUEST_ATTRIBUTE]: { S: 'the first one' } } });
    expect(await requestCancel(clients(), TABLE, EXECUTION, 'the second one')).toMatchObject({ outcome: 'CANCEL_REQUESTED', request: 'the first one', alreadyRequested: true });
  });

  it('writes nothing for an execution that is not RUNNING, or whose input names no stack', async () => {
    for (const status of ['SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT', 'PENDING_REDRIVE']) {
      sfnMock.reset();
      executionIs(status);
      expect(await requestCancel(clients(), TABLE, EXECUTION, 'x')).toEqual({ outcome: 'NOT_RUNNING', status });
    }
    sfnMock.reset();
    executionIs('RUNNING', JSON.stringify({ sourceStackName: 'orders-prod' }));
    expect(await requestCancel(clients(), TABLE, EXECUTION, 'x')).toEqual({ outcome: 'NOT_A_MIGRATION', status: 'RUNNING' });
    expect(ddbMock.commandCalls(UpdateItemCommand)).toHaveLength(0);
  });

  it('refuses when the lock is not held by the execution, naming who holds it', async () => {
    executionIs('RUNNING');
    ddbMock.on(UpdateItemCommand).rejects(conditionFailed());
    ddbMock.on(GetItemCommand).resolves({ Item: { stackName: { S: 'orders-prod' }, owner: { S: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:other' } } });
    expect(await requestCancel(clients(), TABLE, EXECUTION, 'x')).toEqual({
      outcome: 'LOCK_NOT_HELD',
      stackName: 'orders-prod',
      lockOwner: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:other',
    });
    expect(ddbMock.commandCalls(GetItemCommand)[0]!.args[0].input.ConsistentRead).toBe(true);
  });

  it('throws what DescribeExecution throws, before writing anything', async () => {
    sfnMock.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));
    await expect(requestCancel(clients(), TABLE, EXECUTION, 'x')).rejects.toThrow('Execution Does Not Exist');
    expect(ddbMock.commandCalls(UpdateItemCommand)).toHaveLength(0);
  });
});

describe('env-migrator cancel', () => {
  it('exit 0 with the request and how to follow the execution; the reason is part of the request', async () => {
    executionIs('RUNNING');
    ddbMock.on(UpdateItemCommand).callsFake((input: { ExpressionAttributeValues: Record<string, { S: string }> }) => ({ Attributes: { [CANCEL_REQUEST_ATTRIBUTE]: input.ExpressionAttributeValues[':request'] } }));
    const t = terminal({ deps: { dynamodb: new DynamoDBClient({ region: 'eu-west-1' }) } });
    expect(await runCli(['cancel', ARN, '--table', TABLE, '--reason', 'wrong window', '--json'], t.deps)).toBe(EXIT.SUCCEEDED);
    const r = t.json();
    expect(r).toMatchObject({ outcome: 'CANCEL_REQUESTED', exitCode: 0, error: null, executionArn: ARN, stackName: 'orders-prod', tableName: TABLE });
    expect(String(r.request)).toMatch(/^env-migrator cancel at \d{4}-\d\d-\d\dT.*Z: wrong window$/);
    expect(t.err.join('\n')).toContain(`Follow it: env-migrator watch ${ARN}`);
  });

  it('exit 1 when refused, saying why; exit 2 for an ARN that is not an execution ARN', async () => {
    executionIs('SUCCEEDED');
    const ended = terminal({ deps: { dynamodb: new DynamoDBClient({ region: 'eu-west-1' }) } });
    expect(await runCli(['cancel', ARN, '--table', TABLE, '--json'], ended.deps)).toBe(EXIT.FAILED);
    expect(ended.json()).toMatchObject({ outcome: 'NOT_RUNNING', exitCode: 1, error: { name: 'ExecutionNotRunning' }, status: 'SUCCEEDED' });
    expect(ended.err.join('\n')).toContain(`refused: execution ${ARN} is SUCCEEDED: nothing to cancel`);

    const typo = terminal();
    expect(await runCli(['cancel', 'arn:aws:states:eu-west-1:123456789012:stateMachine:Migrate', '--table', TABLE], typo.deps)).toBe(EXIT.USAGE);
    expect(sfnMock.commandCalls(DescribeExecutionCommand)).toHaveLength(1);
  });
});
