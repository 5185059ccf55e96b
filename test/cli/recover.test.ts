/**
 * `env-migrator recover` with the SDK mocked: what it reads from a failed execution's history, when
 * it refuses (and then starts nothing and leaves no lock of its own), the lock it takes (Migrate's
 * condition, owned by the recovery's Clone execution), and the input it gives Clone (clone 2's).
 */
import { MIGRATION_TIMEOUT_SECONDS } from '../../lambdas/steps';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, type HistoryEvent, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes';
import { runCli } from '../../cli/program';
import { assessRecovery, readFailedMigration, startRecovery } from '../../cli/recover-core';
import { compensationLines, composeNotification } from '../../lambdas/compose-notification/core';
import { MigrationInputSchema } from '../../lambdas/shared/contracts';
import { runIdOf, tempStackNameOf } from '../../lambdas/shared/naming';
import { terminal } from './terminal';

const sfnMock = mockClient(SFNClient);
const ddbMock = mockClient(DynamoDBClient);
const cfnMock = mockClient(CloudFormationClient);
beforeEach(() => {
  sfnMock.reset();
  ddbMock.reset();
  cfnMock.reset();
});

const ARN = 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:orders-prod-run';
const CLONE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:Clone';
const RUN = runIdOf(ARN);
const TEMP = tempStackNameOf('orders-prod', ARN);
const RECOVERY = `arn:aws:states:eu-west-1:123456789012:execution:Clone:${RUN}-r1`;
const TABLE = 'locks';
const INPUT = MigrationInputSchema.parse({ stackName: 'orders-prod', targetVersion: '1.4.0', templateUrl: 'https://b.s3.amazonaws.com/t-1.4.0.yaml', parameters: { InstanceType: 't3.medium' } });

/** A Migrate history, newest event first as recover reads it: the notice of the ending, then clone 1's start. */
function history(outcome: string, survivor: string | null): HistoryEvent[] {
  const state = { input: INPUT, tempStackName: TEMP, runId: RUN, current: { environmentVersion: '1.3.0' }, notice: { outcome, survivor, failedState: 'Is the new environment identical?' } };
  return [
    { id: 3, type: 'ChoiceStateExited', timestamp: new Date(), stateExitedEventDetails: { name: 'How did it end?', output: JSON.stringify(state) } },
    { id: 2, type: 'TaskScheduled', timestamp: new Date(), taskScheduledEventDetails: { resourceType: 'states', resource: 'startExecution.sync:2', region: 'eu-west-1', parameters: JSON.stringify({ StateMachineArn: CLONE_MACHINE, Name: `${RUN}-c1`, Input: {} }) } },
    { id: 1, type: 'ExecutionStarted', timestamp: new Date() },
  ];
}

function failed(outcome: string, survivor: string | null, status = 'FAILED') {
  sfnMock.on(DescribeExecutionCommand, { executionArn: ARN }).resolves({ executionArn: ARN, status: status as 'FAILED', error: 'StatisticsMismatch' });
  sfnMock.on(GetExecutionHistoryCommand).resolves({ events: history(outcome, survivor) });
}

const stack = (name: string, tag: string, status = 'CREATE_COMPLETE') => ({ StackName: name, StackId: `arn:aws:cloudformation:eu-west-1:123456789012:stack/${name}/1`, StackStatus: status as 'CREATE_COMPLETE', CreationTime: new Date(), Tags: [{ Key: 'env-migrator:execution', Value: tag }] });
const absent = Object.assign(new Error(`Stack with id orders-prod does not exist`), { name: 'ValidationError' });
const noExecution = Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' });
const clients = () => ({ sfn: new SFNClient({ region: 'eu-west-1' }), cloudformation: new CloudFormationClient({ region: 'eu-west-1' }), dynamodb: new DynamoDBClient({ region: 'eu-west-1' }) });
const options = { lockTable: TABLE, versionOfOriginal: false, now: new Date('2026-12-05T03:00:00Z') };

/** Phase B, everything in place: the recovery may start. */
function recoverable() {
  failed('PRESERVED_AFTER_SECOND_CLONE_MISMATCH', TEMP);
  sfnMock.on(DescribeExecutionCommand, { executionArn: RECOVERY }).rejects(noExecution);
  cfnMock.on(DescribeStacksCommand, { StackName: TEMP }).resolves({ Stacks: [stack(TEMP, ARN)] });
  cfnMock.on(DescribeStacksCommand, { StackName: 'orders-prod' }).rejects(absent);
  ddbMock.on(PutItemCommand).resolves({});
  ddbMock.on(DeleteItemCommand).resolves({});
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: RECOVERY });
}

describe('assessRecovery', () => {
  it('reads the outcome, the survivor, the names and the Clone state machine from the history', async () => {
    failed('FAILED_AND_COMPENSATED', TEMP);
    const m = await readFailedMigration(new SFNClient({ region: 'eu-west-1' }), ARN);
    expect(m).toMatchObject({ status: 'FAILED', notice: { outcome: 'FAILED_AND_COMPENSATED', survivor: TEMP }, state: { tempStackName: TEMP, runId: RUN, originalVersion: '1.3.0' }, cloneStateMachineArn: CLONE_MACHINE });
    expect(assessRecovery(m)).toEqual({ verdict: 'RECOVER', stackName: 'orders-prod', tempStackName: TEMP });
  });

  it('finds nothing to recover when the original holds the data (phase A), or the migration succeeded or touched nothing', async () => {
    failed('FAILED_AND_COMPENSATED', 'orders-prod');
    const m = await readFailedMigration(new SFNClient({ region: 'eu-west-1' }), ARN);
    expect(assessRecovery(m)).toMatchObject({ verdict: 'NOTHING_TO_RECOVER', survivor: 'orders-prod', reason: expect.stringContaining('the original orders-prod holds the data') });
    expect(assessRecovery({ executionArn: ARN, status: 'SUCCEEDED' }).verdict).toBe('NOTHING_TO_RECOVER');
    expect(assessRecovery({ ...m, notice: { outcome: 'MIGRATION_IN_PROGRESS', survivor: 'orders-prod' } }).verdict).toBe('NOTHING_TO_RECOVER');
  });

  it('refuses while the migration runs, and after a stop or timeout that named no survivor', () => {
    expect(assessRecovery({ executionArn: ARN, status: 'RUNNING' })).toMatchObject({ verdict: 'REFUSED', reason: expect.stringContaining('is RUNNING') });
    expect(assessRecovery({ executionArn: ARN, status: 'ABORTED' })).toMatchObject({ verdict: 'REFUSED', reason: expect.stringContaining('recover cannot tell which stack holds the data') });
  });
});

describe('startRecovery', () => {
  it("takes the lock with Migrate's condition, owned by the recovery's Clone execution, then starts Clone with clone 2's input", async () => {
    recoverable();
    const r = await startRecovery(clients(), await readFailedMigration(new SFNClient({ region: 'eu-west-1' }), ARN), options);
    expect(r).toMatchObject({ started: true, cloneExecutionArn: RECOVERY, attempt: 1 });
    const put = ddbMock.commandCalls(PutItemCommand)[0]!.args[0].input;
    expect(put).toMatchObject({
      TableName: TABLE,
      Item: { stackName: { S: 'orders-prod' }, owner: { S: RECOVERY }, targetVersion: { S: '1.4.0' }, expiresAt: { N: String(Date.parse('2026-12-05T03:00:00Z') / 1000 + MIGRATION_TIMEOUT_SECONDS) } },
      ConditionExpression: 'attribute_not_exists(stackName) OR #owner = :me OR #expiresAt < :now',
    });
    const start = sfnMock.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(start).toMatchObject({ stateMachineArn: CLONE_MACHINE, name: `${RUN}-r1` });
    expect(JSON.parse(start.input!)).toMatchObject({
      sourceStackName: TEMP,
      destinationStackName: 'orders-prod',
      targetVersion: '1.4.0',
      templateUrl: 'https://b.s3.amazonaws.com/t-1.4.0.yaml',
      parameters: { InstanceType: 't3.medium' },
      phase: 'r1',
      runId: RUN,
      execution: { id: RECOVERY, name: `${RUN}-r1` },
    });
    expect(ddbMock.commandCalls(DeleteItemCommand)).toHaveLength(0);
  });

  it('with versionOfOriginal: the version the original had, its own template, no parameter overrides', async () => {
    recoverable();
    await startRecovery(clients(), await readFailedMigration(new SFNClient({ region: 'eu-west-1' }), ARN), { ...options, versionOfOriginal: true });
    const input = JSON.parse(sfnMock.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!) as Record<string, unknown>;
    expect(input).toMatchObject({ targetVersion: '1.3.0', parameters: {} });
    expect(input).not.toHaveProperty('templateUrl');
  });

  it('refuses, starting nothing and writing no lock, when another execution holds the lock', async () => {
    recoverable();
    ddbMock.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    ddbMock.on(GetItemCommand).resolves({ Item: { stackName: { S: 'orders-prod' }, owner: { S: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:other' } } });
    const r = await startRecovery(clients(), await readFailedMigration(new SFNClient({ region: 'eu-west-1' }), ARN), options);
    expect(r).toMatchObject({ started: false, kind: 'REFUSED', reason: expect.stringContaining('locked by arn:aws:states:eu-west-1:123456789012:execution:Migrate:other') });
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(ddbMock.commandCalls(DeleteItemCommand)).toHaveLength(0);
  });

  it('refuses and releases its lock when a stack holds the original name, or the temporary stack is not the one this migration verified', async () => {
    for (const arrange of [
      () => cfnMock.on(DescribeStacksCommand, { StackName: 'orders-prod' }).resolves({ Stacks: [stack('orders-prod', ARN)] }),
      () => cfnMock.on(DescribeStacksCommand, { StackName: TEMP }).resolves({ Stacks: [stack(TEMP, 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:someone-else')] }),
      () => cfnMock.on(DescribeStacksCommand, { StackName: TEMP }).resolves({ Stacks: [stack(TEMP, ARN, 'DELETE_IN_PROGRESS')] }),
    ]) {
      sfnMock.reset();
      ddbMock.reset();
      cfnMock.reset();
      recoverable();
      arrange();
      const r = await startRecovery(clients(), await readFailedMigration(new SFNClient({ region: 'eu-west-1' }), ARN), options);
      expect(r).toMatchObject({ started: false, kind: 'REFUSED' });
      expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
      const del = ddbMock.commandCalls(DeleteItemCommand);
      expect(del).toHaveLength(1);
      expect(del[0]!.args[0].input).toMatchObject({ ConditionExpression: '#owner = :me', ExpressionAttributeValues: { ':me': { S: RECOVERY } } });
    }
  });

  it('starts nothing while an earlier recovery of this migration runs', async () => {
    recoverable();
    sfnMock.on(DescribeExecutionCommand, { executionArn: RECOVERY }).resolves({ executionArn: RECOVERY, status: 'RUNNING' });
    const r = await startRecovery(clients(), await readFailedMigration(new SFNClient({ region: 'eu-west-1' }), ARN), options);
    expect(r).toMatchObject({ started: false, kind: 'RUNNING', cloneExecutionArn: RECOVERY });
    expect(ddbMock.commandCalls(PutItemCommand)).toHaveLength(0);
  });
});

describe('env-migrator recover', () => {
  it('after a phase-A failure says nothing needs recovering, exit 0, and touches nothing', async () => {
    failed('FAILED_AND_COMPENSATED', 'orders-prod');
    const t = terminal({ deps: { dynamodb: new DynamoDBClient({ region: 'eu-west-1' }), cloudformation: new CloudFormationClient({ region: 'eu-west-1' }) } });
    expect(await runCli(['recover', ARN, '--table', TABLE, '--json'], t.deps)).toBe(EXIT.SUCCEEDED);
    expect(t.json()).toMatchObject({ outcome: 'NOTHING_TO_RECOVER', exitCode: 0, survivor: 'orders-prod', executionArn: ARN });
    expect(ddbMock.calls()).toHaveLength(0);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('refuses with exit 1 while the migration still runs', async () => {
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: ARN, status: 'RUNNING' });
    const t = terminal();
    expect(await runCli(['recover', ARN, '--table', TABLE, '--json'], t.deps)).toBe(EXIT.FAILED);
    expect(t.json()).toMatchObject({ outcome: 'RECOVERY_REFUSED', error: { name: 'RecoveryRefused' } });
  });
});

describe('env-migrator recover, following the recovery', () => {
  const deps = () => ({ dynamodb: new DynamoDBClient({ region: 'eu-west-1' }), cloudformation: new CloudFormationClient({ region: 'eu-west-1' }) });
  const cloneEnds = (status: string, output?: unknown) =>
    sfnMock
      .on(DescribeExecutionCommand, { executionArn: RECOVERY })
      .rejectsOnce(noExecution)
      .resolves({ executionArn: RECOVERY, status: status as 'SUCCEEDED', ...(output ? { output: JSON.stringify(output) } : {}), ...(status === 'FAILED' ? { error: 'StackCreateFailed', cause: 'broken template' } : {}) });

  it('a recovery that differs: exit 1, the temporary copy named as holding the data, the unverified stack left to check, the lock released', async () => {
    recoverable();
    cloneEnds('SUCCEEDED', { outcome: 'MISMATCH', statistics: { status: 'MISMATCH', summary: 'data.orders.count 60 → 58' } });
    const t = terminal({ deps: deps() });
    expect(await runCli(['recover', ARN, '--table', TABLE, '--json'], t.deps)).toBe(EXIT.FAILED);
    expect(t.json()).toMatchObject({
      outcome: 'RECOVERY_DIFFERS',
      survivor: TEMP,
      error: { name: 'StatisticsMismatch', cause: expect.stringContaining('data.orders.count 60 → 58') },
      recoveryExecutionArn: RECOVERY,
      lockReleased: true,
      leftToDo: [expect.stringContaining(`the stack orders-prod this recovery created (tag env-migrator:execution=${RECOVERY}) is not verified`)],
    });
    expect(ddbMock.commandCalls(DeleteItemCommand)[0]!.args[0].input).toMatchObject({ ExpressionAttributeValues: { ':me': { S: RECOVERY } } });
  });

  it('a recovery that failed: exit 1 with its error; --no-wait: exit 0 once started, the lock kept for the recovery', async () => {
    recoverable();
    cloneEnds('FAILED');
    const failedRun = terminal({ deps: deps() });
    expect(await runCli(['recover', ARN, '--table', TABLE, '--json'], failedRun.deps)).toBe(EXIT.FAILED);
    expect(failedRun.json()).toMatchObject({ outcome: 'RECOVERY_FAILED', survivor: TEMP, error: { name: 'StackCreateFailed' } });

    sfnMock.reset();
    ddbMock.reset();
    recoverable();
    const started = terminal({ deps: deps() });
    expect(await runCli(['recover', ARN, '--table', TABLE, '--no-wait', '--json'], started.deps)).toBe(EXIT.SUCCEEDED);
    expect(started.json()).toMatchObject({ outcome: 'RECOVERY_STARTED', survivor: TEMP, recoveryExecutionArn: RECOVERY });
    expect(ddbMock.commandCalls(DeleteItemCommand)).toHaveLength(0);
  });
});

describe('the notification', () => {
  const base = { stackName: 'orders-prod', version: '1.4.0', execution: { id: ARN, name: 'orders-prod-run' }, cleanedUp: [], leftToDo: [] };
  it('gives the recover command with the ARN when the temporary copy keeps the data, and not when the original does', () => {
    const phaseB = composeNotification({ ...base, outcome: 'FAILED_AND_COMPENSATED', survivor: TEMP, failedState: 'Clone the temporary stack to the new version' });
    expect(phaseB.message).toContain(`env-migrator recover ${ARN} (clones ${TEMP} to orders-prod at version 1.4.0`);
    expect(JSON.parse(phaseB.details).leftToDo).toEqual(expect.arrayContaining([expect.stringContaining(`env-migrator recover ${ARN}`)]));
    const phaseA = composeNotification({ ...base, outcome: 'FAILED_AND_COMPENSATED', survivor: 'orders-prod' });
    expect(phaseA.message).not.toContain('env-migrator recover');
    // The compensation's own lines are unchanged: recover's is added beside them.
    expect(compensationLines({ ...base, outcome: 'FAILED_AND_COMPENSATED', survivor: TEMP }).leftToDo).toEqual([]);
  });
});
