import { EnterStandbyCommand } from '@aws-sdk/client-auto-scaling';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { standbyEnter } from '../../lambdas/standby-enter/core';
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

beforeEach(() => fake.reset());
afterAll(() => fake.mock.restore());

describe('standby-enter', () => {
  it('moves every InService instance to Standby, lowering MinSize just enough and suspending scaling', async () => {
    fake.addGroup(ASG, { min: 2, max: 6, inService: 3 });
    const record = await standbyEnter(fake.client, { autoScalingGroups: groups, execution });

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
    await standbyEnter(fake.client, { autoScalingGroups: groups, execution });
    expect(fake.calls.filter((c) => c !== 'DescribeAutoScalingGroups')[0]).toBe('CreateOrUpdateTags');
    expect(fake.snapshot(ASG).tags).toMatchObject({ [TAGS.execution]: execution.id, [TAGS.standbyOriginalMinSize]: '2' });
  });

  it('leaves MinSize alone when desired capacity stays above it', async () => {
    fake.addGroup(ASG, { min: 0, max: 6, inService: 2 });
    await standbyEnter(fake.client, { autoScalingGroups: groups, execution });
    expect(fake.calls).not.toContain('UpdateAutoScalingGroup');
  });

  it('enters standby in batches of at most 20 instances', async () => {
    fake.addGroup(ASG, { min: 1, max: 60, inService: 45 });
    const record = await standbyEnter(fake.client, { autoScalingGroups: groups, execution });
    const batches = fake.mock.commandCalls(EnterStandbyCommand).map((c) => c.args[0].input.InstanceIds?.length);
    expect(batches).toEqual([20, 20, 5]);
    expect(record.groups[0]?.instanceIds).toHaveLength(45);
    expect(fake.snapshot(ASG).desired).toBe(0);
  });

  it('does not claim instances already in Standby nor processes already suspended', async () => {
    fake.addGroup(ASG, { min: 0, max: 6, inService: 2, standby: 1, suspended: ['AZRebalance', 'AlarmNotification'] });
    const record = await standbyEnter(fake.client, { autoScalingGroups: groups, execution });
    const g = record.groups[0]!;
    expect(g.instanceIds).toHaveLength(2);
    expect(g.instanceIds.every((id) => !id.includes('s0'))).toBe(true);
    expect(g.suspendedProcesses.sort()).toEqual(['Launch', 'ReplaceUnhealthy', 'ScheduledActions', 'Terminate']);
  });

  it('refuses a group held by another execution, changing nothing', async () => {
    fake.addGroup(ASG, { min: 2, max: 6, inService: 3, tags: { [TAGS.execution]: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:other' } });
    const before = fake.snapshot(ASG);
    await expect(standbyEnter(fake.client, { autoScalingGroups: groups, execution })).rejects.toBeInstanceOf(ResourceConflict);
    expect(fake.snapshot(ASG)).toEqual(before);
  });

  it('fails the preflight when a group no longer exists', async () => {
    await expect(standbyEnter(fake.client, { autoScalingGroups: groups, execution })).rejects.toBeInstanceOf(PreflightFailed);
  });

  it('finishes the work on a retry after a crash mid-way, and standby-exit then restores the group exactly', async () => {
    fake.addGroup(ASG, { min: 30, max: 60, inService: 45, suspended: ['AZRebalance'] });
    const original = fake.snapshot(ASG);
    fake.failOnce('EnterStandby', 2);
    await expect(standbyEnter(fake.client, { autoScalingGroups: groups, execution })).rejects.toMatchObject({ name: 'InternalFailure' });
    expect(Object.values(fake.snapshot(ASG).instances).filter((s) => s === 'Standby')).toHaveLength(20);

    const record = await standbyEnter(fake.client, { autoScalingGroups: groups, execution });
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
    const first = await standbyEnter(fake.client, { autoScalingGroups: groups, execution });
    fake.calls.length = 0;
    const second = await standbyEnter(fake.client, { autoScalingGroups: groups, execution });
    expect(fake.calls).toEqual(['DescribeAutoScalingGroups']);
    expect(second).toEqual(first);
  });
});
