import { GetBucketEncryptionCommand, HeadObjectCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ChecksumJobStatusResult, VerifyBucketEvent } from '../../lambdas/shared/contracts';
import { MAX_DIFFERENCES, verifyBucket } from '../../lambdas/verify-bucket/core';
import { awsError, FakeS3, putObject, type FakeObject } from '../fixtures/fake-s3';
import { readyJobResult } from '../fixtures/job-results';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Clone:run-1', name: 'run-1' };
const PAIR = { logicalId: 'Uploads', sourceBucket: 'orders-prod-uploads', destinationBucket: 'orders-prod-tmp-uploads' };
const EVENT: VerifyBucketEvent = { pair: PAIR, execution: EXECUTION };
const OPTIONS = { concurrency: 8, safetyMarginMs: 3 * 60 * 1000, hashMaxBytes: 1024 ** 3 };
const PLENTY = () => 14 * 60 * 1000;
process.env.WORKFLOW_BUCKET = 'env-migrator-workflow';

let s3: FakeS3;
beforeEach(() => {
  s3 = new FakeS3();
});

function objects(n: number): Record<string, FakeObject> {
  const out: Record<string, FakeObject> = {};
  for (let i = 0; i < n; i++) out[`docs/${String(i).padStart(4, '0')}.txt`] = putObject(`doc ${i}`, 100 + i);
  return out;
}

/** As a multipart upload leaves it: `-N` ETag; its CRC64NVME is still a full-object checksum. */
function multipart(content: string, size: number, extra: Partial<FakeObject> = {}): FakeObject {
  return { ...putObject(content, size), etag: `"${'ab'.repeat(16)}-7"`, ...extra };
}

describe('verify-bucket', () => {
  it('is EQUAL for identical buckets listed over several pages, comparing MD5 ETags, metadata by one HeadObject per version and side', async () => {
    s3.pageSize = 4;
    const same = objects(10);
    s3.bucket(PAIR.sourceBucket, same);
    s3.bucket(PAIR.destinationBucket, { ...same });

    const r = await verifyBucket(s3.client, EVENT, PLENTY, OPTIONS);

    expect(r.status).toBe('EQUAL');
    expect(r.comparedBy).toEqual({ etag: 10, checksum: 0, notComparable: 0, hashed: 0, batch: 0 });
    expect(r.source).toEqual(r.destination);
    expect(r.source.objects).toBe(10);
    expect(r.source.bytes).toBe(Array.from({ length: 10 }, (_, i) => 100 + i).reduce((a, b) => a + b));
    expect(r.source.digest.sum).toMatch(/^[0-9a-f]{64}$/);
    expect(r.source.digest.count).toBe(10);
    expect(r).toMatchObject({ differences: [], differenceCount: 0, pair: PAIR });
    expect(s3.mock.commandCalls(HeadObjectCommand)).toHaveLength(20);
    // The source's manifest names every version, in one part.
    expect(r.sourceManifest).toMatchObject({ listedBucket: PAIR.sourceBucket, bucket: 'env-migrator-workflow', parts: 1, listing: { count: 10 } });
    expect(s3.mock.commandCalls(ListObjectVersionsCommand, { Bucket: PAIR.sourceBucket })).toHaveLength(3);
  });

  it('names every missing, extra, resized and changed object and is MISMATCH', async () => {
    s3.bucket(PAIR.sourceBucket, { a: putObject('aaa'), b: putObject('bbb'), c: putObject('ccc'), d: putObject('ddd') });
    s3.bucket(PAIR.destinationBucket, { a: putObject('aaa'), c: putObject('cccc'), d: putObject('DDD'), e: putObject('eee') });

    const r = await verifyBucket(s3.client, EVENT, PLENTY, OPTIONS);

    expect(r.status).toBe('MISMATCH');
    expect(r.differences.map((d) => [d.key, d.problem])).toEqual([
      ['b', 'MISSING_AT_DESTINATION'],
      ['c', 'SIZE_DIFFERS'],
      ['d', 'CONTENT_DIFFERS'],
      ['e', 'EXTRA_AT_DESTINATION'],
    ]);
    expect(r.differenceCount).toBe(4);
    expect(r.differences[1]).toEqual({ key: 'c', version: 1, problem: 'SIZE_DIFFERS', detail: '3 → 4 bytes' });
  });

  it('is MISMATCH when the same keys and sizes hold different content, through the digest as well', async () => {
    s3.bucket(PAIR.sourceBucket, { a: putObject('one') });
    s3.bucket(PAIR.destinationBucket, { a: putObject('two') });
    const r = await verifyBucket(s3.client, EVENT, PLENTY, OPTIONS);
    expect(r.status).toBe('MISMATCH');
    expect(r.source.objects).toBe(r.destination.objects);
    expect(r.source.bytes).toBe(r.destination.bytes);
    expect(r.source.digest).not.toEqual(r.destination.digest);
  });

  it('compares a multipart copy by its full-object CRC64NVME checksum and puts that checksum in the digest', async () => {
    s3.bucket(PAIR.sourceBucket, { big: multipart('big data', 6 * 1024 ** 3), small: putObject('s') });
    s3.bucket(PAIR.destinationBucket, { big: { ...multipart('big data', 6 * 1024 ** 3), etag: `"${'cd'.repeat(16)}-13"` }, small: putObject('s') });

    const r = await verifyBucket(s3.client, EVENT, PLENTY, OPTIONS);

    expect(r.status).toBe('EQUAL');
    expect(r.comparedBy).toEqual({ etag: 1, checksum: 1, notComparable: 0, hashed: 0, batch: 0 });
    expect(r.source.digest).toEqual(r.destination.digest);
    for (const call of s3.mock.commandCalls(HeadObjectCommand)) expect(call.args[0].input).toMatchObject({ ChecksumMode: 'ENABLED' });
  });

  it('finds different content behind equal multipart ETags through the checksum', async () => {
    s3.bucket(PAIR.sourceBucket, { big: multipart('version 1', 100) });
    s3.bucket(PAIR.destinationBucket, { big: multipart('version 2', 100) });
    const r = await verifyBucket(s3.client, EVENT, PLENTY, OPTIONS);
    expect(r.status).toBe('MISMATCH');
    expect(r.differences).toMatchObject([{ key: 'big', problem: 'CONTENT_DIFFERS' }]);
    expect(r.comparedBy.checksum).toBe(1);
  });

  it('does not trust ETags when a bucket uses SSE-KMS by default and compares checksums instead', async () => {
    s3.kmsBuckets.add(PAIR.destinationBucket);
    s3.bucket(PAIR.sourceBucket, { a: putObject('aaa'), b: putObject('bbb') });
    s3.bucket(PAIR.destinationBucket, {
      a: { ...putObject('aaa'), etag: '"00000000000000000000000000000001"' },
      b: { ...putObject('bbb'), etag: '"00000000000000000000000000000002"' },
    });

    const r = await verifyBucket(s3.client, EVENT, PLENTY, OPTIONS);

    expect(r.status).toBe('EQUAL');
    expect(r.comparedBy).toEqual({ etag: 0, checksum: 2, notComparable: 0, hashed: 0, batch: 0 });
  });

  it('treats a bucket without an encryption configuration as not using KMS', async () => {
    s3.noEncryptionConfig.add(PAIR.sourceBucket);
    s3.bucket(PAIR.sourceBucket, { a: putObject('aaa') });
    s3.bucket(PAIR.destinationBucket, { a: putObject('aaa') });
    const r = await verifyBucket(s3.client, EVENT, PLENTY, OPTIONS);
    expect(r).toMatchObject({ status: 'EQUAL', comparedBy: { etag: 1 } });
    expect(s3.mock.commandCalls(GetBucketEncryptionCommand)).toHaveLength(2);
  });

  it('propagates any other GetBucketEncryption error', async () => {
    s3.bucket(PAIR.sourceBucket);
    s3.bucket(PAIR.destinationBucket);
    s3.mock.on(GetBucketEncryptionCommand).rejects(awsError('AccessDenied', 403));
    await expect(verifyBucket(s3.client, EVENT, PLENTY, OPTIONS)).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  /** A multipart source whose only checksum is composite, and a copy with no CRC64NVME: no rule of the step can compare them. */
  function uncomparable(): void {
    const composite = multipart('legacy', 50, { checksums: { SHA256: 'c2hhMjU2c3VtPQ==-7' }, checksumType: 'COMPOSITE' });
    s3.bucket(PAIR.sourceBucket, { legacy: composite, fine: putObject('f') });
    s3.bucket(PAIR.destinationBucket, { legacy: { ...putObject('legacy', 50), checksums: {} }, fine: putObject('f') });
  }
  const WAIT = { label: 'checksum job', startedAt: '2026-01-01T00:00:00Z', timeoutSeconds: 21600, elapsedSeconds: 600, nextDelaySeconds: 0, attempt: 3 };
  /** A READY checksum-job-status with a result document holding these rows. */
  function jobResult(name: string, rows: object[]): Promise<ChecksumJobStatusResult> {
    return readyJobResult(s3.client, 'env-migrator-workflow', `checksum-jobs/run-1/${name}/checksums`, rows, WAIT);
  }

  it('hands a version no rule of the step can compare to the checksum jobs (PROOF_NEEDED): both sides\' manifests under checksum-jobs/, nothing counted yet', async () => {
    uncomparable();
    const r = await verifyBucket(s3.client, EVENT, PLENTY, OPTIONS);
    expect(r.status).toBe('PROOF_NEEDED');
    expect(r.comparedBy).toEqual({ etag: 1, checksum: 0, notComparable: 0, hashed: 0, batch: 0 });
    expect(r.differenceCount).toBe(0);
    expect(r.proof).toMatchObject({ versions: 1, bytes: 50, manifests: { source: { key: 'checksum-jobs/run-1/orders-prod-uploads/source.csv' } } });
    expect(s3.documents.get('env-migrator-workflow/checksum-jobs/run-1/orders-prod-uploads/source.csv')).toBe('orders-prod-uploads,legacy,\n');
    expect(s3.documents.get('env-migrator-workflow/checksum-jobs/run-1/orders-prod-uploads/destination.csv')).toBe('orders-prod-tmp-uploads,legacy,\n');
    expect(r.continuation?.pendingProof?.versions).toBe(1);
  });

  it('is EQUAL with the version counted as proven by batch when both jobs report the same CRC64NVME for it', async () => {
    uncomparable();
    const first = await verifyBucket(s3.client, EVENT, PLENTY, OPTIONS);
    const row = (bucket: string) => ({ bucket, key: 'legacy', versionId: '', checksum: 'AAAAAAAAAAA=', algorithm: 'CRC64NVME', type: 'FULL_OBJECT' });
    const proofResults = { source: await jobResult('s', [row(PAIR.sourceBucket)]), destination: await jobResult('d', [row(PAIR.destinationBucket)]) };
    const r = await verifyBucket(s3.client, { ...EVENT, continuation: first.continuation, proofResults }, PLENTY, OPTIONS);
    expect(r.status).toBe('EQUAL');
    expect(r.comparedBy).toEqual({ etag: 1, checksum: 0, notComparable: 0, hashed: 0, batch: 1 });
    expect(s3.mock.commandCalls(ListObjectVersionsCommand)).toHaveLength(2);
  });

  it('is MISMATCH (CONTENT_DIFFERS by batch) when the two jobs report different checksums', async () => {
    uncomparable();
    const first = await verifyBucket(s3.client, EVENT, PLENTY, OPTIONS);
    const row = (bucket: string, checksum: string) => ({ bucket, key: 'legacy', versionId: '', checksum, algorithm: 'CRC64NVME', type: 'FULL_OBJECT' });
    const proofResults = { source: await jobResult('s', [row(PAIR.sourceBucket, 'AAAAAAAAAAA=')]), destination: await jobResult('d', [row(PAIR.destinationBucket, 'AQAAAAAAAAA=')]) };
    const r = await verifyBucket(s3.client, { ...EVENT, continuation: first.continuation, proofResults }, PLENTY, OPTIONS);
    expect(r.status).toBe('MISMATCH');
    expect(r.differences).toMatchObject([{ key: 'legacy', problem: 'CONTENT_DIFFERS', detail: 'by batch' }]);
  });

  it.each([
    ['a failed task', (b: string) => [{ bucket: b, key: 'legacy', versionId: '', error: 'AccessDenied', httpStatus: 403 }], /task failed \(AccessDenied, HTTP 403\)/],
    ['a missing row', () => [], /no row for this version/],
    ['another object than the one listed', (b: string) => [{ bucket: b, key: 'legacy', versionId: '', checksum: 'AAAAAAAAAAA=', algorithm: 'CRC64NVME', type: 'FULL_OBJECT', etag: 'other' }], /changed after it was listed/],
  ])('counts the version NOT_COMPARABLE and is MISMATCH, never EQUAL, for %s in the source job\'s report', async (_what, rows, detail) => {
    uncomparable();
    const first = await verifyBucket(s3.client, EVENT, PLENTY, OPTIONS);
    const ok = { bucket: PAIR.destinationBucket, key: 'legacy', versionId: '', checksum: 'AAAAAAAAAAA=', algorithm: 'CRC64NVME', type: 'FULL_OBJECT' };
    const proofResults = { source: await jobResult('s', rows(PAIR.sourceBucket)), destination: await jobResult('d', [ok]) };
    const r = await verifyBucket(s3.client, { ...EVENT, continuation: first.continuation, proofResults }, PLENTY, OPTIONS);
    expect(r.status).toBe('MISMATCH');
    expect(r.comparedBy).toMatchObject({ notComparable: 1, batch: 0 });
    expect(r.differences).toMatchObject([{ key: 'legacy', version: 1, problem: 'NOT_COMPARABLE' }]);
    expect(r.differences[0]?.detail).toMatch(detail);
  });

  it('counts the version NOT_COMPARABLE and is MISMATCH when a job failed', async () => {
    uncomparable();
    const first = await verifyBucket(s3.client, EVENT, PLENTY, OPTIONS);
    const failed: ChecksumJobStatusResult = { status: 'FAILED', reason: 'checksum job j is Failed: ManifestNotFound', wait: WAIT };
    const r = await verifyBucket(s3.client, { ...EVENT, continuation: first.continuation, proofResults: { source: failed, destination: failed } }, PLENTY, OPTIONS);
    expect(r.status).toBe('MISMATCH');
    expect(r.differences).toMatchObject([{ key: 'legacy', problem: 'NOT_COMPARABLE' }]);
    expect(r.differences[0]?.detail).toContain('source checksum job failed');
  });

  it('runs no job for a bucket that differs already: its unproven versions are NOT_COMPARABLE at once', async () => {
    uncomparable();
    s3.objects(PAIR.destinationBucket).delete('fine');
    const r = await verifyBucket(s3.client, EVENT, PLENTY, OPTIONS);
    expect(r.status).toBe('MISMATCH');
    expect(r.proof).toBeUndefined();
    expect(r.differences.map((d) => d.problem).sort()).toEqual(['MISSING_AT_DESTINATION', 'NOT_COMPARABLE']);
  });

  it('leaves versions that would be read in the step to the jobs when the bucket is one the jobs prove faster (chooseContentProof)', async () => {
    const a: FakeObject = { ...multipart('x', 10), checksums: { CRC64NVME: 'AAAAAAAAAAA=' } };
    s3.bucket(PAIR.sourceBucket, { a: { ...a, checksums: {} } });
    s3.bucket(PAIR.destinationBucket, { a });
    const bucketTotals = { objectsCopied: 5_000_000, objectsSkipped: 0, bytesCopied: 5e12, multipartObjects: 0, deleteMarkersCopied: 0, versionsCleared: 0, requests: 0 };
    const r = await verifyBucket(s3.client, { ...EVENT, bucketTotals }, PLENTY, OPTIONS);
    expect(r.status).toBe('PROOF_NEEDED');
    expect(r.comparedBy.hashed).toBe(0);
  });

  it('uses a SHA-256 full-object checksum when both sides have one and no CRC64NVME', async () => {
    const a: FakeObject = { ...multipart('x', 10), checksums: { SHA256: 'c2FtZQ==' }, checksumType: 'FULL_OBJECT' };
    s3.bucket(PAIR.sourceBucket, { a });
    s3.bucket(PAIR.destinationBucket, { a: { ...a } });
    const r = await verifyBucket(s3.client, EVENT, PLENTY, OPTIONS);
    expect(r).toMatchObject({ status: 'EQUAL', comparedBy: { checksum: 1 } });
  });

  it('lists at most 20 differences but counts all of them, and stores the full list as a document', async () => {
    s3.bucket(PAIR.sourceBucket, objects(150));
    s3.bucket(PAIR.destinationBucket);
    const r = await verifyBucket(s3.client, EVENT, PLENTY, OPTIONS);
    expect(r.status).toBe('MISMATCH');
    expect(r.differences).toHaveLength(MAX_DIFFERENCES);
    expect(r.differenceCount).toBe(150);
    expect(r.destination).toMatchObject({ objects: 0, bytes: 0 });
    expect(r.differencesDocument?.key).toBe('runs/run-1/differences/orders-prod-uploads/index.json');
    const index = JSON.parse(s3.documents.get(`env-migrator-workflow/${r.differencesDocument?.key}`) ?? '{}') as { parts: { key: string }[] };
    const lines = index.parts.flatMap((p) => (s3.documents.get(`env-migrator-workflow/${p.key}`) ?? '').split('\n').filter(Boolean));
    expect(lines).toHaveLength(150);
  });

  it('is EQUAL for two empty buckets', async () => {
    s3.bucket(PAIR.sourceBucket);
    s3.bucket(PAIR.destinationBucket);
    const r = await verifyBucket(s3.client, EVENT, PLENTY, OPTIONS);
    expect(r).toMatchObject({ status: 'EQUAL', comparedBy: { etag: 0, checksum: 0, notComparable: 0, hashed: 0, batch: 0 }, differenceCount: 0 });
  });

  it('pairs unicode and mixed-case keys correctly across pages', async () => {
    s3.pageSize = 2;
    const keys = ['B', 'a', 'é', 'e', '日本', '\u{1F600}', '\uFF21', 'a/b', 'a b'];
    const same = Object.fromEntries(keys.map((k) => [k, putObject(`v:${k}`)]));
    s3.bucket(PAIR.sourceBucket, same);
    s3.bucket(PAIR.destinationBucket, { ...same });
    const r = await verifyBucket(s3.client, EVENT, PLENTY, OPTIONS);
    expect(r).toMatchObject({ status: 'EQUAL', comparedBy: { etag: keys.length } });
  });
});
