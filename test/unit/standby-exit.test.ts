import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { SFNClient } from '@aws-sdk/client-sfn';
import { standbyEnter } from '../../lambdas/standby-enter/core';
import type { StandbyEnterEvent } from '../../lambdas/shared/contracts';
import { standbyExit } from '../../lambdas/standby-exit/core';
import type { StandbyRecord } from '../../lambdas/shared/contracts';
import { ResourceConflict, StandbyInTransition } from '../../lambdas/shared/errors';
import { TAGS } from '../../lambdas/steps';
import { FakeAutoScaling } from '../fixtures/fake-asg';

const fake = new FakeAutoScaling();
const execution = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const ASG = 'orders-prod-Asg-1';
const groups = [{ logicalId: 'Asg', autoScalingGroupName: ASG }];
const log = () => ({ warn: vi.fn() });

const sfn = new SFNClient({ region: 'eu-west-1' });
/** standby-enter with the fake group API; claims by other executions are read from `sfn`. */
const enter = (event: StandbyEnterEvent) => standbyEnter(fake.client, event, sfn, { warn: () => undefined });

beforeEach(() => fake.reset());
afterAll(() => fake.mock.restore());

async function entered(opts: Parameters<FakeAutoScaling['addGroup']>[1]): Promise<{ record: StandbyRecord; original: ReturnType<FakeAutoScaling['snapshot']> }> {
  fake.addGroup(ASG, opts);
  const original = fake.snapshot(ASG);
  const record = await enter({ autoScalingGroups: groups, execution });
  fake.calls.length = 0;
  return { record, original };
}

describe('standby-exit', () => {
  it('returns the instances, restores MinSize, resumes only the processes it suspended and removes its tags', async () => {
    const { record, original } = await entered({ min: 2, max: 6, inService: 3, suspended: ['AZRebalance'], tags: { team: 'orders' } });
    const result = await standbyExit(fake.client, { standby: record, execution }, log());
    expect(fake.snapshot(ASG)).toEqual(original);
    expect(fake.snapshot(ASG).suspended).toEqual(['AZRebalance']);
    expect(result.groups).toEqual([
      { autoScalingGroupName: ASG, instancesReturned: 3, processesResumed: expect.arrayContaining(['Launch', 'Terminate', 'ReplaceUnhealthy', 'ScheduledActions']), minSizeRestored: 2 },
    ]);
    expect(result.groups[0]?.processesResumed).not.toContain('AZRebalance');
    expect(result.standby).toEqual(record);
  });

  it('moves instances back before restoring MinSize, so the update never fights the desired capacity', async () => {
    const { record } = await entered({ min: 2, max: 6, inService: 3 });
    await standbyExit(fake.client, { standby: record, execution }, log());
    expect(fake.calls.filter((c) => c !== 'DescribeAutoScalingGroups')).toEqual(['ExitStandby', 'UpdateAutoScalingGroup', 'ResumeProcesses', 'DeleteTags']);
  });

  it('exits standby in batches of at most 20', async () => {
    const { record } = await entered({ min: 0, max: 60, inService: 41 });
    await standbyExit(fake.client, { standby: record, execution }, log());
    expect(fake.calls.filter((c) => c === 'ExitStandby')).toHaveLength(3);
  });

  it('is idempotent: a second run changes nothing', async () => {
    const { record, original } = await entered({ min: 2, max: 6, inService: 3 });
    await standbyExit(fake.client, { standby: record, execution }, log());
    fake.calls.length = 0;
    const again = await standbyExit(fake.client, { standby: record, execution }, log());
    expect(fake.calls).toEqual(['DescribeAutoScalingGroups']);
    expect(again.groups[0]).toMatchObject({ instancesReturned: 0, processesResumed: [] });
    expect(fake.snapshot(ASG)).toEqual(original);
  });

  it('skips recorded instances that are not in Standby any more (terminated or already back)', async () => {
    const { record } = await entered({ min: 0, max: 6, inService: 3 });
    const [gone, back] = record.groups[0]!.instanceIds;
    const g = fake.groups.get(ASG)!;
    g.instances.delete(gone!);
    g.instances.set(back!, 'InService');
    const result = await standbyExit(fake.client, { standby: record, execution }, log());
    expect(result.groups[0]?.instancesReturned).toBe(1);
  });

  it('restores MinSize even when instances vanished in standby, raising desired capacity as AWS does', async () => {
    const { record } = await entered({ min: 3, max: 6, inService: 3 });
    const g = fake.groups.get(ASG)!;
    g.instances.delete(record.groups[0]!.instanceIds[0]!);
    await standbyExit(fake.client, { standby: record, execution }, log());
    expect(fake.snapshot(ASG)).toMatchObject({ min: 3, desired: 3 });
  });

  it('waits (StandbyInTransition) while its instances are still entering standby, then finishes on retry', async () => {
    fake.transitional = true;
    const { record, original } = await entered({ min: 1, max: 6, inService: 2 });
    await expect(standbyExit(fake.client, { standby: record, execution }, log())).rejects.toBeInstanceOf(StandbyInTransition);
    expect(fake.snapshot(ASG).tags[TAGS.execution]).toBe(execution.id);
    fake.settle();
    await standbyExit(fake.client, { standby: record, execution }, log());
    fake.settle();
    expect(fake.snapshot(ASG)).toEqual(original);
  });

  it('recovers a group from its tags when standby-enter failed before returning a record', async () => {
    fake.addGroup(ASG, { min: 2, max: 6, inService: 3, standby: 1 });
    fake.failOnce('EnterStandby');
    await expect(enter({ autoScalingGroups: groups, execution })).rejects.toMatchObject({ name: 'InternalFailure' });
    expect(fake.snapshot(ASG).suspended).toHaveLength(5);

    const logger = log();
    const result = await standbyExit(fake.client, { autoScalingGroups: groups, execution }, logger);
    expect(logger.warn).toHaveBeenCalled();
    // The instance that was in Standby before counts as ours here (the tags cannot tell), so it is
    // returned too; the group ends with everything serving, its limits and processes as they were.
    expect(fake.snapshot(ASG)).toMatchObject({ min: 2, max: 6, suspended: [], tags: {} });
    expect(Object.values(fake.snapshot(ASG).instances).every((s) => s === 'InService')).toBe(true);
    expect(result.standby.groups[0]?.autoScalingGroupName).toBe(ASG);
  });

  it('ignores discovered groups that carry no tag of this execution', async () => {
    fake.addGroup(ASG, { min: 2, max: 6, inService: 3 });
    const result = await standbyExit(fake.client, { autoScalingGroups: groups, execution }, log());
    expect(result).toEqual({ groups: [], standby: { groups: [] } });
    expect(fake.calls).toEqual(['DescribeAutoScalingGroups']);
  });

  it('warns and moves on when a recorded group no longer exists', async () => {
    const logger = log();
    const record: StandbyRecord = { groups: [{ autoScalingGroupName: ASG, originalMinSize: 2, originalDesiredCapacity: 3, instanceIds: ['i-1'], suspendedProcesses: ['Launch'] }] };
    const result = await standbyExit(fake.client, { standby: record, execution }, logger);
    expect(result.groups[0]).toEqual({ autoScalingGroupName: ASG, instancesReturned: 0, processesResumed: [], minSizeRestored: 2 });
    expect(logger.warn).toHaveBeenCalledOnce();
  });

  it('refuses to touch a group another execution has claimed', async () => {
    const { record } = await entered({ min: 2, max: 6, inService: 3 });
    fake.groups.get(ASG)!.tags.set(TAGS.execution, 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:other');
    await expect(standbyExit(fake.client, { standby: record, execution }, log())).rejects.toBeInstanceOf(ResourceConflict);
    expect(fake.calls).toEqual(['DescribeAutoScalingGroups']);
  });
});
