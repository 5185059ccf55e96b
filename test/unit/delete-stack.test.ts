import {
  CloudFormationClient,
  DeleteStackCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectVersionsCommand, NoSuchBucket, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { deleteStack, type DeleteStackDeps } from '../../lambdas/delete-stack/core';
import type { CloneOutput, DeleteStackEvent, ManifestEntry, ManifestRef, VerifyBucketResult } from '../../lambdas/shared/contracts';
import { AwsAccessDenied, AwsUnavailable, DeletionRefused, OriginalReplaced, DocumentCorrupt } from '../../lambdas/shared/errors';
import { manifestPartKey } from '../../lambdas/shared/manifest';
import { TAGS } from '../../lambdas/steps';
import { storedManifest } from './fixtures/manifests';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const CURRENT = 'orders-prod';
const CURRENT_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orders-prod/cur';
const TEMP = 'orders-prod-tmp-1a2b3c4d';
const TEMP_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orders-prod-tmp-1a2b3c4d/tmp';

const TEMPLATE = `
Resources:
  Data: { Type: AWS::S3::Bucket }
  Uploads: { Type: AWS::S3::Bucket, DeletionPolicy: Delete }
`;

const cfnMock = mockClient(CloudFormationClient);
const s3Mock = mockClient(S3Client);
const deps = (extra: Partial<DeleteStackDeps> = {}): DeleteStackDeps => ({ cfn: new CloudFormationClient({}), s3: new S3Client({}), ...extra });

function stack(name: string, id: string, extra: Partial<Stack> = {}): Stack {
  return { StackName: name, StackId: id, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date('2029-01-01T00:00:00Z'), Tags: [], ...extra };
}

function describes(name: string, s: Stack | undefined) {
  const call = cfnMock.on(DescribeStacksCommand, { StackName: name });
  if (s) call.resolves({ Stacks: [s] });
  else call.rejects(Object.assign(new Error(`Stack with id ${name} does not exist`), { name: 'ValidationError', $metadata: { httpStatusCode: 400 } }));
}

function bucketsOf(stackId: string, buckets: [logicalId: string, name: string][]) {
  cfnMock.on(ListStackResourcesCommand, { StackName: stackId }).resolves({
    StackResourceSummaries: [
      { LogicalResourceId: 'Web', PhysicalResourceId: 'asg-1', ResourceType: 'AWS::AutoScaling::AutoScalingGroup', ResourceStatus: 'CREATE_COMPLETE', LastUpdatedTimestamp: new Date() },
      ...buckets.map(([logicalId, name]) => ({
        LogicalResourceId: logicalId,
        PhysicalResourceId: name,
        ResourceType: 'AWS::S3::Bucket',
        ResourceStatus: 'CREATE_COMPLETE' as const,
        LastUpdatedTimestamp: new Date(),
      })),
    ],
  });
}

/** Manifest parts as the workflow bucket holds them (GetObject answers from here). */
const stored = new Map<string, string>();

/** A verified manifest of `bucket` naming `entries` (one part), stored in the fake workflow bucket. */
const manifestRef = (bucket: string, entries: ManifestEntry[] = []): ManifestRef => storedManifest(stored, bucket, entries);

function verification(sourceBucket: string, status: 'EQUAL' | 'MISMATCH' = 'EQUAL', entries: ManifestEntry[] = []): VerifyBucketResult {
  const manifest = { objects: 2, versions: 2, deleteMarkers: 0, bytes: 10, digest: { sum: 'd'.repeat(64), count: 2 } };
  return {
    status,
    pair: { logicalId: 'Data', sourceBucket, destinationBucket: `${sourceBucket}-copy` },
    source: manifest,
    destination: manifest,
    comparedBy: { etag: 2, checksum: 0, hashed: 0, notComparable: 0 },
    differences: [],
    differenceCount: 0,
    sourceManifest: manifestRef(sourceBucket, entries),
  };
}

function verifiedCopy(extra: Partial<CloneOutput> = {}): CloneOutput {
  return {
    outcome: 'EQUAL',
    sourceStackName: CURRENT,
    destinationStackName: TEMP,
    destinationStackId: TEMP_ID,
    destinationDbInstances: [],
    version: '1.3.0',
    snapshots: [],
    copies: [],
    verification: [verification('orders-data'), verification('orders-uploads')],
    statistics: {
      status: 'EQUAL',
      source: { url: 'https://a/stats', ok: true, dataSha256: 'a'.repeat(64), values: 1 },
      destination: { url: 'https://b/stats', ok: true, dataSha256: 'a'.repeat(64), values: 1 },
      differences: [],
      differenceCount: 0,
      summary: 'equal',
    },
    ...extra,
  };
}

function deleteCurrent(extra: Partial<DeleteStackEvent> = {}): DeleteStackEvent {
  return { stackName: CURRENT, execution: EXECUTION, reason: 'replaced by a verified copy', expectedStackId: CURRENT_ID, verifiedCopy: verifiedCopy(), ...extra };
}

function deleteTemp(extra: Partial<DeleteStackEvent> = {}): DeleteStackEvent {
  return { stackName: TEMP, execution: EXECUTION, reason: 'temporary copy no longer needed', ...extra };
}

const ours = [{ Key: TAGS.execution, Value: EXECUTION.id }];

function emptyBuckets(...names: string[]) {
  for (const n of names) s3Mock.on(ListObjectVersionsCommand, { Bucket: n }).resolves({ IsTruncated: false });
}

beforeEach(() => {
  cfnMock.reset();
  s3Mock.reset();
  cfnMock.on(DeleteStackCommand).resolves({});
  cfnMock.on(GetTemplateCommand).resolves({ TemplateBody: TEMPLATE });
  s3Mock.on(DeleteObjectsCommand).resolves({});
  stored.clear();
  s3Mock.on(GetObjectCommand).callsFake((i: { Key: string }) => {
    const text = stored.get(i.Key);
    if (text === undefined) throw Object.assign(new Error('no such key'), { name: 'NoSuchKey' });
    return { Body: { transformToString: async () => text, transformToByteArray: async () => new Uint8Array(Buffer.from(text)) } };
  });
});

/** `afterReading`: the refusal comes from the read-only comparison of the buckets with their manifests. */
async function refusal(promise: Promise<unknown>, afterReading = false, kind: abstract new (...args: never[]) => Error = DeletionRefused): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(kind);
  // Nothing may be touched before a refusal.
  expect(s3Mock.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  if (!afterReading) expect(s3Mock.commandCalls(ListObjectVersionsCommand)).toHaveLength(0);
  expect(cfnMock.commandCalls(DeleteStackCommand)).toHaveLength(0);
  return (err as Error).message;
}

describe('delete-stack: what is already done', () => {
  it('counts a stack that does not exist as already deleted and touches nothing', async () => {
    describes(TEMP, undefined);
    expect(await deleteStack(deps(), deleteTemp())).toEqual({ status: 'DONE', stackName: TEMP, bucketsEmptied: [], deleteStarted: false });
    expect(cfnMock.commandCalls(DeleteStackCommand)).toHaveLength(0);
  });

  it('leaves a stack already DELETE_IN_PROGRESS alone', async () => {
    describes(TEMP, stack(TEMP, TEMP_ID, { StackStatus: 'DELETE_IN_PROGRESS', Tags: ours }));
    expect(await deleteStack(deps(), deleteTemp())).toEqual({ status: 'DONE', stackName: TEMP, bucketsEmptied: [], deleteStarted: true });
    expect(cfnMock.commandCalls(DeleteStackCommand)).toHaveLength(0);
    expect(s3Mock.calls()).toHaveLength(0);
  });
});

describe("delete-stack: this execution's own stack", () => {
  it('empties every version and delete marker of every bucket, page by page, then deletes the stack by ID', async () => {
    describes(TEMP, stack(TEMP, TEMP_ID, { StackStatus: 'CREATE_COMPLETE', Tags: ours }));
    bucketsOf(TEMP_ID, [
      ['Data', 'tmp-data'],
      ['Uploads', 'tmp-uploads'],
    ]);
    const versions = Array.from({ length: 1500 }, (_, i) => ({ Key: `k${String(i).padStart(4, '0')}`, VersionId: `v${i}` }));
    s3Mock
      .on(ListObjectVersionsCommand, { Bucket: 'tmp-data', KeyMarker: undefined, VersionIdMarker: undefined })
      .resolves({ Versions: versions, DeleteMarkers: [{ Key: 'gone', VersionId: 'dm1' }], IsTruncated: true, NextKeyMarker: 'k1499', NextVersionIdMarker: 'v1499' })
      .on(ListObjectVersionsCommand, { Bucket: 'tmp-data', KeyMarker: 'k1499', VersionIdMarker: 'v1499' })
      .resolves({ Versions: [{ Key: 'z', VersionId: 'null' }], IsTruncated: false });
    emptyBuckets('tmp-uploads');

    const result = await deleteStack(deps({ roleArn: 'arn:aws:iam::123456789012:role/cfn' }), deleteTemp());

    expect(result).toEqual({
      status: 'DONE',
      stackName: TEMP,
      deleteStarted: true,
      bucketsEmptied: [
        { bucketName: 'tmp-data', objectVersionsDeleted: 1502 },
        { bucketName: 'tmp-uploads', objectVersionsDeleted: 0 },
      ],
    });
    const batches = s3Mock.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input);
    expect(batches.map((b) => b.Delete?.Objects?.length)).toEqual([1000, 501, 1]);
    expect(batches.every((b) => b.Delete?.Quiet === true && b.Bucket === 'tmp-data')).toBe(true);
    const deletedIds = batches.flatMap((b) => b.Delete?.Objects ?? []);
    expect(deletedIds).toContainEqual({ Key: 'gone', VersionId: 'dm1' });
    expect(deletedIds).toContainEqual({ Key: 'z', VersionId: 'null' });

    const del = cfnMock.commandCalls(DeleteStackCommand);
    expect(del).toHaveLength(1);
    expect(del[0]!.args[0].input).toMatchObject({ StackName: TEMP_ID, RoleARN: 'arn:aws:iam::123456789012:role/cfn' });
    expect(del[0]!.args[0].input.ClientRequestToken).toMatch(/^[a-zA-Z0-9][-a-zA-Z0-9]{0,127}$/);
  });

  it('counts a bucket that no longer exists as empty', async () => {
    describes(TEMP, stack(TEMP, TEMP_ID, { Tags: ours }));
    bucketsOf(TEMP_ID, [['Data', 'tmp-data']]);
    s3Mock.on(ListObjectVersionsCommand).rejects(new NoSuchBucket({ message: 'The specified bucket does not exist', $metadata: {} }));
    const result = await deleteStack(deps(), deleteTemp());
    expect(result.bucketsEmptied).toEqual([{ bucketName: 'tmp-data', objectVersionsDeleted: 0 }]);
    expect(cfnMock.commandCalls(DeleteStackCommand)).toHaveLength(1);
  });

  it('throws, and does not delete the stack, when DeleteObjects answers 200 with per-key errors', async () => {
    describes(TEMP, stack(TEMP, TEMP_ID, { Tags: ours }));
    bucketsOf(TEMP_ID, [['Data', 'tmp-data']]);
    s3Mock.on(ListObjectVersionsCommand).resolves({ Versions: [{ Key: 'a', VersionId: '1' }, { Key: 'b', VersionId: '2' }], IsTruncated: false });
    s3Mock.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'b', VersionId: '2', Code: 'AccessDenied', Message: 'Access Denied' }] });
    const err = await deleteStack(deps(), deleteTemp()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsAccessDenied);
    expect((err as Error).message).toMatch(/DeleteObjects left 1 object version\(s\) in tmp-data: b \(version 2\): AccessDenied/);
    expect(cfnMock.commandCalls(DeleteStackCommand)).toHaveLength(0);
  });

  it('reports per-key InternalError as a retryable AwsUnavailable', async () => {
    describes(TEMP, stack(TEMP, TEMP_ID, { Tags: ours }));
    bucketsOf(TEMP_ID, [['Data', 'tmp-data']]);
    s3Mock.on(ListObjectVersionsCommand).resolves({ Versions: [{ Key: 'a', VersionId: '1' }], IsTruncated: false });
    s3Mock.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'a', VersionId: '1', Code: 'InternalError', Message: 'We encountered an internal error' }] });
    await expect(deleteStack(deps(), deleteTemp())).rejects.toBeInstanceOf(AwsUnavailable);
    expect(cfnMock.commandCalls(DeleteStackCommand)).toHaveLength(0);
  });

  it('does not empty a bucket the template retains (DeletionPolicy Retain or set by a function)', async () => {
    describes(TEMP, stack(TEMP, TEMP_ID, { Tags: ours }));
    bucketsOf(TEMP_ID, [
      ['Data', 'tmp-data'],
      ['Archive', 'tmp-archive'],
      ['Logs', 'tmp-logs'],
    ]);
    cfnMock.on(GetTemplateCommand).resolves({
      TemplateBody: JSON.stringify({
        Parameters: { Policy: { Type: 'String' } },
        Resources: {
          Data: { Type: 'AWS::S3::Bucket' },
          Archive: { Type: 'AWS::S3::Bucket', DeletionPolicy: 'Retain' },
          Logs: { Type: 'AWS::S3::Bucket', DeletionPolicy: { Ref: 'Policy' } },
        },
      }),
    });
    emptyBuckets('tmp-data');
    const result = await deleteStack(deps(), deleteTemp());
    expect(result.bucketsEmptied).toEqual([{ bucketName: 'tmp-data', objectVersionsDeleted: 0 }]);
    expect(result.bucketsRetained).toEqual(['tmp-archive', 'tmp-logs']);
    expect(s3Mock.commandCalls(ListObjectVersionsCommand).map((c) => c.args[0].input.Bucket)).toEqual(['tmp-data']);
  });

  it('sends the same ClientRequestToken for a retry and a new one when deleting again after DELETE_FAILED', async () => {
    bucketsOf(TEMP_ID, []);
    describes(TEMP, stack(TEMP, TEMP_ID, { StackStatus: 'CREATE_COMPLETE', Tags: ours }));
    await deleteStack(deps(), deleteTemp());
    await deleteStack(deps(), deleteTemp());
    describes(TEMP, stack(TEMP, TEMP_ID, { StackStatus: 'DELETE_FAILED', Tags: ours, DeletionTime: new Date('2030-01-01T00:00:00Z') }));
    await deleteStack(deps(), deleteTemp());
    const tokens = cfnMock.commandCalls(DeleteStackCommand).map((c) => c.args[0].input.ClientRequestToken);
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).not.toBe(tokens[0]);
  });

  it('refuses a stack of ours whose ID is not the expected one, as OriginalReplaced', async () => {
    describes(TEMP, stack(TEMP, `${TEMP_ID}-other`, { Tags: ours }));
    bucketsOf(`${TEMP_ID}-other`, []);
    expect(await refusal(deleteStack(deps(), deleteTemp({ expectedStackId: TEMP_ID })), false, OriginalReplaced)).toMatch(/not the expected/);
  });
});

describe('delete-stack: a stack this execution did not create (the current environment)', () => {
  function currentWithVerifiedCopy(currentExtra: Partial<Stack> = {}, tempExtra: Partial<Stack> = {}) {
    describes(CURRENT, stack(CURRENT, CURRENT_ID, { Tags: [{ Key: 'team', Value: 'orders' }], ...currentExtra }));
    bucketsOf(CURRENT_ID, [
      ['Data', 'orders-data'],
      ['Uploads', 'orders-uploads'],
    ]);
    describes(TEMP, stack(TEMP, TEMP_ID, { StackStatus: 'CREATE_COMPLETE', Tags: ours, ...tempExtra }));
  }

  it('is deleted when a complete, verified copy of exactly this stack exists', async () => {
    currentWithVerifiedCopy();
    emptyBuckets('orders-data', 'orders-uploads');
    const result = await deleteStack(deps(), deleteCurrent());
    expect(result.deleteStarted).toBe(true);
    expect(result.bucketsEmptied.map((b) => b.bucketName)).toEqual(['orders-data', 'orders-uploads']);
    expect(cfnMock.commandCalls(DeleteStackCommand)[0]!.args[0].input.StackName).toBe(CURRENT_ID);
  });

  it('accepts a copy whose stack has been updated since (UPDATE_COMPLETE)', async () => {
    currentWithVerifiedCopy({}, { StackStatus: 'UPDATE_COMPLETE' });
    emptyBuckets('orders-data', 'orders-uploads');
    expect((await deleteStack(deps(), deleteCurrent())).deleteStarted).toBe(true);
  });

  it('refuses without a verified copy', async () => {
    currentWithVerifiedCopy();
    const message = await refusal(deleteStack(deps(), deleteCurrent({ verifiedCopy: undefined })));
    expect(message).toMatch(/Refusing to delete stack orders-prod \(replaced by a verified copy\): it was not created by this migration/);
    expect(message).toMatch(/no verified copy was given/);
  });

  it('refuses without an expected stack ID', async () => {
    currentWithVerifiedCopy();
    expect(await refusal(deleteStack(deps(), deleteCurrent({ expectedStackId: undefined })))).toMatch(/no expected stack ID was given/);
  });

  it('refuses when another stack has taken the name (stack ID differs) with OriginalReplaced, not DeletionRefused: the copy must then be kept', async () => {
    currentWithVerifiedCopy({ StackId: `${CURRENT_ID}-new` });
    bucketsOf(`${CURRENT_ID}-new`, []);
    expect(await refusal(deleteStack(deps(), deleteCurrent()), false, OriginalReplaced)).toMatch(/another stack has taken the name.*its verified copy is kept/);
  });

  it('refuses when the copy did not come out EQUAL', async () => {
    currentWithVerifiedCopy();
    expect(await refusal(deleteStack(deps(), deleteCurrent({ verifiedCopy: verifiedCopy({ outcome: 'MISMATCH' }) })))).toMatch(/outcome is MISMATCH/);
  });

  it('refuses a copy made from another stack', async () => {
    currentWithVerifiedCopy();
    const copy = verifiedCopy({ sourceStackName: 'billing-prod' });
    expect(await refusal(deleteStack(deps(), deleteCurrent({ verifiedCopy: copy })))).toMatch(/made from billing-prod, not from orders-prod/);
  });

  it('refuses when a bucket verification is not EQUAL', async () => {
    currentWithVerifiedCopy();
    const copy = verifiedCopy({ verification: [verification('orders-data'), verification('orders-uploads', 'MISMATCH')] });
    expect(await refusal(deleteStack(deps(), deleteCurrent({ verifiedCopy: copy })))).toMatch(/bucket orders-uploads was verified MISMATCH/);
  });

  it('refuses when a bucket of the stack has no verification at all', async () => {
    currentWithVerifiedCopy();
    const copy = verifiedCopy({ verification: [verification('orders-data')] });
    expect(await refusal(deleteStack(deps(), deleteCurrent({ verifiedCopy: copy })))).toMatch(/bucket orders-uploads \(Uploads\) has no EQUAL verification/);
  });

  it('refuses when the statistics were not EQUAL', async () => {
    currentWithVerifiedCopy();
    const base = verifiedCopy();
    const copy = verifiedCopy({ statistics: { ...base.statistics, status: 'MISMATCH' } });
    expect(await refusal(deleteStack(deps(), deleteCurrent({ verifiedCopy: copy })))).toMatch(/statistics are MISMATCH/);
  });

  it("refuses when the copy's stack no longer exists", async () => {
    currentWithVerifiedCopy();
    describes(TEMP, undefined);
    expect(await refusal(deleteStack(deps(), deleteCurrent()))).toMatch(/the copy's stack orders-prod-tmp-1a2b3c4d does not exist/);
  });

  it("refuses when the copy's stack is not complete", async () => {
    currentWithVerifiedCopy({}, { StackStatus: 'UPDATE_ROLLBACK_COMPLETE' });
    expect(await refusal(deleteStack(deps(), deleteCurrent()))).toMatch(/is UPDATE_ROLLBACK_COMPLETE, not CREATE_COMPLETE or UPDATE_COMPLETE/);
  });

  it("refuses when the copy's stack is not the one that was verified (stack ID differs)", async () => {
    currentWithVerifiedCopy({}, { StackId: `${TEMP_ID}-recreated` });
    expect(await refusal(deleteStack(deps(), deleteCurrent()))).toMatch(/not the verified/);
  });

  it('refuses a "copy" that is the stack itself', async () => {
    currentWithVerifiedCopy();
    const copy = verifiedCopy({ destinationStackName: CURRENT, destinationStackId: CURRENT_ID });
    expect(await refusal(deleteStack(deps(), deleteCurrent({ verifiedCopy: copy })))).toMatch(/the copy is this stack itself/);
  });

  it('refuses a stack tagged by another execution of the migrator', async () => {
    currentWithVerifiedCopy({ Tags: [{ Key: TAGS.execution, Value: `${EXECUTION.id}-other` }] });
    expect(await refusal(deleteStack(deps(), deleteCurrent({ verifiedCopy: undefined })))).toMatch(/not created by this migration/);
  });

  it('refuses, before emptying anything, a stack with termination protection', async () => {
    currentWithVerifiedCopy({ EnableTerminationProtection: true });
    expect(await refusal(deleteStack(deps(), deleteCurrent()))).toMatch(/termination protection is enabled/);
  });
});

describe('delete-stack: the original is emptied only of what its verified manifest names', () => {
  const v = (key: string, versionId: string, size = 5): ManifestEntry => ({ key, versionId, size, etag: `e-${key}-${versionId}` });
  const listed = (entries: ManifestEntry[]) => ({
    IsTruncated: false,
    Versions: entries.filter((e) => !e.deleteMarker).map((e) => ({ Key: e.key, VersionId: e.versionId, Size: e.size, ETag: `"${e.etag}"`, IsLatest: true })),
    DeleteMarkers: entries.filter((e) => e.deleteMarker).map((e) => ({ Key: e.key, VersionId: e.versionId, IsLatest: true })),
  });
  const verifiedData = [v('a', 'a2'), v('a', 'a1'), { key: 'b', versionId: 'b2', deleteMarker: true as const }, v('b', 'b1')];

  function original(dataNow: ManifestEntry[], uploadsNow: ManifestEntry[] = []) {
    describes(CURRENT, stack(CURRENT, CURRENT_ID));
    bucketsOf(CURRENT_ID, [
      ['Data', 'orders-data'],
      ['Uploads', 'orders-uploads'],
    ]);
    describes(TEMP, stack(TEMP, TEMP_ID, { StackStatus: 'CREATE_COMPLETE', Tags: ours }));
    s3Mock.on(ListObjectVersionsCommand, { Bucket: 'orders-data' }).resolves(listed(dataNow));
    s3Mock.on(ListObjectVersionsCommand, { Bucket: 'orders-uploads' }).resolves(listed(uploadsNow));
  }
  const copyOf = (uploads: ManifestEntry[] = []) => verifiedCopy({ verification: [verification('orders-data', 'EQUAL', verifiedData), verification('orders-uploads', 'EQUAL', uploads)] });
  const deletedIds = () => s3Mock.commandCalls(DeleteObjectsCommand).flatMap((c) => c.args[0].input.Delete!.Objects!.map((o) => `${o.Key}@${o.VersionId}`));

  it('deletes exactly the verified versions and delete markers, then the stack', async () => {
    original(verifiedData);
    const result = await deleteStack(deps(), deleteCurrent({ verifiedCopy: copyOf() }));
    expect(deletedIds().sort()).toEqual(['a@a1', 'a@a2', 'b@b1', 'b@b2']);
    expect(result.bucketsEmptied).toEqual([
      { bucketName: 'orders-data', objectVersionsDeleted: 4 },
      { bucketName: 'orders-uploads', objectVersionsDeleted: 0 },
    ]);
    expect(cfnMock.commandCalls(DeleteStackCommand)).toHaveLength(1);
  });

  it('refuses before deleting anything, in any bucket, when one holds a version written after the verification', async () => {
    original(verifiedData, [v('late/job.json', 'null', 12)]);
    const message = await refusal(deleteStack(deps(), deleteCurrent({ verifiedCopy: copyOf() })), true);
    expect(message).toMatch(/its buckets hold versions its verified copy does not/);
    expect(message).toContain('bucket orders-uploads: 1 version(s) not in its verified manifest: added "late/job.json" (version null, 12 bytes)');
    expect(s3Mock.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
    expect(cfnMock.commandCalls(DeleteStackCommand)).toHaveLength(0);
  });

  it('refuses a version overwritten under the same version ID (an unversioned bucket\'s null version)', async () => {
    original(verifiedData, [v('report.csv', 'null', 99)]);
    const message = await refusal(deleteStack(deps(), deleteCurrent({ verifiedCopy: copyOf([v('report.csv', 'null', 12)]) })), true);
    expect(message).toContain('changed "report.csv" (version null, 99 bytes)');
    expect(s3Mock.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  });

  it('does not refuse a verified version deleted since (the copy holds it), and deletes only what is still listed', async () => {
    original(verifiedData.slice(0, 2));
    await deleteStack(deps(), deleteCurrent({ verifiedCopy: copyOf() }));
    expect(deletedIds().sort()).toEqual(['a@a1', 'a@a2']);
  });

  it('refuses when a bucket of the original has no verified manifest', async () => {
    original(verifiedData);
    const copy = copyOf();
    delete copy.verification[1]!.sourceManifest;
    expect(await refusal(deleteStack(deps(), deleteCurrent({ verifiedCopy: copy })))).toMatch(/bucket orders-uploads \(Uploads\) has no verified manifest in the copy/);
    expect(s3Mock.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  });

  it('deletes nothing when a manifest no longer adds up to the digest it was verified with', async () => {
    original(verifiedData);
    const copy = copyOf();
    const part = manifestPartKey(copy.verification[0]!.sourceManifest!.prefix, 1);
    stored.set(part, stored.get(part)!.replace('"a2"', '"a9"'));
    await expect(deleteStack(deps(), deleteCurrent({ verifiedCopy: copy }))).rejects.toBeInstanceOf(DocumentCorrupt);
    expect(s3Mock.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
    expect(cfnMock.commandCalls(DeleteStackCommand)).toHaveLength(0);
  });

  it('still empties a stack of this execution of every version, with no manifest', async () => {
    describes(TEMP, stack(TEMP, TEMP_ID, { Tags: ours }));
    bucketsOf(TEMP_ID, [['Data', 'tmp-data']]);
    s3Mock.on(ListObjectVersionsCommand, { Bucket: 'tmp-data' }).resolves(listed([v('x', 'x1'), v('late', 'l1')]));
    await deleteStack(deps(), deleteTemp());
    expect(deletedIds().sort()).toEqual(['late@l1', 'x@x1']);
  });
});

describe('delete-stack handler', () => {
  it('passes CFN_ROLE_ARN to DeleteStack and turns throttling into the retryable AwsThrottled', async () => {
    const { handler } = await import('../../lambdas/delete-stack/handler');
    process.env.CFN_ROLE_ARN = 'arn:aws:iam::123456789012:role/cfn-env';
    try {
      describes(TEMP, stack(TEMP, TEMP_ID, { Tags: ours }));
      bucketsOf(TEMP_ID, []);
      await handler(deleteTemp());
      expect(cfnMock.commandCalls(DeleteStackCommand)[0]!.args[0].input.RoleARN).toBe('arn:aws:iam::123456789012:role/cfn-env');

      cfnMock.on(DescribeStacksCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }));
      await expect(handler(deleteTemp())).rejects.toMatchObject({ name: 'AwsThrottled' });
    } finally {
      delete process.env.CFN_ROLE_ARN;
    }
  });
});
