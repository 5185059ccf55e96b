/**
 * What the bucket copy and the bucket verification agree on: key order, when an ETag proves
 * content, which S3 checksums describe the whole object, and how a copy source is written.
 */
import { GetBucketEncryptionCommand, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';

export { compareKeys } from './key-order';

/** ETag without its quotes, as people and notifications read it. */
export function plainEtag(etag: string | undefined): string {
  return (etag ?? '').replace(/^"|"$/g, '');
}

/** A multipart upload's ETag is `<md5 of part md5s>-<part count>`, not an MD5 of the content. */
export function isMultipartEtag(etag: string | undefined): boolean {
  return (etag ?? '').includes('-');
}

/**
 * True when the bucket's default encryption is SSE-KMS or DSSE-KMS: then ETags are not MD5 digests
 * of the content ("Objects encrypted by SSE-KMS ... have ETags that are not an MD5 digest of their
 * object data", https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html). A bucket without
 * an encryption configuration answers ServerSideEncryptionConfigurationNotFoundError.
 */
export async function bucketUsesKms(s3: S3Client, bucket: string): Promise<boolean> {
  try {
    const out = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    return (out.ServerSideEncryptionConfiguration?.Rules ?? []).some((rule) => {
      const algorithm = rule.ApplyServerSideEncryptionByDefault?.SSEAlgorithm;
      return algorithm === 'aws:kms' || algorithm === 'aws:kms:dsse';
    });
  } catch (err) {
    if ((err as { name?: unknown }).name === 'ServerSideEncryptionConfigurationNotFoundError') return false;
    throw err;
  }
}

/** Preferred first: CRC64NVME is what our copies write and is always a full-object checksum. */
export const CHECKSUM_ALGORITHMS = ['CRC64NVME', 'SHA256', 'SHA1', 'CRC32C', 'CRC32'] as const;
export type ChecksumAlgorithmName = (typeof CHECKSUM_ALGORITHMS)[number];

type ChecksumFields = Pick<
  HeadObjectCommandOutput,
  'ETag' | 'ChecksumType' | 'ChecksumCRC64NVME' | 'ChecksumSHA256' | 'ChecksumSHA1' | 'ChecksumCRC32C' | 'ChecksumCRC32'
>;

/**
 * The checksums of a HeadObject(ChecksumMode ENABLED) answer that describe the whole object. A
 * multipart object's SHA/CRC32 values may be composite ("a checksum of the part checksums", with a
 * `-N` suffix): those compare nothing across different part layouts. CRC64NVME is always full-object;
 * the others count when ChecksumType is FULL_OBJECT, or absent on a single-part object.
 * See https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */
export function fullObjectChecksums(head: ChecksumFields): Map<ChecksumAlgorithmName, string> {
  const found = new Map<ChecksumAlgorithmName, string>();
  const wholeObject = head.ChecksumType === 'FULL_OBJECT' || (head.ChecksumType === undefined && !isMultipartEtag(head.ETag));
  const values: Record<ChecksumAlgorithmName, string | undefined> = {
    CRC64NVME: head.ChecksumCRC64NVME,
    SHA256: head.ChecksumSHA256,
    SHA1: head.ChecksumSHA1,
    CRC32C: head.ChecksumCRC32C,
    CRC32: head.ChecksumCRC32,
  };
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const value = values[algorithm];
    // Base64 never contains '-': a value with one is a composite `<checksum>-<parts>`.
    if (!value || value.includes('-')) continue;
    if (algorithm === 'CRC64NVME' || wholeObject) found.set(algorithm, value);
  }
  return found;
}

/** The first algorithm for which both sides have a full-object checksum, with both values. */
export function commonChecksum(
  source: ChecksumFields,
  destination: ChecksumFields,
): { algorithm: ChecksumAlgorithmName; source: string; destination: string } | undefined {
  const a = fullObjectChecksums(source);
  const b = fullObjectChecksums(destination);
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const x = a.get(algorithm);
    const y = b.get(algorithm);
    if (x !== undefined && y !== undefined) return { algorithm, source: x, destination: y };
  }
  return undefined;
}

/**
 * The x-amz-copy-source value: bucket and key URL-encoded, '/' separators kept. S3 URL-decodes it,
 * so a raw '%' or '+' in a key would name a different object (or none).
 * See https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html (CopySource).
 */
export function copySource(bucket: string, key: string): string {
  return `${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;
}
