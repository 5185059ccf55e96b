import {
  CloudFormationClient,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  type StackEvent,
  type StackStatus,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { StackStatusEvent } from '../../lambdas/shared/contracts';
import { WaitTimedOut } from '../../lambdas/shared/errors';
import { stackStatus } from '../../lambdas/stack-status/core';
import { BACKOFF } from '../../lambdas/shared/wait';
import { TAGS } from '../../lambdas/steps';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const NAME = 'orders-prod-tmp-1a2b3c4d';
const STACK_ID = `arn:aws:cloudformation:eu-west-1:123456789012:stack/${NAME}/abc`;
const NOW = new Date('2030-01-01T12:00:00Z');

const cfnMock = mockClient(CloudFormationClient);
const cfn = new CloudFormationClient({});

function event(operation: 'CREATE' | 'DELETE', extra: Partial<StackStatusEvent> = {}): StackStatusEvent {
  return { stackName: NAME, operation, execution: EXECUTION, timeoutSeconds: 3600, ...extra };
}

function stackIs(status: StackStatus, reason?: string) {
  cfnMock.on(DescribeStacksCommand, { StackName: NAME }).resolves({
    Stacks: [{ StackName: NAME, StackId: STACK_ID, StackStatus: status, StackStatusReason: reason, CreationTime: new Date() }],
  });
}

function stackMissing() {
  cfnMock
    .on(DescribeStacksCommand, { StackName: NAME })
    .rejects(Object.assign(new Error(`Stack with id ${NAME} does not exist`), { name: 'ValidationError', $metadata: { httpStatusCode: 400 } }));
}

let seq = 0;
function ev(logicalId: string, status: string, reason: string, at: string, type = 'AWS::RDS::DBInstance'): StackEvent {
  seq += 1;
  return {
    StackId: STACK_ID,
    StackName: NAME,
    EventId: `e${seq}`,
    LogicalResourceId: logicalId,
    ResourceType: type,
    ResourceStatus: status as StackEvent['ResourceStatus'],
    ResourceStatusReason: reason,
    Timestamp: new Date(at),
  };
}

beforeEach(() => cfnMock.reset());

describe('stack-status CREATE, after a precedent', () => {
  const NEW = 'orders-prod';
  const tags = (source?: string, execution = EXECUTION.id) => [
    { Key: TAGS.execution, Value: execution },
    ...(source ? [{ Key: TAGS.sourceStack, Value: source }] : []),
  ];
  /** The new stack being created from the temporary one, which this execution created in `took` seconds. */
  function clone2(took: number, sourceExecution = EXECUTION.id) {
    cfnMock.on(DescribeStacksCommand, { StackName: NEW }).resolves({
      Stacks: [{ StackName: NEW, StackId: 'new-id', StackStatus: 'CREATE_IN_PROGRESS', CreationTime: NOW, Tags: tags(NAME) }],
    });
    cfnMock.on(DescribeStacksCommand, { StackName: NAME }).resolves({
      Stacks: [{ StackName: NAME, StackId: STACK_ID, StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(NOW.getTime() - 7200_000), Tags: tags('orders-prod', sourceExecution) }],
    });
    const start = NOW.getTime() - 7200_000;
    cfnMock.on(DescribeStackEventsCommand, { StackName: STACK_ID }).resolves({
      // Newest first, as CloudFormation lists them.
      StackEvents: [
        ev(NAME, 'CREATE_COMPLETE', '', new Date(start + took * 1000).toISOString(), 'AWS::CloudFormation::Stack'),
        ev('Database', 'CREATE_COMPLETE', '', new Date(start + (took - 5) * 1000).toISOString()),
        ev('Database', 'CREATE_IN_PROGRESS', '', new Date(start + 2000).toISOString()),
        ev(NAME, 'CREATE_IN_PROGRESS', 'User Initiated', new Date(start).toISOString(), 'AWS::CloudFormation::Stack'),
      ],
    });
  }

  it("checks the new environment's creation when its source's creation took as long, instead of on the backoff", async () => {
    clone2(900);
    const first = await stackStatus(cfn, event('CREATE', { stackName: NEW }), NOW);
    expect(first.wait).toMatchObject({ nextDelaySeconds: 600, expectedSeconds: 900 });
    // Carried by the wait: not looked up again.
    cfnMock.resetHistory();
    const second = await stackStatus(cfn, event('CREATE', { stackName: NEW, wait: first.wait }), new Date(NOW.getTime() + 600_000));
    expect(second.wait).toMatchObject({ nextDelaySeconds: 302, expectedSeconds: 900 });
    // Only the new stack's own newest events (the heartbeat's figures) are read, not the source's.
    expect(cfnMock.commandCalls(DescribeStackEventsCommand).map((c) => c.args[0].input.StackName)).toEqual(['new-id']);
  });

  it("puts the stack's three newest events in progress while PENDING, and still answers when they cannot be read", async () => {
    clone2(900);
    cfnMock.on(DescribeStackEventsCommand, { StackName: 'new-id' }).resolves({
      StackEvents: [
        ev('Database', 'CREATE_IN_PROGRESS', 'Resource creation Initiated', '2025-01-01T00:00:04.000Z'),
        ev('Uploads', 'CREATE_COMPLETE', '', '2025-01-01T00:00:03.000Z'),
        ev('Uploads', 'CREATE_IN_PROGRESS', '', '2025-01-01T00:00:02.000Z'),
        ev(NEW, 'CREATE_IN_PROGRESS', 'User Initiated', '2025-01-01T00:00:01.000Z', 'AWS::CloudFormation::Stack'),
      ],
    });
    const r = await stackStatus(cfn, event('CREATE', { stackName: NEW }), NOW);
    expect(r.progress).toEqual({
      latestEvents: [
        '2025-01-01T00:00:04.000Z Database CREATE_IN_PROGRESS: Resource creation Initiated',
        '2025-01-01T00:00:03.000Z Uploads CREATE_COMPLETE',
        '2025-01-01T00:00:02.000Z Uploads CREATE_IN_PROGRESS',
      ],
    });
    cfnMock.on(DescribeStackEventsCommand, { StackName: 'new-id' }).rejects(new Error('Rate exceeded'));
    const without = await stackStatus(cfn, event('CREATE', { stackName: NEW }), NOW);
    expect(without.status).toBe('PENDING');
    expect(without.progress).toBeUndefined();
  });

  it('keeps the backoff when the source is not a stack this execution created', async () => {
    clone2(900, 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:another');
    const r = await stackStatus(cfn, event('CREATE', { stackName: NEW }), NOW);
    expect(r.wait.nextDelaySeconds).toBe(BACKOFF.stackCreate.initialDelaySeconds);
    expect(r.wait).not.toHaveProperty('expectedSeconds');
  });

  it("keeps the backoff, and its answer, when the source's events cannot be read", async () => {
    clone2(900);
    cfnMock.on(DescribeStackEventsCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    const r = await stackStatus(cfn, event('CREATE', { stackName: NEW }), NOW);
    expect(r).toMatchObject({ status: 'PENDING', wait: { nextDelaySeconds: BACKOFF.stackCreate.initialDelaySeconds } });
  });
});

describe('stack-status CREATE', () => {
  it('is READY at CREATE_COMPLETE and tells the state machine it is done', async () => {
    stackIs('CREATE_COMPLETE');
    const r = await stackStatus(cfn, event('CREATE'), NOW);
    expect(r.status).toBe('READY');
    expect(r.stackStatus).toBe('CREATE_COMPLETE');
    expect(r.failures).toEqual([]);
    expect(r.wait.label).toBe(`stack ${NAME} to be created`);
  });

  it('is PENDING while CREATE_IN_PROGRESS, with a growing delay carried to the next check', async () => {
    stackIs('CREATE_IN_PROGRESS');
    const first = await stackStatus(cfn, event('CREATE'), NOW);
    expect(first.status).toBe('PENDING');
    expect(first.wait).toMatchObject({ attempt: 1, nextDelaySeconds: BACKOFF.stackCreate.initialDelaySeconds, startedAt: NOW.toISOString() });
    const second = await stackStatus(cfn, event('CREATE', { wait: first.wait }), new Date(NOW.getTime() + 20_000));
    expect(second.wait).toMatchObject({ attempt: 2, nextDelaySeconds: BACKOFF.stackCreate.firstDelaySeconds, elapsedSeconds: 20 });
  });

  it('throws WaitTimedOut when creation is still in progress past the timeout', async () => {
    stackIs('CREATE_IN_PROGRESS');
    const first = await stackStatus(cfn, event('CREATE', { timeoutSeconds: 60 }), NOW);
    await expect(stackStatus(cfn, event('CREATE', { timeoutSeconds: 60, wait: first.wait }), new Date(NOW.getTime() + 61_000))).rejects.toBeInstanceOf(
      WaitTimedOut,
    );
  });

  it('is FAILED after a rollback, with the root-cause CREATE_FAILED first and cancelled resources left out', async () => {
    stackIs('ROLLBACK_COMPLETE', 'The following resource(s) failed to create: [OrdersDb, Web]. Rollback requested by user.');
    // DescribeStackEvents lists newest first.
    cfnMock.on(DescribeStackEventsCommand).resolves({
      StackEvents: [
        ev(NAME, 'ROLLBACK_COMPLETE', '', '2030-01-01T11:50:00Z', 'AWS::CloudFormation::Stack'),
        ev('Data', 'DELETE_FAILED', 'The bucket you tried to delete is not empty', '2030-01-01T11:45:00Z', 'AWS::S3::Bucket'),
        ev(NAME, 'ROLLBACK_IN_PROGRESS', 'The following resource(s) failed to create: [OrdersDb, Web].', '2030-01-01T11:40:00Z', 'AWS::CloudFormation::Stack'),
        ev('Web', 'CREATE_FAILED', 'Resource creation cancelled', '2030-01-01T11:39:00Z', 'AWS::AutoScaling::AutoScalingGroup'),
        ev('OrdersDb', 'CREATE_FAILED', 'DBSnapshot envmig-c1-ordersdb not found', '2030-01-01T11:38:00Z'),
        ev('OrdersDb', 'CREATE_IN_PROGRESS', '', '2030-01-01T11:30:00Z'),
      ],
    });
    const r = await stackStatus(cfn, event('CREATE'), NOW);
    expect(r.status).toBe('FAILED');
    expect(r.stackStatus).toBe('ROLLBACK_COMPLETE');
    expect(r.failures).toEqual([
      { logicalId: 'OrdersDb', resourceType: 'AWS::RDS::DBInstance', status: 'CREATE_FAILED', reason: 'DBSnapshot envmig-c1-ordersdb not found' },
      { logicalId: 'Data', resourceType: 'AWS::S3::Bucket', status: 'DELETE_FAILED', reason: 'The bucket you tried to delete is not empty' },
    ]);
    // A finished (failed) operation is never reported as timed out.
    expect(r.wait.attempt).toBe(1);
  });

  it.each(['CREATE_FAILED', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_FAILED'] as const)('is FAILED at %s', async (status) => {
    stackIs(status);
    cfnMock.on(DescribeStackEventsCommand).resolves({ StackEvents: [ev('OrdersDb', 'CREATE_FAILED', 'quota exceeded', '2030-01-01T11:38:00Z')] });
    const r = await stackStatus(cfn, event('CREATE'), NOW);
    expect(r.status).toBe('FAILED');
    expect(r.failures[0]).toMatchObject({ logicalId: 'OrdersDb', reason: 'quota exceeded' });
  });

  it('reads the events of the first pages, older pages included, when the cause is not on the newest one', async () => {
    stackIs('ROLLBACK_COMPLETE');
    cfnMock
      .on(DescribeStackEventsCommand, { StackName: STACK_ID, NextToken: undefined })
      .resolves({ StackEvents: [ev(NAME, 'ROLLBACK_COMPLETE', '', '2030-01-01T11:50:00Z', 'AWS::CloudFormation::Stack')], NextToken: 'p2' })
      .on(DescribeStackEventsCommand, { StackName: STACK_ID, NextToken: 'p2' })
      .resolves({ StackEvents: [ev('OrdersDb', 'CREATE_FAILED', 'storage full', '2030-01-01T11:38:00Z')] });
    const r = await stackStatus(cfn, event('CREATE'), NOW);
    expect(r.failures).toEqual([{ logicalId: 'OrdersDb', resourceType: 'AWS::RDS::DBInstance', status: 'CREATE_FAILED', reason: 'storage full' }]);
  });

  it("falls back to the stack's own reason when no failure event is found", async () => {
    stackIs('ROLLBACK_COMPLETE', 'Rollback requested by user.');
    cfnMock.on(DescribeStackEventsCommand).resolves({ StackEvents: [] });
    const r = await stackStatus(cfn, event('CREATE'), NOW);
    expect(r.failures).toEqual([{ logicalId: NAME, resourceType: 'AWS::CloudFormation::Stack', status: 'ROLLBACK_COMPLETE', reason: 'Rollback requested by user.' }]);
  });

  it('is FAILED, not PENDING forever, when the stack is in a state creation does not lead to', async () => {
    stackIs('DELETE_IN_PROGRESS');
    const r = await stackStatus(cfn, event('CREATE'), NOW);
    expect(r.status).toBe('FAILED');
    expect(r.failures[0]!.reason).toMatch(/DELETE_IN_PROGRESS/);
  });

  it('throws when the stack being created does not exist', async () => {
    stackMissing();
    await expect(stackStatus(cfn, event('CREATE'), NOW)).rejects.toThrow(/does not exist/);
  });
});

describe('stack-status DELETE', () => {
  it('is READY once the name no longer resolves to a stack', async () => {
    stackMissing();
    const r = await stackStatus(cfn, event('DELETE'), NOW);
    expect(r).toMatchObject({ status: 'READY', stackStatus: 'DELETE_COMPLETE', failures: [] });
    expect(r.wait.label).toBe(`stack ${NAME} to be deleted`);
  });

  it('is READY at DELETE_COMPLETE', async () => {
    stackIs('DELETE_COMPLETE');
    expect((await stackStatus(cfn, event('DELETE'), NOW)).status).toBe('READY');
  });

  it('is PENDING while DELETE_IN_PROGRESS', async () => {
    stackIs('DELETE_IN_PROGRESS');
    const r = await stackStatus(cfn, event('DELETE'), NOW);
    expect(r.status).toBe('PENDING');
    expect(r.wait.nextDelaySeconds).toBe(BACKOFF.stackDelete.initialDelaySeconds);
  });

  it('is FAILED at DELETE_FAILED with each resource left behind and its reason', async () => {
    stackIs('DELETE_FAILED', 'The following resource(s) failed to delete: [Data].');
    cfnMock.on(ListStackResourcesCommand).resolves({
      StackResourceSummaries: [
        { LogicalResourceId: 'Web', ResourceType: 'AWS::AutoScaling::AutoScalingGroup', ResourceStatus: 'DELETE_COMPLETE', LastUpdatedTimestamp: new Date() },
        {
          LogicalResourceId: 'Data',
          PhysicalResourceId: 'orders-data',
          ResourceType: 'AWS::S3::Bucket',
          ResourceStatus: 'DELETE_FAILED',
          ResourceStatusReason: 'The bucket you tried to delete is not empty',
          LastUpdatedTimestamp: new Date(),
        },
      ],
    });
    const r = await stackStatus(cfn, event('DELETE'), NOW);
    expect(r.status).toBe('FAILED');
    expect(r.failures).toEqual([{ logicalId: 'Data', resourceType: 'AWS::S3::Bucket', status: 'DELETE_FAILED', reason: 'The bucket you tried to delete is not empty' }]);
  });

  it('is FAILED when the stack exists but no deletion is in progress', async () => {
    stackIs('CREATE_COMPLETE');
    const r = await stackStatus(cfn, event('DELETE'), NOW);
    expect(r.status).toBe('FAILED');
    expect(r.failures[0]!.reason).toMatch(/no deletion is in progress/);
  });

  it('throws WaitTimedOut when deletion is still in progress past the timeout', async () => {
    stackIs('DELETE_IN_PROGRESS');
    const started = { label: 'x', startedAt: '2030-01-01T10:00:00Z', timeoutSeconds: 3600, elapsedSeconds: 3500, nextDelaySeconds: 60, attempt: 60 };
    await expect(stackStatus(cfn, event('DELETE', { wait: started }), NOW)).rejects.toBeInstanceOf(WaitTimedOut);
  });

  it('lets DescribeStacks errors other than "does not exist" propagate', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } });
    cfnMock.on(DescribeStacksCommand).rejects(throttled);
    await expect(stackStatus(cfn, event('DELETE'), NOW)).rejects.toBe(throttled);
  });
});
