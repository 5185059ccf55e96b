import { DescribeAutoScalingGroupsCommand, type AutoScalingClient, type AutoScalingGroup } from '@aws-sdk/client-auto-scaling';

/**
 * What standby-enter, standby-exit and standby-status share: the processes we suspend, the batch
 * limit, and how a group's tags (this execution's claim on it) are read and written.
 */

/** Processes that would replace, rebalance or rescale instances while the environment is being copied. */
export const PROCESSES_TO_SUSPEND = ['Launch', 'Terminate', 'AZRebalance', 'ReplaceUnhealthy', 'ScheduledActions'] as const;

/** EnterStandby and ExitStandby accept at most 20 instance IDs per call (API reference, InstanceIds). */
export const STANDBY_BATCH = 20;

/** One group by name, or undefined when it does not exist (DescribeAutoScalingGroups answers an empty list). */
export async function describeGroup(asg: AutoScalingClient, name: string): Promise<AutoScalingGroup | undefined> {
  const out = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return out.AutoScalingGroups?.find((g) => g.AutoScalingGroupName === name);
}

/** The group's tags as a map. */
export function tagsOf(group: AutoScalingGroup): Map<string, string> {
  return new Map((group.Tags ?? []).filter((t) => t.Key).map((t) => [t.Key ?? '', t.Value ?? '']));
}

/** A group-level tag that new instances do not inherit. */
export function groupTag(groupName: string, key: string, value: string) {
  return { ResourceId: groupName, ResourceType: 'auto-scaling-group', Key: key, Value: value, PropagateAtLaunch: false };
}

/** Reads a comma-separated tag value. */
export function parseList(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Reads the original MinSize from its tag; `fallback` when the tag is absent or not a size. */
export function parseMinSize(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value !== '' && Number.isInteger(n) && n >= 0 ? n : fallback;
}

/** Splits a list into chunks of at most `size` items. */
export function batches<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
