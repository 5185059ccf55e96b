/**
 * copy-bucket at its edges: which destination histories it keeps, clears or completes (and what it
 * reads to decide), which version each request names, how a multipart copy carries an object's
 * headers and refuses a source that changed under it, and how its pace follows S3's answers.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  UploadPartCopyCommand,
  type CopyObjectCommandInput,
  type ListObjectVersionsCommandInput,
} from '@aws-sdk/client-s3';
import { beforeEach, describe, expect, it } from 'vitest';
import { copyBucket, PART_BYTES, partRanges, type CopyOptions } from '../../lambdas/copy-bucket/core';
import type { CopyBucketEvent } from '../../lambdas/shared/contracts';
import { CopyFailed } from '../../lambdas/shared/errors';
import { awsError, FakeS3, putObject, type FakeObject } from '../fixtures/fake-s3';
import { crc, HistoryS3, marker, version } from './fixtures/copy-history-s3';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Clone:run-3', name: 'run-3' };
const PAIR = { logicalId: 'Archive', sourceBucket: 'ledger-archive', destinationBucket: 'ledger-archive-tmp' };
const MARGIN = 180_000;
const OPTIONS: CopyOptions = { concurrency: 8, safetyMarginMs: MARGIN };
const PLENTY = () => 14 * 60 * 1000;
const GIB = 1024 ** 3;
const EVENT: CopyBucketEvent = { pair: PAIR, execution: EXECUTION };

let fake: FakeS3;
beforeEach(() => {
  fake = new FakeS3();
});
/** A versioned fake on the file's one S3Client stub. */
const histories = () => new HistoryS3(fake.mock);

function objects(n: number): Record<string, FakeObject> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`entry/${String(i).padStart(3, '0')}`, putObject(`entry ${i}`)]));
}
const copiedKeys = (s3: { mock: FakeS3['mock'] }) => s3.mock.commandCalls(CopyObjectCommand).map((c) => c.args[0].input.Key);
const inputs = <T>(s3: { mock: FakeS3['mock'] }, command: new (...args: never[]) => T) =>
  s3.mock.commandCalls(command as never).map((c) => (c.args[0] as { input: unknown }).input);
const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('copy-bucket: the time budget and the keys in flight', () => {
  it('keeps starting keys while exactly a third of the safety margin is left', async () => {
    fake.bucket(PAIR.sourceBucket, objects(5));
    fake.bucket(PAIR.destinationBucket);
    const r = await copyBucket(fake.client, EVENT, () => MARGIN / 3, { ...OPTIONS, concurrency: 1 });
    expect(r.status).toBe('DONE');
    expect(r.continuation.totals.objectsCopied).toBe(5);
  });

  it('starts no new key while as many keys as the concurrency allows are copying, so a budget that runs out leaves only those to finish', async () => {
    fake.bucket(PAIR.sourceBucket, objects(6));
    fake.bucket(PAIR.destinationBucket);
    let copies = 0;
    fake.mock.on(CopyObjectCommand).callsFake(async (input: CopyObjectCommandInput) => {
      await later(5);
      copies++;
      return fake.copy(input);
    });
    const remaining = () => (copies >= 1 ? 1000 : PLENTY());

    const r = await copyBucket(fake.client, EVENT, remaining, { ...OPTIONS, concurrency: 2 });

    expect(r.status).toBe('CONTINUE');
    expect(copiedKeys(fake)).toEqual(['entry/000', 'entry/001']);
    expect(r.continuation).toMatchObject({ lastKey: 'entry/001', totals: { objectsCopied: 2 } });
  });

  it('reports DONE for an empty source bucket with no resume point', async () => {
    fake.bucket(PAIR.sourceBucket);
    fake.bucket(PAIR.destinationBucket);
    const r = await copyBucket(fake.client, EVENT, PLENTY, OPTIONS);
    expect(r).toStrictEqual({
      status: 'DONE',
      pair: PAIR,
      continuation: {
        invocations: 1,
        // 2 encryption checks, the destination's versioning, one listing of each bucket.
        totals: { objectsCopied: 0, objectsSkipped: 0, bytesCopied: 0, multipartObjects: 0, deleteMarkersCopied: 0, versionsCleared: 0, requests: 5 },
      },
    });
  });
});

describe('copy-bucket: pace', () => {
  it('goes back up to the full concurrency once S3 stops pushing back', async () => {
    fake.bucket(PAIR.sourceBucket, objects(80));
    fake.bucket(PAIR.destinationBucket);
    let inFlight = 0;
    let calls = 0;
    const peaks: number[] = [];
    fake.mock.on(CopyObjectCommand).callsFake(async (input: CopyObjectCommandInput) => {
      const retried = ++calls <= 8;
      inFlight++;
      peaks.push(inFlight);
      await tick();
      inFlight--;
      return { ...fake.copy(input), $metadata: { attempts: retried ? 2 : 1 } };
    });

    await copyBucket(fake.client, EVENT, PLENTY, { ...OPTIONS, concurrency: 4 });

    expect(Math.min(...peaks.slice(8, 16))).toBeLessThan(4);
    expect(Math.max(...peaks.slice(-20))).toBe(4);
    expect(fake.objects(PAIR.destinationBucket).size).toBe(80);
  });

  it('has fewer copies in flight after S3 throttled copies beyond the SDK retries', async () => {
    fake.bucket(PAIR.sourceBucket, objects(40));
    fake.bucket(PAIR.destinationBucket);
    let inFlight = 0;
    const throttled = new Set<string>();
    const peaks: number[] = [];
    fake.mock.on(CopyObjectCommand).callsFake(async (input: CopyObjectCommandInput) => {
      inFlight++;
      peaks.push(inFlight);
      await tick();
      inFlight--;
      const key = input.Key as string;
      if (throttled.size < 8 && !throttled.has(key)) {
        throttled.add(key);
        throw awsError('SlowDown', 503);
      }
      return fake.copy(input);
    });

    await copyBucket(fake.client, EVENT, PLENTY, OPTIONS);

    expect(Math.max(...peaks.slice(0, 8))).toBe(8);
    expect(Math.max(...peaks.slice(8, 16))).toBeLessThanOrEqual(5);
    expect(fake.objects(PAIR.destinationBucket).size).toBe(40);
  });

  it('gives up on a copy S3 still throttles after three more tries, with the AWS error', async () => {
    fake.bucket(PAIR.sourceBucket, { only: putObject('only') });
    fake.bucket(PAIR.destinationBucket);
    fake.mock.on(CopyObjectCommand).rejects(awsError('SlowDown', 503));
    await expect(copyBucket(fake.client, EVENT, PLENTY, OPTIONS)).rejects.toMatchObject({ name: 'SlowDown' });
    expect(fake.mock.commandCalls(CopyObjectCommand)).toHaveLength(4);
  });
});

describe('copy-bucket: destination histories kept, cleared or completed', () => {
  it('clears a destination history that has more versions than the source, even when its first versions match', async () => {
    const s3 = histories();
    s3.create(PAIR.sourceBucket, {}, { a: [version('s1', 'one')] });
    s3.create(PAIR.destinationBucket, {}, { a: [version('d1', 'one'), version('d2', 'two')] });

    const r = await copyBucket(s3.client, EVENT, PLENTY, OPTIONS);

    expect(s3.history(PAIR.destinationBucket, 'a')).toEqual(['one']);
    expect(r.continuation.totals).toMatchObject({ objectsCopied: 1, objectsSkipped: 0, versionsCleared: 2 });
  });

  it('clears a wrong destination history newest first, so a clearing cut short leaves its oldest versions', async () => {
    const s3 = histories();
    s3.create(PAIR.sourceBucket, {}, { a: [version('s1', 'right')] });
    s3.create(PAIR.destinationBucket, {}, { a: [version('d1', 'p'), version('d2', 'q'), version('d3', 'r')] });

    await copyBucket(s3.client, EVENT, PLENTY, OPTIONS);

    expect(inputs(s3, DeleteObjectCommand)).toEqual(['d3', 'd2', 'd1'].map((VersionId) => ({ Bucket: PAIR.destinationBucket, Key: 'a', VersionId })));
    expect(s3.history(PAIR.destinationBucket, 'a')).toEqual(['right']);
  });

  it('skips a history equal marker for marker, reading the checksums of versions only, never of a delete marker (KMS)', async () => {
    const s3 = histories();
    s3.create(PAIR.sourceBucket, { kms: true }, { a: [version('s1', 'one', { etag: '"k1"' }), marker('s2')] });
    s3.create(PAIR.destinationBucket, { kms: true }, { a: [version('d1', 'one', { etag: '"k2"' }), marker('d2')] });

    const r = await copyBucket(s3.client, EVENT, PLENTY, OPTIONS);

    expect(r.continuation.totals).toMatchObject({ objectsCopied: 0, objectsSkipped: 1, deleteMarkersCopied: 0, versionsCleared: 0 });
    expect(inputs(s3, HeadObjectCommand)).toEqual([
      { Bucket: PAIR.sourceBucket, Key: 'a', ChecksumMode: 'ENABLED', VersionId: 's1' },
      { Bucket: PAIR.destinationBucket, Key: 'a', ChecksumMode: 'ENABLED', VersionId: 'd1' },
    ]);
    expect(inputs(s3, DeleteObjectCommand)).toEqual([]);
  });

  it('replaces a destination version that stands where the source has a delete marker, even an empty one (KMS)', async () => {
    const s3 = histories();
    s3.create(PAIR.sourceBucket, { kms: true }, { a: [version('s1', 'one', { etag: '"k1"' }), marker('s2')] });
    s3.create(PAIR.destinationBucket, { kms: true }, { a: [version('d1', 'one', { etag: '"k2"' }), version('d2', '', { etag: '"k3"' })] });

    const r = await copyBucket(s3.client, EVENT, PLENTY, OPTIONS);

    expect(s3.history(PAIR.destinationBucket, 'a')).toEqual(['one', '<marker>']);
    expect(r.continuation.totals).toMatchObject({ objectsCopied: 1, deleteMarkersCopied: 1, versionsCleared: 2 });
  });

  it('recopies a version whose size differs without reading either checksum (KMS)', async () => {
    const s3 = histories();
    s3.create(PAIR.sourceBucket, { kms: true }, { a: [version('s1', 'abc', { etag: '"k1"' })] });
    s3.create(PAIR.destinationBucket, { kms: true }, { a: [version('d1', 'abcd', { etag: '"k2"' })] });

    const r = await copyBucket(s3.client, EVENT, PLENTY, OPTIONS);

    expect(s3.mock.commandCalls(HeadObjectCommand)).toHaveLength(0);
    expect(s3.history(PAIR.destinationBucket, 'a')).toEqual(['abc']);
    expect(r.continuation.totals).toMatchObject({ objectsCopied: 1, versionsCleared: 1 });
  });

  it('copies again a version whose sameness cannot be proven: no checksum in common (KMS)', async () => {
    const s3 = histories();
    s3.create(PAIR.sourceBucket, { kms: true }, { a: [version('s1', 'abc', { etag: '"k1"', crc64: undefined })] });
    s3.create(PAIR.destinationBucket, { kms: true }, { a: [version('d1', 'abc', { etag: '"k2"' })] });

    const r = await copyBucket(s3.client, EVENT, PLENTY, OPTIONS);

    expect(r.status).toBe('DONE');
    expect(r.continuation.totals).toMatchObject({ objectsCopied: 1, objectsSkipped: 0, versionsCleared: 1 });
    expect(s3.find(PAIR.destinationBucket, 'a', undefined)).toMatchObject({ content: 'abc', crc64: crc('abc') });
  });
});

describe('copy-bucket: the version each request names', () => {
  it('names every version by its ID, the noncurrent null version too, in single and multipart copies', async () => {
    const s3 = histories();
    const big = (id: string, content: string) => version(id, content, { size: 6 * GIB });
    s3.create(PAIR.sourceBucket, {}, { a: [version('null', 'before versioning'), version('v2', 'after')], big: [big('null', 'old big'), big('b2', 'new big')] });
    s3.create(PAIR.destinationBucket);

    const r = await copyBucket(s3.client, EVENT, PLENTY, OPTIONS);

    expect(r.status).toBe('DONE');
    expect(s3.history(PAIR.destinationBucket, 'a')).toEqual(['before versioning', 'after']);
    expect(s3.history(PAIR.destinationBucket, 'big')).toEqual(['old big', 'new big']);
    expect(inputs(s3, CopyObjectCommand).map((i) => (i as CopyObjectCommandInput).CopySource)).toEqual([
      'ledger-archive/a?versionId=null',
      'ledger-archive/a?versionId=v2',
    ]);
    expect(inputs(s3, HeadObjectCommand)).toEqual(['null', 'b2'].map((VersionId) => ({ Bucket: PAIR.sourceBucket, Key: 'big', ChecksumMode: 'ENABLED', VersionId })));
    expect(inputs(s3, GetObjectTaggingCommand)).toEqual(['null', 'b2'].map((VersionId) => ({ Bucket: PAIR.sourceBucket, Key: 'big', VersionId })));
    const partSources = new Set(inputs(s3, UploadPartCopyCommand).map((i) => (i as { CopySource: string }).CopySource));
    expect([...partSources]).toEqual(['ledger-archive/big?versionId=null', 'ledger-archive/big?versionId=b2']);
  });
});

describe('copy-bucket: multipart copies', () => {
  const HUGE = 6 * GIB + 7;

  it('sets every content header, the metadata and the tags the source has on the multipart upload, reading the unversioned object by key alone', async () => {
    fake.bucket(PAIR.sourceBucket, { 'dumps/huge.gz': putObject('huge', HUGE) });
    fake.bucket(PAIR.destinationBucket);
    const expires = new Date('2027-01-01T00:00:00Z');
    fake.mock.on(HeadObjectCommand).resolves({
      ContentLength: HUGE,
      ETag: fake.get(PAIR.sourceBucket, 'dumps/huge.gz').etag,
      ContentType: 'application/gzip',
      CacheControl: 'no-cache',
      ContentDisposition: 'attachment; filename="huge.gz"',
      ContentEncoding: 'gzip',
      ContentLanguage: 'en',
      WebsiteRedirectLocation: '/elsewhere',
      Expires: expires,
      Metadata: { origin: 'nightly' },
    });
    // A tag whose value is empty: the SDK leaves Value out.
    fake.mock.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'archived', Value: undefined }, { Key: 'team', Value: 'ledger ops' }] });

    await copyBucket(fake.client, EVENT, PLENTY, OPTIONS);

    expect(inputs(fake, HeadObjectCommand)).toEqual([{ Bucket: PAIR.sourceBucket, Key: 'dumps/huge.gz', ChecksumMode: 'ENABLED' }]);
    expect(inputs(fake, GetObjectTaggingCommand)).toEqual([{ Bucket: PAIR.sourceBucket, Key: 'dumps/huge.gz' }]);
    expect(inputs(fake, CreateMultipartUploadCommand)).toEqual([
      {
        Bucket: PAIR.destinationBucket,
        Key: 'dumps/huge.gz',
        ContentType: 'application/gzip',
        CacheControl: 'no-cache',
        ContentDisposition: 'attachment; filename="huge.gz"',
        ContentEncoding: 'gzip',
        ContentLanguage: 'en',
        WebsiteRedirectLocation: '/elsewhere',
        Expires: expires,
        Metadata: { origin: 'nightly' },
        Tagging: 'archived=&team=ledger%20ops',
        ChecksumAlgorithm: 'CRC64NVME',
        ChecksumType: 'FULL_OBJECT',
      },
    ]);
  });

  it('sets no tagging on the upload of an object whose tag set S3 leaves out', async () => {
    fake.bucket(PAIR.sourceBucket, { huge: putObject('huge', HUGE) });
    fake.bucket(PAIR.destinationBucket);
    fake.mock.on(GetObjectTaggingCommand).resolves({});
    await copyBucket(fake.client, EVENT, PLENTY, OPTIONS);
    expect(inputs(fake, CreateMultipartUploadCommand)[0]).not.toHaveProperty('Tagging');
    expect(fake.get(PAIR.destinationBucket, 'huge').content).toBe('huge');
  });

  it('copies an unversioned object replaced since it was listed whole, at the size S3 reports when the copy reads it', async () => {
    fake.bucket(PAIR.sourceBucket, { huge: putObject('huge v1', HUGE) });
    fake.bucket(PAIR.destinationBucket);
    fake.mock.on(ListObjectVersionsCommand).callsFake(async (input: ListObjectVersionsCommandInput) => {
      const page = fake.listVersions(input);
      if (input.Bucket === PAIR.sourceBucket) fake.objects(PAIR.sourceBucket).set('huge', putObject('huge v2', 7 * GIB));
      return page;
    });

    const r = await copyBucket(fake.client, EVENT, PLENTY, OPTIONS);

    expect(r.status).toBe('DONE');
    expect(fake.get(PAIR.destinationBucket, 'huge')).toMatchObject({ content: 'huge v2', size: 7 * GIB });
    expect(inputs(fake, CompleteMultipartUploadCommand)[0]).toMatchObject({ MpuObjectSize: 7 * GIB });
  });

  it('refuses to assemble a copy of a source overwritten after it was read: every part is conditional on the ETag read, and the upload is aborted', async () => {
    // Written before S3 added default checksums: nothing else would notice the change.
    const before = putObject('before', HUGE, { checksums: {} });
    fake.bucket(PAIR.sourceBucket, { huge: before });
    fake.bucket(PAIR.destinationBucket);
    fake.mock.on(HeadObjectCommand).callsFake(async () => {
      fake.objects(PAIR.sourceBucket).set('huge', putObject('after', HUGE, { checksums: {} }));
      return { ContentLength: HUGE, ETag: before.etag };
    });

    await expect(copyBucket(fake.client, EVENT, PLENTY, OPTIONS)).rejects.toMatchObject({ name: 'PreconditionFailed' });

    for (const part of inputs(fake, UploadPartCopyCommand)) expect(part).toMatchObject({ CopySourceIfMatch: before.etag });
    expect(inputs(fake, AbortMultipartUploadCommand)).toHaveLength(1);
    expect(fake.objects(PAIR.destinationBucket).has('huge')).toBe(false);
  });

  it('fails naming the object when CreateMultipartUpload returns no UploadId, copying no part', async () => {
    fake.bucket(PAIR.sourceBucket, { huge: putObject('huge', HUGE) });
    fake.bucket(PAIR.destinationBucket);
    fake.mock.on(CreateMultipartUploadCommand).resolves({});

    const err = await copyBucket(fake.client, EVENT, PLENTY, OPTIONS).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(CopyFailed);
    expect((err as Error).message).toBe(`CreateMultipartUpload for s3://${PAIR.destinationBucket}/huge returned no UploadId`);
    expect(fake.mock.commandCalls(UploadPartCopyCommand)).toHaveLength(0);
  });

  it('fails naming the part and the object when a part copy returns no ETag, and aborts the upload', async () => {
    for (const answer of [{ CopyPartResult: {} }, {}]) {
      fake = new FakeS3();
      fake.bucket(PAIR.sourceBucket, { huge: putObject('huge', HUGE) });
      fake.bucket(PAIR.destinationBucket);
      fake.mock.on(UploadPartCopyCommand, { PartNumber: 3 }).resolves(answer);

      const err = await copyBucket(fake.client, EVENT, PLENTY, { ...OPTIONS, concurrency: 1 }).catch((e: unknown) => e);

      expect(err).toBeInstanceOf(CopyFailed);
      expect((err as Error).message).toBe(`UploadPartCopy part 3 of s3://${PAIR.destinationBucket}/huge returned no ETag`);
      expect(inputs(fake, AbortMultipartUploadCommand)).toEqual([{ Bucket: PAIR.destinationBucket, Key: 'huge', UploadId: 'upload-1' }]);
    }
  });

  it('splits an object of an exact multiple of the part size into exactly that many parts', () => {
    const ranges = partRanges(12 * PART_BYTES);
    expect(ranges).toHaveLength(12);
    expect(ranges.at(-1)).toEqual({ start: 11 * PART_BYTES, end: 12 * PART_BYTES - 1 });
  });
});
