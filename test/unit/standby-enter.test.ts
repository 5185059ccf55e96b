import { EnterStandbyCommand } from '@aws-sdk/client-auto-scaling';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DescribeExecutionCommand, SFNClient, SFNServiceException } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { standbyEnter } from '../../lambdas/standby-enter/core';
import type { StandbyEnterEvent } from '../../lambdas/shared/contracts';
import { standbyExit } from '../../lambdas/standby-exit/core';
import { PreflightFailed, ResourceConflict } from '../../lambdas/shared/errors';
import { TAGS } from '../../lambdas/steps';
import { FakeAutoScaling } from '../fixtures/fake-asg';

const fake = new FakeAutoScaling();
const execution = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const ASG = 'orders-prod-Asg-1';
const groups = [{ logicalId: 'Asg', autoScalingGroupName: ASG }];
const silent = { warn: () => undefined };
const ALL = ['AZRebalance', 'Launch', 'ReplaceUnhealthy', 'ScheduledActions', 'Terminate'];

const sfn = new SFNClient({ region: 'eu-west-1' });
/** standby-enter with the fake group API; claims by other executions are read from `sfn`. */
const enter = (event: StandbyEnterEvent) => standbyEnter(fake.client, event, sfn, { warn: () => undefined });
const sfnMock = mockClient(sfn);
const OTHER = 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:other';
const sfnError = (name: string) => new SFNServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message: name });

beforeEach(() => {
  fake.reset();
  sfnMock.reset();
});
afterAll(() => {
  fake.mock.restore();
  sfnMock.restore();
});

describe('standby-enter', () => {
  it('moves every InService instance to Standby, lowering MinSize just enough and suspending scaling', async () => {
    fake.addGroup(ASG, { min: 2, max: 6, inService: 3 });
    const record = await enter({ autoScalingGroups: groups, execution });

    const g = fake.snapshot(ASG);
    expect(Object.values(g.instances)).toEqual(['Standby', 'Standby', 'Standby']);
    expect(g.desired).toBe(0);
    expect(g.min).toBe(0);
    expect(g.suspended).toEqual(ALL);
    expect(record.groups).toEqual([
      { autoScalingGroupName: ASG, originalMinSize: 2, originalDesiredCapacity: 3, instanceIds: Object.keys(g.instances), suspendedProcesses: expect.arrayContaining(ALL) },
    ]);
  });

  it('tags the group with the execution and the original MinSize before changing anything', async () => {
    fake.addGroup(ASG, { min: 2, max: 6, inService: 3 });
    await enter({ autoScalingGroups: groups, execution });
    expect(fake.calls.filter((c) => c !== 'DescribeAutoScalingGroups')[0]).toBe('CreateOrUpdateTags');
    expect(fake.snapshot(ASG).tags).toMatchObject({ [TAGS.execution]: execution.id, [TAGS.standbyOriginalMinSize]: '2' });
  });

  it('leaves MinSize alone when desired capacity stays above it', async () => {
    fake.addGroup(ASG, { min: 0, max: 6, inService: 2 });
    await enter({ autoScalingGroups: groups, execution });
    expect(fake.calls).not.toContain('UpdateAutoScalingGroup');
  });

  it('enters standby in batches of at most 20 instances', async () => {
    fake.addGroup(ASG, { min: 1, max: 60, inService: 45 });
    const record = await enter({ autoScalingGroups: groups, execution });
    const batches = fake.mock.commandCalls(EnterStandbyCommand).map((c) => c.args[0].input.InstanceIds?.length);
    expect(batches).toEqual([20, 20, 5]);
    expect(record.groups[0]?.instanceIds).toHaveLength(45);
    expect(fake.snapshot(ASG).desired).toBe(0);
  });

  it('does not claim instances already in Standby nor processes already suspended', async () => {
    fake.addGroup(ASG, { min: 0, max: 6, inService: 2, standby: 1, suspended: ['AZRebalance', 'AlarmNotification'] });
    const record = await enter({ autoScalingGroups: groups, execution });
    const g = record.groups[0]!;
    expect(g.instanceIds).toHaveLength(2);
    expect(g.instanceIds.every((id) => !id.includes('s0'))).toBe(true);
    expect(g.suspendedProcesses.sort()).toEqual(['Launch', 'ReplaceUnhealthy', 'ScheduledActions', 'Terminate']);
  });

  it('refuses a group held by another execution that is still running, naming it, changing nothing', async () => {
    fake.addGroup(ASG, { min: 2, max: 6, inService: 3, tags: { [TAGS.execution]: OTHER } });
    sfnMock.on(DescribeExecutionCommand, { executionArn: OTHER }).resolves({ status: 'RUNNING' });
    const before = fake.snapshot(ASG);
    const err = await enter({ autoScalingGroups: groups, execution }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceConflict);
    expect((err as Error).message).toContain(`${OTHER}, RUNNING`);
    expect(fake.snapshot(ASG)).toEqual(before);
  });

  it('refuses a claim it cannot prove has ended: an execution about to be redriven, a value that is not an execution ARN, one it may not read', async () => {
    for (const answer of [{ status: 'PENDING_REDRIVE' as const }, sfnError('InvalidArn'), sfnError('AccessDeniedException')]) {
      fake.reset();
      sfnMock.reset();
      fake.addGroup(ASG, { min: 2, max: 6, inService: 3, tags: { [TAGS.execution]: OTHER } });
      if (answer instanceof Error) sfnMock.on(DescribeExecutionCommand).rejects(answer);
      else sfnMock.on(DescribeExecutionCommand).resolves(answer);
      await expect(enter({ autoScalingGroups: groups, execution })).rejects.toBeInstanceOf(ResourceConflict);
      expect(fake.calls.filter((c) => c !== 'DescribeAutoScalingGroups')).toEqual([]);
    }
  });

  it('takes over a group whose tag names an execution that has ended (the stack-level tag of the migration that created the stack), recording the group as it is now', async () => {
    for (const answer of [{ status: 'SUCCEEDED' as const }, { status: 'FAILED' as const }, { status: 'ABORTED' as const }, sfnError('ExecutionDoesNotExist')]) {
      fake.reset();
      sfnMock.reset();
      fake.addGroup(ASG, { min: 2, max: 6, inService: 3, tags: { [TAGS.execution]: OTHER, [TAGS.standbyOriginalMinSize]: '5' } });
      if (answer instanceof Error) sfnMock.on(DescribeExecutionCommand).rejects(answer);
      else sfnMock.on(DescribeExecutionCommand).resolves(answer);
      const record = await enter({ autoScalingGroups: groups, execution });
      expect(record.groups[0]).toMatchObject({ originalMinSize: 2, originalDesiredCapacity: 3 });
      expect(record.groups[0]?.instanceIds).toHaveLength(3);
      expect(fake.snapshot(ASG).tags).toMatchObject({ [TAGS.execution]: execution.id, [TAGS.standbyOriginalMinSize]: '2' });
    }
  });

  it('lets another error reading the claim fail the step (for the state retry), changing nothing', async () => {
    fake.addGroup(ASG, { min: 2, max: 6, inService: 3, tags: { [TAGS.execution]: OTHER } });
    sfnMock.on(DescribeExecutionCommand).rejects(sfnError('ThrottlingException'));
    await expect(enter({ autoScalingGroups: groups, execution })).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(fake.calls.filter((c) => c !== 'DescribeAutoScalingGroups')).toEqual([]);
  });

  it('does not ask Step Functions about its own tag (a retry)', async () => {
    fake.addGroup(ASG, { min: 2, max: 6, inService: 3, tags: { [TAGS.execution]: execution.id } });
    await enter({ autoScalingGroups: groups, execution });
    expect(sfnMock.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
  });

  it('fails the preflight when a group no longer exists', async () => {
    await expect(enter({ autoScalingGroups: groups, execution })).rejects.toBeInstanceOf(PreflightFailed);
  });

  it('finishes the work on a retry after a crash mid-way, and standby-exit then restores the group exactly', async () => {
    fake.addGroup(ASG, { min: 30, max: 60, inService: 45, suspended: ['AZRebalance'] });
    const original = fake.snapshot(ASG);
    fake.failOnce('EnterStandby', 2);
    await expect(enter({ autoScalingGroups: groups, execution })).rejects.toMatchObject({ name: 'InternalFailure' });
    expect(Object.values(fake.snapshot(ASG).instances).filter((s) => s === 'Standby')).toHaveLength(20);

    const record = await enter({ autoScalingGroups: groups, execution });
    const g = record.groups[0]!;
    expect(g.originalMinSize).toBe(30);
    expect(g.originalDesiredCapacity).toBe(45);
    expect(g.instanceIds).toHaveLength(45);
    expect(g.suspendedProcesses.sort()).toEqual(['Launch', 'ReplaceUnhealthy', 'ScheduledActions', 'Terminate']);

    await standbyExit(fake.client, { standby: record, execution }, silent);
    expect(fake.snapshot(ASG)).toEqual(original);
  });

  it('is a no-op beyond its tags on a retry after it completed', async () => {
    fake.addGroup(ASG, { min: 1, max: 6, inService: 3 });
    const first = await enter({ autoScalingGroups: groups, execution });
    fake.calls.length = 0;
    const second = await enter({ autoScalingGroups: groups, execution });
    expect(fake.calls).toEqual(['DescribeAutoScalingGroups']);
    expect(second).toEqual(first);
  });
});
