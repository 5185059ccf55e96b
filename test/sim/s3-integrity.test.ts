/**
 * The simulated S3 is as unkind as real S3 where a verification depends on it: objects without
 * checksums, real checksum values, ETags that are not MD5s, archived objects. Every rule goes
 * through the real SDK.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Crc32, Crc32c, Crc64Nvme } from '@aws-sdk/checksums/crc';
import { Sha1, Sha256 } from '@aws-sdk/checksums/sha';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimAccount } from '../../local/sim/account';
import { ZERO_TIMING } from '../../local/sim/core';
import { installSimulatedAccount } from '../../local/sim/install';
import { digestOf } from '../../local/sim/s3-checksums';

const MiB = 1024 * 1024;
const md5hex = (data: string | Buffer) => createHash('md5').update(data).digest('hex');

let account: SimAccount;
let uninstall: () => void;
let s3: S3Client;

beforeEach(() => {
  account = new SimAccount({ timing: ZERO_TIMING });
  uninstall = installSimulatedAccount(account);
  s3 = new S3Client({ maxAttempts: 1 });
  account.s3.createBucket('src');
  account.s3.createBucket('dst');
});
afterEach(() => uninstall());

async function sdkDigest(hash: { update(d: Uint8Array): void; digest(): Promise<Uint8Array> }, data: Uint8Array): Promise<string> {
  hash.update(data);
  return Buffer.from(await hash.digest()).toString('base64');
}

async function readAll(bucket: string, key: string): Promise<Buffer> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from((await r.Body?.transformToByteArray()) ?? []);
}

describe('checksum values', () => {
  it('equal the AWS SDK implementations (CRC64NVME, CRC32, CRC32C, SHA1, SHA256) on the check string and random data', async () => {
    // Check values of the catalogue of CRCs ("123456789").
    const check = Buffer.from('123456789');
    expect(digestOf('CRC64NVME', check)?.toString('hex')).toBe('ae8b14860a799888');
    expect(digestOf('CRC32', check)?.toString('hex')).toBe('cbf43926');
    expect(digestOf('CRC32C', check)?.toString('hex')).toBe('e3069283');
    for (const size of [0, 1, 7, 8, 9, 1000, 65_537]) {
      const data = randomBytes(size);
      expect(digestOf('CRC64NVME', data)?.toString('base64')).toBe(await sdkDigest(new Crc64Nvme(), data));
      expect(digestOf('CRC32', data)?.toString('base64')).toBe(await sdkDigest(new Crc32(), data));
      expect(digestOf('CRC32C', data)?.toString('base64')).toBe(await sdkDigest(new Crc32c(), data));
      expect(digestOf('SHA1', data)?.toString('base64')).toBe(await sdkDigest(new Sha1(), data));
      expect(digestOf('SHA256', data)?.toString('base64')).toBe(await sdkDigest(new Sha256(), data));
    }
  });

  it('of an object with bytes are what hashing its GetObject body gives, and its copy reports the same', async () => {
    const body = randomBytes(3000);
    account.s3.putObjectDirect('src', 'a.bin', { body });
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'src', Key: 'a.bin', ChecksumMode: 'ENABLED' }));
    expect(head.ChecksumCRC64NVME).toBe(await sdkDigest(new Crc64Nvme(), await readAll('src', 'a.bin')));
    expect(head.ChecksumType).toBe('FULL_OBJECT');
    const copy = await s3.send(new CopyObjectCommand({ Bucket: 'dst', Key: 'a.bin', CopySource: 'src/a.bin' }));
    expect(copy.CopyObjectResult?.ChecksumCRC64NVME).toBe(head.ChecksumCRC64NVME);
  });

  it('of a multipart object are COMPOSITE (hash of the part hashes, -N) unless full-object, and FULL_OBJECT CRCs cover the whole content', async () => {
    const body = randomBytes(12 * MiB);
    const parts = [body.subarray(0, 6 * MiB), body.subarray(6 * MiB)];
    const sha = (b: Buffer) => createHash('sha256').update(b).digest();
    const composite = account.s3.putObjectDirect('src', 'sha', { body, multipartParts: 2, checksumAlgorithm: 'SHA256' });
    expect(composite.checksum).toEqual({ algorithm: 'SHA256', type: 'COMPOSITE', value: `${sha(Buffer.concat(parts.map(sha))).toString('base64')}-2` });
    const full = account.s3.putObjectDirect('src', 'crc', { body, multipartParts: 2 });
    expect(full.checksum).toEqual({ algorithm: 'CRC64NVME', type: 'FULL_OBJECT', value: await sdkDigest(new Crc64Nvme(), body) });
    expect(full.etag).toMatch(/-2"$/);
  });

  it('a PUT whose checksum does not match its bytes fails with BadDigest', async () => {
    const wrong = Buffer.from('00000000', 'hex').toString('base64');
    await expect(s3.send(new PutObjectCommand({ Bucket: 'src', Key: 'k', Body: 'abc', ChecksumCRC32: wrong }))).rejects.toMatchObject({ name: 'BadDigest' });
  });
});

describe('objects uploaded before default checksums', () => {
  beforeEach(() => {
    account.s3.putObjectDirect('src', 'old.txt', { body: 'uploaded in 2019', checksumAlgorithm: null });
  });

  it('have no checksum: HeadObject with ChecksumMode ENABLED and ListObjectsV2 report none', async () => {
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'src', Key: 'old.txt', ChecksumMode: 'ENABLED' }));
    expect(Object.keys(head).filter((k) => k.startsWith('Checksum'))).toEqual([]);
    expect(head.ETag).toBe(`"${md5hex('uploaded in 2019')}"`);
    const list = await s3.send(new ListObjectsV2Command({ Bucket: 'src' }));
    expect(list.Contents?.[0]?.ChecksumAlgorithm).toBeUndefined();
  });

  it('copied without x-amz-checksum-algorithm give a copy without a checksum', async () => {
    const copy = await s3.send(new CopyObjectCommand({ Bucket: 'dst', Key: 'old.txt', CopySource: 'src/old.txt' }));
    expect(copy.CopyObjectResult?.ChecksumCRC64NVME).toBeUndefined();
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'dst', Key: 'old.txt', ChecksumMode: 'ENABLED' }));
    expect(head.ChecksumCRC64NVME).toBeUndefined();
    expect(head.ChecksumType).toBeUndefined();
  });

  it('copied with x-amz-checksum-algorithm give a copy whose checksum S3 computed over the content', async () => {
    const copy = await s3.send(new CopyObjectCommand({ Bucket: 'dst', Key: 'old.txt', CopySource: 'src/old.txt', ChecksumAlgorithm: 'CRC64NVME' }));
    const expected = await sdkDigest(new Crc64Nvme(), Buffer.from('uploaded in 2019'));
    expect(copy.CopyObjectResult?.ChecksumCRC64NVME).toBe(expected);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'dst', Key: 'old.txt', ChecksumMode: 'ENABLED' }));
    expect(head).toMatchObject({ ChecksumCRC64NVME: expected, ChecksumType: 'FULL_OBJECT' });
  });
});

describe('ETags that are not MD5s', () => {
  it('SSE-KMS and DSSE-KMS objects have ETags that are not the MD5 of their content', () => {
    const kms = account.s3.putObjectDirect('src', 'kms', { body: 'same', serverSideEncryption: 'aws:kms' });
    const dsse = account.s3.putObjectDirect('src', 'dsse', { body: 'same', serverSideEncryption: 'aws:kms:dsse' });
    const s3Managed = account.s3.putObjectDirect('src', 'sse-s3', { body: 'same' });
    expect(s3Managed.etag).toBe(`"${md5hex('same')}"`);
    expect(kms.etag).not.toBe(s3Managed.etag);
    expect(dsse.etag).not.toBe(s3Managed.etag);
    expect(dsse.encryption.algorithm).toBe('aws:kms:dsse');
  });
});

describe('archive storage classes', () => {
  beforeEach(() => {
    account.s3.putObjectDirect('src', 'cold.bin', { body: 'frozen', storageClass: 'GLACIER' });
    account.s3.putObjectDirect('src', 'deep.bin', { body: 'deeper', storageClass: 'DEEP_ARCHIVE' });
    account.s3.putObjectDirect('src', 'instant.bin', { body: 'instant', storageClass: 'GLACIER_IR' });
    account.s3.putObjectDirect('src', 'thawed.bin', { body: 'thawed', storageClass: 'GLACIER', restored: true });
  });

  it('refuse GetObject, CopyObject and UploadPartCopy of GLACIER and DEEP_ARCHIVE objects with InvalidObjectState 403', async () => {
    for (const key of ['cold.bin', 'deep.bin']) {
      await expect(s3.send(new GetObjectCommand({ Bucket: 'src', Key: key }))).rejects.toMatchObject({ name: 'InvalidObjectState', $metadata: { httpStatusCode: 403 } });
      await expect(s3.send(new CopyObjectCommand({ Bucket: 'dst', Key: key, CopySource: `src/${key}` }))).rejects.toMatchObject({ name: 'InvalidObjectState' });
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'dst', Key: key }));
      await expect(s3.send(new UploadPartCopyCommand({ Bucket: 'dst', Key: key, UploadId, PartNumber: 1, CopySource: `src/${key}` }))).rejects.toMatchObject({
        name: 'InvalidObjectState',
      });
    }
    expect(account.s3.objectCount('dst')).toBe(0);
  });

  it('read and copy GLACIER_IR objects and restored GLACIER objects, the copy STANDARD', async () => {
    expect((await readAll('src', 'instant.bin')).toString()).toBe('instant');
    expect((await readAll('src', 'thawed.bin')).toString()).toBe('thawed');
    await s3.send(new CopyObjectCommand({ Bucket: 'dst', Key: 'thawed.bin', CopySource: 'src/thawed.bin' }));
    expect(account.s3.getObjectRecord('dst', 'thawed.bin')?.storageClass).toBe('STANDARD');
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'src', Key: 'thawed.bin' }));
    expect(head.StorageClass).toBe('GLACIER');
    expect(head.Restore).toContain('ongoing-request="false"');
  });

  it('show each object’s storage class in HeadObject, ListObjectsV2 and ListObjectVersions', async () => {
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'src', Key: 'cold.bin' }))).StorageClass).toBe('GLACIER');
    const list = await s3.send(new ListObjectsV2Command({ Bucket: 'src' }));
    expect(Object.fromEntries((list.Contents ?? []).map((o) => [o.Key, o.StorageClass]))).toEqual({
      'cold.bin': 'GLACIER',
      'deep.bin': 'DEEP_ARCHIVE',
      'instant.bin': 'GLACIER_IR',
      'thawed.bin': 'GLACIER',
    });
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: 'src', Prefix: 'deep' }));
    expect(versions.Versions?.[0]?.StorageClass).toBe('DEEP_ARCHIVE');
  });
});

describe('multipart copies of objects without checksums', () => {
  it('get the CreateMultipartUpload default, a full-object CRC64NVME equal to that of the content', async () => {
    const body = randomBytes(11 * MiB);
    account.s3.putObjectDirect('src', 'mp.bin', { body, multipartParts: 3, checksumAlgorithm: null });
    expect(account.s3.getObjectRecord('src', 'mp.bin')?.checksum).toBeUndefined();
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'dst', Key: 'mp.bin' }));
    const parts = [];
    for (const [n, [a, b]] of [[0, 6 * MiB - 1], [6 * MiB, 11 * MiB - 1]].entries()) {
      const r = await s3.send(new UploadPartCopyCommand({ Bucket: 'dst', Key: 'mp.bin', UploadId, PartNumber: n + 1, CopySource: 'src/mp.bin', CopySourceRange: `bytes=${a}-${b}` }));
      parts.push({ PartNumber: n + 1, ETag: r.CopyPartResult?.ETag });
    }
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'dst', Key: 'mp.bin', UploadId, MultipartUpload: { Parts: parts } }));
    expect(done.ChecksumCRC64NVME).toBe(await sdkDigest(new Crc64Nvme(), body));
    expect(done.ETag).toMatch(/-2"$/);
  });
});

describe('seeding deletions', () => {
  it('puts a delete marker on a versioned bucket’s key, keeping its versions', () => {
    account.s3.createBucket('ver', { versioning: true });
    account.s3.putObjectDirect('ver', 'k', { body: 'one' });
    account.s3.putObjectDirect('ver', 'k', { body: 'two' });
    expect(account.s3.deleteObjectDirect('ver', 'k').deleteMarker).toBe(true);
    expect(account.s3.objectCount('ver')).toBe(0);
    expect(account.s3.versionCount('ver')).toBe(3);
  });
});
