import { CloudFormationClient, DescribeChangeSetCommand, DescribeStacksCommand, ExecuteChangeSetCommand, type DescribeChangeSetCommandOutput } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { promoteReplicas } from '../../lambdas/promote-replicas/core';
import type { PromotionPlan } from '../../lambdas/shared/contracts';
import { PromotionUnsafe, ResourceConflict } from '../../lambdas/shared/errors';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const NAME = 'orders-prod-tmp-1a2b3c4d';
const STACK_ID = `arn:aws:cloudformation:eu-west-1:123456789012:stack/${NAME}/abc`;
const PLAN: PromotionPlan = {
  stackName: NAME,
  changeSetName: 'em-1a2b3c4d-c1-promote',
  changeSetId: 'arn:aws:cloudformation:eu-west-1:123456789012:changeSet/em-1a2b3c4d-c1-promote/xyz',
  replicaLogicalIds: ['OrdersDb'],
};

const cfnMock = mockClient(CloudFormationClient);
const cfn = new CloudFormationClient({});
const event = { promotion: PLAN, execution: EXECUTION };

function changeSetIs(out: Partial<DescribeChangeSetCommandOutput>) {
  cfnMock.on(DescribeChangeSetCommand).resolves({ StackId: STACK_ID, ChangeSetId: PLAN.changeSetId, Status: 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE', ...out });
}
function lastChangeSetIs(changeSetId: string | undefined) {
  cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: NAME, StackId: STACK_ID, StackStatus: 'UPDATE_IN_PROGRESS', CreationTime: new Date(), ChangeSetId: changeSetId }] });
}

beforeEach(() => {
  cfnMock.reset();
  cfnMock.on(ExecuteChangeSetCommand).resolves({});
});

describe('promote-replicas', () => {
  it('executes the planned change set with a deterministic request token', async () => {
    changeSetIs({});
    expect(await promoteReplicas(cfn, event)).toEqual({ stackName: NAME, changeSetId: PLAN.changeSetId, alreadyStarted: false });
    expect(await promoteReplicas(cfn, event)).toEqual({ stackName: NAME, changeSetId: PLAN.changeSetId, alreadyStarted: false });
    const [a, b] = cfnMock.commandCalls(ExecuteChangeSetCommand).map((c) => c.args[0].input);
    expect(a).toMatchObject({ ChangeSetName: PLAN.changeSetId, StackName: STACK_ID });
    expect(a!.ClientRequestToken).toBe(b!.ClientRequestToken);
  });

  it('counts an execution already in progress, complete or failed on this stack as started by an earlier attempt, without executing again', async () => {
    lastChangeSetIs(PLAN.changeSetId);
    for (const ExecutionStatus of ['EXECUTE_IN_PROGRESS', 'EXECUTE_COMPLETE', 'EXECUTE_FAILED'] as const) {
      changeSetIs({ ExecutionStatus });
      expect((await promoteReplicas(cfn, event)).alreadyStarted, ExecutionStatus).toBe(true);
    }
    expect(cfnMock.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0);
  });

  it("throws ResourceConflict when the change set was executed but the stack's last change set is another", async () => {
    changeSetIs({ ExecutionStatus: 'EXECUTE_COMPLETE' });
    lastChangeSetIs('arn:aws:cloudformation:eu-west-1:123456789012:changeSet/other/1');
    await expect(promoteReplicas(cfn, event)).rejects.toBeInstanceOf(ResourceConflict);
  });

  it('throws PromotionUnsafe, executing nothing, when the change set is OBSOLETE or UNAVAILABLE', async () => {
    for (const ExecutionStatus of ['OBSOLETE', 'UNAVAILABLE'] as const) {
      changeSetIs({ ExecutionStatus });
      const err = await promoteReplicas(cfn, event).catch((e: unknown) => e);
      expect(err, ExecutionStatus).toBeInstanceOf(PromotionUnsafe);
      expect((err as Error).message).toContain('The replicas were not promoted; the source still holds all the data');
    }
    expect(cfnMock.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0);
  });
});
