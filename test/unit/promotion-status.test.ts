import { CloudFormationClient, DescribeChangeSetCommand, type Change, type DescribeChangeSetCommandOutput } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CHANGE_SET_BACKOFF, promotionStatus } from '../../lambdas/promotion-status/core';
import type { PromotionPlan, PromotionStatusEvent } from '../../lambdas/shared/contracts';
import { PromotionUnsafe, WaitTimedOut } from '../../lambdas/shared/errors';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const NAME = 'orders-prod-tmp-1a2b3c4d';
const STACK_ID = `arn:aws:cloudformation:eu-west-1:123456789012:stack/${NAME}/abc`;
const PLAN: PromotionPlan = {
  stackName: NAME,
  changeSetName: 'em-1a2b3c4d-c1-promote',
  changeSetId: 'arn:aws:cloudformation:eu-west-1:123456789012:changeSet/em-1a2b3c4d-c1-promote/xyz',
  replicaLogicalIds: ['OrdersDb'],
};
const NOW = new Date('2030-01-01T12:00:00Z');

const cfnMock = mockClient(CloudFormationClient);
const cfn = new CloudFormationClient({});
const event = (extra: Partial<PromotionStatusEvent> = {}): PromotionStatusEvent => ({ promotion: PLAN, execution: EXECUTION, timeoutSeconds: 600, ...extra });

const modify = (id: string, replacement: 'True' | 'False' | 'Conditional', props: [string, 'Never' | 'Conditionally' | 'Always'][], type = 'AWS::RDS::DBInstance'): Change => ({
  Type: 'Resource',
  ResourceChange: {
    Action: 'Modify',
    LogicalResourceId: id,
    ResourceType: type,
    Replacement: replacement,
    Details: props.map(([Name, RequiresRecreation]) => ({ Target: { Attribute: 'Properties', Name, RequiresRecreation }, Evaluation: 'Static', ChangeSource: 'DirectModification' })),
  },
});
const promote = modify('OrdersDb', 'False', [['SourceDBInstanceIdentifier', 'Never']]);

function changeSetIs(out: Partial<DescribeChangeSetCommandOutput>) {
  cfnMock.on(DescribeChangeSetCommand).resolves({ StackId: STACK_ID, ChangeSetId: PLAN.changeSetId, Status: 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE', Changes: [promote], ...out });
}

async function unsafe(promise: Promise<unknown>): Promise<string> {
  const err = await promise.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PromotionUnsafe);
  return (err as Error).message;
}

beforeEach(() => cfnMock.reset());

describe('promotion-status', () => {
  it('is PENDING while CloudFormation computes the change set, on the change-set backoff', async () => {
    for (const Status of ['CREATE_PENDING', 'CREATE_IN_PROGRESS'] as const) {
      changeSetIs({ Status, ExecutionStatus: 'UNAVAILABLE', Changes: [] });
      const result = await promotionStatus(cfn, event(), NOW);
      expect(result.status, Status).toBe('PENDING');
      expect(result.wait.nextDelaySeconds).toBe(CHANGE_SET_BACKOFF.firstDelaySeconds);
    }
  });

  it('is READY, listing each change, when every change is an in-place Modify and every replica is modified', async () => {
    changeSetIs({ Changes: [promote, modify('App', 'False', [['Tags', 'Never']], 'AWS::AutoScaling::AutoScalingGroup')] });
    const result = await promotionStatus(cfn, event(), NOW);
    expect(result.status).toBe('READY');
    expect(result.changes).toEqual(['OrdersDb Modify: SourceDBInstanceIdentifier', 'App Modify: Tags']);
  });

  it('reads every page of the changes (NextToken) before judging', async () => {
    cfnMock
      .on(DescribeChangeSetCommand)
      .resolvesOnce({ Status: 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE', Changes: [promote], NextToken: 'p2' })
      .resolvesOnce({ Status: 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE', Changes: [{ Type: 'Resource', ResourceChange: { Action: 'Remove', LogicalResourceId: 'Uploads', ResourceType: 'AWS::S3::Bucket' } }] });
    const message = await unsafe(promotionStatus(cfn, event(), NOW));
    expect(message).toContain('Uploads (AWS::S3::Bucket) would be removed');
    expect(cfnMock.commandCalls(DescribeChangeSetCommand)[1]!.args[0].input.NextToken).toBe('p2');
  });

  it('throws PromotionUnsafe naming the database, the property that requires recreation and what to do, when the promotion would replace it', async () => {
    changeSetIs({ Changes: [modify('OrdersDb', 'True', [['SourceDBInstanceIdentifier', 'Never'], ['DBName', 'Always']])] });
    const message = await unsafe(promotionStatus(cfn, event(), NOW));
    expect(message).toContain(
      'OrdersDb would be replaced (DBName requires recreation): a replaced database is a new, empty one. Declare OrdersDbPromotedFrom and keep DBName AWS::NoValue after a promotion (examples/README.md)',
    );
  });

  it('counts a Conditional replacement as unsafe', async () => {
    changeSetIs({ Changes: [modify('OrdersDb', 'Conditional', [['SourceDBInstanceIdentifier', 'Never'], ['KmsKeyId', 'Conditionally']])] });
    expect(await unsafe(promotionStatus(cfn, event(), NOW))).toContain('OrdersDb might be replaced (KmsKeyId requires recreation)');
  });

  // How CloudFormation shows a real promotion: every conditionally create-only property of the
  // schema as RequiresRecreation Conditionally, hence Replacement Conditional.
  const promotion = (extra: { Name: string; RequiresRecreation: 'Never' | 'Conditionally' | 'Always'; AttributeChangeType: 'Add' | 'Remove' | 'Modify' }[], sourceChange: 'Add' | 'Remove' | 'Modify' = 'Remove'): Change => ({
    Type: 'Resource',
    ResourceChange: {
      Action: 'Modify',
      LogicalResourceId: 'OrdersDb',
      ResourceType: 'AWS::RDS::DBInstance',
      Replacement: 'Conditional',
      Details: [
        { Target: { Attribute: 'Properties', Name: 'SourceDBInstanceIdentifier', RequiresRecreation: 'Conditionally', AttributeChangeType: sourceChange }, Evaluation: 'Static', ChangeSource: 'ParameterReference' },
        ...extra.map((t) => ({ Target: { Attribute: 'Properties' as const, ...t }, Evaluation: 'Static' as const, ChangeSource: 'ParameterReference' as const })),
      ],
    },
  });

  it('accepts the Conditional replacement of a promotion: SourceDBInstanceIdentifier removed, the backup settings given to the promoted instance', async () => {
    changeSetIs({ Changes: [promotion([{ Name: 'BackupRetentionPeriod', RequiresRecreation: 'Conditionally', AttributeChangeType: 'Add' }, { Name: 'MasterUserPassword', RequiresRecreation: 'Never', AttributeChangeType: 'Add' }])] });
    const result = await promotionStatus(cfn, event(), NOW);
    expect(result.status).toBe('READY');
    expect(cfnMock.commandCalls(DescribeChangeSetCommand)[0]?.args[0].input).toMatchObject({ IncludePropertyValues: true });
  });

  it('refuses a Conditional replacement beyond the promotion: another conditionally create-only property changing, or SourceDBInstanceIdentifier changed rather than removed', async () => {
    changeSetIs({ Changes: [promotion([{ Name: 'StorageType', RequiresRecreation: 'Conditionally', AttributeChangeType: 'Modify' }])] });
    expect(await unsafe(promotionStatus(cfn, event(), NOW))).toContain('OrdersDb might be replaced (SourceDBInstanceIdentifier, StorageType require recreation)');
    changeSetIs({ Changes: [promotion([], 'Modify')] });
    expect(await unsafe(promotionStatus(cfn, event(), NOW))).toContain('OrdersDb might be replaced');
  });

  it('counts an added resource and a replaced non-database resource as unsafe', async () => {
    changeSetIs({
      Changes: [promote, { Type: 'Resource', ResourceChange: { Action: 'Add', LogicalResourceId: 'Extra', ResourceType: 'AWS::SNS::Topic' } }, modify('Lb', 'True', [['Scheme', 'Always']], 'AWS::ElasticLoadBalancingV2::LoadBalancer')],
    });
    const message = await unsafe(promotionStatus(cfn, event(), NOW));
    expect(message).toContain('Extra (AWS::SNS::Topic) would be added');
    expect(message).toContain('Lb (AWS::ElasticLoadBalancingV2::LoadBalancer) would be replaced (Scheme requires recreation)');
  });

  it('throws PromotionUnsafe when a replica of the plan is not modified: the change set would not promote it', async () => {
    changeSetIs({ Changes: [modify('App', 'False', [['Tags', 'Never']], 'AWS::AutoScaling::AutoScalingGroup')] });
    expect(await unsafe(promotionStatus(cfn, event(), NOW))).toContain('OrdersDb is not modified by the change set: it would not be promoted');
  });

  it("throws PromotionUnsafe with CloudFormation's reason when the change set failed (no changes at all, too)", async () => {
    changeSetIs({ Status: 'FAILED', ExecutionStatus: 'UNAVAILABLE', StatusReason: "The submitted information didn't contain changes. Submit different information to create a change set.", Changes: [] });
    expect(await unsafe(promotionStatus(cfn, event(), NOW))).toContain("failed: The submitted information didn't contain changes");
  });

  it('throws PromotionUnsafe when the change set can no longer be executed', async () => {
    changeSetIs({ ExecutionStatus: 'OBSOLETE' });
    expect(await unsafe(promotionStatus(cfn, event(), NOW))).toContain('cannot be executed (ExecutionStatus OBSOLETE');
  });

  it('throws WaitTimedOut when the change set is still being computed past the timeout', async () => {
    changeSetIs({ Status: 'CREATE_IN_PROGRESS', Changes: [] });
    const wait = { label: 'x', startedAt: '2030-01-01T11:00:00Z', timeoutSeconds: 600, elapsedSeconds: 590, nextDelaySeconds: 10, attempt: 20 };
    await expect(promotionStatus(cfn, event({ wait }), NOW)).rejects.toBeInstanceOf(WaitTimedOut);
  });
});
