/**
 * delete-stack across invocations: buckets too large for one invocation are compared and emptied in
 * several, each resuming at a key boundary from the previous result's continuation, with every
 * safety property of a single invocation kept.
 */
import { CloudFormationClient, DeleteStackCommand, DescribeStacksCommand, GetTemplateCommand, ListStackResourcesCommand, type Stack } from '@aws-sdk/client-cloudformation';
import {
  DeleteObjectsCommand,
  type DeleteObjectsCommandInput,
  GetObjectCommand,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandInput,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { deleteStack } from '../../lambdas/delete-stack/core';
import type { CloneOutput, DeleteStackEvent, DeleteStackResult, ManifestEntry, ManifestRef, VerifyBucketResult } from '../../lambdas/shared/contracts';
import { DeletionInterrupted, DeletionRefused, DocumentCorrupt } from '../../lambdas/shared/errors';
import { listingLine, manifestPartKey, SetDigester } from '../../lambdas/shared/manifest';
import { compareKeys } from '../../lambdas/shared/s3-objects';
import { TAGS } from '../../lambdas/steps';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const CURRENT = 'orders-prod';
const CURRENT_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orders-prod/cur';
const TEMP = 'orders-prod-tmp-1a2b3c4d';
const TEMP_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orders-prod-tmp-1a2b3c4d/tmp';
const BUCKETS = ['orders-data', 'orders-uploads'];

const cfnMock = mockClient(CloudFormationClient);
const s3Mock = mockClient(S3Client);
const deps = { cfn: new CloudFormationClient({}), s3: new S3Client({}) };

/** A small page, so that a bucket of a few dozen versions takes several pages. */
const PAGE = 4;

/**
 * Buckets as S3 keeps them: entries in listing order (key, then newest first), a deleted entry
 * marked rather than removed, so that a marker pointing at it still places the next page.
 */
const buckets = new Map<string, { entry: ManifestEntry; deleted: boolean }[]>();
/** Workflow-bucket documents (the manifest parts). */
const stored = new Map<string, string>();
/** Every S3 call, in order, tagged with the invocation it belongs to. */
let calls: { invocation: number; op: string; bucket: string }[] = [];
let invocation = 0;

const v = (key: string, versionId: string, size = 5): ManifestEntry => ({ key, versionId, size, etag: `e-${key}-${versionId}` });
const marker = (key: string, versionId: string): ManifestEntry => ({ key, versionId, deleteMarker: true });

/** Keys k00..k(n-1), every third with an older version and every fifth with a delete marker on top. */
function contents(prefix: string, n: number): ManifestEntry[] {
  const out: ManifestEntry[] = [];
  for (let i = 0; i < n; i++) {
    const key = `${prefix}/k${String(i).padStart(2, '0')}`;
    if (i % 5 === 0) out.push(marker(key, `${key}-m`));
    out.push(v(key, `${key}-2`));
    if (i % 3 === 0) out.push(v(key, `${key}-1`));
  }
  return out;
}

function seed(name: string, entries: ManifestEntry[]) {
  buckets.set(name, entries.map((entry) => ({ entry, deleted: false })));
}

/** A write after the verification: a new key, placed in listing order. */
function write(name: string, entry: ManifestEntry) {
  const list = buckets.get(name)!;
  const at = list.findIndex((e) => compareKeys(e.entry.key, entry.key) > 0);
  list.splice(at < 0 ? list.length : at, 0, { entry, deleted: false });
}

function live(name: string): ManifestEntry[] {
  return buckets.get(name)!.filter((e) => !e.deleted).map((e) => e.entry);
}

/** The verified manifest of `entries`, stored in parts of `perPart` entries (as verify-bucket writes it). */
function manifestOf(bucket: string, entries: ManifestEntry[], perPart = 7): ManifestRef {
  const digest = new SetDigester();
  const prefix = `runs/run-1/manifests/${bucket}`;
  let parts = 0;
  for (let i = 0; i < entries.length; i += perPart) {
    const part = entries.slice(i, i + perPart);
    for (const e of part) digest.add(listingLine(e));
    stored.set(manifestPartKey(prefix, ++parts), `${part.map((e) => JSON.stringify(e)).join('\n')}\n`);
  }
  return { listedBucket: bucket, bucket: 'workflow', prefix, parts, listing: digest.value() };
}

function verifiedCopy(manifests: ManifestRef[]): CloneOutput {
  const side = { objects: 1, versions: 1, deleteMarkers: 0, bytes: 1, digest: { sum: 'd'.repeat(64), count: 1 } };
  const verification = manifests.map(
    (m): VerifyBucketResult => ({
      status: 'EQUAL',
      pair: { logicalId: m.listedBucket, sourceBucket: m.listedBucket, destinationBucket: `${m.listedBucket}-copy` },
      source: side,
      destination: side,
      comparedBy: { etag: 1, checksum: 0, hashed: 0, notComparable: 0 },
      differences: [],
      differenceCount: 0,
      sourceManifest: m,
    }),
  );
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
    verification,
    statistics: { status: 'EQUAL', source: endpoint, destination: endpoint, differences: [], differenceCount: 0, summary: 'equal' },
  };
}

function stackOf(name: string, id: string, extra: Partial<Stack> = {}) {
  cfnMock.on(DescribeStacksCommand, { StackName: name }).resolves({ Stacks: [{ StackName: name, StackId: id, StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(0), ...extra }] });
  cfnMock.on(ListStackResourcesCommand, { StackName: id }).resolves({
    StackResourceSummaries: BUCKETS.map((b) => ({
      LogicalResourceId: b,
      PhysicalResourceId: b,
      ResourceType: 'AWS::S3::Bucket',
      ResourceStatus: 'CREATE_COMPLETE' as const,
      LastUpdatedTimestamp: new Date(0),
    })),
  });
}

beforeEach(() => {
  cfnMock.reset();
  s3Mock.reset();
  buckets.clear();
  stored.clear();
  calls = [];
  invocation = 0;
  cfnMock.on(DeleteStackCommand).resolves({});
  cfnMock.on(GetTemplateCommand).resolves({ TemplateBody: `Resources:\n${BUCKETS.map((b) => `  ${b}: { Type: AWS::S3::Bucket }`).join('\n')}\n` });
  s3Mock.on(GetObjectCommand).callsFake((i: { Key: string }) => {
    calls.push({ invocation, op: 'GetObject', bucket: 'workflow' });
    const text = stored.get(i.Key);
    if (text === undefined) throw Object.assign(new Error('no such key'), { name: 'NoSuchKey' });
    return { Body: { transformToString: async () => text } };
  });
  s3Mock.on(ListObjectVersionsCommand).callsFake((i: ListObjectVersionsCommandInput) => {
    calls.push({ invocation, op: 'ListObjectVersions', bucket: i.Bucket! });
    const all = buckets.get(i.Bucket!)!;
    let start = 0;
    if (i.KeyMarker !== undefined) {
      const at = i.VersionIdMarker ? all.findIndex((e) => e.entry.key === i.KeyMarker && e.entry.versionId === i.VersionIdMarker) : -1;
      start = at >= 0 ? at + 1 : all.findIndex((e) => compareKeys(e.entry.key, i.KeyMarker!) > 0);
      if (start < 0) start = all.length;
    }
    const page: ManifestEntry[] = [];
    let n = start;
    for (; n < all.length && page.length < PAGE; n++) if (!all[n]!.deleted) page.push(all[n]!.entry);
    const truncated = all.slice(n).some((e) => !e.deleted);
    const last = page[page.length - 1];
    return {
      IsTruncated: truncated,
      ...(truncated && last ? { NextKeyMarker: last.key, NextVersionIdMarker: last.versionId } : {}),
      Versions: page.filter((e) => !e.deleteMarker).map((e) => ({ Key: e.key, VersionId: e.versionId, Size: e.size, ETag: `"${e.etag}"` })),
      DeleteMarkers: page.filter((e) => e.deleteMarker).map((e) => ({ Key: e.key, VersionId: e.versionId })),
    };
  });
  s3Mock.on(DeleteObjectsCommand).callsFake((i: DeleteObjectsCommandInput) => {
    calls.push({ invocation, op: 'DeleteObjects', bucket: i.Bucket! });
    for (const o of i.Delete!.Objects!) {
      const e = buckets.get(i.Bucket!)!.find((x) => x.entry.key === o.Key && x.entry.versionId === o.VersionId);
      if (e) e.deleted = true;
    }
    return {};
  });
});

/**
 * Invokes the step as the state machine's continuation loop does (the payload through JSON both
 * ways), each invocation given time for `budget` S3 calls. `between` runs before each later call.
 */
async function run(event: DeleteStackEvent, budget: number, between: (n: number) => void = () => undefined): Promise<DeleteStackResult[]> {
  const results: DeleteStackResult[] = [];
  let continuation: DeleteStackEvent['continuation'];
  for (;;) {
    invocation++;
    if (invocation > 1) between(invocation);
    const start = calls.length;
    const remaining = () => (calls.length - start >= budget ? 0 : 60_000);
    const payload = JSON.parse(JSON.stringify({ ...event, ...(continuation ? { continuation } : {}) })) as DeleteStackEvent;
    const result = JSON.parse(JSON.stringify(await deleteStack(deps, payload, remaining, { safetyMarginMs: 1 }))) as DeleteStackResult;
    results.push(result);
    if (result.status === 'DONE') return results;
    continuation = result.continuation;
    if (invocation > 200) throw new Error('no end');
  }
}

function original() {
  stackOf(CURRENT, CURRENT_ID);
  stackOf(TEMP, TEMP_ID, { Tags: [{ Key: TAGS.execution, Value: EXECUTION.id }] });
  const data = contents('data', 25);
  const uploads = contents('up', 20);
  seed('orders-data', data);
  seed('orders-uploads', uploads);
  const event: DeleteStackEvent = {
    stackName: CURRENT,
    execution: EXECUTION,
    reason: 'replaced by a verified copy',
    expectedStackId: CURRENT_ID,
    verifiedCopy: verifiedCopy([manifestOf('orders-data', data), manifestOf('orders-uploads', uploads)]),
  };
  return { data, uploads, event };
}

const phaseOf = (r: DeleteStackResult) => r.continuation?.phase;

describe('delete-stack across invocations', () => {
  it("empties the original's buckets in several invocations, comparing every bucket with its manifest before the first deletion", async () => {
    const { data, uploads, event } = original();
    const results = await run(event, 6);

    expect(results.length).toBeGreaterThan(6);
    expect(results.at(-1)).toMatchObject({
      status: 'DONE',
      deleteStarted: true,
      bucketsEmptied: [
        { bucketName: 'orders-data', objectVersionsDeleted: data.length },
        { bucketName: 'orders-uploads', objectVersionsDeleted: uploads.length },
      ],
    });
    expect(live('orders-data')).toEqual([]);
    expect(live('orders-uploads')).toEqual([]);
    // Several invocations only compared; not one DeleteObjects before both buckets were compared in full.
    const checking = results.filter((r) => phaseOf(r) === 'CHECK').length;
    expect(checking).toBeGreaterThan(2);
    const firstDelete = calls.findIndex((c) => c.op === 'DeleteObjects');
    const lastUploadsCheck = calls.findLastIndex((c, i) => i < firstDelete && c.op === 'ListObjectVersions' && c.bucket === 'orders-uploads');
    expect(lastUploadsCheck).toBeGreaterThan(0);
    expect(calls.filter((c) => c.op === 'DeleteObjects' && c.invocation <= checking)).toEqual([]);
    expect(results[checking]!.continuation?.checked).toEqual(BUCKETS);
    // Every invocation made progress and carried only positions and counts.
    for (const r of results) expect(JSON.stringify(r).length).toBeLessThan(2000);
    expect(cfnMock.commandCalls(DeleteStackCommand)).toHaveLength(1);
  });

  it('refuses, with nothing deleted, when the last bucket compared in a later invocation holds a version its manifest does not name', async () => {
    const { event } = original();
    write('orders-uploads', v('up/k19-late', 'late-1', 12));
    const err = await run(event, 6).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeletionRefused);
    expect((err as Error).message).toContain('bucket orders-uploads: 1 version(s) not in its verified manifest: added "up/k19-late" (version late-1, 12 bytes)');
    expect(invocation).toBeGreaterThan(2);
    expect(calls.filter((c) => c.op === 'DeleteObjects')).toEqual([]);
    expect(cfnMock.commandCalls(DeleteStackCommand)).toHaveLength(0);
  });

  it('never deletes a version written after its bucket was compared, while the deletion goes on in later invocations', async () => {
    const { event } = original();
    const late = v('data/k07', 'late-2', 99);
    let written = false;
    const results = await run(event, 6, () => {
      // Once the deletion has begun in orders-uploads, orders-data (compared, not yet emptied) gets a new version.
      if (!written && calls.some((c) => c.op === 'DeleteObjects')) {
        write('orders-data', late);
        written = true;
      }
    });
    expect(written).toBe(true);
    expect(results.at(-1)?.status).toBe('DONE');
    expect(live('orders-data')).toEqual([late]);
  });

  it('stops with DeletionInterrupted, not DeletionRefused, when the verified copy is gone once deleting has begun', async () => {
    const { event } = original();
    const err = await run(event, 6, () => {
      if (calls.some((c) => c.op === 'DeleteObjects')) {
        cfnMock.on(DescribeStacksCommand, { StackName: TEMP }).rejects(Object.assign(new Error(`Stack with id ${TEMP} does not exist`), { name: 'ValidationError' }));
      }
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeletionInterrupted);
    expect((err as Error).message).toMatch(/Refusing to go on deleting stack orders-prod.*does not exist/);
    expect(cfnMock.commandCalls(DeleteStackCommand)).toHaveLength(0);
  });

  it('throws DocumentCorrupt when the manifest part an invocation stopped in has changed by the next', async () => {
    const { event } = original();
    const part = manifestPartKey(event.verifiedCopy!.verification[0]!.sourceManifest!.prefix, 1);
    const err = await run(event, 3, (n) => {
      if (n === 2) stored.set(part, stored.get(part)!.replace('"data/k00-2"', '"data/k00-9"'));
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DocumentCorrupt);
    expect(calls.filter((c) => c.op === 'DeleteObjects')).toEqual([]);
  });

  it("empties a copy's buckets of every version in several invocations", async () => {
    stackOf(TEMP, TEMP_ID, { Tags: [{ Key: TAGS.execution, Value: EXECUTION.id }] });
    seed('orders-data', contents('data', 25));
    seed('orders-uploads', contents('up', 20));
    const results = await run({ stackName: TEMP, execution: EXECUTION, reason: 'temporary copy no longer needed' }, 4);
    expect(results.length).toBeGreaterThan(4);
    expect(results.slice(0, -1).every((r) => r.status === 'CONTINUE' && r.continuation?.phase === 'EMPTY')).toBe(true);
    expect(live('orders-data')).toEqual([]);
    expect(live('orders-uploads')).toEqual([]);
    expect(cfnMock.commandCalls(DeleteStackCommand)).toHaveLength(1);
  });
});
