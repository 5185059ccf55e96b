/**
 * delete-stack's guards, exactly: which buckets it empties and in what order, when an invocation
 * hands on to the next, what a continuation may be applied to, the whole text of its refusals (the
 * notification shows it), the DeleteStack request it sends, and what deletion-progress concludes
 * from a failure about how far the deletion of the original got.
 */
import { CloudFormationClient, DeleteStackCommand, DescribeStacksCommand, GetTemplateCommand, ListStackResourcesCommand, type Stack, type StackResourceSummary } from '@aws-sdk/client-cloudformation';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectVersionsCommand, type ListObjectVersionsCommandInput, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { deleteStack, type DeleteStackDeps } from '../../lambdas/delete-stack/core';
import { deleteReportingProgress } from '../../lambdas/delete-stack/deletion-progress';
import type { CloneOutput, DeleteStackContinuation, DeleteStackEvent, DeleteStackResult, ManifestEntry, VerifyBucketResult } from '../../lambdas/shared/contracts';
import { DeletionInterrupted, DeletionRefused } from '../../lambdas/shared/errors';
import { TAGS } from '../../lambdas/steps';
import { storedManifest } from './fixtures/manifests';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const CURRENT = 'orders-prod';
const CURRENT_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orders-prod/cur';
const TEMP = 'orders-prod-tmp-1a2b3c4d';
const TEMP_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orders-prod-tmp-1a2b3c4d/tmp';
const TEMP_REASON = 'temporary copy no longer needed';
const CURRENT_REASON = 'replaced by a verified copy';
const OURS = [{ Key: TAGS.execution, Value: EXECUTION.id }];

const cfnMock = mockClient(CloudFormationClient);
const s3Mock = mockClient(S3Client);
const deps = (): DeleteStackDeps => ({ cfn: new CloudFormationClient({}), s3: new S3Client({}) });

function stack(name: string, id: string, extra: Partial<Stack> = {}): Stack {
  return { StackName: name, StackId: id, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date('2029-01-01T00:00:00Z'), Tags: [], ...extra };
}

/** DescribeStacks of `nameOrId` answers `s`, or "does not exist" without it. */
function describes(nameOrId: string, s: Stack | undefined) {
  const call = cfnMock.on(DescribeStacksCommand, { StackName: nameOrId });
  if (s) call.resolves({ Stacks: [s] });
  else call.rejects(Object.assign(new Error(`Stack with id ${nameOrId} does not exist`), { name: 'ValidationError', $metadata: { httpStatusCode: 400 } }));
}

type BucketStatus = StackResourceSummary['ResourceStatus'];

/** The stack's resources: an ASG and these buckets, in this order. */
function bucketsOf(stackId: string, buckets: [logicalId: string, name: string, status?: BucketStatus][]) {
  cfnMock.on(ListStackResourcesCommand, { StackName: stackId }).resolves({
    StackResourceSummaries: [
      { LogicalResourceId: 'Web', PhysicalResourceId: 'asg-1', ResourceType: 'AWS::AutoScaling::AutoScalingGroup', ResourceStatus: 'CREATE_COMPLETE', LastUpdatedTimestamp: new Date() },
      ...buckets.map(([logicalId, name, status]) => ({
        LogicalResourceId: logicalId,
        PhysicalResourceId: name,
        ResourceType: 'AWS::S3::Bucket',
        ResourceStatus: status ?? ('CREATE_COMPLETE' as const),
        LastUpdatedTimestamp: new Date(),
      })),
    ],
  });
}

/** A template declaring these buckets without DeletionPolicy, or with the one given. */
function template(buckets: [logicalId: string, policy?: string][]) {
  return JSON.stringify({ Resources: Object.fromEntries(buckets.map(([id, policy]) => [id, { Type: 'AWS::S3::Bucket', ...(policy ? { DeletionPolicy: policy } : {}) }])) });
}

/** Bucket contents as S3 lists them (one page, after KeyMarker when given: keys here are plain ASCII). */
const contents = new Map<string, ManifestEntry[]>();
/** Manifest parts as the workflow bucket holds them. */
const stored = new Map<string, string>();

const v = (key: string, versionId: string, size = 5): ManifestEntry => ({ key, versionId, size, etag: `e-${key}-${versionId}` });

function verification(sourceBucket: string, status: VerifyBucketResult['status'] = 'EQUAL', entries: ManifestEntry[] = []): VerifyBucketResult {
  const side = { objects: 1, versions: 1, deleteMarkers: 0, bytes: 5, digest: { sum: 'd'.repeat(64), count: 1 } };
  return {
    status,
    pair: { logicalId: 'Data', sourceBucket, destinationBucket: `${sourceBucket}-copy` },
    source: side,
    destination: side,
    comparedBy: { etag: 1, checksum: 0, hashed: 0, notComparable: 0 },
    differences: [],
    differenceCount: 0,
    sourceManifest: storedManifest(stored, sourceBucket, entries),
  };
}

function verifiedCopy(extra: Partial<CloneOutput> = {}): CloneOutput {
  const endpoint = { url: 'https://a/stats', ok: true, dataSha256: 'a'.repeat(64), values: 1 };
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
    statistics: { status: 'EQUAL', source: endpoint, destination: endpoint, differences: [], differenceCount: 0, summary: 'equal' },
    ...extra,
  };
}

const deleteTemp = (extra: Partial<DeleteStackEvent> = {}): DeleteStackEvent => ({ stackName: TEMP, execution: EXECUTION, reason: TEMP_REASON, ...extra });
const deleteCurrent = (extra: Partial<DeleteStackEvent> = {}): DeleteStackEvent => ({
  stackName: CURRENT,
  execution: EXECUTION,
  reason: CURRENT_REASON,
  expectedStackId: CURRENT_ID,
  verifiedCopy: verifiedCopy(),
  ...extra,
});

/** The temporary copy (this execution's), complete, with these buckets. */
function tempStack(buckets: [logicalId: string, name: string, status?: BucketStatus][], extra: Partial<Stack> = {}) {
  describes(TEMP, stack(TEMP, TEMP_ID, { StackStatus: 'CREATE_COMPLETE', Tags: OURS, ...extra }));
  bucketsOf(TEMP_ID, buckets);
  cfnMock.on(GetTemplateCommand).resolves({ TemplateBody: template(buckets.map(([id]) => [id])) });
}

/** The original (not this execution's) with orders-data and orders-uploads, and its complete copy. */
function originalStack(extra: Partial<Stack> = {}) {
  describes(CURRENT, stack(CURRENT, CURRENT_ID, extra));
  describes(CURRENT_ID, stack(CURRENT, CURRENT_ID, extra));
  bucketsOf(CURRENT_ID, [
    ['Data', 'orders-data'],
    ['Uploads', 'orders-uploads'],
  ]);
  cfnMock.on(GetTemplateCommand).resolves({ TemplateBody: template([['Data'], ['Uploads']]) });
  describes(TEMP, stack(TEMP, TEMP_ID, { StackStatus: 'CREATE_COMPLETE', Tags: OURS }));
}

const NO_TIME = () => 0;
const listedBuckets = () => s3Mock.commandCalls(ListObjectVersionsCommand).map((c) => c.args[0].input.Bucket);

beforeEach(() => {
  cfnMock.reset();
  s3Mock.reset();
  contents.clear();
  stored.clear();
  cfnMock.on(DeleteStackCommand).resolves({});
  s3Mock.on(DeleteObjectsCommand).resolves({});
  s3Mock.on(ListObjectVersionsCommand).callsFake((i: ListObjectVersionsCommandInput) => {
    const all = (contents.get(i.Bucket!) ?? []).filter((e) => i.KeyMarker === undefined || e.key > i.KeyMarker);
    return {
      IsTruncated: false,
      Versions: all.filter((e) => !e.deleteMarker).map((e) => ({ Key: e.key, VersionId: e.versionId, Size: e.size, ETag: `"${e.etag}"` })),
      DeleteMarkers: all.filter((e) => e.deleteMarker).map((e) => ({ Key: e.key, VersionId: e.versionId })),
    };
  });
  s3Mock.on(GetObjectCommand).callsFake((i: { Key: string }) => {
    const text = stored.get(i.Key);
    if (text === undefined) throw Object.assign(new Error('no such key'), { name: 'NoSuchKey' });
    return { Body: { transformToString: async () => text } };
  });
});

async function failure(run: Promise<unknown>): Promise<Error> {
  try {
    await run;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the deletion to fail');
}

/** Nothing was deleted: no DeleteObjects, no DeleteStack. */
function nothingDeleted() {
  expect(s3Mock.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  expect(cfnMock.commandCalls(DeleteStackCommand)).toHaveLength(0);
}

/**
 * Invokes the step as the state machine's continuation loop does (the payload through JSON), every
 * invocation short of time: each does the least it must (one key of the original, one bucket).
 */
async function invokeUntilDone(event: DeleteStackEvent): Promise<DeleteStackResult[]> {
  const results: DeleteStackResult[] = [];
  let continuation: DeleteStackContinuation | undefined;
  for (let n = 0; n < 60; n++) {
    const payload = JSON.parse(JSON.stringify({ ...event, ...(continuation ? { continuation } : {}) })) as DeleteStackEvent;
    const result = JSON.parse(JSON.stringify(await deleteStack(deps(), payload, NO_TIME, { safetyMarginMs: 1 }))) as DeleteStackResult;
    results.push(result);
    if (result.status === 'DONE') return results;
    continuation = result.continuation;
  }
  throw new Error('no end');
}

describe('delete-stack: a stack already deleted', () => {
  it('counts a stack reported DELETE_COMPLETE as deleted: touches nothing and reports the buckets emptied before', async () => {
    describes(TEMP, stack(TEMP, TEMP_ID, { StackStatus: 'DELETE_COMPLETE', Tags: OURS }));
    const continuation: DeleteStackContinuation = {
      stackId: TEMP_ID,
      phase: 'EMPTY',
      bucketIndex: 1,
      checked: [],
      unverified: [],
      bucketsEmptied: [{ bucketName: 'tmp-data', objectVersionsDeleted: 7 }],
      invocations: 2,
    };
    expect(await deleteStack(deps(), deleteTemp({ continuation }))).toEqual({
      status: 'DONE',
      stackName: TEMP,
      bucketsEmptied: [{ bucketName: 'tmp-data', objectVersionsDeleted: 7 }],
      deleteStarted: false,
    });
    expect(cfnMock.commandCalls(ListStackResourcesCommand)).toHaveLength(0);
    expect(s3Mock.calls()).toHaveLength(0);
    expect(cfnMock.commandCalls(DeleteStackCommand)).toHaveLength(0);
  });
});

describe('delete-stack: which buckets are emptied, and in what order', () => {
  it('empties the buckets in the order of their names, whatever order CloudFormation lists them in', async () => {
    tempStack([
      ['D', 'tmp-d'],
      ['B', 'tmp-b'],
      ['A', 'tmp-a'],
      ['C', 'tmp-c'],
    ]);
    contents.set('tmp-c', [v('k', '1')]);
    const result = await deleteStack(deps(), deleteTemp());
    expect(result).toEqual({
      status: 'DONE',
      stackName: TEMP,
      deleteStarted: true,
      bucketsEmptied: [
        { bucketName: 'tmp-a', objectVersionsDeleted: 0 },
        { bucketName: 'tmp-b', objectVersionsDeleted: 0 },
        { bucketName: 'tmp-c', objectVersionsDeleted: 1 },
        { bucketName: 'tmp-d', objectVersionsDeleted: 0 },
      ],
    });
    expect(listedBuckets()).toEqual(['tmp-a', 'tmp-b', 'tmp-c', 'tmp-d']);
  });

  it('leaves out the buckets CloudFormation has already deleted (DELETE_COMPLETE) or left in place (DELETE_SKIPPED)', async () => {
    tempStack(
      [
        ['Data', 'tmp-data', 'DELETE_COMPLETE'],
        ['Archive', 'tmp-archive', 'DELETE_SKIPPED'],
        ['Logs', 'tmp-logs', 'DELETE_FAILED'],
      ],
      { StackStatus: 'DELETE_FAILED', DeletionTime: new Date('2030-01-01T00:00:00Z') },
    );
    contents.set('tmp-logs', [v('log', '1')]);
    expect(await deleteStack(deps(), deleteTemp())).toEqual({
      status: 'DONE',
      stackName: TEMP,
      deleteStarted: true,
      bucketsEmptied: [{ bucketName: 'tmp-logs', objectVersionsDeleted: 1 }],
    });
    expect(listedBuckets()).toEqual(['tmp-logs']);
  });

  it('keeps the buckets that the template of exactly this stack (read by its ID) retains', async () => {
    tempStack([
      ['Data', 'tmp-data'],
      ['Archive', 'tmp-archive'],
    ]);
    cfnMock.on(GetTemplateCommand, { StackName: TEMP_ID }).resolves({ TemplateBody: template([['Data'], ['Archive', 'Retain']]) });
    expect(await deleteStack(deps(), deleteTemp())).toEqual({
      status: 'DONE',
      stackName: TEMP,
      deleteStarted: true,
      bucketsEmptied: [{ bucketName: 'tmp-data', objectVersionsDeleted: 0 }],
      bucketsRetained: ['tmp-archive'],
    });
    expect(listedBuckets()).toEqual(['tmp-data']);
  });

  it('empties a bucket of the copy that its template does not declare (no DeletionPolicy keeps it)', async () => {
    tempStack([['Data', 'tmp-data']]);
    cfnMock.on(GetTemplateCommand).resolves({ TemplateBody: template([['Other']]) });
    contents.set('tmp-data', [v('k', '1')]);
    expect(await deleteStack(deps(), deleteTemp())).toEqual({
      status: 'DONE',
      stackName: TEMP,
      deleteStarted: true,
      bucketsEmptied: [{ bucketName: 'tmp-data', objectVersionsDeleted: 1 }],
    });
  });

  it('deletes a stack without buckets without needing its template', async () => {
    tempStack([]);
    cfnMock.on(GetTemplateCommand).rejects(Object.assign(new Error('Access denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    expect(await deleteStack(deps(), deleteTemp())).toEqual({ status: 'DONE', stackName: TEMP, deleteStarted: true, bucketsEmptied: [] });
    expect(cfnMock.commandCalls(DeleteStackCommand)).toHaveLength(1);
  });
});

describe('delete-stack: an invocation short of time', () => {
  const twoBuckets = () =>
    tempStack([
      ['Data', 'tmp-data'],
      ['Uploads', 'tmp-uploads'],
    ]);

  it("finishes the copy's bucket at hand, then hands the next one on, counting the invocation", async () => {
    twoBuckets();
    contents.set('tmp-data', [v('a', '1'), v('b', '1')]);
    expect(await deleteStack(deps(), deleteTemp(), NO_TIME, { safetyMarginMs: 1 })).toEqual({
      status: 'CONTINUE',
      stackName: TEMP,
      deleteStarted: false,
      bucketsEmptied: [{ bucketName: 'tmp-data', objectVersionsDeleted: 2 }],
      continuation: {
        stackId: TEMP_ID,
        phase: 'EMPTY',
        bucketIndex: 1,
        checked: [],
        unverified: [],
        bucketsEmptied: [{ bucketName: 'tmp-data', objectVersionsDeleted: 2 }],
        invocations: 1,
      },
    });
    expect(listedBuckets()).toEqual(['tmp-data']);
    expect(cfnMock.commandCalls(DeleteStackCommand)).toHaveLength(0);
  });

  it('starts the next bucket with exactly the safety margin left, and not with less', async () => {
    twoBuckets();
    expect((await deleteStack(deps(), deleteTemp(), () => 1000, { safetyMarginMs: 1000 })).status).toBe('DONE');
    expect((await deleteStack(deps(), deleteTemp(), () => 999, { safetyMarginMs: 1000 })).status).toBe('CONTINUE');
  });

  it('without a safety margin given, stops between buckets once the invocation is past its deadline', async () => {
    twoBuckets();
    expect((await deleteStack(deps(), deleteTemp(), () => -1)).status).toBe('CONTINUE');
    expect(listedBuckets()).toEqual(['tmp-data']);
  });

  it("compares the original's first bucket with its manifest in full, then hands the next comparison on, deleting nothing", async () => {
    originalStack();
    expect(await deleteStack(deps(), deleteCurrent(), NO_TIME, { safetyMarginMs: 1 })).toEqual({
      status: 'CONTINUE',
      stackName: CURRENT,
      deleteStarted: false,
      bucketsEmptied: [],
      continuation: {
        stackId: CURRENT_ID,
        phase: 'CHECK',
        bucketIndex: 1,
        checked: ['orders-data'],
        unverified: [],
        bucketsEmptied: [],
        invocations: 1,
      },
    });
    expect(listedBuckets()).toEqual(['orders-data']);
    nothingDeleted();
  });

  it('deletes the original one bucket per invocation once the last comparison is done, then the stack', async () => {
    originalStack();
    const results = await invokeUntilDone(deleteCurrent());
    expect(results.map((r) => r.continuation?.phase ?? r.status)).toEqual(['CHECK', 'EMPTY', 'EMPTY', 'DONE']);
    expect(results.at(-1)).toEqual({
      status: 'DONE',
      stackName: CURRENT,
      deleteStarted: true,
      bucketsEmptied: [
        { bucketName: 'orders-data', objectVersionsDeleted: 0 },
        { bucketName: 'orders-uploads', objectVersionsDeleted: 0 },
      ],
    });
  });
});

describe('delete-stack: versions the verified manifests do not name', () => {
  it('refuses once every bucket is compared, counting and naming (up to ten) what each bucket holds beyond its manifest, across invocations', async () => {
    originalStack();
    const event = deleteCurrent({
      verifiedCopy: verifiedCopy({ verification: [verification('orders-data', 'EQUAL', [v('a', 'a1')]), verification('orders-uploads')] }),
    });
    contents.set('orders-data', [v('a', 'a1'), v('b', 'late-b'), v('c', 'late-c', 9)]);
    contents.set(
      'orders-uploads',
      Array.from({ length: 11 }, (_, i) => v(`u${String(i).padStart(2, '0')}`, 'null')),
    );
    const err = await failure(invokeUntilDone(event));
    expect(err).toBeInstanceOf(DeletionRefused);
    const uploads = Array.from({ length: 10 }, (_, i) => `added "u${String(i).padStart(2, '0')}" (version null, 5 bytes)`).join(', ');
    expect(err.message).toBe(
      `Refusing to delete stack ${CURRENT} (${CURRENT_REASON}): its buckets hold versions its verified copy does not (written after the verification; nothing was deleted): ` +
        'bucket orders-data: 2 version(s) not in its verified manifest: added "b" (version late-b, 5 bytes), added "c" (version late-c, 9 bytes); ' +
        `bucket orders-uploads: 11 version(s) not in its verified manifest: ${uploads}, …`,
    );
    nothingDeleted();
  });

  it('stops with DeletionInterrupted, deleting nothing, when resumed to delete from buckets that were never compared with their manifests', async () => {
    originalStack();
    contents.set('orders-uploads', [v('x', '1')]);
    const continuation: DeleteStackContinuation = {
      stackId: CURRENT_ID,
      phase: 'EMPTY',
      bucketIndex: 0,
      checked: [],
      unverified: [],
      bucketsEmptied: [],
      invocations: 3,
    };
    const err = await failure(deleteStack(deps(), deleteCurrent({ continuation })));
    expect(err).toBeInstanceOf(DeletionInterrupted);
    expect(err.message).toBe(`Stopped emptying stack ${CURRENT}: bucket(s) orders-data, orders-uploads were not compared with their verified manifests`);
    nothingDeleted();
  });
});

describe('delete-stack: a continuation belongs to one stack', () => {
  const continuationOf = (stackId: string, phase: 'CHECK' | 'EMPTY'): DeleteStackContinuation => ({
    stackId,
    phase,
    bucketIndex: 1,
    checked: [],
    unverified: [],
    bucketsEmptied: [{ bucketName: 'tmp-data', objectVersionsDeleted: 3 }],
    invocations: 1,
  });
  const OLD_ID = `${TEMP_ID}-old`;

  it('never applies the continuation of a stack that has since lost the name: DeletionInterrupted once deleting had begun', async () => {
    tempStack([['Data', 'tmp-data']]);
    const err = await failure(deleteStack(deps(), deleteTemp({ continuation: continuationOf(OLD_ID, 'EMPTY') })));
    expect(err).toBeInstanceOf(DeletionInterrupted);
    expect(err.message).toBe(`Refusing to go on deleting stack ${TEMP} (${TEMP_REASON}): it is now ${TEMP_ID}, not ${OLD_ID} whose deletion began`);
    nothingDeleted();
  });

  it('refuses (DeletionRefused) the continuation of another stack while only comparing', async () => {
    tempStack([['Data', 'tmp-data']]);
    const err = await failure(deleteStack(deps(), deleteTemp({ continuation: continuationOf(OLD_ID, 'CHECK') })));
    expect(err).toBeInstanceOf(DeletionRefused);
    expect(err.message).toBe(`Refusing to go on deleting stack ${TEMP} (${TEMP_REASON}): it is now ${TEMP_ID}, not ${OLD_ID} whose deletion began`);
    nothingDeleted();
  });
});

describe('delete-stack: the DeleteStack request', () => {
  const tokens = () => cfnMock.commandCalls(DeleteStackCommand).map((c) => c.args[0].input.ClientRequestToken);

  it('sends a ClientRequestToken naming the delete operation', async () => {
    tempStack([]);
    await deleteStack(deps(), deleteTemp());
    expect(tokens()[0]).toMatch(/^env-migrator-delete-[0-9a-f]{48}$/);
  });

  it('makes a new request when only the status of the stack has changed since', async () => {
    const at = { LastUpdatedTime: new Date('2030-01-01T00:00:00Z') };
    tempStack([], { StackStatus: 'UPDATE_COMPLETE', ...at });
    await deleteStack(deps(), deleteTemp());
    tempStack([], { StackStatus: 'UPDATE_ROLLBACK_COMPLETE', ...at });
    await deleteStack(deps(), deleteTemp());
    expect(tokens()[0]).not.toBe(tokens()[1]);
  });

  it('makes a new request after a second DELETE_FAILED (a later deletion time)', async () => {
    tempStack([], { StackStatus: 'DELETE_FAILED', DeletionTime: new Date('2030-01-01T00:00:00Z') });
    await deleteStack(deps(), deleteTemp());
    tempStack([], { StackStatus: 'DELETE_FAILED', DeletionTime: new Date('2030-01-02T00:00:00Z') });
    await deleteStack(deps(), deleteTemp());
    expect(tokens()[0]).not.toBe(tokens()[1]);
  });
});

describe('delete-stack: the whole refusal', () => {
  const notOurs = `it was not created by this migration (${TAGS.execution} is not ${EXECUTION.id}) and `;

  it("refuses this execution's own stack under termination protection, saying only that", async () => {
    tempStack([['Data', 'tmp-data']], { EnableTerminationProtection: true });
    const err = await failure(deleteStack(deps(), deleteTemp()));
    expect(err).toBeInstanceOf(DeletionRefused);
    expect(err.message).toBe(`Refusing to delete stack ${TEMP} (${TEMP_REASON}): termination protection is enabled on it`);
    nothingDeleted();
  });

  it('lists every reason: statistics missing, a bucket verified MISMATCH and so not verified at all', async () => {
    originalStack();
    const copy = verifiedCopy({ verification: [verification('orders-data'), verification('orders-uploads', 'MISMATCH')] });
    delete (copy as Partial<CloneOutput>).statistics;
    const err = await failure(deleteStack(deps(), deleteCurrent({ verifiedCopy: copy })));
    expect(err).toBeInstanceOf(DeletionRefused);
    expect(err.message).toBe(
      `Refusing to delete stack ${CURRENT} (${CURRENT_REASON}): ${notOurs}` +
        "the copy's statistics are missing, not EQUAL; bucket orders-uploads was verified MISMATCH, not EQUAL; bucket orders-uploads (Uploads) has no EQUAL verification in the copy",
    );
    nothingDeleted();
  });

  it('refuses a copy whose verification is not a list: no bucket is verified', async () => {
    originalStack();
    const copy = verifiedCopy({ verification: null as unknown as VerifyBucketResult[] });
    const err = await failure(deleteStack(deps(), deleteCurrent({ verifiedCopy: copy })));
    expect(err).toBeInstanceOf(DeletionRefused);
    expect(err.message).toBe(
      `Refusing to delete stack ${CURRENT} (${CURRENT_REASON}): ${notOurs}` +
        'bucket orders-data (Data) has no EQUAL verification in the copy; bucket orders-uploads (Uploads) has no EQUAL verification in the copy',
    );
    nothingDeleted();
  });

  it('refuses, as a refusal, verifications that do not say which bucket they verified', async () => {
    originalStack();
    const bare = (status: VerifyBucketResult['status']) => {
      const x: Partial<VerifyBucketResult> = verification('orders-data', status);
      delete x.pair;
      return x as VerifyBucketResult;
    };
    const err = await failure(deleteStack(deps(), deleteCurrent({ verifiedCopy: verifiedCopy({ verification: [bare('EQUAL'), bare('MISMATCH')] }) })));
    expect(err).toBeInstanceOf(DeletionRefused);
    expect(err.message).toContain('bucket orders-data (Data) has no EQUAL verification in the copy; bucket orders-uploads (Uploads) has no EQUAL verification in the copy');
    nothingDeleted();
  });

  it("does not take a manifest attached to another bucket's verification as a bucket's own", async () => {
    originalStack();
    const data = verification('orders-data');
    delete data.sourceManifest;
    const uploads = verification('orders-uploads');
    uploads.sourceManifest = storedManifest(stored, 'orders-data', []);
    const err = await failure(deleteStack(deps(), deleteCurrent({ verifiedCopy: verifiedCopy({ verification: [data, uploads] }) })));
    expect(err).toBeInstanceOf(DeletionRefused);
    expect(err.message).toBe(
      `Refusing to delete stack ${CURRENT} (${CURRENT_REASON}): ${notOurs}` +
        'bucket orders-data (Data) has no verified manifest in the copy: what it may be emptied of is unknown; ' +
        'bucket orders-uploads (Uploads) has no verified manifest in the copy: what it may be emptied of is unknown',
    );
    nothingDeleted();
  });
});

describe('deletion-progress with delete-stack: how far a failed deletion of the original got', () => {
  it('says nothing was deleted when the original is refused for a version written after the verification', async () => {
    originalStack();
    contents.set('orders-data', [v('late', 'l1')]);
    const err = await failure(deleteReportingProgress((d, e) => deleteStack(d, e), deps(), deleteCurrent()));
    expect(err).toBeInstanceOf(DeletionRefused);
    expect(err.message).toMatch(
      /\[nothing of stack orders-prod was deleted \(DeleteStack was not requested, and its buckets still hold every version their verified manifests name\)\]$/,
    );
    nothingDeleted();
  });

  it('hands deleteStack the client as it is, only recording the DeleteStack requests it sends', async () => {
    const result: DeleteStackResult = { status: 'DONE', stackName: CURRENT, bucketsEmptied: [], deleteStarted: false };
    const cfn = new CloudFormationClient({ region: 'eu-west-1' });
    const seen = await deleteReportingProgress(
      async (d) => {
        expect(await d.cfn.config.region()).toBe('eu-west-1');
        return result;
      },
      { cfn, s3: new S3Client({}) },
      deleteCurrent(),
    );
    expect(seen).toBe(result);
  });

  const accessDenied = async (): Promise<DeleteStackResult> => {
    throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
  };

  it('looks at the original by its ID: a new stack under the name proves nothing about it', async () => {
    // The original was deleted by someone else and a new stack took its name.
    describes(CURRENT, stack(CURRENT, `${CURRENT_ID}-new`));
    bucketsOf(`${CURRENT_ID}-new`, []);
    describes(CURRENT_ID, stack(CURRENT, CURRENT_ID, { StackStatus: 'DELETE_COMPLETE' }));
    const err = await failure(deleteReportingProgress(accessDenied, deps(), deleteCurrent()));
    expect(err.name).toBe('AwsAccessDenied');
    expect(err.message).toContain(`[the deletion of ${CURRENT} may have started: the stack is DELETE_COMPLETE]`);
  });

  it("compares the buckets of the original's own resources with their manifests, naming a verified version that is gone", async () => {
    describes(CURRENT_ID, stack(CURRENT, CURRENT_ID));
    bucketsOf(CURRENT_ID, [['Data', 'orders-data']]);
    const event = deleteCurrent({ verifiedCopy: verifiedCopy({ verification: [verification('orders-data', 'EQUAL', [v('a', 'a1')])] }) });
    const err = await failure(deleteReportingProgress(accessDenied, deps(), event));
    expect(err.name).toBe('AwsAccessDenied');
    expect(err.message).toContain(`[the deletion of ${CURRENT} may have started: bucket orders-data no longer holds a (version a1) of its verified manifest]`);
  });

  it('still compares the buckets when the description of the original carries no status', async () => {
    describes(CURRENT_ID, stack(CURRENT, CURRENT_ID, { StackStatus: undefined }));
    bucketsOf(CURRENT_ID, [['Data', 'orders-data']]);
    const event = deleteCurrent({ verifiedCopy: verifiedCopy({ verification: [verification('orders-data', 'EQUAL', [v('a', 'a1')])] }) });
    const err = await failure(deleteReportingProgress(accessDenied, deps(), event));
    expect(err.message).toContain(`[the deletion of ${CURRENT} may have started: bucket orders-data no longer holds a (version a1) of its verified manifest]`);
  });

  it("does not hold a bucket to a manifest attached to another bucket's verification, nor to one that names no bucket", async () => {
    describes(CURRENT_ID, stack(CURRENT, CURRENT_ID));
    bucketsOf(CURRENT_ID, [
      ['Data', 'orders-data'],
      ['Uploads', 'orders-uploads'],
    ]);
    // orders-uploads no longer lists the version these manifests name: that is no evidence of a deletion.
    const misplaced = verification('orders-data');
    misplaced.sourceManifest = storedManifest(stored, 'orders-uploads', [v('u', 'u1')]);
    const unpaired: Partial<VerifyBucketResult> = verification('orders-uploads', 'EQUAL', [v('u', 'u1')]);
    delete unpaired.pair;
    for (const verification of [misplaced, unpaired as VerifyBucketResult]) {
      const err = await failure(deleteReportingProgress(accessDenied, deps(), deleteCurrent({ verifiedCopy: verifiedCopy({ verification: [verification] }) })));
      expect(err.name).toBe('DeletionNotStarted');
    }
    expect(listedBuckets()).toEqual([]);
  });
});
