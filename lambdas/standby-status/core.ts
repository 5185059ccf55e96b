import { DescribeAutoScalingGroupsCommand, type AutoScalingClient, type AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { StandbyStatusEvent, StatusResult } from '../shared/contracts';
import type { WarnLogger } from '../shared/logger';
import { advanceWait, BACKOFF } from '../shared/wait';

/** The lifecycle state each direction waits for. */
const TARGET = { ENTER: 'Standby', EXIT: 'InService' } as const;

/**
 * Standby ready? — the check of the wait loops after standby-enter (direction ENTER) and
 * standby-exit (EXIT). READY when every recorded instance reached Standby (ENTER) or InService
 * (EXIT); an instance that no longer exists counts as done, with a warning. Returns READY or
 * PENDING with the next wait; throws WaitTimedOut (from advanceWait) past the timeout.
 */
export async function standbyStatus(asg: AutoScalingClient, event: StandbyStatusEvent, log: WarnLogger, now: Date = new Date()): Promise<StatusResult> {
  const names = event.standby.groups.map((g) => g.autoScalingGroupName);
  const states = await lifecycleStates(asg, names);
  const target = TARGET[event.direction];

  const pending: string[] = [];
  const gone: string[] = [];
  for (const record of event.standby.groups) {
    for (const id of record.instanceIds) {
      const state = states.get(id);
      if (state === undefined) gone.push(id);
      else if (state !== target) pending.push(`${id} (${state})`);
    }
  }
  if (gone.length > 0) {
    log.warn('instances no longer in their group; counted as done', { instanceIds: gone, direction: event.direction });
  }

  const label = `instances of ${names.join(', ') || 'no group'} to ${event.direction === 'ENTER' ? 'enter standby' : 'return to service'}`;
  const done = pending.length === 0;
  const wait = advanceWait(event, label, BACKOFF.standby, done, now);
  return { status: done ? 'READY' : 'PENDING', wait };
}

/** Lifecycle state of every instance of the named groups, by instance ID (at most 100 names per call). */
async function lifecycleStates(asg: AutoScalingClient, names: string[]): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  for (let i = 0; i < names.length; i += 100) {
    let token: string | undefined;
    do {
      const out = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: names.slice(i, i + 100), NextToken: token }));
      for (const group of out.AutoScalingGroups ?? []) addStates(states, group);
      token = out.NextToken;
    } while (token);
  }
  return states;
}

function addStates(states: Map<string, string>, group: AutoScalingGroup): void {
  for (const instance of group.Instances ?? []) {
    if (instance.InstanceId) states.set(instance.InstanceId, instance.LifecycleState ?? 'unknown');
  }
}
