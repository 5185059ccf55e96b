import { DescribeChangeSetCommand, type CloudFormationClient, type Change, type DescribeChangeSetCommandOutput, type ResourceChange } from '@aws-sdk/client-cloudformation';
import type { PromotionPlan, PromotionStatusEvent, PromotionStatusResult } from '../shared/contracts';
import { PromotionUnsafe } from '../shared/errors';
import { advanceWait, type Backoff } from '../shared/wait';

/**
 * A change set of one stack update is usually computed within seconds to a minute (CloudFormation
 * User Guide, "Update CloudFormation stacks using change sets": CREATE_PENDING, CREATE_IN_PROGRESS,
 * then CREATE_COMPLETE): checked soon and often. The wait runs before the standby, costing no downtime.
 */
export const CHANGE_SET_BACKOFF: Backoff = { firstDelaySeconds: 5, factor: 1.5, maxDelaySeconds: 30 };
/** Pages of DescribeChangeSet read at most: an environment stack holds far fewer changes than this covers. */
const MAX_PAGES = 50;
const DB = 'AWS::RDS::DBInstance';

/** Every page of the change set: the status of the first, the changes of all. */
async function describeWhole(cfn: CloudFormationClient, plan: PromotionPlan): Promise<{ first: DescribeChangeSetCommandOutput; changes: Change[] }> {
  let first: DescribeChangeSetCommandOutput | undefined;
  const changes: Change[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await cfn.send(new DescribeChangeSetCommand({
        ChangeSetName: plan.changeSetId,
        StackName: plan.stackName,
        NextToken: nextToken,
        // With the values, each detail says whether a property is removed (AttributeChangeType): a
        // promotion is SourceDBInstanceIdentifier removed (isPromotionOnly).
        IncludePropertyValues: true,
      }));
    first ??= out;
    changes.push(...(out.Changes ?? []));
    nextToken = out.NextToken;
    // Still being computed: no changes to read yet.
    if (!nextToken || out.Status !== 'CREATE_COMPLETE') break;
  }
  if (nextToken) throw new PromotionUnsafe(`change set ${plan.changeSetName} of ${plan.stackName} lists more changes than ${MAX_PAGES} pages: it is not a promotion of read replicas`);
  return { first: first as DescribeChangeSetCommandOutput, changes };
}

/** The names of the properties whose change requires recreating the resource (Details: RequiresRecreation Always or Conditionally). */
function recreatingProperties(change: ResourceChange): string[] {
  const names = (change.Details ?? [])
    .filter((d) => d.Target?.RequiresRecreation === 'Always' || d.Target?.RequiresRecreation === 'Conditionally')
    .map((d) => d.Target?.Name ?? d.Target?.Attribute ?? '?');
  return [...new Set(names)];
}

/**
 * Why one resource change of the promotion is unsafe, or undefined when it is an in-place
 * modification. Only Modify with Replacement "False" is safe: "True" and "Conditional" (CloudFormation
 * cannot tell before executing, so it may) replace the resource, and a replaced database is a new,
 * empty one; a resource removed, added, imported or evaluated dynamically is no promotion either
 * (ResourceChange, CloudFormation API reference: Action Add | Modify | Remove | Import | Dynamic,
 * Replacement True | False | Conditional). Pure.
 */
export function unsafeChange(change: ResourceChange): string | undefined {
  const id = change.LogicalResourceId ?? '?';
  const type = change.ResourceType ?? 'unknown type';
  if (change.Action === 'Modify' && change.Replacement === 'False') return undefined;
  if (change.Action === 'Modify' && change.Replacement === 'Conditional' && type === DB && isPromotionOnly(change)) return undefined;
  if (change.Action === 'Modify') {
    const props = recreatingProperties(change);
    const cause = props.length ? ` (${props.join(', ')} ${props.length === 1 ? 'requires' : 'require'} recreation)` : '';
    const verb = change.Replacement === 'Conditional' ? 'might be replaced' : 'would be replaced';
    if (type === DB) {
      return `${id} ${verb}${cause}: a replaced database is a new, empty one. Declare ${id}PromotedFrom and keep ${props.length ? props.join(', ') : 'the properties a replica inherits'} AWS::NoValue after a promotion (examples/README.md)`;
    }
    return `${id} (${type}) ${verb}${cause}`;
  }
  const what = change.Action === 'Remove' ? 'would be removed' : change.Action === 'Add' ? 'would be added' : `would be changed by a ${change.Action ?? 'unknown'} action`;
  return `${id} (${type}) ${what}`;
}

/**
 * The properties whose change a promotion may show as RequiresRecreation "Conditionally" without the
 * database being replaced. A change set shows every AWS::RDS::DBInstance property of the schema's
 * conditionalCreateOnlyProperties so, whatever the values (aws-cloudformation/cloudformation-coverage-
 * roadmap#1788), so the promotion itself reads Replacement "Conditional". What the RDS resource
 * provider replaces for is narrower (ImmutabilityHelper in aws-cloudformation-resource-providers-rds):
 * SourceDBInstanceIdentifier only when changed to another source (removed, "CloudFormation promotes the
 * read replica", AWS::RDS::DBInstance reference); the backup settings a replica may not be given and the
 * promoted instance takes (BackupRetentionPeriod, PreferredBackupWindow: PromoteReadReplica's own
 * parameters) never. Anything else conditional stays unsafe. Should a template still be replaced, the
 * statistics comparison after the promotion finds the empty database and the source keeps the data.
 */
const PROMOTION_CONDITIONAL = new Set(['BackupRetentionPeriod', 'PreferredBackupWindow']);

/** A DBInstance change whose conditionally recreating properties are its promotion (SourceDBInstanceIdentifier removed) and the backup settings; nothing that always recreates. Pure. */
export function isPromotionOnly(change: ResourceChange): boolean {
  const details = change.Details ?? [];
  const removesSource = details.some((d) => d.Target?.Name === 'SourceDBInstanceIdentifier' && (d.Target.AttributeChangeType === 'Remove' || d.Target.AfterValue === ''));
  if (!removesSource) return false;
  return details.every((d) => {
    const recreation = d.Target?.RequiresRecreation;
    if (recreation === 'Always') return false;
    if (recreation !== 'Conditionally') return true;
    const name = d.Target?.Name ?? '';
    return name === 'SourceDBInstanceIdentifier' || PROMOTION_CONDITIONAL.has(name);
  });
}

/** "OrdersDb Modify: SourceDBInstanceIdentifier, DBName" */
function changeLine(change: ResourceChange): string {
  const props = [...new Set((change.Details ?? []).map((d) => d.Target?.Name ?? d.Target?.Attribute).filter((n): n is string => !!n))];
  return `${change.LogicalResourceId ?? '?'} ${change.Action ?? '?'}${props.length ? `: ${props.join(', ')}` : ''}`;
}

/**
 * Every reason the promotion is unsafe: each unsafe change (unsafeChange), and each database of the
 * plan the change set does not modify (then it does not promote it: its replica would stay one,
 * and be deleted with its source's stack). Pure.
 */
export function promotionProblems(changes: Change[], replicaLogicalIds: string[]): string[] {
  const resourceChanges = changes.flatMap((c) => (c.ResourceChange ? [c.ResourceChange] : []));
  const problems = resourceChanges.map(unsafeChange).filter((p): p is string => p !== undefined);
  const modified = new Set(resourceChanges.filter((c) => c.Action === 'Modify').map((c) => c.LogicalResourceId));
  for (const id of replicaLogicalIds) {
    if (!modified.has(id)) problems.push(`${id} is not modified by the change set: it would not be promoted (does its SourceDBInstanceIdentifier come from ${id}SourceDBInstanceIdentifier?)`);
  }
  return problems;
}

/**
 * Live sync, PREPARE: the wait for the promotion change set (plan-promotion) and the check of what
 * it would do, before the standby. PENDING while CloudFormation computes it (CREATE_PENDING,
 * CREATE_IN_PROGRESS); READY, with one line per change, when it only modifies resources in place
 * and modifies every replica. Throws PromotionUnsafe when the change set failed (its StatusReason:
 * also when it holds no change at all), was deleted or can no longer be executed, or would replace,
 * remove or add anything, naming each resource and why; WaitTimedOut past the wait's timeout.
 */
export async function promotionStatus(cfn: CloudFormationClient, event: PromotionStatusEvent, now: Date = new Date()): Promise<PromotionStatusResult> {
  const plan = event.promotion;
  const { first, changes } = await describeWhole(cfn, plan);
  const label = `change set ${plan.changeSetName} of ${plan.stackName} to be ready`;
  const status = first.Status ?? 'UNKNOWN';
  const subject = `the change set ${plan.changeSetName} that would promote the read replicas of ${plan.stackName}`;
  if (status === 'CREATE_PENDING' || status === 'CREATE_IN_PROGRESS') {
    return { status: 'PENDING', wait: advanceWait(event, label, CHANGE_SET_BACKOFF, false, now) };
  }
  if (status === 'FAILED') throw new PromotionUnsafe(`${subject} failed: ${first.StatusReason ?? 'CloudFormation gave no reason'}`);
  if (status !== 'CREATE_COMPLETE') throw new PromotionUnsafe(`${subject} is ${status}: it cannot be executed`);
  const execution = first.ExecutionStatus ?? 'UNKNOWN';
  if (execution !== 'AVAILABLE') {
    throw new PromotionUnsafe(`${subject} cannot be executed (ExecutionStatus ${execution}${first.StatusReason ? `: ${first.StatusReason}` : ''})`);
  }
  const problems = promotionProblems(changes, plan.replicaLogicalIds);
  if (problems.length) throw new PromotionUnsafe(`${subject} is not safe: ${problems.join('; ')}`);
  const lines = changes.flatMap((c) => (c.ResourceChange ? [changeLine(c.ResourceChange)] : []));
  return { status: 'READY', wait: advanceWait(event, label, CHANGE_SET_BACKOFF, true, now), changes: lines };
}
