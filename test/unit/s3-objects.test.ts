/**
 * What copy and verification agree on about S3 objects (lambdas/shared/s3-objects.ts): the key order
 * S3 lists in, when an ETag or a checksum describes the whole object, and which buckets use KMS.
 */
import { GetBucketEncryptionCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { bucketUsesKms, compareKeys, fullObjectChecksums, isMultipartEtag, plainEtag } from '../../lambdas/shared/s3-objects';

const s3Mock = mockClient(S3Client);
beforeEach(() => s3Mock.reset());

const utf8Order = (a: string, b: string) => Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));

describe('compareKeys', () => {
  it('orders keys in UTF-8 binary order, as S3 lists them, where UTF-16 code units disagree', () => {
    // U+FF5E (3 UTF-8 bytes, EF BD 9E) sorts before U+1F600 (4 bytes, F0 9F 98 80), though its UTF-16
    // unit 0xFF5E is above the surrogate 0xD83D; U+E000 likewise; U+D7FF stays below both.
    expect(Math.sign(compareKeys('\uff5e', '\u{1f600}'))).toBe(-1);
    expect(Math.sign(compareKeys('\u{1f600}', '\ue000'))).toBe(1);
    expect(Math.sign(compareKeys('\ud7ff', '\ue000'))).toBe(-1);
    expect(Math.sign(compareKeys('\ud7ff', '\u{10000}'))).toBe(-1);
    expect(Math.sign(compareKeys('\u{10ffff}', '\uffff'))).toBe(1);
    // The edges of both ranges: U+E000 and U+E001, the lowest and highest surrogates.
    expect(Math.sign(compareKeys('\ue000', '\ue001'))).toBe(-1);
    expect(Math.sign(compareKeys('\u{10000}', '\ue001'))).toBe(1);
    expect(Math.sign(compareKeys('\u{10fffe}', '\u{10ffff}'))).toBe(-1);
    expect(Math.sign(compareKeys('\u{10ffff}', '\ue000'))).toBe(1);
    expect(compareKeys('a/b', 'a/b')).toBe(0);
    expect(Math.sign(compareKeys('a', 'a/'))).toBe(-1);
  });

  it('agrees with the UTF-8 byte order on any two keys', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        expect(Math.sign(compareKeys(a, b))).toBe(utf8Order(a, b));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('ETags', () => {
  it('drops only the surrounding quotes', () => {
    expect(plainEtag('"abc"')).toBe('abc');
    expect(plainEtag('"a"b"')).toBe('a"b');
    expect(plainEtag(undefined)).toBe('');
  });

  it('tells a multipart ETag by its part count', () => {
    expect(isMultipartEtag('"9b2cf535f27731c974343645a3985328-13"')).toBe(true);
    expect(isMultipartEtag('"9b2cf535f27731c974343645a3985328"')).toBe(false);
    expect(isMultipartEtag(undefined)).toBe(false);
  });
});

describe('fullObjectChecksums', () => {
  it('keeps CRC64NVME always, and the others only for a single-part object or FULL_OBJECT', () => {
    const values = { ChecksumCRC64NVME: 'AAAAAAAAAAA=', ChecksumSHA256: 'c2hh', ChecksumCRC32: 'Y3Jj' };
    expect([...fullObjectChecksums({ ...values, ETag: '"abc-3"' }).keys()]).toEqual(['CRC64NVME']);
    expect([...fullObjectChecksums({ ...values, ETag: '"abc-3"', ChecksumType: 'COMPOSITE' }).keys()]).toEqual(['CRC64NVME']);
    expect([...fullObjectChecksums({ ...values, ETag: '"abc-3"', ChecksumType: 'FULL_OBJECT' }).keys()]).toEqual(['CRC64NVME', 'SHA256', 'CRC32']);
    expect([...fullObjectChecksums({ ...values, ETag: '"abc"' }).keys()]).toEqual(['CRC64NVME', 'SHA256', 'CRC32']);
    expect([...fullObjectChecksums({ ChecksumSHA256: 'c2hh-3', ETag: '"abc"' }).keys()]).toEqual([]);
  });
});

describe('bucketUsesKms', () => {
  const rules = (...algorithms: (string | undefined)[]) => ({
    ServerSideEncryptionConfiguration: { Rules: algorithms.map((a) => ({ ApplyServerSideEncryptionByDefault: a ? { SSEAlgorithm: a } : undefined })) },
  });

  it('is true for SSE-KMS or DSSE-KMS by default, in any rule, and false for SSE-S3 or no rule', async () => {
    const s3 = new S3Client({ region: 'eu-west-1' });
    for (const [answer, expected] of [
      [rules('aws:kms'), true],
      [rules('aws:kms:dsse'), true],
      [rules('AES256', 'aws:kms'), true],
      [rules('AES256'), false],
      [rules(undefined), false],
      [{}, false],
    ] as const) {
      s3Mock.on(GetBucketEncryptionCommand).resolves(answer as never);
      expect(await bucketUsesKms(s3, 'b')).toBe(expected);
    }
  });

  it('is false for a bucket without encryption configuration, and throws any other error', async () => {
    const s3 = new S3Client({ region: 'eu-west-1' });
    s3Mock.on(GetBucketEncryptionCommand).rejects(Object.assign(new Error('none'), { name: 'ServerSideEncryptionConfigurationNotFoundError' }));
    expect(await bucketUsesKms(s3, 'b')).toBe(false);
    s3Mock.on(GetBucketEncryptionCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    await expect(bucketUsesKms(s3, 'b')).rejects.toThrow('denied');
  });
});
