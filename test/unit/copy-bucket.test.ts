import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { copyBucket, MAX_SINGLE_COPY_BYTES, PART_BYTES, partRanges, type CopyOptions } from '../../lambdas/copy-bucket/core';
import type { CopyBucketEvent, CopyBucketResult } from '../../lambdas/shared/contracts';
import { CopyFailed } from '../../lambdas/shared/errors';
import { COPY_SAFETY_MARGIN_MS } from '../../lambdas/steps';
import { awsError, crc64, FakeS3, putObject, type FakeObject } from '../fixtures/fake-s3';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Clone:run-1', name: 'run-1' };
const PAIR = { logicalId: 'Uploads', sourceBucket: 'orders-prod-uploads', destinationBucket: 'orders-prod-tmp-uploads' };
const OPTIONS: CopyOptions = { concurrency: 8, safetyMarginMs: COPY_SAFETY_MARGIN_MS };
const PLENTY = () => 14 * 60 * 1000;
const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

let s3: FakeS3;
beforeEach(() => {
  s3 = new FakeS3();
});

function event(continuation?: CopyBucketEvent['continuation']): CopyBucketEvent {
  return { pair: PAIR, execution: EXECUTION, ...(continuation ? { continuation } : {}) };
}

function objects(n: number): Record<string, FakeObject> {
  const out: Record<string, FakeObject> = {};
  for (let i = 0; i < n; i++) out[`photos/${String(i).padStart(4, '0')}.jpg`] = putObject(`photo ${i}`, 1000 + i);
  return out;
}

function copiedKeys(): string[] {
  return s3.mock.commandCalls(CopyObjectCommand).map((c) => c.args[0].input.Key as string);
}

function expectSameContent(): void {
  const source = s3.objects(PAIR.sourceBucket);
  const destination = s3.objects(PAIR.destinationBucket);
  expect([...destination.keys()].sort()).toEqual([...source.keys()].sort());
  for (const [key, o] of source) expect(destination.get(key)?.content, key).toBe(o.content);
}

describe('copy-bucket', () => {
  it('copies every object across several listing pages and reports DONE with the totals', async () => {
    s3.pageSize = 3;
    s3.bucket(PAIR.sourceBucket, objects(10));
    s3.bucket(PAIR.destinationBucket);

    const r = await copyBucket(s3.client, event(), PLENTY, OPTIONS);

    expect(r.status).toBe('DONE');
    expectSameContent();
    expect(r.continuation.totals).toMatchObject({ objectsCopied: 10, objectsSkipped: 0, multipartObjects: 0 });
    expect(r.continuation.totals.bytesCopied).toBe(Array.from({ length: 10 }, (_, i) => 1000 + i).reduce((a, b) => a + b));
    expect(r.continuation.invocations).toBe(1);
    expect(r.continuation.lastKey).toBe('photos/0009.jpg');
    const sourcePages = s3.mock.commandCalls(ListObjectVersionsCommand, { Bucket: PAIR.sourceBucket });
    expect(sourcePages).toHaveLength(4);
    for (const page of sourcePages) expect(page.args[0].input.MaxKeys).toBe(1000);
    // Every request is counted: 2 GetBucketEncryption + source and destination listings + 10 copies.
    expect(r.continuation.totals.requests).toBe(s3.mock.calls().length);
  });

  it('stops at a key boundary when the time budget runs low and resumes after that key without copying anything twice', async () => {
    s3.pageSize = 4;
    s3.bucket(PAIR.sourceBucket, objects(10));
    s3.bucket(PAIR.destinationBucket);
    let copies = 0;
    s3.mock.on(CopyObjectCommand).callsFake(async (input) => {
      copies++;
      return s3.copy(input);
    });
    const remaining = () => (copies >= 4 ? COPY_SAFETY_MARGIN_MS / 3 - 1 : 10 * 60 * 1000);

    const first = await copyBucket(s3.client, event(), remaining, { ...OPTIONS, concurrency: 1 });
    expect(first.status).toBe('CONTINUE');
    expect(first.continuation).toMatchObject({ invocations: 1, lastKey: 'photos/0003.jpg' });
    expect(first.continuation.totals.objectsCopied).toBe(4);

    let second: CopyBucketResult = first;
    for (let i = 0; i < 5 && second.status === 'CONTINUE'; i++) {
      copies = 0;
      second = await copyBucket(s3.client, event(second.continuation), remaining, { ...OPTIONS, concurrency: 1 });
    }
    expect(second.status).toBe('DONE');
    expect(second.continuation.invocations).toBe(3);
    expect(second.continuation.totals).toMatchObject({ objectsCopied: 10, objectsSkipped: 0 });
    expect(copiedKeys().sort()).toEqual(Object.keys(objects(10)).sort());
    // A resumed invocation lists both buckets after the last key handled (ListObjectVersions KeyMarker).
    const destinationListings = s3.mock.commandCalls(ListObjectVersionsCommand, { Bucket: PAIR.destinationBucket });
    expect(destinationListings.map((c) => c.args[0].input.KeyMarker)).toEqual([undefined, 'photos/0003.jpg', 'photos/0007.jpg']);
    expect(second.continuation.totals.requests).toBe(s3.mock.calls().length);
    expectSameContent();
  });

  it('skips, on the next invocation, what an interrupted one already copied', async () => {
    s3.bucket(PAIR.sourceBucket, objects(6));
    s3.bucket(PAIR.destinationBucket, Object.fromEntries(Object.entries(objects(6)).slice(0, 2)));

    const r = await copyBucket(s3.client, event(), PLENTY, OPTIONS);
    expect(r.status).toBe('DONE');
    expect(r.continuation.totals).toMatchObject({ objectsCopied: 4, objectsSkipped: 2 });
    expectSameContent();
  });

  it('makes progress on every invocation even when it starts with less than the safety margin', async () => {
    s3.bucket(PAIR.sourceBucket, objects(3));
    s3.bucket(PAIR.destinationBucket);
    const r = await copyBucket(s3.client, event(), () => 1000, OPTIONS);
    expect(r.continuation.totals.objectsCopied).toBeGreaterThan(0);
  });

  it('URL-encodes CopySource so keys with spaces, plus, percent and unicode reach the right object', async () => {
    const keys = ['a b.txt', 'c+d.txt', '100%.txt', 'dir/über straße.txt', '日本/語.txt', 'q?x=1&y#z.txt'];
    s3.bucket(PAIR.sourceBucket, Object.fromEntries(keys.map((k) => [k, putObject(`content of ${k}`)])));
    s3.bucket(PAIR.destinationBucket);

    const r = await copyBucket(s3.client, event(), PLENTY, OPTIONS);

    expect(r.status).toBe('DONE');
    expectSameContent();
    const sources = Object.fromEntries(s3.mock.commandCalls(CopyObjectCommand).map((c) => [c.args[0].input.Key, c.args[0].input.CopySource]));
    expect(sources['a b.txt']).toBe('orders-prod-uploads/a%20b.txt');
    expect(sources['c+d.txt']).toBe('orders-prod-uploads/c%2Bd.txt');
    expect(sources['100%.txt']).toBe('orders-prod-uploads/100%25.txt');
    expect(sources['dir/über straße.txt']).toBe('orders-prod-uploads/dir/%C3%BCber%20stra%C3%9Fe.txt');
    expect(sources['日本/語.txt']).toBe('orders-prod-uploads/%E6%97%A5%E6%9C%AC/%E8%AA%9E.txt');
  });

  it('keeps content type, metadata and tags, and asks for a CRC64NVME checksum on the copy', async () => {
    s3.bucket(PAIR.sourceBucket, {
      'report.pdf': putObject('pdf bytes', 9, { contentType: 'application/pdf', metadata: { owner: 'finance' }, tags: { team: 'data eng', pii: 'no' } }),
    });
    s3.bucket(PAIR.destinationBucket);

    await copyBucket(s3.client, event(), PLENTY, OPTIONS);

    expect(s3.mock.commandCalls(CopyObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: PAIR.destinationBucket,
      Key: 'report.pdf',
      CopySource: 'orders-prod-uploads/report.pdf',
      MetadataDirective: 'COPY',
      TaggingDirective: 'COPY',
      ChecksumAlgorithm: 'CRC64NVME',
    });
    expect(s3.get(PAIR.destinationBucket, 'report.pdf')).toMatchObject({ contentType: 'application/pdf', metadata: { owner: 'finance' }, tags: { team: 'data eng', pii: 'no' } });
  });

  it('skips objects already identical at the destination with zero copy requests and no request per object', async () => {
    s3.pageSize = 4;
    const same = objects(9);
    s3.bucket(PAIR.sourceBucket, same);
    s3.bucket(PAIR.destinationBucket, { ...same });

    const r = await copyBucket(s3.client, event(), PLENTY, OPTIONS);

    expect(r.status).toBe('DONE');
    expect(s3.mock.commandCalls(CopyObjectCommand)).toHaveLength(0);
    expect(s3.mock.commandCalls(HeadObjectCommand)).toHaveLength(0);
    expect(r.continuation.totals).toMatchObject({ objectsCopied: 0, objectsSkipped: 9, bytesCopied: 0 });
    // 2 encryption checks + the destination's versioning + 3 source pages + 3 destination pages.
    expect(r.continuation.totals.requests).toBe(9);
  });

  it('matches destination keys in UTF-8 byte order (not locale order), so identical mixed-case and unicode keys are all skipped', async () => {
    s3.pageSize = 2;
    const keys = ['B', 'a', 'Z', 'é', 'e', '日本', '\u{1F600}', '\uFF21', 'a/b', 'a-b', 'a b'];
    const same = Object.fromEntries(keys.map((k) => [k, putObject(`v:${k}`)]));
    s3.bucket(PAIR.sourceBucket, same);
    s3.bucket(PAIR.destinationBucket, { ...same });

    const r = await copyBucket(s3.client, event(), PLENTY, OPTIONS);

    expect(copiedKeys()).toEqual([]);
    expect(r.continuation.totals.objectsSkipped).toBe(keys.length);
  });

  it('copies objects whose content changed at the same size, and ones missing in between', async () => {
    s3.bucket(PAIR.sourceBucket, { a: putObject('aaaa'), b: putObject('bbbb'), c: putObject('cccc') });
    s3.bucket(PAIR.destinationBucket, { a: putObject('aaaa'), c: putObject('CCCC'), z: putObject('extra') });

    const r = await copyBucket(s3.client, event(), PLENTY, OPTIONS);

    expect(copiedKeys().sort()).toEqual(['b', 'c']);
    expect(r.continuation.totals).toMatchObject({ objectsCopied: 2, objectsSkipped: 1 });
    expect(s3.get(PAIR.destinationBucket, 'c').content).toBe('cccc');
  });

  it('compares multipart-style ETags by full-object checksum: equal checksum skips, different checksum copies', async () => {
    const big = (content: string): FakeObject => ({ ...putObject(content, 100 * MIB), etag: '"0123456789abcdef0123456789abcdef-12"' });
    s3.bucket(PAIR.sourceBucket, { same: big('one'), changed: big('two') });
    s3.bucket(PAIR.destinationBucket, { same: putObject('one', 100 * MIB), changed: putObject('old', 100 * MIB) });

    const r = await copyBucket(s3.client, event(), PLENTY, OPTIONS);

    expect(copiedKeys()).toEqual(['changed']);
    expect(r.continuation.totals).toMatchObject({ objectsCopied: 1, objectsSkipped: 1 });
    for (const call of s3.mock.commandCalls(HeadObjectCommand)) expect(call.args[0].input.ChecksumMode).toBe('ENABLED');
  });

  it('does not trust ETags when a bucket uses SSE-KMS and compares checksums instead', async () => {
    s3.kmsBuckets.add(PAIR.destinationBucket);
    s3.bucket(PAIR.sourceBucket, { a: putObject('aaaa') });
    s3.bucket(PAIR.destinationBucket, { a: { ...putObject('aaaa'), etag: '"9f0e1d2c3b4a59687766554433221100"' } });

    const r = await copyBucket(s3.client, event(), PLENTY, OPTIONS);

    expect(copiedKeys()).toEqual([]);
    expect(r.continuation.totals.objectsSkipped).toBe(1);
  });

  it('never has more copies in flight than the concurrency limit', async () => {
    s3.bucket(PAIR.sourceBucket, objects(30));
    s3.bucket(PAIR.destinationBucket);
    let inFlight = 0;
    let peak = 0;
    s3.mock.on(CopyObjectCommand).callsFake(async (input) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      return s3.copy(input);
    });

    await copyBucket(s3.client, event(), PLENTY, { ...OPTIONS, concurrency: 4 });

    expect(peak).toBe(4);
    expectSameContent();
  });

  it('copies an object over 5 GiB as a multipart upload of 512 MiB byte ranges, keeping metadata and tags', async () => {
    const size = 6 * GIB + 123;
    s3.bucket(PAIR.sourceBucket, {
      'backups/db dump.tar': putObject('huge', size, { contentType: 'application/x-tar', metadata: { source: 'nightly' }, tags: { team: 'data eng', 'a&b': 'x=y' } }),
    });
    s3.bucket(PAIR.destinationBucket);

    const r = await copyBucket(s3.client, event(), PLENTY, OPTIONS);

    expect(r.status).toBe('DONE');
    expect(r.continuation.totals).toMatchObject({ objectsCopied: 1, multipartObjects: 1, bytesCopied: size });
    expect(s3.mock.commandCalls(CopyObjectCommand)).toHaveLength(0);
    expect(s3.mock.commandCalls(CreateMultipartUploadCommand)[0]?.args[0].input).toEqual({
      Bucket: PAIR.destinationBucket,
      Key: 'backups/db dump.tar',
      ContentType: 'application/x-tar',
      Metadata: { source: 'nightly' },
      Tagging: 'team=data%20eng&a%26b=x%3Dy',
      ChecksumAlgorithm: 'CRC64NVME',
      ChecksumType: 'FULL_OBJECT',
    });
    const parts = s3.mock.commandCalls(UploadPartCopyCommand).map((c) => c.args[0].input);
    expect(parts).toHaveLength(13);
    parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    expect(parts[0]).toMatchObject({ PartNumber: 1, CopySource: 'orders-prod-uploads/backups/db%20dump.tar', CopySourceRange: `bytes=0-${PART_BYTES - 1}` });
    expect(parts[12]).toMatchObject({ PartNumber: 13, CopySourceRange: `bytes=${12 * PART_BYTES}-${size - 1}` });
    const complete = s3.mock.commandCalls(CompleteMultipartUploadCommand)[0]?.args[0].input;
    expect(complete?.MultipartUpload?.Parts?.map((p) => p.PartNumber)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    expect(complete?.MultipartUpload?.Parts?.every((p) => p.ETag && p.ChecksumCRC64NVME)).toBe(true);
    expect(complete).toMatchObject({ ChecksumType: 'FULL_OBJECT', MpuObjectSize: size, ChecksumCRC64NVME: crc64('huge') });
    expect(s3.get(PAIR.destinationBucket, 'backups/db dump.tar')).toMatchObject({
      content: 'huge',
      size,
      contentType: 'application/x-tar',
      metadata: { source: 'nightly' },
      tags: { team: 'data eng', 'a&b': 'x=y' },
    });
  });

  it('copies an object of exactly 5 GiB with a single CopyObject', async () => {
    s3.bucket(PAIR.sourceBucket, { edge: putObject('edge', MAX_SINGLE_COPY_BYTES) });
    s3.bucket(PAIR.destinationBucket);
    await copyBucket(s3.client, event(), PLENTY, OPTIONS);
    expect(copiedKeys()).toEqual(['edge']);
    expect(s3.mock.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
  });

  it('aborts the multipart upload when a part copy fails, then rethrows the AWS error', async () => {
    s3.bucket(PAIR.sourceBucket, { huge: putObject('huge', 6 * GIB) });
    s3.bucket(PAIR.destinationBucket);
    s3.mock.on(UploadPartCopyCommand, { PartNumber: 3 }).rejects(awsError('InternalError', 500));

    await expect(copyBucket(s3.client, event(), PLENTY, OPTIONS)).rejects.toMatchObject({ name: 'InternalError' });

    expect(s3.mock.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: PAIR.destinationBucket, Key: 'huge', UploadId: 'upload-1' },
    ]);
    expect(s3.mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(s3.uploads.size).toBe(0);
    expect(s3.objects(PAIR.destinationBucket).has('huge')).toBe(false);
  });

  it('aborts the multipart upload when completing fails', async () => {
    s3.bucket(PAIR.sourceBucket, { huge: putObject('huge', 6 * GIB) });
    s3.bucket(PAIR.destinationBucket);
    s3.mock.on(CompleteMultipartUploadCommand).rejects(awsError('SlowDown', 503));

    await expect(copyBucket(s3.client, event(), PLENTY, OPTIONS)).rejects.toMatchObject({ name: 'SlowDown' });
    expect(s3.mock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
  });

  it('lets an AWS error of a single copy propagate unwrapped, for the handler to classify', async () => {
    s3.bucket(PAIR.sourceBucket, objects(3));
    s3.bucket(PAIR.destinationBucket);
    s3.mock.on(CopyObjectCommand).rejects(awsError('SlowDown', 503));
    await expect(copyBucket(s3.client, event(), PLENTY, OPTIONS)).rejects.toMatchObject({ name: 'SlowDown' });
  });

  it('wraps a failure that is not an AWS error in CopyFailed naming the object', async () => {
    s3.bucket(PAIR.sourceBucket, { 'x/y.bin': putObject('y') });
    s3.bucket(PAIR.destinationBucket);
    s3.mock.on(CopyObjectCommand).rejects(new Error('response body could not be parsed'));
    const err = await copyBucket(s3.client, event(), PLENTY, OPTIONS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CopyFailed);
    expect((err as Error).message).toContain('s3://orders-prod-uploads/x/y.bin');
  });

  it('reports DONE for an empty source bucket', async () => {
    s3.bucket(PAIR.sourceBucket);
    s3.bucket(PAIR.destinationBucket);
    const r = await copyBucket(s3.client, event(), PLENTY, OPTIONS);
    expect(r).toMatchObject({ status: 'DONE', continuation: { invocations: 1, totals: { objectsCopied: 0, objectsSkipped: 0 } } });
  });
});

describe('partRanges', () => {
  it('covers any object up to 5 TiB with at most 10,000 contiguous parts within the multipart limits', () => {
    fc.assert(
      fc.property(fc.integer({ min: MAX_SINGLE_COPY_BYTES + 1, max: 5 * 1024 * GIB }), (size) => {
        const ranges = partRanges(size);
        const problems: string[] = [];
        if (ranges.length > 10_000) problems.push(`${ranges.length} parts`);
        if (ranges[0]?.start !== 0 || ranges.at(-1)?.end !== size - 1) problems.push('does not cover the object');
        ranges.forEach((r, i) => {
          const bytes = r.end - r.start + 1;
          if (bytes > 5 * GIB) problems.push(`part ${i + 1} over 5 GiB`);
          if (i < ranges.length - 1 && bytes < 5 * MIB) problems.push(`part ${i + 1} under 5 MiB`);
          if (i > 0 && r.start !== (ranges[i - 1]?.end ?? -2) + 1) problems.push(`gap before part ${i + 1}`);
        });
        expect(problems).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
