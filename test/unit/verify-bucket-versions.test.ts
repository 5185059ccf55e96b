/**
 * verify-bucket's comparison of version pairs (VersionJudge and the checksum jobs' second pass):
 * histories with delete markers and null versions, metadata and tags, the rule that proves each
 * content, and what the checksum jobs' manifests and reports must say for a version to count as proven.
 */
import { GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ChecksumJobStatusResult, VerifyBucketEvent, VerifyBucketResult } from '../../lambdas/shared/contracts';
import { readyJobResult } from '../fixtures/job-results';
import { verifyBucket } from '../../lambdas/verify-bucket/core';
import { crc64nvme, VersionedS3, type Histories, type StoredVersion } from './fixtures/verify-b-versioned';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Clone:run-1', name: 'run-1' };
const PAIR = { logicalId: 'Uploads', sourceBucket: 'orders-prod-uploads', destinationBucket: 'orders-prod-tmp-uploads' };
const EVENT: VerifyBucketEvent = { pair: PAIR, execution: EXECUTION };
const OPTIONS = { concurrency: 8, safetyMarginMs: 3 * 60 * 1000, hashMaxBytes: 1024 ** 3 };
const PLENTY = () => 14 * 60 * 1000;
const STORE = 'env-migrator-workflow';
process.env.WORKFLOW_BUCKET = STORE;

let s3: VersionedS3;
beforeEach(() => {
  s3 = new VersionedS3();
});

const verify = (event: VerifyBucketEvent = EVENT, options = OPTIONS) => verifyBucket(s3.client, event, PLENTY, options);
const pair = (source: Histories, destination: Histories) => {
  s3.bucket(PAIR.sourceBucket, source);
  s3.bucket(PAIR.destinationBucket, destination);
};
const v = (versionId: string, content: string, extra: Partial<StoredVersion> = {}): StoredVersion => ({ versionId, content, ...extra });
const marker = (versionId: string): StoredVersion => ({ versionId, deleteMarker: true });
/** A multipart upload's ETag: not an MD5 of the content. */
const multipartEtag = (n: number) => `"${'ab'.repeat(16)}-${n}"`;
const NO_RULE = { etag: 0, checksum: 0, hashed: 0, batch: 0, notComparable: 0 };

describe('verify-bucket: metadata and tags of each version', () => {
  it('is EQUAL when the two sides answer the same tags in another order', async () => {
    pair({ k: [v('s1', 'data', { tags: [['team', 'a'], ['env', 'prod']] })] }, { k: [v('d1', 'data', { tags: [['env', 'prod'], ['team', 'a']] })] });
    const r = await verify();
    expect(r).toMatchObject({ status: 'EQUAL', differences: [], comparedBy: { ...NO_RULE, etag: 1 } });
    expect(r.source.digest).toEqual(r.destination.digest);
  });

  it.each([
    ['a tag\'s value changed', [['team', 'a']], [['team', 'b']], '1 → 1 tags'],
    ['a tag was renamed', [['team', 'a']], [['owner', 'a']], '1 → 1 tags'],
    ['the copy lost its tags', [['team', 'a'], ['env', 'prod']], [], '2 → 0 tags'],
    ['the copy gained a tag', [], [['team', 'a']], '0 → 1 tags'],
  ] as [string, [string, string][], [string, string][], string][])('reports TAGS_DIFFERS with both tag counts when %s', async (_what, sourceTags, destinationTags, detail) => {
    pair({ k: [v('s1', 'data', { tags: sourceTags })] }, { k: [v('d1', 'data', { tags: destinationTags })] });
    const r = await verify();
    expect(r.status).toBe('MISMATCH');
    expect(r.differences).toEqual([{ key: 'k', version: 1, problem: 'TAGS_DIFFERS', detail }]);
    expect(r.source.digest).not.toEqual(r.destination.digest);
  });

  it('reads tags only of the versions HeadObject counts tags on', async () => {
    pair(
      { a: [v('s1', 'a')], b: [v('s2', 'b', { tags: [['team', 'x']] })], c: [v('s3', 'c')] },
      { a: [v('d1', 'a')], b: [v('d2', 'b', { tags: [['team', 'x']] })], c: [v('d3', 'c')] },
    );
    const r = await verify();
    expect(r.status).toBe('EQUAL');
    expect(s3.mock.commandCalls(GetObjectTaggingCommand).map((c) => [c.args[0].input.Bucket, c.args[0].input.Key, c.args[0].input.VersionId])).toEqual(
      expect.arrayContaining([
        [PAIR.sourceBucket, 'b', 's2'],
        [PAIR.destinationBucket, 'b', 'd2'],
      ]),
    );
    expect(s3.mock.commandCalls(GetObjectTaggingCommand)).toHaveLength(2);
  });

  it('compares a version whose tags were removed between HeadObject and GetObjectTagging as untagged', async () => {
    pair({ k: [v('s1', 'data', { tags: [['team', 'a']], tagsGoneBeforeRead: true })] }, { k: [v('d1', 'data')] });
    const r = await verify();
    expect(r).toMatchObject({ status: 'EQUAL', differences: [], differenceCount: 0 });
  });

  it('names exactly the metadata fields that differ (METADATA_DIFFERS), and the two digests differ', async () => {
    pair(
      { k: [v('s1', 'data', { contentType: 'text/plain', metadata: { owner: 'a', same: 'x' } })] },
      { k: [v('d1', 'data', { contentType: 'text/html', metadata: { same: 'x', extra: 'y' } })] },
    );
    const r = await verify();
    expect(r.status).toBe('MISMATCH');
    expect(r.differences).toEqual([{ key: 'k', version: 1, problem: 'METADATA_DIFFERS', detail: 'ContentType, x-amz-meta-owner, x-amz-meta-extra' }]);
    expect(r.comparedBy).toEqual({ ...NO_RULE, etag: 1 });
    expect(r.source.digest).not.toEqual(r.destination.digest);
  });
});

describe('verify-bucket: delete markers and versions on one side only', () => {
  it.each([
    ['a version became a delete marker', [v('s1', 'one'), v('s2', 'two')], [v('d1', 'one'), marker('d2')]],
    ['a delete marker became a version', [v('s1', 'one'), marker('s2')], [v('d1', 'one'), v('d2', 'two')]],
  ])('reports DELETE_MARKER_DIFFERS where %s in the copy', async (detail, source, destination) => {
    pair({ k: source }, { k: destination });
    const r = await verify();
    expect(r.status).toBe('MISMATCH');
    expect(r.differences).toEqual([{ key: 'k', version: 2, problem: 'DELETE_MARKER_DIFFERS', detail }]);
    expect(r.differenceCount).toBe(1);
  });

  it('is EQUAL for histories ending in a delete marker on both sides, with the marker in both digests', async () => {
    pair({ k: [v('s1', 'one'), marker('s2')] }, { k: [v('d1', 'one'), marker('d2')] });
    const r = await verify();
    expect(r.status).toBe('EQUAL');
    const side = { objects: 1, versions: 1, deleteMarkers: 1, bytes: 3, digest: { sum: expect.stringMatching(/^[0-9a-f]{64}$/), count: 2 } };
    expect(r.source).toEqual(side);
    expect(r.destination).toEqual(r.source);
  });

  it('reports the versions missing from the copy\'s history and still counts them in the source\'s digest', async () => {
    pair({ k: [v('s1', 'one'), v('s2', 'two'), marker('s3')] }, { k: [v('d1', 'one')] });
    const r = await verify();
    expect(r.status).toBe('MISMATCH');
    expect(r.differences).toEqual([
      { key: 'k', version: 2, problem: 'VERSION_MISSING', detail: '1 of 3 at the destination' },
      { key: 'k', version: 3, problem: 'VERSION_MISSING', detail: '1 of 3 at the destination' },
    ]);
    expect(r.source.digest.count).toBe(3);
    expect(r.destination.digest.count).toBe(1);
  });

  it('reports the versions only the copy holds and counts them in the destination\'s digest alone', async () => {
    pair({ k: [v('s1', 'one')] }, { k: [v('d1', 'one'), v('d2', 'two')] });
    const r = await verify();
    expect(r.status).toBe('MISMATCH');
    expect(r.differences).toEqual([{ key: 'k', version: 2, problem: 'EXTRA_AT_DESTINATION', detail: '2 at the destination, 1 expected' }]);
    expect(r.source.digest.count).toBe(1);
    expect(r.destination.digest.count).toBe(2);
  });

  it('addresses a null version among others by VersionId "null" (versioning suspended), not as the current object', async () => {
    pair(
      { k: [v('null', 'old', { contentType: 'text/plain' }), v('s2', 'new', { contentType: 'application/json' })] },
      { k: [v('d1', 'old', { contentType: 'text/plain' }), v('d2', 'new', { contentType: 'application/json' })] },
    );
    const r = await verify();
    expect(r).toMatchObject({ status: 'EQUAL', differences: [], comparedBy: { ...NO_RULE, etag: 2 } });
    const heads = s3.mock.commandCalls(HeadObjectCommand, { Bucket: PAIR.sourceBucket }).map((c) => c.args[0].input.VersionId);
    expect(heads.sort()).toEqual(['null', 's2']);
  });
});

describe('verify-bucket: the rule that proves each content', () => {
  it('compares by size first and counts a resized version under the ETag rule', async () => {
    pair({ k: [v('s1', 'short')] }, { k: [v('d1', 'longer')] });
    const r = await verify();
    expect(r.differences).toEqual([{ key: 'k', version: 1, problem: 'SIZE_DIFFERS', detail: '5 → 6 bytes' }]);
    expect(r.comparedBy).toEqual({ ...NO_RULE, etag: 1 });
  });

  it.each([
    ['aws:kms', 'source'],
    ['aws:kms', 'destination'],
    ['aws:kms:dsse', 'source'],
    ['aws:kms:dsse', 'destination'],
  ])('does not compare ETags when the %s side\'s version is encrypted with %s in a bucket without KMS by default', async (sse, side) => {
    const checksums = { CRC64NVME: await crc64nvme('data') };
    // An SSE-KMS object's ETag is not the MD5 of its content: equal bytes, different ETags.
    const kms = v('x', 'data', { sse, etag: `"${'01'.repeat(16)}"`, checksums });
    const plain = v('x', 'data', { checksums });
    pair({ k: [side === 'source' ? kms : plain] }, { k: [side === 'source' ? plain : kms] });
    const r = await verify();
    expect(r).toMatchObject({ status: 'EQUAL', differences: [], comparedBy: { ...NO_RULE, checksum: 1 } });
  });

  it('trusts no ETag in a bucket whose default encryption is KMS, even for a version that reports SSE-S3', async () => {
    s3.kmsBuckets.add(PAIR.sourceBucket);
    const checksums = { CRC64NVME: await crc64nvme('data') };
    pair({ k: [v('s1', 'data', { sse: 'AES256', etag: `"${'02'.repeat(16)}"`, checksums })] }, { k: [v('d1', 'data', { sse: 'AES256', checksums })] });
    const r = await verify();
    expect(r).toMatchObject({ status: 'EQUAL', differences: [], comparedBy: { ...NO_RULE, checksum: 1 } });
  });

  it.each(['source', 'destination'])('compares a multipart %s with a single-part other side by checksum, not by their ETags', async (side) => {
    const checksums = { CRC64NVME: await crc64nvme('data') };
    const multipart = v('x', 'data', { etag: multipartEtag(3), checksums, checksumType: 'FULL_OBJECT' });
    const single = v('x', 'data', { checksums });
    pair({ k: [side === 'source' ? multipart : single] }, { k: [side === 'source' ? single : multipart] });
    const r = await verify();
    expect(r).toMatchObject({ status: 'EQUAL', differences: [], comparedBy: { ...NO_RULE, checksum: 1 } });
  });

  /** Multipart sources without checksums (uploaded before S3's default checksums); the copy carries S3's CRC64NVME. */
  async function hashable(destinationContent: (content: string) => string = (c) => c): Promise<void> {
    const source = (id: string, content: string) => v(id, content, { etag: multipartEtag(2) });
    const copy = async (id: string, content: string) => v(id, content, { checksums: { CRC64NVME: await crc64nvme(destinationContent(content)) }, checksumType: 'FULL_OBJECT' });
    pair({ k: [source('s1', 'alpha1'), source('s2', 'bravo2')] }, { k: [await copy('d1', 'alpha1'), await copy('d2', 'bravo2')] });
  }

  it('reads each source version up to the hash bound and proves it against the copy\'s CRC64NVME (hashed)', async () => {
    await hashable();
    const r = await verify(EVENT, { ...OPTIONS, hashMaxBytes: 6 });
    expect(r).toMatchObject({ status: 'EQUAL', differences: [], differenceCount: 0, comparedBy: { ...NO_RULE, hashed: 2 } });
    expect(r.source.digest).toEqual(r.destination.digest);
    const reads = s3.mock.commandCalls(GetObjectCommand, { Bucket: PAIR.sourceBucket }).map((c) => c.args[0].input.VersionId);
    expect(reads.sort()).toEqual(['s1', 's2']);
  });

  it('finds different content by reading the source (CONTENT_DIFFERS by hashed)', async () => {
    await hashable((c) => (c === 'bravo2' ? 'bravo3' : c));
    const r = await verify(EVENT, { ...OPTIONS, hashMaxBytes: 6 });
    expect(r.status).toBe('MISMATCH');
    expect(r.differences).toEqual([{ key: 'k', version: 2, problem: 'CONTENT_DIFFERS', detail: 'by hashed' }]);
    expect(r.comparedBy).toEqual({ ...NO_RULE, hashed: 2 });
  });

  it('leaves a version over the hash bound to the checksum jobs without reading it', async () => {
    await hashable();
    const r = await verify(EVENT, { ...OPTIONS, hashMaxBytes: 5 });
    expect(r.status).toBe('PROOF_NEEDED');
    expect(r.proof?.versions).toBe(2);
    expect(r.comparedBy).toEqual(NO_RULE);
    expect(s3.mock.commandCalls(GetObjectCommand, { Bucket: PAIR.sourceBucket })).toHaveLength(0);
  });
});

describe('verify-bucket: the checksum jobs', () => {
  const WAIT = { label: 'checksum job', startedAt: '2026-01-01T00:00:00Z', timeoutSeconds: 21600, elapsedSeconds: 600, nextDelaySeconds: 0, attempt: 3 };
  /** Versions no rule of the step can prove: multipart ETags and no checksum on either side. */
  const unprovable = (id: string, content: string) => v(id, content, { etag: multipartEtag(4) });

  /** Key `k`: two versions in versioned buckets; key `u`: an unversioned object ("null", current). */
  function pending(): void {
    pair(
      { k: [unprovable('s1', 'first'), unprovable('s2', 'second')], 'u v': [unprovable('null', 'solo')] },
      { k: [unprovable('d1', 'first'), unprovable('d2', 'second')], 'u v': [unprovable('null', 'solo')] },
    );
  }

  it('names each pending version in both jobs\' CSV manifests by its version ID, an unversioned object by none', async () => {
    pending();
    const r = await verify();
    expect(r.status).toBe('PROOF_NEEDED');
    const at = (name: string) => `checksum-jobs/run-1/orders-prod-uploads/${name}`;
    expect(r.proof).toEqual({
      versions: 3,
      bytes: 5 + 6 + 4,
      manifests: { source: { bucket: STORE, key: at('source.csv') }, destination: { bucket: STORE, key: at('destination.csv') } },
      reportPrefixes: { source: at('source-report'), destination: at('destination-report') },
    });
    expect(s3.documents.get(`${STORE}/${at('source.csv')}`)).toBe('orders-prod-uploads,k,s1\norders-prod-uploads,k,s2\norders-prod-uploads,u%20v,\n');
    expect(s3.documents.get(`${STORE}/${at('destination.csv')}`)).toBe('orders-prod-tmp-uploads,k,d1\norders-prod-tmp-uploads,k,d2\norders-prod-tmp-uploads,u%20v,\n');
    const csvPuts = s3.mock.commandCalls(PutObjectCommand).filter((c) => c.args[0].input.Key?.endsWith('.csv'));
    expect(csvPuts.map((c) => c.args[0].input.ContentType)).toEqual(['text/csv', 'text/csv']);
  });

  it('keeps a clone phase\'s job manifests and reports under that phase', async () => {
    pending();
    const r = await verify({ ...EVENT, phase: 'c2' });
    const at = (name: string) => `checksum-jobs/run-1/c2/orders-prod-uploads/${name}`;
    expect(r.proof?.manifests).toEqual({ source: { bucket: STORE, key: at('source.csv') }, destination: { bucket: STORE, key: at('destination.csv') } });
    expect(r.proof?.reportPrefixes).toEqual({ source: at('source-report'), destination: at('destination-report') });
  });

  let jobs = 0;
  /** A READY checksum-job-status whose result document holds these rows (NDJSON). */
  function ready(rows: object[]): Promise<ChecksumJobStatusResult> {
    return readyJobResult(s3.client, STORE, `checksum-jobs/run-1/job-${++jobs}/checksums`, rows, WAIT);
  }
  const crc = { k: { first: 'AAAAAAAAAAE=', second: 'AAAAAAAAAAI=' }, u: 'AAAAAAAAAAM=' };
  const sourceRows = () => [
    { bucket: PAIR.sourceBucket, key: 'k', versionId: 's1', checksum: crc.k.first, algorithm: 'CRC64NVME', type: 'FULL_OBJECT', etag: multipartEtag(4) },
    { bucket: PAIR.sourceBucket, key: 'k', versionId: 's2', checksum: crc.k.second, algorithm: 'CRC64NVME', type: 'FULL_OBJECT', etag: multipartEtag(4) },
    { bucket: PAIR.sourceBucket, key: 'u v', versionId: '', checksum: crc.u, algorithm: 'CRC64NVME', type: 'FULL_OBJECT', etag: multipartEtag(4) },
  ];
  // Another order than the source's, without ETag, algorithm and type (a report need not give them), and no versionId for the unversioned object.
  const destinationRows = (): Record<string, unknown>[] => [
    { bucket: PAIR.destinationBucket, key: 'u v', checksum: crc.u },
    { bucket: PAIR.destinationBucket, key: 'k', versionId: 'd2', checksum: crc.k.second },
    { bucket: PAIR.destinationBucket, key: 'k', versionId: 'd1', checksum: crc.k.first },
  ];
  async function secondPass(source: ChecksumJobStatusResult, destination: ChecksumJobStatusResult): Promise<VerifyBucketResult> {
    const first = await verify();
    expect(first.status).toBe('PROOF_NEEDED');
    return verify({ ...EVENT, continuation: first.continuation, proofResults: { source, destination } });
  }

  it('proves each version by its own row of each job\'s report, whatever order the reports list them in (batch)', async () => {
    pending();
    const r = await secondPass(await ready(sourceRows()), await ready(destinationRows()));
    expect(r).toMatchObject({ status: 'EQUAL', differences: [], differenceCount: 0, comparedBy: { ...NO_RULE, batch: 3 } });
    expect(r.source.digest).toEqual(r.destination.digest);
  });

  it('finds the one version whose two checksums differ (CONTENT_DIFFERS by batch)', async () => {
    pending();
    const rows = destinationRows().map((row) => (row.versionId === 'd1' ? { ...row, checksum: 'AAAAAAAAAAk=' } : row));
    const r = await secondPass(await ready(sourceRows()), await ready(rows));
    expect(r.status).toBe('MISMATCH');
    expect(r.differences).toEqual([{ key: 'k', version: 1, problem: 'CONTENT_DIFFERS', detail: 'by batch' }]);
    expect(r.comparedBy).toEqual({ ...NO_RULE, batch: 3 });
  });

  const only = (rows: Record<string, unknown>[], versionId: string, change: Record<string, unknown>) =>
    rows.map((row) => ((row.versionId ?? '') === versionId ? { ...row, ...change } : row));
  const without = (rows: Record<string, unknown>[], versionId: string) => rows.filter((row) => row.versionId !== versionId);

  it.each([
    ['a failed task, with its HTTP status', 'source', (rows: Record<string, unknown>[]) => only(rows, 's2', { checksum: undefined, error: 'AccessDenied', httpStatus: 403 }), "source: the checksum job's task failed (AccessDenied, HTTP 403)"],
    ['a task that reported an error beside a checksum', 'source', (rows: Record<string, unknown>[]) => only(rows, 's2', { error: 'InternalError' }), "source: the checksum job's task failed (InternalError)"],
    ['a row without a checksum', 'destination', (rows: Record<string, unknown>[]) => only(rows, 'd2', { checksum: undefined }), "destination: the checksum job's task failed (no checksum)"],
    ['a missing row', 'destination', (rows: Record<string, unknown>[]) => without(rows, 'd2'), "destination: no row for this version in the checksum job's report"],
    ['another algorithm', 'source', (rows: Record<string, unknown>[]) => only(rows, 's2', { algorithm: 'SHA256' }), 'source: the job computed SHA256 FULL_OBJECT, not CRC64NVME FULL_OBJECT'],
    ['a composite checksum', 'destination', (rows: Record<string, unknown>[]) => only(rows, 'd2', { algorithm: 'CRC64NVME', type: 'COMPOSITE' }), 'destination: the job computed CRC64NVME COMPOSITE, not CRC64NVME FULL_OBJECT'],
    ['another object than the one listed', 'source', (rows: Record<string, unknown>[]) => only(rows, 's2', { etag: '"0123"' }), 'source: the object changed after it was listed (ETag "0123")'],
  ])('counts the version NOT_COMPARABLE, with the reason as detail, for %s in the %s job\'s report', async (_what, side, change, detail) => {
    pending();
    const source = side === 'source' ? change(sourceRows()) : sourceRows();
    const destination = side === 'destination' ? change(destinationRows()) : destinationRows();
    const r = await secondPass(await ready(source), await ready(destination));
    expect(r.status).toBe('MISMATCH');
    expect(r.differences).toEqual([{ key: 'k', version: 2, problem: 'NOT_COMPARABLE', detail }]);
    expect(r.comparedBy).toEqual({ ...NO_RULE, batch: 2, notComparable: 1 });
    expect(r.source.digest).not.toEqual(r.destination.digest);
  });

  it.each([
    ['a failed source job', 'source', { status: 'FAILED', reason: 'checksum job j is Failed: ManifestNotFound', wait: WAIT }, 'source checksum job failed: checksum job j is Failed: ManifestNotFound'],
    ['a failed destination job without a reason', 'destination', { status: 'FAILED', wait: WAIT }, 'destination checksum job failed: no reason given'],
    ['a READY source job without its result document', 'source', { status: 'READY', wait: WAIT }, 'source checksum job has no result: no reason given'],
    ['a destination job still PENDING', 'destination', { status: 'PENDING', reason: 'still running', wait: WAIT }, 'destination checksum job has no result: still running'],
  ] as [string, string, ChecksumJobStatusResult, string][])('counts every pending version NOT_COMPARABLE for %s, naming the side', async (_what, side, status, detail) => {
    pending();
    const r = await secondPass(side === 'source' ? status : await ready(sourceRows()), side === 'destination' ? status : await ready(destinationRows()));
    expect(r.status).toBe('MISMATCH');
    expect(r.differences).toEqual([
      { key: 'k', version: 1, problem: 'NOT_COMPARABLE', detail },
      { key: 'k', version: 2, problem: 'NOT_COMPARABLE', detail },
      { key: 'u v', version: 1, problem: 'NOT_COMPARABLE', detail },
    ]);
    expect(r.comparedBy).toEqual({ ...NO_RULE, notComparable: 3 });
  });

  it('never trusts the rows of a job reported FAILED, even when it names a result document', async () => {
    pending();
    const failed: ChecksumJobStatusResult = { ...(await ready(sourceRows())), status: 'FAILED', reason: 'the report is incomplete' };
    const r = await secondPass(failed, await ready(destinationRows()));
    expect(r.status).toBe('MISMATCH');
    expect(r.comparedBy).toEqual({ ...NO_RULE, notComparable: 3 });
    expect(r.differences.map((d) => d.detail)).toEqual(Array(3).fill('source checksum job failed: the report is incomplete'));
  });
});
