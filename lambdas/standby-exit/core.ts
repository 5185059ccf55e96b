import {
  DeleteTagsCommand,
  ExitStandbyCommand,
  ResumeProcessesCommand,
  UpdateAutoScalingGroupCommand,
  type AutoScalingClient,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import type { StandbyExitEvent, StandbyExitResult, StandbyGroupRecord } from '../shared/contracts';
import { ResourceConflict, StandbyInTransition } from '../shared/errors';
import type { WarnLogger } from '../shared/logger';
import { batches, describeGroup, groupTag, parseList, parseMinSize, STANDBY_BATCH, tagsOf } from '../shared/standby';
import { TAGS } from '../steps';


/**
 * Exit standby: puts the current environment back in service, at the end of a migration that kept
 * it (a mismatch or compensation) — invariant 3. Per group: ExitStandby for the recorded instances
 * still in Standby, then MinSize restored, then the processes we suspended resumed, then our tags
 * removed. Groups missing from the record but carrying this execution's tag (standby-enter failed
 * halfway) are recovered from their tags. Idempotent: what is already done is skipped.
 * Returns what was done per group and the record standby-status (EXIT) waits on.
 * Throws StandbyInTransition while one of our instances is still EnteringStandby (retry later),
 * ResourceConflict when another execution has claimed a group.
 */
export async function standbyExit(asg: AutoScalingClient, event: StandbyExitEvent, log: WarnLogger): Promise<StandbyExitResult> {
  const executionId = event.execution.id;
  const records = [...(event.standby?.groups ?? [])];
  const known = new Set(records.map((g) => g.autoScalingGroupName));
  const described = new Map<string, AutoScalingGroup | undefined>();

  for (const ref of event.autoScalingGroups ?? []) {
    if (known.has(ref.autoScalingGroupName)) continue;
    const group = await describeGroup(asg, ref.autoScalingGroupName);
    described.set(ref.autoScalingGroupName, group);
    const recovered = group && recoverFromTags(group, executionId);
    if (recovered) {
      log.warn('recovering a group standby-enter left without a record', { autoScalingGroupName: ref.autoScalingGroupName });
      records.push(recovered);
    }
  }

  const result: StandbyExitResult = { groups: [], standby: { groups: records } };
  for (const record of records) {
    const name = record.autoScalingGroupName;
    const group = described.has(name) ? described.get(name) : await describeGroup(asg, name);
    if (!group) {
      // The group went with its stack: nothing is left to put back in service.
      log.warn('auto scaling group no longer exists; nothing to return to service', { autoScalingGroupName: name });
      result.groups.push({ autoScalingGroupName: name, instancesReturned: 0, processesResumed: [], minSizeRestored: record.originalMinSize });
      continue;
    }
    result.groups.push(await exitGroup(asg, group, record, executionId));
  }
  return result;
}

async function exitGroup(asg: AutoScalingClient, group: AutoScalingGroup, record: StandbyGroupRecord, executionId: string) {
  const name = record.autoScalingGroupName;
  const tags = tagsOf(group);
  const owner = tags.get(TAGS.execution);
  if (owner !== undefined && owner !== executionId) {
    throw new ResourceConflict(`auto scaling group ${name} is now claimed by another migration (${owner}); not touching it`);
  }

  const state = new Map((group.Instances ?? []).map((i) => [i.InstanceId ?? '', i.LifecycleState ?? '']));
  const inStandby = record.instanceIds.filter((id) => state.get(id) === 'Standby');
  // ExitStandby accepts only instances in Standby: ours still entering it are retried later, before
  // MinSize or processes are touched, so the group is never left half restored.
  const entering = record.instanceIds.filter((id) => state.get(id) === 'EnteringStandby');

  for (const batch of batches(inStandby, STANDBY_BATCH)) {
    await asg.send(new ExitStandbyCommand({ AutoScalingGroupName: name, InstanceIds: batch }));
  }
  if (entering.length > 0) {
    throw new StandbyInTransition(`instances ${entering.join(', ')} of ${name} are still entering standby; they can be moved back once in Standby`);
  }

  // After ExitStandby, which restored the desired capacity: when MinSize rises above the current
  // size, UpdateAutoScalingGroup raises DesiredCapacity to it (UpdateAutoScalingGroup, API reference).
  if ((group.MinSize ?? 0) !== record.originalMinSize) {
    await asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: name, MinSize: record.originalMinSize }));
  }

  const suspendedNow = new Set((group.SuspendedProcesses ?? []).map((p) => p.ProcessName ?? ''));
  const toResume = record.suspendedProcesses.filter((p) => suspendedNow.has(p));
  if (toResume.length > 0) {
    await asg.send(new ResumeProcessesCommand({ AutoScalingGroupName: name, ScalingProcesses: toResume }));
  }

  const ourTags = [TAGS.execution, TAGS.standbyOriginalMinSize, TAGS.standbySuspendedProcesses].filter((k) => tags.has(k));
  if (ourTags.length > 0) {
    await asg.send(new DeleteTagsCommand({ Tags: ourTags.map((k) => groupTag(name, k, tags.get(k) ?? '')) }));
  }

  return { autoScalingGroupName: name, instancesReturned: inStandby.length, processesResumed: toResume, minSizeRestored: record.originalMinSize };
}

/** A group standby-enter tagged but never reported: its tags say what to undo, and the instances
 *  in Standby count as ours (as a retried standby-enter would count them). */
function recoverFromTags(group: AutoScalingGroup, executionId: string): StandbyGroupRecord | undefined {
  const tags = tagsOf(group);
  if (tags.get(TAGS.execution) !== executionId) return undefined;
  const instanceIds = (group.Instances ?? [])
    .filter((i) => i.LifecycleState === 'Standby' || i.LifecycleState === 'EnteringStandby')
    .map((i) => i.InstanceId ?? '');
  return {
    autoScalingGroupName: group.AutoScalingGroupName ?? '',
    originalMinSize: parseMinSize(tags.get(TAGS.standbyOriginalMinSize), group.MinSize ?? 0),
    originalDesiredCapacity: (group.DesiredCapacity ?? 0) + instanceIds.length,
    instanceIds,
    suspendedProcesses: parseList(tags.get(TAGS.standbySuspendedProcesses)),
  };
}
