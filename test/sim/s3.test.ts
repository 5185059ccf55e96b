import { createHash } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketEncryptionCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  UploadPartCopyCommand,
  AbortMultipartUploadCommand,
} from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SimAccount } from '../../local/sim/account';
import { type TimingProfile, ZERO_TIMING } from '../../local/sim/core';
import { installSimulatedAccount } from '../../local/sim/install';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const md5 = (data: string | Buffer) => createHash('md5').update(data).digest('hex');

let account: SimAccount;
let uninstall: () => void;
let s3: S3Client;

function setUp(timing: TimingProfile = ZERO_TIMING, region?: string): void {
  account = new SimAccount({ timing, region });
  uninstall = installSimulatedAccount(account);
  s3 = new S3Client({ maxAttempts: 1 });
}

/** Copies `key` of `from` into `to` with UploadPartCopy, in parts of `partSize`. */
async function multipartCopy(from: string, to: string, key: string, size: number, partSize: number, createExtra: object = {}) {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: to, Key: key, ...createExtra }));
  const parts: { PartNumber: number; ETag?: string; ChecksumCRC64NVME?: string }[] = [];
  for (let start = 0, n = 1; start < size; start += partSize, n++) {
    const end = Math.min(size, start + partSize) - 1;
    const r = await s3.send(
      new UploadPartCopyCommand({
        Bucket: to,
        Key: key,
        UploadId,
        PartNumber: n,
        CopySource: `${from}/${encodeURIComponent(key)}`,
        CopySourceRange: `bytes=${start}-${end}`,
      }),
    );
    parts.push({ PartNumber: n, ETag: r.CopyPartResult?.ETag, ChecksumCRC64NVME: r.CopyPartResult?.ChecksumCRC64NVME });
  }
  return s3.send(new CompleteMultipartUploadCommand({ Bucket: to, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
}

afterEach(() => {
  uninstall?.();
  vi.useRealTimers();
});

describe('simulated S3: buckets', () => {
  beforeEach(() => setUp());

  it('creates, finds and deletes an empty bucket', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'orders-data' }));
    await expect(s3.send(new HeadBucketCommand({ Bucket: 'orders-data' }))).resolves.toBeDefined();
    await s3.send(new DeleteBucketCommand({ Bucket: 'orders-data' }));
    await expect(s3.send(new HeadBucketCommand({ Bucket: 'orders-data' }))).rejects.toMatchObject({ name: 'NotFound', $metadata: { httpStatusCode: 404 } });
  });

  it('refuses to delete a bucket that still holds an object version or a delete marker', async () => {
    account.s3.createBucket('versioned', { versioning: true });
    account.s3.putObjectDirect('versioned', 'a.txt', { body: 'x' });
    await s3.send(new DeleteObjectCommand({ Bucket: 'versioned', Key: 'a.txt' }));
    expect(account.s3.objectCount('versioned')).toBe(0);
    await expect(s3.send(new DeleteBucketCommand({ Bucket: 'versioned' }))).rejects.toMatchObject({
      name: 'BucketNotEmpty',
      message: 'The bucket you tried to delete is not empty',
      $metadata: { httpStatusCode: 409 },
    });
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: 'versioned' }));
    for (const v of [...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])]) {
      await s3.send(new DeleteObjectCommand({ Bucket: 'versioned', Key: v.Key, VersionId: v.VersionId }));
    }
    await s3.send(new DeleteBucketCommand({ Bucket: 'versioned' }));
    expect(account.s3.bucketExists('versioned')).toBe(false);
  });

  it('keeps a deleted bucket name unavailable (OperationAborted) for an hour', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2025-01-01T00:00:00Z'));
    account.s3.createBucket('recycled');
    account.s3.deleteBucket('recycled');
    vi.setSystemTime(new Date('2025-01-01T00:59:00Z'));
    await expect(s3.send(new CreateBucketCommand({ Bucket: 'recycled' }))).rejects.toMatchObject({ name: 'OperationAborted', $metadata: { httpStatusCode: 409 } });
    vi.setSystemTime(new Date('2025-01-01T01:00:01Z'));
    await s3.send(new CreateBucketCommand({ Bucket: 'recycled' }));
    expect(account.s3.bucketExists('recycled')).toBe(true);
  });

  it('answers BucketAlreadyExists for a name owned elsewhere and BucketAlreadyOwnedByYou outside us-east-1', async () => {
    account.s3.addForeignBucket('taken');
    await expect(s3.send(new CreateBucketCommand({ Bucket: 'taken' }))).rejects.toMatchObject({ name: 'BucketAlreadyExists' });
    expect(() => account.s3.createBucket('mine')).not.toThrow();
    // us-east-1 keeps its legacy 200 for re-creating your own bucket.
    await expect(s3.send(new CreateBucketCommand({ Bucket: 'mine' }))).resolves.toBeDefined();
    uninstall();
    setUp(ZERO_TIMING, 'eu-west-1');
    account.s3.createBucket('mine');
    await expect(s3.send(new CreateBucketCommand({ Bucket: 'mine', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }))).rejects.toMatchObject({
      name: 'BucketAlreadyOwnedByYou',
      $metadata: { httpStatusCode: 409 },
    });
  });

  it('rejects invalid bucket names', async () => {
    await expect(s3.send(new CreateBucketCommand({ Bucket: 'Has_Upper' }))).rejects.toMatchObject({ name: 'InvalidBucketName' });
  });

  it('names unnamed CloudFormation buckets <stack>-<logicalid>-<12 random>, lower case, at most 63 characters', () => {
    const name = account.s3.bucketNameFor('Orders-Prod', 'UploadsBucket');
    expect(name).toMatch(/^orders-prod-uploadsbucket-[a-z0-9]{12}$/);
    const long = account.s3.bucketNameFor(`S${'x'.repeat(90)}`, 'DataBucket');
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/-[a-z0-9]{12}$/);
    expect(account.s3.bucketNameFor('a', 'B')).not.toBe(account.s3.bucketNameFor('a', 'B'));
  });

  it('reports SSE-S3 default encryption, versioning state and tags like S3', async () => {
    account.s3.createBucket('plain');
    const enc = await s3.send(new GetBucketEncryptionCommand({ Bucket: 'plain' }));
    expect(enc.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('AES256');
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'plain' }))).Status).toBeUndefined();
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'plain', VersioningConfiguration: { Status: 'Enabled' } }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'plain' }))).Status).toBe('Enabled');
    await expect(s3.send(new GetBucketTaggingCommand({ Bucket: 'plain' }))).rejects.toMatchObject({ name: 'NoSuchTagSet', $metadata: { httpStatusCode: 404 } });
    await s3.send(new PutBucketTaggingCommand({ Bucket: 'plain', Tagging: { TagSet: [{ Key: 'env', Value: 'prod' }] } }));
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: 'plain' }))).TagSet).toEqual([{ Key: 'env', Value: 'prod' }]);
  });

  it('fails operations on a missing bucket with NoSuchBucket', async () => {
    await expect(s3.send(new ListObjectsV2Command({ Bucket: 'nope' }))).rejects.toMatchObject({ name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } });
  });
});

describe('simulated S3: objects', () => {
  beforeEach(() => {
    setUp();
    account.s3.createBucket('src');
    account.s3.createBucket('dst');
  });

  it('stores a PUT body and returns it with the MD5 ETag, content type and lower-cased metadata', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: 'src', Key: 'hello.txt', Body: 'hello world', ContentType: 'text/plain', Metadata: { Owner: 'me' } }));
    expect(put.ETag).toBe(`"${md5('hello world')}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'src', Key: 'hello.txt' }));
    expect(await got.Body?.transformToString()).toBe('hello world');
    expect(got).toMatchObject({ ContentType: 'text/plain', ContentLength: 11, Metadata: { owner: 'me' } });
  });

  it('reads a Range of an object', async () => {
    account.s3.putObjectDirect('src', 'r.txt', { body: '0123456789' });
    const got = await s3.send(new GetObjectCommand({ Bucket: 'src', Key: 'r.txt', Range: 'bytes=2-4' }));
    expect(await got.Body?.transformToString()).toBe('234');
    expect(got.ContentRange).toBe('bytes 2-4/10');
  });

  it('fails a GET of a missing key with NoSuchKey and a HEAD with NotFound', async () => {
    await expect(s3.send(new GetObjectCommand({ Bucket: 'src', Key: 'missing' }))).rejects.toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    await expect(s3.send(new HeadObjectCommand({ Bucket: 'src', Key: 'missing' }))).rejects.toMatchObject({ name: 'NotFound', $metadata: { httpStatusCode: 404 } });
  });

  it('returns the CRC64NVME full-object checksum only when ChecksumMode is ENABLED', async () => {
    account.s3.putObjectDirect('src', 'c.bin', { body: 'abc' });
    const plain = await s3.send(new HeadObjectCommand({ Bucket: 'src', Key: 'c.bin' }));
    expect(plain.ChecksumCRC64NVME).toBeUndefined();
    const withSum = await s3.send(new HeadObjectCommand({ Bucket: 'src', Key: 'c.bin', ChecksumMode: 'ENABLED' }));
    expect(withSum.ChecksumType).toBe('FULL_OBJECT');
    expect(Buffer.from(withSum.ChecksumCRC64NVME ?? '', 'base64')).toHaveLength(8);
  });

  it('gives a modelled object an MD5-of-identity ETag and equal identities equal ETags', async () => {
    const a = account.s3.putObjectDirect('src', 'big', { size: 10 * GiB, seedId: 'same' });
    const b = account.s3.putObjectDirect('dst', 'other', { size: 10 * GiB, seedId: 'same' });
    expect(a.body).toBeUndefined();
    expect(a.etag).toBe(`"${md5(a.contentHash)}"`);
    expect(b.etag).toBe(a.etag);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'src', Key: 'big' }));
    expect(head.ContentLength).toBe(10 * GiB);
  });

  it('gives a seeded multipart object an MD5-of-part-MD5s ETag ending in -<parts>', () => {
    const body = Buffer.alloc(12 * MiB, 7);
    const rec = account.s3.putObjectDirect('src', 'mp', { body, multipartParts: 2 });
    const partMd5s = Buffer.concat([body.subarray(0, 6 * MiB), body.subarray(6 * MiB)].map((p) => createHash('md5').update(p).digest()));
    expect(rec.etag).toBe(`"${md5(partMd5s)}-2"`);
  });

  it('gives SSE-KMS objects an ETag that is not the MD5 of their content', async () => {
    account.s3.createBucket('kms', { kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/abc' });
    const put = await s3.send(new PutObjectCommand({ Bucket: 'kms', Key: 'k', Body: 'same' }));
    expect(put.ServerSideEncryption).toBe('aws:kms');
    expect(put.ETag).not.toBe(`"${md5('same')}"`);
  });

  it('lists keys in UTF-8 byte order, 1000 at most per page, with an opaque continuation token', async () => {
    // UTF-16 puts U+1F600 before U+FFFD; UTF-8 (what S3 compares) puts it after.
    for (const key of ['\u{1F600}', '\uFFFD', 'b', 'B', 'a/1', 'a/2']) account.s3.putObjectDirect('src', key, { body: key });
    const all = await s3.send(new ListObjectsV2Command({ Bucket: 'src' }));
    expect(all.Contents?.map((c) => c.Key)).toEqual(['B', 'a/1', 'a/2', 'b', '\uFFFD', '\u{1F600}']);

    const page1 = await s3.send(new ListObjectsV2Command({ Bucket: 'src', MaxKeys: 2 }));
    expect(page1).toMatchObject({ KeyCount: 2, IsTruncated: true, NextContinuationToken: Buffer.from('a/1').toString('base64') });
    const page2 = await s3.send(new ListObjectsV2Command({ Bucket: 'src', MaxKeys: 2, ContinuationToken: page1.NextContinuationToken }));
    expect(page2.Contents?.map((c) => c.Key)).toEqual(['a/2', 'b']);

    const grouped = await s3.send(new ListObjectsV2Command({ Bucket: 'src', Delimiter: '/' }));
    expect(grouped.CommonPrefixes).toEqual([{ Prefix: 'a/' }]);
    expect(grouped.KeyCount).toBe(5);
    const prefixed = await s3.send(new ListObjectsV2Command({ Bucket: 'src', Prefix: 'a/', StartAfter: 'a/1' }));
    expect(prefixed.Contents?.map((c) => c.Key)).toEqual(['a/2']);
    await expect(s3.send(new ListObjectsV2Command({ Bucket: 'src', ContinuationToken: '!!' }))).rejects.toMatchObject({ name: 'InvalidArgument' });
  });

  it('caps a page at 1000 keys and pages through 2500 objects without loss or repeats', async () => {
    for (let n = 0; n < 2500; n++) account.s3.putObjectDirect('src', `k${String(n).padStart(5, '0')}`, { size: n });
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: 'src', MaxKeys: 5000, ContinuationToken: token }));
      expect(page.KeyCount).toBeLessThanOrEqual(1000);
      seen.push(...(page.Contents ?? []).map((c) => c.Key ?? ''));
      token = page.NextContinuationToken;
    } while (token);
    expect(seen).toHaveLength(2500);
    expect(new Set(seen).size).toBe(2500);
  });

  it('tags objects and reads the tags back', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'src', Key: 't', Body: 'x', Tagging: 'a=1&b=two%20words' }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: 'src', Key: 't' }))).TagSet).toEqual([
      { Key: 'a', Value: '1' },
      { Key: 'b', Value: 'two words' },
    ]);
    await s3.send(new PutObjectTaggingCommand({ Bucket: 'src', Key: 't', Tagging: { TagSet: [{ Key: 'c', Value: '3' }] } }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: 'src', Key: 't' }))).TagSet).toEqual([{ Key: 'c', Value: '3' }]);
  });

  it('deletes up to 1000 keys per DeleteObjects and rejects more as MalformedXML', async () => {
    account.s3.putObjectDirect('src', 'a', { body: 'a' });
    account.s3.putObjectDirect('src', 'b', { body: 'b' });
    const r = await s3.send(new DeleteObjectsCommand({ Bucket: 'src', Delete: { Objects: [{ Key: 'a' }, { Key: 'b' }, { Key: 'never-there' }] } }));
    expect(r.Deleted?.map((d) => d.Key)).toEqual(['a', 'b', 'never-there']);
    expect(account.s3.objectCount('src')).toBe(0);
    const tooMany = Array.from({ length: 1001 }, (_, n) => ({ Key: `k${n}` }));
    await expect(s3.send(new DeleteObjectsCommand({ Bucket: 'src', Delete: { Objects: tooMany } }))).rejects.toMatchObject({ name: 'MalformedXML' });
  });

  it('keeps versions and delete markers in a versioned bucket and pages through them', async () => {
    account.s3.createBucket('ver', { versioning: true });
    for (const body of ['v1', 'v2', 'v3']) await s3.send(new PutObjectCommand({ Bucket: 'ver', Key: 'doc', Body: body }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'ver', Key: 'doc' }));
    await expect(s3.send(new GetObjectCommand({ Bucket: 'ver', Key: 'doc' }))).rejects.toMatchObject({ name: 'NoSuchKey' });
    expect((await s3.send(new ListObjectsV2Command({ Bucket: 'ver' }))).KeyCount).toBe(0);

    const page1 = await s3.send(new ListObjectVersionsCommand({ Bucket: 'ver', MaxKeys: 2 }));
    expect(page1.DeleteMarkers).toHaveLength(1);
    expect(page1.DeleteMarkers?.[0]?.IsLatest).toBe(true);
    expect(page1.Versions).toHaveLength(1);
    expect(page1.IsTruncated).toBe(true);
    const page2 = await s3.send(
      new ListObjectVersionsCommand({ Bucket: 'ver', MaxKeys: 2, KeyMarker: page1.NextKeyMarker, VersionIdMarker: page1.NextVersionIdMarker }),
    );
    expect(page2.Versions).toHaveLength(2);
    expect(page2.IsTruncated).toBe(false);
    const oldest = page2.Versions?.[1];
    const got = await s3.send(new GetObjectCommand({ Bucket: 'ver', Key: 'doc', VersionId: oldest?.VersionId }));
    expect(await got.Body?.transformToString()).toBe('v1');
  });
});

describe('simulated S3: CopyObject', () => {
  beforeEach(() => {
    setUp();
    account.s3.createBucket('src');
    account.s3.createBucket('dst');
  });

  it('copies a URL-encoded CopySource, keeping content, ETag, metadata, tags and checksum', async () => {
    const key = 'reports/Q1 2024+final/ü.csv';
    account.s3.putObjectDirect('src', key, { body: 'a,b\n1,2\n', contentType: 'text/csv', metadata: { team: 'ops' }, tags: { k: 'v' } });
    const copy = await s3.send(new CopyObjectCommand({ Bucket: 'dst', Key: key, CopySource: `src/${encodeURIComponent(key)}`, ChecksumAlgorithm: 'CRC64NVME' }));
    const src = account.s3.getObjectRecord('src', key);
    const dst = account.s3.getObjectRecord('dst', key);
    expect(copy.CopyObjectResult?.ETag).toBe(src?.etag);
    expect(copy.CopyObjectResult?.ChecksumCRC64NVME).toBe(src?.checksum?.value);
    expect(dst).toMatchObject({ contentHash: src?.contentHash, contentType: 'text/csv', metadata: { team: 'ops' }, tags: { k: 'v' } });
  });

  it('URL-decodes CopySource, so an unencoded key with a %xx sequence names another object (NoSuchKey)', async () => {
    account.s3.putObjectDirect('src', '100%41.txt', { body: 'x' });
    await expect(s3.send(new CopyObjectCommand({ Bucket: 'dst', Key: 'out', CopySource: 'src/100%41.txt' }))).rejects.toMatchObject({
      name: 'NoSuchKey',
      $metadata: { httpStatusCode: 404 },
    });
    // A literal '+' is not a space.
    account.s3.putObjectDirect('src', 'a+b', { body: 'x' });
    await s3.send(new CopyObjectCommand({ Bucket: 'dst', Key: 'a+b', CopySource: 'src/a+b' }));
    expect(account.s3.getObjectRecord('dst', 'a+b')).toBeDefined();
  });

  it('replaces metadata with MetadataDirective REPLACE and copies a given source version', async () => {
    account.s3.createBucket('ver', { versioning: true });
    const v1 = account.s3.putObjectDirect('ver', 'f', { body: 'one', metadata: { a: '1' } });
    account.s3.putObjectDirect('ver', 'f', { body: 'two' });
    const r = await s3.send(
      new CopyObjectCommand({ Bucket: 'dst', Key: 'f', CopySource: `ver/f?versionId=${v1.versionId}`, MetadataDirective: 'REPLACE', Metadata: { b: '2' }, ContentType: 'x/y' }),
    );
    expect(r.CopySourceVersionId).toBe(v1.versionId);
    expect(account.s3.getObjectRecord('dst', 'f')).toMatchObject({ body: Buffer.from('one'), metadata: { b: '2' }, contentType: 'x/y' });
  });

  it('refuses a copy source over 5 GiB with InvalidRequest', async () => {
    account.s3.putObjectDirect('src', 'huge', { size: 5 * GiB + 1 });
    await expect(s3.send(new CopyObjectCommand({ Bucket: 'dst', Key: 'huge', CopySource: 'src/huge' }))).rejects.toMatchObject({
      name: 'InvalidRequest',
      message: 'The specified copy source is larger than the maximum allowable size for a copy source: 5368709120',
    });
  });

  it('gives the copy of a multipart object a single-part MD5 ETag', async () => {
    const body = Buffer.alloc(11 * MiB, 1);
    const src = account.s3.putObjectDirect('src', 'mp', { body, multipartParts: 2 });
    const r = await s3.send(new CopyObjectCommand({ Bucket: 'dst', Key: 'mp', CopySource: 'src/mp' }));
    expect(src.etag).toMatch(/-2"$/);
    expect(r.CopyObjectResult?.ETag).toBe(`"${md5(body)}"`);
  });

  it('answers success but writes nothing for a key the silent copySkipsKey fault names', async () => {
    account.s3.putObjectDirect('src', 'lost', { body: 'x' });
    account.faults.silent.copySkipsKey = (key) => key === 'lost';
    const r = await s3.send(new CopyObjectCommand({ Bucket: 'dst', Key: 'lost', CopySource: 'src/lost' }));
    expect(r.CopyObjectResult?.ETag).toBeDefined();
    expect(account.s3.getObjectRecord('dst', 'lost')).toBeUndefined();
  });

  it('answers SlowDown 503 beyond the per-prefix write rate within one simulated second', async () => {
    uninstall();
    setUp({ ...ZERO_TIMING, s3WritesPerSecondPerPrefix: 2 });
    vi.useFakeTimers({ toFake: ['Date'] });
    account.s3.createBucket('hot');
    await s3.send(new PutObjectCommand({ Bucket: 'hot', Key: 'p/1', Body: 'x' }));
    await s3.send(new PutObjectCommand({ Bucket: 'hot', Key: 'p/2', Body: 'x' }));
    await expect(s3.send(new PutObjectCommand({ Bucket: 'hot', Key: 'p/3', Body: 'x' }))).rejects.toMatchObject({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
    // Another prefix has its own budget; the next second restores this one.
    await s3.send(new PutObjectCommand({ Bucket: 'hot', Key: 'q/1', Body: 'x' }));
    vi.advanceTimersByTime(1000);
    await s3.send(new PutObjectCommand({ Bucket: 'hot', Key: 'p/3', Body: 'x' }));
  });

  it('takes copyFixedMs plus size / copyBytesPerSecond of simulated time', async () => {
    uninstall();
    setUp({ ...ZERO_TIMING, copyFixedMs: 100, copyBytesPerSecond: 10 * MiB });
    vi.useFakeTimers();
    account.s3.createBucket('from');
    account.s3.createBucket('into');
    account.s3.putObjectDirect('from', 'big', { size: 100 * MiB });
    let done = false;
    const copy = s3.send(new CopyObjectCommand({ Bucket: 'into', Key: 'big', CopySource: 'from/big' })).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(done).toBe(false);
    expect(account.s3.getObjectRecord('into', 'big')).toBeUndefined();
    await vi.advanceTimersByTimeAsync(200);
    await copy;
    expect(account.s3.getObjectRecord('into', 'big')?.size).toBe(100 * MiB);
  });
});

describe('simulated S3: multipart copy', () => {
  beforeEach(() => {
    setUp();
    account.s3.createBucket('src');
    account.s3.createBucket('dst');
  });

  it('copies a 6 GiB modelled object in parts with the same full-object CRC64NVME and a -N ETag', async () => {
    const src = account.s3.putObjectDirect('src', 'db/dump.bin', { size: 6 * GiB });
    const done = await multipartCopy('src', 'dst', 'db/dump.bin', 6 * GiB, GiB, { ChecksumAlgorithm: 'CRC64NVME', ChecksumType: 'FULL_OBJECT' });
    expect(done.ETag).toMatch(/^"[0-9a-f]{32}-6"$/);
    expect(done.ChecksumCRC64NVME).toBe(src.checksum?.value);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'dst', Key: 'db/dump.bin', ChecksumMode: 'ENABLED' }));
    expect(head).toMatchObject({ ContentLength: 6 * GiB, ChecksumCRC64NVME: src.checksum?.value, ChecksumType: 'FULL_OBJECT' });
    expect(account.s3.getObjectRecord('dst', 'db/dump.bin')?.contentHash).toBe(src.contentHash);
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'dst' }))).Uploads).toBeUndefined();
  });

  it('reproduces a multipart source ETag when copied with the same part layout', async () => {
    const src = account.s3.putObjectDirect('src', 'layout', { size: 40 * MiB, multipartParts: 4 });
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'src', Key: 'layout', PartNumber: 1 }));
    expect(head).toMatchObject({ PartsCount: 4, ContentLength: 10 * MiB });
    const done = await multipartCopy('src', 'dst', 'layout', 40 * MiB, 10 * MiB);
    expect(done.ETag).toBe(src.etag);
  });

  it('builds real bytes when the source has them', async () => {
    const body = Buffer.concat([Buffer.alloc(5 * MiB, 'a'), Buffer.from('tail')]);
    account.s3.putObjectDirect('src', 'real', { body });
    await multipartCopy('src', 'dst', 'real', body.length, 5 * MiB);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'dst', Key: 'real', Range: `bytes=${5 * MiB}-` }));
    expect(await got.Body?.transformToString()).toBe('tail');
  });

  it('refuses parts under 5 MiB except the last (EntityTooSmall), out-of-order parts and unknown parts', async () => {
    account.s3.putObjectDirect('src', 'small', { size: 8 * MiB });
    await expect(multipartCopy('src', 'dst', 'small', 8 * MiB, 4 * MiB)).rejects.toMatchObject({ name: 'EntityTooSmall' });

    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'dst', Key: 'small' }));
    const p1 = await s3.send(new UploadPartCopyCommand({ Bucket: 'dst', Key: 'small', UploadId, PartNumber: 1, CopySource: 'src/small', CopySourceRange: `bytes=0-${5 * MiB - 1}` }));
    const p2 = await s3.send(
      new UploadPartCopyCommand({ Bucket: 'dst', Key: 'small', UploadId, PartNumber: 2, CopySource: 'src/small', CopySourceRange: `bytes=${5 * MiB}-${8 * MiB - 1}` }),
    );
    const parts = [
      { PartNumber: 1, ETag: p1.CopyPartResult?.ETag },
      { PartNumber: 2, ETag: p2.CopyPartResult?.ETag },
    ];
    await expect(
      s3.send(new CompleteMultipartUploadCommand({ Bucket: 'dst', Key: 'small', UploadId, MultipartUpload: { Parts: [...parts].reverse() } })),
    ).rejects.toMatchObject({ name: 'InvalidPartOrder' });
    await expect(
      s3.send(new CompleteMultipartUploadCommand({ Bucket: 'dst', Key: 'small', UploadId, MultipartUpload: { Parts: [{ PartNumber: 3, ETag: '"x"' }] } })),
    ).rejects.toMatchObject({ name: 'InvalidPart' });
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'dst', Key: 'small', UploadId, MultipartUpload: { Parts: parts } }));
    await expect(s3.send(new AbortMultipartUploadCommand({ Bucket: 'dst', Key: 'small', UploadId }))).rejects.toMatchObject({ name: 'NoSuchUpload' });
  });

  it('rejects a CopySourceRange beyond the source and part numbers outside 1..10000', async () => {
    account.s3.putObjectDirect('src', 's', { size: 100 });
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'dst', Key: 's' }));
    await expect(
      s3.send(new UploadPartCopyCommand({ Bucket: 'dst', Key: 's', UploadId, PartNumber: 1, CopySource: 'src/s', CopySourceRange: 'bytes=0-100' })),
    ).rejects.toMatchObject({ name: 'InvalidArgument' });
    await expect(s3.send(new UploadPartCopyCommand({ Bucket: 'dst', Key: 's', UploadId, PartNumber: 10001, CopySource: 'src/s' }))).rejects.toMatchObject({
      name: 'InvalidArgument',
    });
  });

  it('rejects a Complete whose claimed full-object checksum differs (BadDigest)', async () => {
    account.s3.putObjectDirect('src', 'x', { size: 6 * MiB });
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'dst', Key: 'x', ChecksumAlgorithm: 'CRC64NVME', ChecksumType: 'FULL_OBJECT' }));
    const p = await s3.send(new UploadPartCopyCommand({ Bucket: 'dst', Key: 'x', UploadId, PartNumber: 1, CopySource: 'src/x' }));
    await expect(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'dst',
          Key: 'x',
          UploadId,
          ChecksumCRC64NVME: 'AAAAAAAAAAA=',
          ChecksumType: 'FULL_OBJECT',
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p.CopyPartResult?.ETag }] },
        }),
      ),
    ).rejects.toMatchObject({ name: 'BadDigest' });
  });
});
