import { CloudFormationClient, DescribeStackEventsCommand, DescribeStacksCommand, type StackEvent, type StackStatus } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { StackStatusEvent } from '../../lambdas/shared/contracts';
import { stackStatus, STACK_UPDATE_BACKOFF } from '../../lambdas/stack-status/core';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const NAME = 'orders-prod-tmp-1a2b3c4d';
const STACK_ID = `arn:aws:cloudformation:eu-west-1:123456789012:stack/${NAME}/abc`;
const CHANGE_SET = `arn:aws:cloudformation:eu-west-1:123456789012:changeSet/em-1a2b3c4d-c1-promote/xyz`;
const NOW = new Date('2030-01-01T12:00:00Z');

const cfnMock = mockClient(CloudFormationClient);
const cfn = new CloudFormationClient({});

const event = (extra: Partial<StackStatusEvent> = {}): StackStatusEvent => ({ stackName: NAME, operation: 'UPDATE', execution: EXECUTION, timeoutSeconds: 3600, ...extra });

function stackIs(status: StackStatus, changeSetId: string | undefined = CHANGE_SET) {
  cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: NAME, StackId: STACK_ID, StackStatus: status, CreationTime: new Date(), ChangeSetId: changeSetId }] });
}

const ev = (logicalId: string, status: string, reason: string, at: string, type = 'AWS::RDS::DBInstance'): StackEvent => ({
  StackId: STACK_ID,
  StackName: NAME,
  EventId: `${logicalId}-${status}-${at}`,
  LogicalResourceId: logicalId,
  ResourceType: type,
  ResourceStatus: status as StackEvent['ResourceStatus'],
  ResourceStatusReason: reason,
  Timestamp: new Date(at),
});

beforeEach(() => cfnMock.reset());

describe('stack-status UPDATE (live sync promotion)', () => {
  it('is READY at UPDATE_COMPLETE', async () => {
    stackIs('UPDATE_COMPLETE');
    const result = await stackStatus(cfn, event({ changeSetId: CHANGE_SET }), NOW);
    expect(result.status).toBe('READY');
    expect(result.stackStatus).toBe('UPDATE_COMPLETE');
  });

  it('stays PENDING during UPDATE_IN_PROGRESS and the clean-up after it, with the update backoff', async () => {
    cfnMock.on(DescribeStackEventsCommand).resolves({ StackEvents: [] });
    for (const status of ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'] as const) {
      stackIs(status);
      const result = await stackStatus(cfn, event(), NOW);
      expect(result.status, status).toBe('PENDING');
      expect(result.wait.nextDelaySeconds).toBe(STACK_UPDATE_BACKOFF.initialDelaySeconds);
      expect(result.wait.label).toBe(`stack ${NAME} to be updated`);
    }
  });

  it('stays PENDING while the stack still shows its creation: the update is not begun as DescribeStacks sees it', async () => {
    cfnMock.on(DescribeStackEventsCommand).resolves({ StackEvents: [] });
    stackIs('CREATE_COMPLETE', undefined);
    expect((await stackStatus(cfn, event(), NOW)).status).toBe('PENDING');
  });

  it("never takes an earlier update's UPDATE_COMPLETE for the promotion's when the change set is given", async () => {
    cfnMock.on(DescribeStackEventsCommand).resolves({ StackEvents: [] });
    stackIs('UPDATE_COMPLETE', 'arn:aws:cloudformation:eu-west-1:123456789012:changeSet/another/1');
    expect((await stackStatus(cfn, event({ changeSetId: CHANGE_SET }), NOW)).status).toBe('PENDING');
  });

  it("is FAILED on a rolled-back update, naming the update's own failures first and none of the creation's", async () => {
    stackIs('UPDATE_ROLLBACK_COMPLETE');
    cfnMock.on(DescribeStackEventsCommand).resolves({
      StackEvents: [
        ev(NAME, 'UPDATE_ROLLBACK_COMPLETE', '', '2030-01-01T11:59:00Z', 'AWS::CloudFormation::Stack'),
        ev('OrdersDb', 'UPDATE_FAILED', 'Cannot promote: replica is not in the available state', '2030-01-01T11:58:00Z'),
        ev(NAME, 'UPDATE_IN_PROGRESS', 'User Initiated', '2030-01-01T11:57:00Z', 'AWS::CloudFormation::Stack'),
        ev('AuditDb', 'CREATE_FAILED', 'an old failure during the creation', '2030-01-01T10:00:00Z'),
      ],
    });
    const result = await stackStatus(cfn, event(), NOW);
    expect(result.status).toBe('FAILED');
    expect(result.failures).toEqual([
      { logicalId: 'OrdersDb', resourceType: 'AWS::RDS::DBInstance', status: 'UPDATE_FAILED', reason: 'Cannot promote: replica is not in the available state' },
    ]);
  });

  it('is FAILED, with the stack as the failure, in UPDATE_ROLLBACK_FAILED without resource events and in a state no update leads to', async () => {
    cfnMock.on(DescribeStackEventsCommand).resolves({ StackEvents: [] });
    for (const status of ['UPDATE_ROLLBACK_FAILED', 'UPDATE_FAILED', 'DELETE_IN_PROGRESS'] as const) {
      stackIs(status);
      const result = await stackStatus(cfn, event(), NOW);
      expect(result.status, status).toBe('FAILED');
      expect(result.failures[0]?.logicalId).toBe(NAME);
    }
  });
});
