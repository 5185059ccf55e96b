import {
  AutoScalingClient,
  CreateOrUpdateTagsCommand,
  DeleteTagsCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeScalingActivitiesCommand,
  EnterStandbyCommand,
  ExitStandbyCommand,
  ResumeProcessesCommand,
  SuspendProcessesCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { describe, expect, it } from 'vitest';
import { SimAccount } from '../../local/sim/account';
import { type TimingProfile, ZERO_TIMING } from '../../local/sim/core';
import { errorOf, simulatedAccountPerTest } from '../fixtures/sim-account';

const TIMED: TimingProfile = { ...ZERO_TIMING, instanceLaunchSeconds: 90, standbyTransitionSeconds: 20 };

let account: SimAccount;
let asg: AutoScalingClient;

const sim = simulatedAccountPerTest(TIMED);
const advance = sim.advance;

function setUp(timing?: TimingProfile): void {
  account = sim.setUp(timing);
  asg = new AutoScalingClient({ maxAttempts: 1 });
}


/** A group whose instances are already InService. */
function seedGroup(name = 'web', size = { min: 1, max: 6, desired: 3 }): string[] {
  account.autoscaling.createGroup({ name, minSize: size.min, maxSize: size.max, desiredCapacity: size.desired, launchSeconds: 0 });
  return account.autoscaling.group(name)?.instances.map((i) => i.id) ?? [];
}

async function describe1(name = 'web') {
  const out = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return out.AutoScalingGroups?.[0];
}

function states(group: Awaited<ReturnType<typeof describe1>>): Record<string, string> {
  return Object.fromEntries((group?.Instances ?? []).map((i) => [i.InstanceId, i.LifecycleState]));
}

describe('Auto Scaling standby', () => {
  it('moves instances InService → EnteringStandby → Standby after the transition time, decrementing the desired capacity', async () => {
    setUp();
    const ids = seedGroup('web', { min: 0, max: 6, desired: 3 });
    const out = await asg.send(new EnterStandbyCommand({ AutoScalingGroupName: 'web', InstanceIds: ids, ShouldDecrementDesiredCapacity: true }));
    expect(out.Activities).toHaveLength(3);
    expect(out.Activities?.[0]).toMatchObject({ StatusCode: 'InProgress', Description: `Moving EC2 instance to Standby: ${ids[0]}` });
    let group = await describe1();
    expect(group?.DesiredCapacity).toBe(0);
    expect(Object.values(states(group))).toEqual(['EnteringStandby', 'EnteringStandby', 'EnteringStandby']);
    advance(20);
    group = await describe1();
    expect(Object.values(states(group))).toEqual(['Standby', 'Standby', 'Standby']);
    // With the capacity decremented, nothing replaces them.
    expect(group?.Instances).toHaveLength(3);
  });

  it('refuses to decrement the desired capacity below the minimum, with the service message', async () => {
    setUp();
    const ids = seedGroup('web', { min: 1, max: 3, desired: 3 });
    const err = await errorOf(asg.send(new EnterStandbyCommand({ AutoScalingGroupName: 'web', InstanceIds: ids, ShouldDecrementDesiredCapacity: true })));
    expect(err).toEqual({
      name: 'ValidationError',
      message: 'AutoScalingGroup web has min-size=1, max-size=3, and desired-size=3. To place into standby 3 instances, please update the AutoScalingGroup sizes appropriately.',
    });
    expect(Object.values(states(await describe1()))).toEqual(['InService', 'InService', 'InService']);
  });

  it('accepts only InService members of the group, at most 20, and names a missing group', async () => {
    setUp();
    const ids = seedGroup('web', { min: 0, max: 6, desired: 3 });
    await asg.send(new EnterStandbyCommand({ AutoScalingGroupName: 'web', InstanceIds: [ids[0] as string], ShouldDecrementDesiredCapacity: true }));
    const notInService = await errorOf(asg.send(new EnterStandbyCommand({ AutoScalingGroupName: 'web', InstanceIds: [ids[0] as string], ShouldDecrementDesiredCapacity: true })));
    expect(notInService).toEqual({ name: 'ValidationError', message: `The instance ${ids[0]} is not in InService.` });
    const tooMany = await errorOf(
      asg.send(new EnterStandbyCommand({ AutoScalingGroupName: 'web', InstanceIds: Array.from({ length: 21 }, (_, n) => `i-${n}`), ShouldDecrementDesiredCapacity: true })),
    );
    expect(tooMany.message).toMatch(/Member must have length less than or equal to 20/);
    const stranger = await errorOf(asg.send(new EnterStandbyCommand({ AutoScalingGroupName: 'web', InstanceIds: ['i-0stranger'], ShouldDecrementDesiredCapacity: true })));
    expect(stranger.message).toBe('The instance i-0stranger is not part of Auto Scaling group web.');
    const missing = await errorOf(asg.send(new EnterStandbyCommand({ AutoScalingGroupName: 'nope', InstanceIds: [], ShouldDecrementDesiredCapacity: true })));
    expect(missing).toEqual({ name: 'ValidationError', message: 'AutoScalingGroup name not found - AutoScalingGroup: nope not found' });
  });

  it('launches a replacement when the desired capacity is kept, unless Launch is suspended', async () => {
    setUp();
    const ids = seedGroup('web', { min: 1, max: 6, desired: 2 });
    await asg.send(new EnterStandbyCommand({ AutoScalingGroupName: 'web', InstanceIds: [ids[0] as string], ShouldDecrementDesiredCapacity: false }));
    let group = await describe1();
    expect(group?.DesiredCapacity).toBe(2);
    expect(Object.values(states(group)).sort()).toEqual(['EnteringStandby', 'InService', 'Pending']);

    await asg.send(new SuspendProcessesCommand({ AutoScalingGroupName: 'web', ScalingProcesses: ['Launch'] }));
    const pending = group?.Instances?.find((i) => i.LifecycleState === 'Pending')?.InstanceId as string;
    advance(90);
    await asg.send(new EnterStandbyCommand({ AutoScalingGroupName: 'web', InstanceIds: [pending], ShouldDecrementDesiredCapacity: false }));
    group = await describe1();
    expect(group?.Instances).toHaveLength(3);
    expect(Object.values(states(group)).filter((s) => s === 'InService' || s === 'Pending')).toHaveLength(1);
  });

  it('returns Standby instances through Pending to InService after the launch time, incrementing the desired capacity, even with Launch suspended', async () => {
    setUp();
    const ids = seedGroup('web', { min: 0, max: 6, desired: 2 });
    await asg.send(new EnterStandbyCommand({ AutoScalingGroupName: 'web', InstanceIds: ids, ShouldDecrementDesiredCapacity: true }));
    await asg.send(new SuspendProcessesCommand({ AutoScalingGroupName: 'web', ScalingProcesses: ['Launch', 'Terminate'] }));
    const early = await errorOf(asg.send(new ExitStandbyCommand({ AutoScalingGroupName: 'web', InstanceIds: ids })));
    expect(early.message).toBe(`The instance ${ids[0]} is not in Standby.`);
    advance(20);
    const out = await asg.send(new ExitStandbyCommand({ AutoScalingGroupName: 'web', InstanceIds: ids }));
    expect(out.Activities?.[0]?.Description).toBe(`Moving EC2 instance out of Standby: ${ids[0]}`);
    let group = await describe1();
    expect(group?.DesiredCapacity).toBe(2);
    expect(Object.values(states(group))).toEqual(['Pending', 'Pending']);
    advance(90);
    group = await describe1();
    expect(Object.values(states(group))).toEqual(['InService', 'InService']);
  });
});

describe('Auto Scaling group settings', () => {
  it('raises the desired capacity to a new MinSize when none is given, and rejects sizes out of order', async () => {
    setUp();
    seedGroup('web', { min: 0, max: 6, desired: 1 });
    await asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'web', MinSize: 3 }));
    let group = await describe1();
    expect(group).toMatchObject({ MinSize: 3, DesiredCapacity: 3 });
    expect(Object.values(states(group)).filter((s) => s === 'Pending')).toHaveLength(2);

    const desired = await errorOf(asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'web', DesiredCapacity: 9 })));
    expect(desired).toEqual({ name: 'ValidationError', message: 'Desired capacity:9 must be between the specified min size:3 and max size:6' });
    const bounds = await errorOf(asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'web', MinSize: 7 })));
    expect(bounds).toEqual({ name: 'ValidationError', message: 'Max bound, 6, must be greater than or equal to min bound, 7' });

    await asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'web', MinSize: 0, MaxSize: 1 }));
    group = await describe1();
    expect(group).toMatchObject({ MinSize: 0, MaxSize: 1, DesiredCapacity: 1 });
  });

  it('lists suspended processes with their reason and resumes them all when none are named', async () => {
    setUp();
    seedGroup();
    await asg.send(new SuspendProcessesCommand({ AutoScalingGroupName: 'web', ScalingProcesses: ['Launch', 'AZRebalance'] }));
    let group = await describe1();
    expect(group?.SuspendedProcesses?.map((p) => p.ProcessName)).toEqual(['Launch', 'AZRebalance']);
    expect(group?.SuspendedProcesses?.[0]?.SuspensionReason).toMatch(/^User suspended at 2025-03-01T10:00:00Z$/);
    const bad = await errorOf(asg.send(new SuspendProcessesCommand({ AutoScalingGroupName: 'web', ScalingProcesses: ['Teleport'] })));
    expect(bad.name).toBe('ValidationError');
    await asg.send(new ResumeProcessesCommand({ AutoScalingGroupName: 'web' }));
    group = await describe1();
    expect(group?.SuspendedProcesses).toEqual([]);
  });

  it('creates, updates and deletes tags, and filters groups by tag', async () => {
    setUp();
    seedGroup('web');
    seedGroup('batch');
    const tag = (Key: string, Value: string) => ({ ResourceId: 'web', ResourceType: 'auto-scaling-group', Key, Value, PropagateAtLaunch: false });
    await asg.send(new CreateOrUpdateTagsCommand({ Tags: [tag('env-migrator:original-min-size', '1'), tag('team', 'orders')] }));
    await asg.send(new CreateOrUpdateTagsCommand({ Tags: [tag('team', 'payments')] }));
    let group = await describe1();
    expect(group?.Tags?.map((t) => [t.Key, t.Value])).toEqual([['env-migrator:original-min-size', '1'], ['team', 'payments']]);
    const filtered = await asg.send(new DescribeAutoScalingGroupsCommand({ Filters: [{ Name: 'tag:team', Values: ['payments'] }] }));
    expect(filtered.AutoScalingGroups?.map((g) => g.AutoScalingGroupName)).toEqual(['web']);
    await asg.send(new DeleteTagsCommand({ Tags: [{ ResourceId: 'web', ResourceType: 'auto-scaling-group', Key: 'env-migrator:original-min-size' }] }));
    group = await describe1();
    expect(group?.Tags?.map((t) => t.Key)).toEqual(['team']);
    const missing = await errorOf(asg.send(new CreateOrUpdateTagsCommand({ Tags: [{ ...tag('a', 'b'), ResourceId: 'nope' }] })));
    expect(missing.message).toMatch(/^AutoScalingGroup name not found/);
  });

  it('answers an unknown group name with no group rather than an error', async () => {
    setUp();
    const out = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['nope'] }));
    expect(out.AutoScalingGroups).toEqual([]);
  });

  it('reports activities newest first, InProgress until their transition is done', async () => {
    setUp();
    const ids = seedGroup('web', { min: 0, max: 3, desired: 1 });
    advance(5);
    await asg.send(new EnterStandbyCommand({ AutoScalingGroupName: 'web', InstanceIds: ids, ShouldDecrementDesiredCapacity: true }));
    let activities = await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'web' }));
    expect(activities.Activities?.map((a) => [a.Description?.split(':')[0], a.StatusCode])).toEqual([
      ['Moving EC2 instance to Standby', 'InProgress'],
      ['Launching a new EC2 instance', 'Successful'],
    ]);
    advance(20);
    activities = await asg.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: 'web' }));
    expect(activities.Activities?.[0]?.StatusCode).toBe('Successful');
  });

  it('describes instances with their group and lifecycle state', async () => {
    setUp();
    const ids = seedGroup('web', { min: 0, max: 3, desired: 2 });
    await asg.send(new EnterStandbyCommand({ AutoScalingGroupName: 'web', InstanceIds: [ids[1] as string], ShouldDecrementDesiredCapacity: true }));
    const out = await asg.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: ids }));
    expect(out.AutoScalingInstances?.map((i) => [i.InstanceId, i.AutoScalingGroupName, i.LifecycleState, i.HealthStatus])).toEqual([
      [ids[0], 'web', 'InService', 'HEALTHY'],
      [ids[1], 'web', 'EnteringStandby', 'HEALTHY'],
    ]);
  });
});
