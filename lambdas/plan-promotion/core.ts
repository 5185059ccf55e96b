import { CreateChangeSetCommand, DescribeChangeSetCommand, type CloudFormationClient, type Parameter, type Stack } from '@aws-sdk/client-cloudformation';
import { PROMOTED_FROM_PARAMETER_SUFFIX, REPLICA_SOURCE_PARAMETER_SUFFIX } from '../shared/cfn-template';
import type { PlanPromotionEvent, PromotionPlan } from '../shared/contracts';
import { PromotionUnsafe, ResourceConflict } from '../shared/errors';
import { promotionChangeSetName } from '../shared/naming';
import { CAPABILITIES, describeStack, requestToken, tagMap } from '../shared/stacks';
import { TAGS } from '../steps';

export interface PlanPromotionDeps {
  cfn: CloudFormationClient;
  /** Service role CloudFormation assumes for the update (env CFN_ROLE_ARN), as for the stack's creation; absent: the caller's own credentials. */
  roleArn?: string;
}

/**
 * The parameters of the promotion, or why the stack cannot be promoted as planned. Pure. For each
 * database of the source: `<LogicalId>SourceDBInstanceIdentifier` emptied ("If you remove the
 * SourceDBInstanceIdentifier property from your template and then update your stack, AWS
 * CloudFormation promotes the read replica to a standalone DB instance", AWS::RDS::DBInstance
 * reference; the template contract removes it through a condition on this parameter) and
 * `<LogicalId>PromotedFrom` = the source's identifier where declared; every other parameter of the
 * stack its previous value (UsePreviousValue: NoEcho values included, never read). A database whose
 * replica parameter is missing or names another source is a problem: promoting it would promote
 * something else than the copy of the source.
 */
export function promotionParameters(stack: Stack, event: PlanPromotionEvent): { parameters: Parameter[]; problems: string[] } {
  const current = new Map((stack.Parameters ?? []).flatMap((p) => (p.ParameterKey ? [[p.ParameterKey, p.ParameterValue ?? ''] as const] : [])));
  const values = new Map<string, string>();
  const problems: string[] = [];
  for (const db of event.dbInstances) {
    const replicaSource = `${db.logicalId}${REPLICA_SOURCE_PARAMETER_SUFFIX}`;
    const now = current.get(replicaSource);
    if (now === undefined) {
      problems.push(`stack ${event.stackName} has no parameter ${replicaSource}: database ${db.logicalId} is not a read replica this workflow can promote (template contract, live sync)`);
      continue;
    }
    // RDS identifiers are case-insensitive (stored lowercase).
    if (now.toLowerCase() !== db.dbInstanceIdentifier.toLowerCase()) {
      problems.push(
        `database ${db.logicalId} of ${event.stackName} is not a read replica of ${db.dbInstanceIdentifier} (its ${replicaSource} is ${now === '' ? 'empty' : now}): promoting it would not carry that database`,
      );
      continue;
    }
    values.set(replicaSource, '');
    const promotedFrom = `${db.logicalId}${PROMOTED_FROM_PARAMETER_SUFFIX}`;
    if (current.has(promotedFrom)) values.set(promotedFrom, db.dbInstanceIdentifier);
  }
  const parameters: Parameter[] = [...current.keys()].map((key) =>
    values.has(key) ? { ParameterKey: key, ParameterValue: values.get(key) } : { ParameterKey: key, UsePreviousValue: true },
  );
  return { parameters, problems };
}

function isAlreadyExists(err: unknown): boolean {
  return !!err && typeof err === 'object' && (err as { name?: unknown }).name === 'AlreadyExistsException';
}

/**
 * Live sync, PREPARE (after the destination stack is CREATE_COMPLETE, before the standby): creates
 * the change set `em-<runId>-<phase>-promote` on the destination stack that will promote its read
 * replicas (UPDATE, the stack's previous template, promotionParameters), without executing it:
 * promotion-status then reads what it would do while nothing is down. Returns the plan. Idempotent:
 * a change set of that name already on this stack (a retry) is returned as it is.
 * Throws ResourceConflict when the stack was not created by this execution, PromotionUnsafe when
 * a database is not a replica of its source per the stack's parameters, an Error when the stack
 * does not exist, and the raw SDK error otherwise (the handler classifies it).
 */
export async function planPromotion(deps: PlanPromotionDeps, event: PlanPromotionEvent): Promise<PromotionPlan> {
  const stack = await describeStack(deps.cfn, event.stackName);
  if (!stack?.StackId) throw new Error(`stack ${event.stackName} does not exist: there are no read replicas to promote`);
  // Only the stack this very execution created: an update of any other would touch someone's environment.
  if (tagMap(stack.Tags)[TAGS.execution] !== event.execution.id) {
    throw new ResourceConflict(`stack ${event.stackName} (${stack.StackId}) was not created by this migration: its databases are not promoted by it`);
  }
  const { parameters, problems } = promotionParameters(stack, event);
  if (problems.length) throw new PromotionUnsafe(`the read replicas of ${event.stackName} cannot be promoted as planned: ${problems.join('; ')}`);

  const changeSetName = promotionChangeSetName(event.runId, event.phase);
  const replicaLogicalIds = event.dbInstances.map((d) => d.logicalId);
  try {
    const out = await deps.cfn.send(
      new CreateChangeSetCommand({
        StackName: stack.StackId,
        ChangeSetName: changeSetName,
        ChangeSetType: 'UPDATE',
        UsePreviousTemplate: true,
        Parameters: parameters,
        Capabilities: [...CAPABILITIES],
        ...(deps.roleArn ? { RoleARN: deps.roleArn } : {}),
        // No Tags: a change set's tags replace the stack's (and its resources'); without them the stack keeps its own.
        Description: `env-migrator: promote the read replicas ${replicaLogicalIds.join(', ')} (live sync)`,
        ClientToken: requestToken('promote', event.execution.id, stack.StackId, changeSetName),
      }),
    );
    if (!out.Id) throw new Error(`CreateChangeSet ${changeSetName} on ${event.stackName} returned no Id`);
    return { stackName: event.stackName, changeSetName, changeSetId: out.Id, replicaLogicalIds };
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    // Change set names are unique per stack: the one found was made by an earlier attempt of this step.
    const existing = await deps.cfn.send(new DescribeChangeSetCommand({ StackName: stack.StackId, ChangeSetName: changeSetName }));
    if (!existing.ChangeSetId || existing.StackId !== stack.StackId) {
      throw new ResourceConflict(`a change set ${changeSetName} exists but not on stack ${stack.StackId}: it is not this migration's`);
    }
    return { stackName: event.stackName, changeSetName, changeSetId: existing.ChangeSetId, replicaLogicalIds };
  }
}
