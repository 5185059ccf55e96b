import {
  DescribeStackEventsCommand,
  paginateListStackResources,
  type CloudFormationClient,
  type Stack,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import type { StackFailureReason, StackStatusEvent, StackStatusResult } from '../shared/contracts';
import { describeStack, tagMap } from '../shared/stacks';
import { advanceWait, BACKOFF } from '../shared/wait';
import { TAGS } from '../steps';

/** Failed creation: CloudFormation rolls back (ROLLBACK_*), or stays at CREATE_FAILED when rollback is disabled. */
const CREATE_FAILED_STATUSES = new Set(['CREATE_FAILED', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE', 'ROLLBACK_FAILED']);
/** Pages of DescribeStackEvents read for failure reasons: the root cause sits among the newest events of a fresh stack. */
const EVENT_PAGES = 3;
/** Enough reasons for an engineer; the result travels through Step Functions (256 KiB payloads). */
const MAX_FAILURES = 20;
/** CloudFormation's reason for resources it stopped creating because another one failed: never the cause. */
const CANCELLED = /resource creation cancelled/i;
const STACK_TYPE = 'AWS::CloudFormation::Stack';

/** An update ends in UPDATE_COMPLETE, or fails into one of these (UPDATE_FAILED only when rollback is disabled). */
const UPDATE_FAILED_STATUSES = new Set([
  'UPDATE_FAILED',
  'UPDATE_ROLLBACK_IN_PROGRESS',
  'UPDATE_ROLLBACK_FAILED',
  'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
  'UPDATE_ROLLBACK_COMPLETE',
]);
/**
 * Still updating. UPDATE_COMPLETE_CLEANUP_IN_PROGRESS counts as not done: CloudFormation is deleting
 * what the update replaced, and only UPDATE_COMPLETE says the stack is settled (a promotion replaces
 * nothing: promotion-status refused any replacement, so the clean-up is short).
 */
const UPDATE_PENDING_STATUSES = new Set(['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS']);
/**
 * Live sync's promotion: PromoteReadReplica takes a few minutes ("the read replica is rebooted":
 * RDS User Guide, "Promoting a read replica to be a standalone DB instance"); the update holds only
 * that, so the first check comes after a minute and then often: this wait is downtime.
 */
export const STACK_UPDATE_BACKOFF = { initialDelaySeconds: 60, firstDelaySeconds: 15, factor: 1.2, maxDelaySeconds: 30 } as const;

/**
 * The check of the stack-create, stack-update and stack-delete wait loops. UPDATE (live sync's
 * promotion): READY at UPDATE_COMPLETE only, PENDING while UPDATE_IN_PROGRESS or its clean-up,
 * FAILED (the update's own *_FAILED events first) on UPDATE_FAILED or UPDATE_ROLLBACK_*, and in any
 * state an update does not lead to; PENDING while the stack is still CREATE_COMPLETE or, with
 * `changeSetId`, its last change set is another (the update not begun as DescribeStacks shows it). CREATE: READY at CREATE_COMPLETE,
 * PENDING while CREATE_IN_PROGRESS, FAILED (with the root-cause CREATE_FAILED events first) when
 * creation failed or the stack is in any state a creation does not lead to. DELETE: READY once the
 * stack is gone (a name resolves to the live stack only), PENDING while DELETE_IN_PROGRESS, FAILED
 * with the resources stuck in DELETE_FAILED and their reasons, or when no deletion is under way.
 * While PENDING, `progress.latestEvents` holds the stack's newest events (newestEvents).
 * Throws WaitTimedOut when the wait runs past its timeout, and an Error when the stack being
 * created does not exist.
 */
export async function stackStatus(cfn: CloudFormationClient, event: StackStatusEvent, now: Date = new Date()): Promise<StackStatusResult> {
  const { status, stackStatus, failures, stack } =
    event.operation === 'CREATE'
      ? await createStatus(cfn, event.stackName)
      : event.operation === 'UPDATE'
        ? await updateStatus(cfn, event.stackName, event.changeSetId)
        : await deleteStatus(cfn, event.stackName);
  const label = `stack ${event.stackName} to be ${event.operation === 'CREATE' ? 'created' : event.operation === 'UPDATE' ? 'updated' : 'deleted'}`;
  const backoff = event.operation === 'CREATE' ? BACKOFF.stackCreate : event.operation === 'UPDATE' ? STACK_UPDATE_BACKOFF : BACKOFF.stackDelete;
  // Looked up once, at the first check of a creation, then carried by the wait. A creation says
  // nothing of how long an update takes: an update has no precedent.
  const expectedSeconds =
    event.wait !== undefined
      ? event.wait.expectedSeconds
      : event.operation === 'CREATE' && status === 'PENDING' && stack
        ? await precedentSeconds(cfn, stack, event.execution.id)
        : undefined;
  const elapsedSeconds = event.wait ? (now.getTime() - Date.parse(event.wait.startedAt)) / 1000 : 0;
  const estimate = expectedSeconds === undefined ? undefined : Math.max(0, expectedSeconds - elapsedSeconds);
  const wait = advanceWait(event, label, backoff, status !== 'PENDING', now, estimate);
  const latestEvents = status === 'PENDING' && stack ? await newestEvents(cfn, stack) : undefined;
  return {
    status,
    stackStatus,
    failures,
    wait: expectedSeconds === undefined ? wait : { ...wait, expectedSeconds },
    ...(latestEvents?.length ? { progress: { latestEvents } } : {}),
  };
}

/** Events shown in a heartbeat: enough to see what CloudFormation is doing, small in the state. */
export const MAX_PROGRESS_EVENTS = 3;
const MAX_EVENT_CHARS = 200;

/**
 * The stack's newest events as one line each (DescribeStackEvents lists newest first: one page is
 * enough), for the heartbeat that `watch` and the rehearsal print while the wait runs. A figure for
 * people, not for the decision: when the events cannot be read the check still answers, without them.
 */
export async function newestEvents(cfn: CloudFormationClient, stack: Stack): Promise<string[] | undefined> {
  try {
    const out = await cfn.send(new DescribeStackEventsCommand({ StackName: stack.StackId ?? stack.StackName }));
    return (out.StackEvents ?? []).slice(0, MAX_PROGRESS_EVENTS).map((e) => {
      const at = e.Timestamp ? new Date(e.Timestamp).toISOString() : '?';
      const line = `${at} ${e.LogicalResourceId ?? '?'} ${e.ResourceStatus ?? '?'}${e.ResourceStatusReason ? `: ${e.ResourceStatusReason}` : ''}`;
      return line.length > MAX_EVENT_CHARS ? `${line.slice(0, MAX_EVENT_CHARS - 1)}…` : line;
    });
  } catch {
    return undefined;
  }
}

type Check = Pick<StackStatusResult, 'status' | 'stackStatus' | 'failures'> & { stack?: Stack };

/**
 * How long the creation of this stack's source took, when that source is a stack this execution
 * created: clone 2 creates the new environment from snapshots of the same databases clone 1 restored
 * into the temporary stack, so about as long (the stack's own CREATE_IN_PROGRESS "User Initiated" to
 * CREATE_COMPLETE events, DescribeStackEvents). Undefined for any other stack, or when the source's
 * events cannot be read: the wait then keeps its backoff, and this check its answer.
 */
export async function precedentSeconds(cfn: CloudFormationClient, stack: Stack, executionId: string): Promise<number | undefined> {
  const tags = tagMap(stack.Tags);
  const sourceName = tags[TAGS.sourceStack];
  if (!sourceName || tags[TAGS.execution] !== executionId) return undefined;
  try {
    const source = await describeStack(cfn, sourceName);
    if (!source || source.StackStatus !== 'CREATE_COMPLETE' || tagMap(source.Tags)[TAGS.execution] !== executionId) return undefined;
    let started: number | undefined;
    let completed: number | undefined;
    let nextToken: string | undefined;
    for (let page = 0; page < EVENT_PAGES; page++) {
      const out = await cfn.send(new DescribeStackEventsCommand({ StackName: source.StackId ?? sourceName, NextToken: nextToken }));
      for (const e of out.StackEvents ?? []) {
        if (e.ResourceType !== STACK_TYPE || e.LogicalResourceId !== source.StackName) continue;
        if (e.ResourceStatus === 'CREATE_COMPLETE') completed = time(e);
        if (e.ResourceStatus === 'CREATE_IN_PROGRESS') started = Math.min(started ?? Number.POSITIVE_INFINITY, time(e));
      }
      nextToken = out.NextToken;
      if (!nextToken || (started !== undefined && completed !== undefined)) break;
    }
    return started !== undefined && completed !== undefined && completed > started ? (completed - started) / 1000 : undefined;
  } catch {
    return undefined;
  }
}

async function createStatus(cfn: CloudFormationClient, stackName: string): Promise<Check> {
  const stack = await describeStack(cfn, stackName);
  // create-stack returned a stack ID for this name: its absence means someone deleted it.
  if (!stack) throw new Error(`stack ${stackName} does not exist, but its creation was started`);
  const stackStatus = stack.StackStatus ?? 'UNKNOWN';
  if (stackStatus === 'CREATE_COMPLETE') return { status: 'READY', stackStatus, failures: [] };
  if (stackStatus === 'CREATE_IN_PROGRESS') return { status: 'PENDING', stackStatus, failures: [], stack };
  if (CREATE_FAILED_STATUSES.has(stackStatus)) {
    const failures = await creationFailures(cfn, stack);
    return { status: 'FAILED', stackStatus, failures: failures.length ? failures : [stackLevelFailure(stack, stackStatus)] };
  }
  return {
    status: 'FAILED',
    stackStatus,
    failures: [stackLevelFailure(stack, stackStatus, `the stack is ${stackStatus}, a state its creation does not lead to`)],
  };
}

async function updateStatus(cfn: CloudFormationClient, stackName: string, changeSetId: string | undefined): Promise<Check> {
  const stack = await describeStack(cfn, stackName);
  if (!stack) throw new Error(`stack ${stackName} does not exist, but its update was started`);
  const stackStatus = stack.StackStatus ?? 'UNKNOWN';
  // Not started yet as far as DescribeStacks shows (ExecuteChangeSet returns before the update runs):
  // the stack as created, or an earlier update's end. Waited for: never READY, at worst WaitTimedOut.
  if (stackStatus === 'CREATE_COMPLETE' || (changeSetId !== undefined && stack.ChangeSetId !== changeSetId)) {
    return { status: 'PENDING', stackStatus, failures: [], stack };
  }
  if (stackStatus === 'UPDATE_COMPLETE') return { status: 'READY', stackStatus, failures: [] };
  if (UPDATE_PENDING_STATUSES.has(stackStatus)) return { status: 'PENDING', stackStatus, failures: [], stack };
  if (UPDATE_FAILED_STATUSES.has(stackStatus)) {
    const failures = await updateFailures(cfn, stack);
    return { status: 'FAILED', stackStatus, failures: failures.length ? failures : [stackLevelFailure(stack, stackStatus)] };
  }
  return {
    status: 'FAILED',
    stackStatus,
    failures: [stackLevelFailure(stack, stackStatus, `the stack is ${stackStatus}, a state its update does not lead to`)],
  };
}

/**
 * The *_FAILED events of a failed update, its own UPDATE_FAILED first: only events since the update
 * began (the newest stack-level UPDATE_IN_PROGRESS; DescribeStackEvents lists newest first), so the
 * stack's creation is never taken for a cause.
 */
async function updateFailures(cfn: CloudFormationClient, stack: Stack): Promise<StackFailureReason[]> {
  const events: StackEvent[] = [];
  let nextToken: string | undefined;
  let begun = false;
  for (let page = 0; page < EVENT_PAGES && !begun; page++) {
    const out = await cfn.send(new DescribeStackEventsCommand({ StackName: stack.StackId ?? stack.StackName, NextToken: nextToken }));
    for (const e of out.StackEvents ?? []) {
      if (e.ResourceType === STACK_TYPE && e.LogicalResourceId === stack.StackName && e.ResourceStatus === 'UPDATE_IN_PROGRESS') {
        begun = true;
        break;
      }
      events.push(e);
    }
    nextToken = out.NextToken;
    if (!nextToken) break;
  }
  return distinctFailures(events, 'UPDATE_FAILED');
}

async function deleteStatus(cfn: CloudFormationClient, stackName: string): Promise<Check> {
  const stack = await describeStack(cfn, stackName);
  if (!stack || stack.StackStatus === 'DELETE_COMPLETE') return { status: 'READY', stackStatus: 'DELETE_COMPLETE', failures: [] };
  const stackStatus = stack.StackStatus ?? 'UNKNOWN';
  if (stackStatus === 'DELETE_IN_PROGRESS') return { status: 'PENDING', stackStatus, failures: [], stack };
  if (stackStatus === 'DELETE_FAILED') {
    const failures = await deletionFailures(cfn, stack);
    return { status: 'FAILED', stackStatus, failures: failures.length ? failures : [stackLevelFailure(stack, stackStatus)] };
  }
  return {
    status: 'FAILED',
    stackStatus,
    failures: [stackLevelFailure(stack, stackStatus, `the stack is ${stackStatus}: no deletion is in progress`)],
  };
}

/**
 * The *_FAILED events of a failed creation, root causes first. DescribeStackEvents lists newest
 * first; the first CREATE_FAILED in time is what broke the stack, later ones (and the rollback's own
 * failures) are consequences.
 */
async function creationFailures(cfn: CloudFormationClient, stack: Stack): Promise<StackFailureReason[]> {
  const events: StackEvent[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < EVENT_PAGES; page++) {
    const out = await cfn.send(new DescribeStackEventsCommand({ StackName: stack.StackId ?? stack.StackName, NextToken: nextToken }));
    events.push(...(out.StackEvents ?? []));
    nextToken = out.NextToken;
    if (!nextToken) break;
  }
  return distinctFailures(events, 'CREATE_FAILED');
}

/** The *_FAILED events, `cause` (the operation's own failure) first then oldest first, without repeats or cancellations, at most MAX_FAILURES. */
function distinctFailures(events: StackEvent[], cause: string): StackFailureReason[] {
  const rank = (e: StackEvent) => (e.ResourceStatus === cause ? 0 : 1);
  const failed = events
    .filter((e) => e.ResourceStatus?.endsWith('_FAILED') && !CANCELLED.test(e.ResourceStatusReason ?? ''))
    .sort((a, b) => rank(a) - rank(b) || time(a) - time(b));
  const seen = new Set<string>();
  const failures: StackFailureReason[] = [];
  for (const e of failed) {
    const failure = {
      logicalId: e.LogicalResourceId ?? '',
      resourceType: e.ResourceType ?? '',
      status: e.ResourceStatus ?? '',
      reason: e.ResourceStatusReason ?? '',
    };
    const key = `${failure.logicalId}\n${failure.status}\n${failure.reason}`;
    if (seen.has(key)) continue;
    seen.add(key);
    failures.push(failure);
    if (failures.length === MAX_FAILURES) break;
  }
  return failures;
}

function time(e: StackEvent): number {
  return e.Timestamp ? new Date(e.Timestamp).getTime() : 0;
}

/** Resources a failed deletion left behind, with CloudFormation's reason for each. */
async function deletionFailures(cfn: CloudFormationClient, stack: Stack): Promise<StackFailureReason[]> {
  const failures: StackFailureReason[] = [];
  for await (const page of paginateListStackResources({ client: cfn }, { StackName: stack.StackId ?? stack.StackName })) {
    for (const r of page.StackResourceSummaries ?? []) {
      if (r.ResourceStatus !== 'DELETE_FAILED') continue;
      failures.push({
        logicalId: r.LogicalResourceId ?? '',
        resourceType: r.ResourceType ?? '',
        status: r.ResourceStatus,
        reason: r.ResourceStatusReason ?? '',
      });
      if (failures.length === MAX_FAILURES) return failures;
    }
  }
  return failures;
}

function stackLevelFailure(stack: Stack, status: string, reason?: string): StackFailureReason {
  return {
    logicalId: stack.StackName ?? '',
    resourceType: STACK_TYPE,
    status,
    reason: reason ?? stack.StackStatusReason ?? 'CloudFormation gave no reason',
  };
}
