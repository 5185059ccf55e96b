/**
 * Objects written as they are produced (lambdas/shared/streamed-object.ts) and lines split into
 * partitions (lambdas/shared/checksum-job.ts PartitionedLines), through the real SDK against the
 * simulated S3, whose UploadPart keeps the bytes and checks what real S3 checks.
 */
import { createHash, randomBytes } from 'node:crypto';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, ListMultipartUploadsCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { beforeEach, describe, expect, it } from 'vitest';
import { PartitionedLines, partitionLines, partitionOf, proofPartitions, readPartitionIndex } from '../../lambdas/shared/checksum-job';
import { StreamedObject } from '../../lambdas/shared/streamed-object';
import type { SimAccount } from '../../local/sim/account';
import { simulatedAccountPerTest } from '../fixtures/sim-account';

const MiB = 1024 * 1024;
const sim = simulatedAccountPerTest();
let account: SimAccount;
let s3: S3Client;

beforeEach(() => {
  account = sim.setUp();
  s3 = new S3Client({ maxAttempts: 1 });
  account.s3.createBucket('work');
});

const read = async (key: string) => Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: 'work', Key: key }))).Body!.transformToByteArray());
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('the simulated UploadPart', () => {
  it('assembles an object from the bytes of its parts, refusing a part whose checksum does not match and a small part before the last', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'work', Key: 'big.csv' }));
    const first = randomBytes(5 * MiB);
    const last = Buffer.from('the end\n');
    await expect(s3.send(new UploadPartCommand({ Bucket: 'work', Key: 'big.csv', UploadId, PartNumber: 1, Body: first, ChecksumCRC32: 'AAAAAA==' }))).rejects.toMatchObject({
      name: 'BadDigest',
    });
    const p1 = await s3.send(new UploadPartCommand({ Bucket: 'work', Key: 'big.csv', UploadId, PartNumber: 1, Body: first }));
    const p2 = await s3.send(new UploadPartCommand({ Bucket: 'work', Key: 'big.csv', UploadId, PartNumber: 2, Body: last }));
    expect(p1.ETag).toBe(`"${createHash('md5').update(first).digest('hex')}"`);
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'work', Key: 'big.csv', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }] } }));
    expect(sha256(await read('big.csv'))).toBe(sha256(Buffer.concat([first, last])));

    const small = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'work', Key: 'small.csv' }));
    const s1 = await s3.send(new UploadPartCommand({ Bucket: 'work', Key: 'small.csv', UploadId: small.UploadId, PartNumber: 1, Body: last }));
    const s2 = await s3.send(new UploadPartCommand({ Bucket: 'work', Key: 'small.csv', UploadId: small.UploadId, PartNumber: 2, Body: last }));
    await expect(
      s3.send(new CompleteMultipartUploadCommand({ Bucket: 'work', Key: 'small.csv', UploadId: small.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: s1.ETag }, { PartNumber: 2, ETag: s2.ETag }] } })),
    ).rejects.toMatchObject({ name: 'EntityTooSmall' });
  });
});

describe('an object streamed to S3', () => {
  it('is one PutObject while it fits in a part, with the SHA-256 and size of what was written', async () => {
    const out = new StreamedObject(s3, 'work', 'm.csv', 'text/csv');
    await out.write('a,b,\n');
    await out.write('c,d,\n');
    const ref = await out.end();
    expect(await read('m.csv')).toEqual(Buffer.from('a,b,\nc,d,\n'));
    expect(ref).toEqual({ bucket: 'work', key: 'm.csv', bytes: 10, sha256: sha256(Buffer.from('a,b,\nc,d,\n')) });
  });

  it('goes out in parts of the part size once it outgrows one, and reads back whole', async () => {
    const out = new StreamedObject(s3, 'work', 'big.csv', 'text/csv', 5 * MiB);
    const lines: string[] = [];
    for (let i = 0; i < 250_000; i++) lines.push(`bucket,uploads/${String(i).padStart(20, '0')}.jpg,version-${i}\n`);
    for (const line of lines) await out.write(line);
    const ref = await out.end();
    const whole = Buffer.from(lines.join(''));
    expect(whole.length).toBeGreaterThan(10 * MiB);
    const stored = await read('big.csv');
    expect(stored.length).toBe(whole.length);
    expect(ref).toMatchObject({ bytes: whole.length, sha256: sha256(whole) });
    expect(sha256(stored)).toBe(sha256(whole));
    // A multipart object's ETag names its part count.
    expect(account.s3.getObjectRecord('work', 'big.csv')?.etag).toMatch(/-3"$/);
  });

  it('abandons its multipart upload when it fails, leaving no parts behind', async () => {
    const out = new StreamedObject(s3, 'work', 'broken.csv', 'text/csv', 5 * MiB);
    await out.write('x'.repeat(5 * MiB));
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'work' }))).Uploads).toHaveLength(1);
    await out.abort();
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'work' }))).Uploads ?? []).toHaveLength(0);
  });
});

describe('lines split into partitions by key', () => {
  it('puts every line in its key\'s partition, the same for any writer, and reads each partition back', async () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `k/${i}`);
    const out = new PartitionedLines(s3, 'work', 'runs/r/p', 4);
    for (const k of keys) await out.add(k, JSON.stringify({ key: k }));
    const index = await readPartitionIndex(s3, await out.end());
    expect(index).toMatchObject({ partitions: 4, lines: 5000 });
    const seen: string[] = [];
    for (let p = 0; p < 4; p++) {
      for await (const line of partitionLines(s3, index, p)) {
        const { key } = JSON.parse(line) as { key: string };
        expect(partitionOf(key, 4)).toBe(p);
        seen.push(key);
      }
    }
    expect(seen.sort()).toEqual([...keys].sort());
    // Every partition gets some of 5,000 keys.
    expect(index.documents.every((d) => d.length > 0)).toBe(true);
  });

  it('sizes partitions at most 50,000 versions each, from the count alone', () => {
    expect([0, 1, 50_000, 50_001, 1_000_000].map(proofPartitions)).toEqual([1, 1, 1, 2, 20]);
  });
});
