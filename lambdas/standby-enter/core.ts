import {
  CreateOrUpdateTagsCommand,
  EnterStandbyCommand,
  SuspendProcessesCommand,
  UpdateAutoScalingGroupCommand,
  type AutoScalingClient,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { claimStatus } from '../shared/claims';
import type { WarnLogger } from '../shared/logger';
import { batches, describeGroup, groupTag, parseList, parseMinSize, PROCESSES_TO_SUSPEND, STANDBY_BATCH, tagsOf } from '../shared/standby';
import type { StandbyEnterEvent, StandbyGroupRecord, StandbyRecord } from '../shared/contracts';
import { PreflightFailed, ResourceConflict } from '../shared/errors';
import { TAGS } from '../steps';

/**
 * Enter standby, after discover and before the first snapshot: takes the current environment's
 * instances out of service so its data stops changing while it is copied. Per group: tags it with
 * this execution (first, so a retry recognizes its own work), suspends the scaling processes not
 * already suspended, lowers MinSize when EnterStandby would otherwise take desired capacity below
 * it, and moves the InService instances to Standby. Returns what it changed, which standby-exit
 * undoes. Another execution's tag on a group is a claim only while that execution runs (see
 * shared/claims.ts): the tag of one that has ended (the stack-level tag of the migration that created
 * this stack, propagated to its group) is taken over like an untagged group. Throws ResourceConflict
 * when another execution that still runs (or cannot be read) has claimed a group, PreflightFailed
 * when a group no longer exists.
 */
export async function standbyEnter(asg: AutoScalingClient, event: StandbyEnterEvent, sfn: SFNClient, log: WarnLogger): Promise<StandbyRecord> {
  const groups: StandbyGroupRecord[] = [];
  for (const ref of event.autoScalingGroups) {
    const group = await describeGroup(asg, ref.autoScalingGroupName);
    if (!group) throw new PreflightFailed([`auto scaling group ${ref.autoScalingGroupName} (${ref.logicalId}) does not exist`]);
    groups.push(await enterGroup(asg, group, event.execution.id, sfn, log));
  }
  return { groups };
}

async function enterGroup(asg: AutoScalingClient, group: AutoScalingGroup, executionId: string, sfn: SFNClient, log: WarnLogger): Promise<StandbyGroupRecord> {
  const name = group.AutoScalingGroupName ?? '';
  const tags = tagsOf(group);
  const owner = tags.get(TAGS.execution);
  if (owner !== undefined && owner !== executionId) {
    const claim = await claimStatus(sfn, owner);
    if (claim.held) {
      throw new ResourceConflict(
        `auto scaling group ${name} is held in standby by another migration (${owner}, ${claim.status}); it must end and release the group before this one can proceed`,
      );
    }
    // Ended: its tag is history. What it recorded (min size, processes) describes the group before
    // that run, not now: this run records the group as it finds it, like an untagged one.
    log.warn('taking over a group tagged by an execution that has ended', { autoScalingGroupName: name, previousExecution: owner, previousStatus: claim.status });
  }
  const rerun = owner === executionId;
  const instances = group.Instances ?? [];
  const alreadySuspended = new Set((group.SuspendedProcesses ?? []).map((p) => p.ProcessName ?? ''));
  const toSuspend = PROCESSES_TO_SUSPEND.filter((p) => !alreadySuspended.has(p));

  // On a retry, what the first attempt recorded in the tags is ours; instances it moved are in Standby now.
  const originalMinSize = rerun ? parseMinSize(tags.get(TAGS.standbyOriginalMinSize), group.MinSize ?? 0) : (group.MinSize ?? 0);
  const ours = rerun ? instances.filter((i) => i.LifecycleState === 'Standby' || i.LifecycleState === 'EnteringStandby').map((i) => i.InstanceId ?? '') : [];
  const suspended = rerun ? unique([...parseList(tags.get(TAGS.standbySuspendedProcesses)), ...toSuspend]) : [...toSuspend];

  if (!rerun || suspended.join(',') !== tags.get(TAGS.standbySuspendedProcesses)) {
    await asg.send(
      new CreateOrUpdateTagsCommand({
        Tags: [
          groupTag(name, TAGS.execution, executionId),
          groupTag(name, TAGS.standbyOriginalMinSize, String(originalMinSize)),
          groupTag(name, TAGS.standbySuspendedProcesses, suspended.join(',')),
        ],
      }),
    );
  }

  if (toSuspend.length > 0) {
    await asg.send(new SuspendProcessesCommand({ AutoScalingGroupName: name, ScalingProcesses: [...toSuspend] }));
  }

  const entering = instances.filter((i) => i.LifecycleState === 'InService').map((i) => i.InstanceId ?? '');
  const desired = group.DesiredCapacity ?? 0;
  // EnterStandby with ShouldDecrementDesiredCapacity is accepted only while the resulting desired
  // capacity stays >= MinSize (EnterStandby, Amazon EC2 Auto Scaling API reference).
  const minNeeded = Math.max(0, desired - entering.length);
  if (entering.length > 0 && (group.MinSize ?? 0) > minNeeded) {
    await asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: name, MinSize: minNeeded }));
  }

  for (const batch of batches(entering, STANDBY_BATCH)) {
    await asg.send(new EnterStandbyCommand({ AutoScalingGroupName: name, InstanceIds: batch, ShouldDecrementDesiredCapacity: true }));
  }

  return {
    autoScalingGroupName: name,
    originalMinSize,
    // The instances a previous attempt moved already decremented the desired capacity.
    originalDesiredCapacity: desired + ours.length,
    instanceIds: [...ours, ...entering],
    suspendedProcesses: suspended,
  };
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
