import { AlreadyExistsException, CloudFormationClient, CreateChangeSetCommand, DescribeChangeSetCommand, DescribeStacksCommand, type Parameter } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { planPromotion } from '../../lambdas/plan-promotion/core';
import type { PlanPromotionEvent } from '../../lambdas/shared/contracts';
import { PromotionUnsafe, ResourceConflict } from '../../lambdas/shared/errors';
import { TAGS } from '../../lambdas/steps';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const NAME = 'orders-prod-tmp-1a2b3c4d';
const STACK_ID = `arn:aws:cloudformation:eu-west-1:123456789012:stack/${NAME}/abc`;
const CHANGE_SET_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:changeSet/em-1a2b3c4d-c1-promote/xyz';
const ROLE = 'arn:aws:iam::123456789012:role/cfn';

const cfnMock = mockClient(CloudFormationClient);
const cfn = new CloudFormationClient({});

const event = (extra: Partial<PlanPromotionEvent> = {}): PlanPromotionEvent => ({
  stackName: NAME,
  dbInstances: [
    { logicalId: 'OrdersDb', dbInstanceIdentifier: 'orders-prod-ordersdb-abc', allocatedStorageGb: 20, engine: 'postgres' },
    { logicalId: 'AuditDb', dbInstanceIdentifier: 'orders-prod-auditdb-def', allocatedStorageGb: 20, engine: 'mysql' },
  ],
  phase: 'c1',
  runId: '1a2b3c4d',
  execution: EXECUTION,
  ...extra,
});

const PARAMETERS: Parameter[] = [
  { ParameterKey: 'EnvironmentVersion', ParameterValue: '1.4.0' },
  { ParameterKey: 'OrdersDbSourceDBInstanceIdentifier', ParameterValue: 'orders-prod-ordersdb-abc' },
  { ParameterKey: 'OrdersDbPromotedFrom', ParameterValue: '' },
  { ParameterKey: 'OrdersDbSnapshotIdentifier', ParameterValue: '' },
  { ParameterKey: 'AuditDbSourceDBInstanceIdentifier', ParameterValue: 'orders-prod-auditdb-def' },
  { ParameterKey: 'DbPassword', ParameterValue: '****' },
];

function stackIs(parameters: Parameter[] = PARAMETERS, execution = EXECUTION.id) {
  cfnMock.on(DescribeStacksCommand).resolves({
    Stacks: [{ StackName: NAME, StackId: STACK_ID, StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Parameters: parameters, Tags: [{ Key: TAGS.execution, Value: execution }] }],
  });
}

beforeEach(() => {
  cfnMock.reset();
  cfnMock.on(CreateChangeSetCommand).resolves({ Id: CHANGE_SET_ID, StackId: STACK_ID });
});

describe('plan-promotion', () => {
  it("creates the UPDATE change set em-<runId>-<phase>-promote on the stack's previous template, replica parameters emptied, PromotedFrom set, every other parameter its previous value", async () => {
    stackIs();
    const plan = await planPromotion({ cfn, roleArn: ROLE }, event());
    expect(plan).toEqual({ stackName: NAME, changeSetName: 'em-1a2b3c4d-c1-promote', changeSetId: CHANGE_SET_ID, replicaLogicalIds: ['OrdersDb', 'AuditDb'] });
    const input = cfnMock.commandCalls(CreateChangeSetCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ StackName: STACK_ID, ChangeSetName: 'em-1a2b3c4d-c1-promote', ChangeSetType: 'UPDATE', UsePreviousTemplate: true, RoleARN: ROLE });
    expect(input.Capabilities).toEqual(['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND']);
    expect(input.Tags).toBeUndefined();
    expect(input.Parameters).toEqual([
      { ParameterKey: 'EnvironmentVersion', UsePreviousValue: true },
      { ParameterKey: 'OrdersDbSourceDBInstanceIdentifier', ParameterValue: '' },
      { ParameterKey: 'OrdersDbPromotedFrom', ParameterValue: 'orders-prod-ordersdb-abc' },
      { ParameterKey: 'OrdersDbSnapshotIdentifier', UsePreviousValue: true },
      { ParameterKey: 'AuditDbSourceDBInstanceIdentifier', ParameterValue: '' },
      { ParameterKey: 'DbPassword', UsePreviousValue: true },
    ]);
  });

  it('returns the change set an earlier attempt created on the same stack', async () => {
    stackIs();
    cfnMock.on(CreateChangeSetCommand).rejects(new AlreadyExistsException({ message: 'ChangeSet em-1a2b3c4d-c1-promote already exists', $metadata: {} }));
    cfnMock.on(DescribeChangeSetCommand).resolves({ ChangeSetId: CHANGE_SET_ID, StackId: STACK_ID, Status: 'CREATE_COMPLETE' });
    const plan = await planPromotion({ cfn }, event());
    expect(plan.changeSetId).toBe(CHANGE_SET_ID);
    expect(cfnMock.commandCalls(DescribeChangeSetCommand)[0]!.args[0].input).toMatchObject({ StackName: STACK_ID, ChangeSetName: 'em-1a2b3c4d-c1-promote' });
  });

  it('sends the same ClientToken on a retry', async () => {
    stackIs();
    await planPromotion({ cfn }, event());
    await planPromotion({ cfn }, event());
    const [a, b] = cfnMock.commandCalls(CreateChangeSetCommand).map((c) => c.args[0].input.ClientToken);
    expect(a).toBe(b);
    expect(a).toMatch(/^[a-zA-Z0-9][-a-zA-Z0-9]*$/);
  });

  it('refuses to touch a stack another execution created', async () => {
    stackIs(PARAMETERS, 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:someone-else');
    await expect(planPromotion({ cfn }, event())).rejects.toBeInstanceOf(ResourceConflict);
    expect(cfnMock.commandCalls(CreateChangeSetCommand)).toHaveLength(0);
  });

  it('throws PromotionUnsafe, creating nothing, when a database is no replica of its source or the stack has no replica parameter for it', async () => {
    stackIs([
      { ParameterKey: 'OrdersDbSourceDBInstanceIdentifier', ParameterValue: '' },
    ]);
    const err = await planPromotion({ cfn }, event()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PromotionUnsafe);
    expect((err as Error).message).toContain('database OrdersDb of orders-prod-tmp-1a2b3c4d is not a read replica of orders-prod-ordersdb-abc (its OrdersDbSourceDBInstanceIdentifier is empty)');
    expect((err as Error).message).toContain('has no parameter AuditDbSourceDBInstanceIdentifier');
    expect(cfnMock.commandCalls(CreateChangeSetCommand)).toHaveLength(0);
  });
});
