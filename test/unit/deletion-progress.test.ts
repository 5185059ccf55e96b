/**
 * delete-stack's report of how far a failed deletion got (issue 10, item 2): only a failure proven to
 * precede any deletion of the original becomes DeletionNotStarted (Migrate: phase A, the original back
 * in service); everything else keeps its name, saying the deletion may have started (phase B).
 */
import { CloudFormationClient, DeleteStackCommand, DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DeleteStackDeps } from '../../lambdas/delete-stack/core';
import { deleteReportingProgress } from '../../lambdas/delete-stack/deletion-progress';
import type { DeleteStackEvent } from '../../lambdas/shared/contracts';

const cfnMock = mockClient(CloudFormationClient);
const ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orders-prod/cur';
const deps = (): DeleteStackDeps => ({ cfn: new CloudFormationClient({}), s3: new S3Client({}) });
const event = (extra: Partial<DeleteStackEvent> = {}): DeleteStackEvent => ({
  stackName: 'orders-prod',
  execution: { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' },
  reason: 'replaced by the new version',
  expectedStackId: ID,
  ...extra,
});
const sdkError = (name: string, status: number) => Object.assign(new Error(`${name} (simulated)`), { name, $metadata: { httpStatusCode: status } });

async function failure(run: Promise<unknown>): Promise<Error> {
  try {
    await run;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the deletion to fail');
}

beforeEach(() => {
  cfnMock.reset();
  cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'orders-prod', StackId: ID, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date() }] });
  cfnMock.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: [] });
});

describe('deleteReportingProgress', () => {
  it('turns a failure before any deletion of the original into DeletionNotStarted, saying nothing was deleted and what failed', async () => {
    const err = await failure(deleteReportingProgress(async () => { throw sdkError('AccessDenied', 403); }, deps(), event()));
    expect(err.name).toBe('DeletionNotStarted');
    expect(err.message).toMatch(/^nothing of stack orders-prod was deleted .*: AwsAccessDenied: AccessDenied: AccessDenied \(simulated\)$/);
  });

  it('keeps a throttle before any deletion retryable (DeletionNotStartedTransient)', async () => {
    const err = await failure(deleteReportingProgress(async () => { throw sdkError('Throttling', 400); }, deps(), event()));
    expect(err.name).toBe('DeletionNotStartedTransient');
  });

  it('keeps the error once DeleteStack was requested, saying the deletion may have started', async () => {
    const err = await failure(
      deleteReportingProgress(async (d) => {
        await d.cfn.send(new DeleteStackCommand({ StackName: ID }));
        throw sdkError('InternalFailure', 500);
      }, deps(), event()),
    );
    expect(err.name).toBe('AwsUnavailable');
    expect(err.message).toContain('[DeleteStack of orders-prod was requested: its deletion may have started]');
  });

  it('keeps the error when the stack is already being deleted (nothing can be proven whole)', async () => {
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'orders-prod', StackId: ID, StackStatus: 'DELETE_FAILED', CreationTime: new Date() }] });
    const err = await failure(deleteReportingProgress(async () => { throw sdkError('AccessDenied', 403); }, deps(), event()));
    expect(err.name).toBe('AwsAccessDenied');
    expect(err.message).toContain('may have started: the stack is DELETE_FAILED');
  });

  it('keeps the error when the proof itself cannot be read', async () => {
    cfnMock.on(ListStackResourcesCommand).rejects(sdkError('AccessDenied', 403));
    const err = await failure(deleteReportingProgress(async () => { throw sdkError('AccessDenied', 403); }, deps(), event()));
    expect(err.name).toBe('AwsAccessDenied');
    expect(err.message).toContain('could not be compared with their verified manifests');
  });

  it('leaves failures of a stack of this execution (no expectedStackId) as they are', async () => {
    const err = await failure(deleteReportingProgress(async () => { throw sdkError('AccessDenied', 403); }, deps(), event({ expectedStackId: undefined })));
    expect(err.name).toBe('AwsAccessDenied');
    expect(cfnMock.commandCalls(DescribeStacksCommand)).toHaveLength(0);
  });
});
