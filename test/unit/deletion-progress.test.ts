/**
 * delete-stack's report of how far a failed deletion got (issue 10, item 2): only a failure proven to
 * precede any deletion of the original becomes DeletionNotStarted (Migrate: phase A, the original back
 * in service); everything else keeps its name, saying the deletion may have started (phase B).
 */
import { CloudFormationClient, DeleteStackCommand, DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DeleteStackDeps } from '../../lambdas/delete-stack/core';
import { deleteReportingProgress } from '../../lambdas/delete-stack/deletion-progress';
import type { CloneOutput, DeleteStackEvent, ManifestEntry, ManifestRef, VerifyBucketResult } from '../../lambdas/shared/contracts';
import { DeletionRefused } from '../../lambdas/shared/errors';
import { storedManifest } from './fixtures/manifests';

const cfnMock = mockClient(CloudFormationClient);
const s3Mock = mockClient(S3Client);
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

/** Manifest parts as the workflow bucket holds them. */
const stored = new Map<string, string>();

beforeEach(() => {
  stored.clear();
  s3Mock.reset();
  s3Mock.on(GetObjectCommand).callsFake((i: { Key: string }) => {
    const text = stored.get(i.Key);
    if (text === undefined) throw Object.assign(new Error('no such key'), { name: 'NoSuchKey' });
    return { Body: { transformToString: async () => text } };
  });
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

  describe('the proof that the buckets of the original still hold what was verified', () => {
    const V1: ManifestEntry = { key: 'a.txt', versionId: 'v1', size: 3, etag: 'e1' };
    const V2: ManifestEntry = { key: 'b.txt', versionId: 'v2', size: 4, etag: 'e2' };

    const manifestRef = (bucket: string, entries: ManifestEntry[] = []): ManifestRef => storedManifest(stored, bucket, entries);
    function verification(bucket: string, entries: ManifestEntry[], status: 'EQUAL' | 'MISMATCH' = 'EQUAL', listedBucket = bucket): VerifyBucketResult {
      const totals = { objects: entries.length, versions: entries.length, deleteMarkers: 0, bytes: 7, digest: { sum: 'd'.repeat(64), count: entries.length } };
      return {
        status,
        pair: { logicalId: 'Data', sourceBucket: bucket, destinationBucket: `${bucket}-copy` },
        source: totals,
        destination: totals,
        comparedBy: { etag: entries.length, checksum: 0, hashed: 0, notComparable: 0 },
        differences: [],
        differenceCount: 0,
        sourceManifest: { ...manifestRef(listedBucket, entries), listedBucket },
      };
    }
    const copyWith = (verification: VerifyBucketResult[]) => ({ verification }) as unknown as CloneOutput;
    function bucketResource(name: string, status: 'CREATE_COMPLETE' | 'DELETE_COMPLETE' | 'DELETE_SKIPPED' = 'CREATE_COMPLETE') {
      cfnMock.on(ListStackResourcesCommand).resolves({
        StackResourceSummaries: [
          { LogicalResourceId: 'Web', PhysicalResourceId: 'orders-data', ResourceType: 'AWS::AutoScaling::AutoScalingGroup', ResourceStatus: 'CREATE_COMPLETE', LastUpdatedTimestamp: new Date() },
          { LogicalResourceId: 'Data', PhysicalResourceId: name, ResourceType: 'AWS::S3::Bucket', ResourceStatus: status, LastUpdatedTimestamp: new Date() },
        ],
      });
    }
    const listing = (entries: ManifestEntry[]) =>
      s3Mock.on(ListObjectVersionsCommand).resolves({ Versions: entries.map((e) => ({ Key: e.key, VersionId: e.versionId, Size: e.size, ETag: e.etag, IsLatest: true })), IsTruncated: false });
    const failAccessDenied = async () => { throw sdkError('AccessDenied', 403); };

    it('says nothing was deleted when every version of the verified manifest is still listed', async () => {
      bucketResource('orders-data');
      listing([V1, V2]);
      const err = await failure(deleteReportingProgress(failAccessDenied, deps(), event({ verifiedCopy: copyWith([verification('orders-data', [V1, V2])]) })));
      expect(err.name).toBe('DeletionNotStarted');
      expect(s3Mock.commandCalls(ListObjectVersionsCommand)).toHaveLength(1);
    });

    it('says the deletion may have started when a version of the verified manifest is gone from the bucket, naming it', async () => {
      bucketResource('orders-data');
      listing([V1]);
      const err = await failure(deleteReportingProgress(failAccessDenied, deps(), event({ verifiedCopy: copyWith([verification('orders-data', [V1, V2])]) })));
      expect(err.name).toBe('AwsAccessDenied');
      expect(err.message).toContain('may have started: bucket orders-data no longer holds b.txt (version v2) of its verified manifest');
    });

    it('says the deletion may have started when a bucket of the stack is DELETE_COMPLETE or DELETE_SKIPPED', async () => {
      for (const status of ['DELETE_COMPLETE', 'DELETE_SKIPPED'] as const) {
        bucketResource('orders-data', status);
        const err = await failure(deleteReportingProgress(failAccessDenied, deps(), event({ verifiedCopy: copyWith([verification('orders-data', [V1])]) })));
        expect(err.name).toBe('AwsAccessDenied');
        expect(err.message).toContain(`bucket Data is ${status}`);
      }
    });

    it('compares only the manifests of EQUAL verifications of that very bucket: a bucket without one was never emptied', async () => {
      bucketResource('orders-data');
      listing([]);
      // A MISMATCH verification, and a manifest listed for another bucket: neither is a proof to compare with.
      for (const v of [verification('orders-data', [V1], 'MISMATCH'), verification('orders-data', [V1], 'EQUAL', 'orders-other')]) {
        const err = await failure(deleteReportingProgress(failAccessDenied, deps(), event({ verifiedCopy: copyWith([v]) })));
        expect(err.name).toBe('DeletionNotStarted');
      }
      expect(s3Mock.commandCalls(ListObjectVersionsCommand)).toHaveLength(0);
    });

    it('says the deletion may have started when the stack can no longer be read', async () => {
      cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [] });
      const err = await failure(deleteReportingProgress(failAccessDenied, deps(), event()));
      expect(err.name).toBe('AwsAccessDenied');
      expect(err.message).toContain('may have started: the stack can no longer be read');
    });

    it('keeps a refusal a refusal, noting that nothing was deleted', async () => {
      const err = await failure(deleteReportingProgress(async () => { throw new DeletionRefused('termination protection is enabled'); }, deps(), event()));
      expect(err).toBeInstanceOf(DeletionRefused);
      expect(err.message).toBe('termination protection is enabled [nothing of stack orders-prod was deleted (DeleteStack was not requested, and its buckets still hold every version their verified manifests name)]');
    });

    it('passes the result through untouched when the deletion succeeds, with the same client calls', async () => {
      const result = { status: 'DELETED' } as never;
      expect(await deleteReportingProgress(async () => result, deps(), event())).toBe(result);
      expect(cfnMock.commandCalls(DescribeStacksCommand)).toHaveLength(0);
    });
  });
});
