import { DescribeChangeSetCommand, ExecuteChangeSetCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { PromoteReplicasEvent, PromoteReplicasResult } from '../shared/contracts';
import { PromotionUnsafe, ResourceConflict } from '../shared/errors';
import { describeStack, requestToken } from '../shared/stacks';

/** ExecutionStatus of a change set whose execution has started (ChangeSetSummary, CloudFormation API reference). */
const STARTED = new Set(['EXECUTE_IN_PROGRESS', 'EXECUTE_COMPLETE', 'EXECUTE_FAILED']);

/**
 * Live sync, FINISH (the replicas caught up, the source takes no writes): executes the promotion
 * change set that PREPARE planned and promotion-status checked. Returns without waiting: stack-status
 * (operation UPDATE) follows the update. Idempotent: a change set whose execution has started (in
 * progress, complete or failed) while the stack's last change set is this one was started by an
 * earlier attempt of this step (`alreadyStarted`); stack-status then reports how it went.
 * Throws PromotionUnsafe when the change set can no longer be executed as checked (OBSOLETE: the
 * stack changed since; UNAVAILABLE, FAILED, deleted), ResourceConflict when its execution was
 * started but the stack's last change set is another, and raw SDK errors otherwise.
 */
export async function promoteReplicas(cfn: CloudFormationClient, event: PromoteReplicasEvent): Promise<PromoteReplicasResult> {
  const plan = event.promotion;
  const changeSet = await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: plan.changeSetId, StackName: plan.stackName }));
  const execution = changeSet.ExecutionStatus ?? 'UNKNOWN';
  const subject = `the change set ${plan.changeSetName} that promotes the read replicas of ${plan.stackName}`;
  if (STARTED.has(execution)) {
    const stack = await describeStack(cfn, changeSet.StackId ?? plan.stackName);
    if (!stack || stack.ChangeSetId !== plan.changeSetId) {
      throw new ResourceConflict(`${subject} is ${execution}, but the last change set of ${plan.stackName} is ${stack?.ChangeSetId ?? 'none'}: not this migration's promotion`);
    }
    return { stackName: plan.stackName, changeSetId: plan.changeSetId, alreadyStarted: true };
  }
  if (changeSet.Status !== 'CREATE_COMPLETE' || execution !== 'AVAILABLE') {
    const why =
      execution === 'OBSOLETE'
        ? 'the stack was updated after it was planned, so what it would do is no longer what was checked'
        : `it is ${changeSet.Status ?? 'UNKNOWN'} with ExecutionStatus ${execution}${changeSet.StatusReason ? ` (${changeSet.StatusReason})` : ''}`;
    throw new PromotionUnsafe(`${subject} cannot be executed: ${why}. The replicas were not promoted; the source still holds all the data`);
  }
  await cfn.send(
    new ExecuteChangeSetCommand({
      ChangeSetName: plan.changeSetId,
      StackName: changeSet.StackId ?? plan.stackName,
      ClientRequestToken: requestToken('promote', plan.changeSetId),
    }),
  );
  return { stackName: plan.stackName, changeSetId: plan.changeSetId, alreadyStarted: false };
}
