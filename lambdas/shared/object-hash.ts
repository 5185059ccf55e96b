/**
 * Content proof by reading: streams one object version through the checksum S3 itself uses, so the
 * result is comparable with the FULL_OBJECT checksum S3 reports for another copy of the same bytes
 * (HeadObject with ChecksumMode ENABLED, a CopyObject result, a Batch Operations Compute checksum
 * report). verify-bucket uses it for objects that neither an ETag nor a stored checksum can compare
 * (uploaded before default checksums, multipart, SSE-KMS); lambdas/shared/content-proof.ts says when
 * reading is cheaper than a Batch Operations job.
 *
 * The hashes are the AWS SDK's own (@aws-sdk/checksums, what the S3 client validates downloads
 * with), fed chunk by chunk: memory stays at one chunk of the response stream whatever the size.
 */
import { Crc32, Crc32c, Crc64Nvme } from '@aws-sdk/checksums/crc';
import { Sha1, Sha256 } from '@aws-sdk/checksums/sha';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { AwsUnavailable } from './errors';

/** The FULL_OBJECT algorithms a read can reproduce (S3's, per "Checking object integrity"). */
export type HashAlgorithm = 'CRC64NVME' | 'CRC32' | 'CRC32C' | 'SHA1' | 'SHA256';

export interface ComputedChecksum {
  algorithm: HashAlgorithm;
  /** Base64 of the big-endian digest, exactly as S3 reports a FULL_OBJECT checksum. */
  value: string;
  /** Bytes read: the object's size when the stream ended normally. */
  bytesRead: number;
  /** The ETag GetObject answered with, to tie the hash to the version that was read. */
  etag?: string;
}

interface StreamingHash {
  update(data: Uint8Array): void;
  digest(): Promise<Uint8Array>;
}

function hashFor(algorithm: HashAlgorithm): StreamingHash {
  switch (algorithm) {
    case 'CRC64NVME':
      return new Crc64Nvme();
    case 'CRC32':
      return new Crc32();
    case 'CRC32C':
      return new Crc32c();
    case 'SHA1':
      return new Sha1();
    case 'SHA256':
      return new Sha256();
  }
}

/**
 * Reads `bucket/key` at `versionId` (the current version when undefined) with GetObject and returns
 * its FULL_OBJECT checksum under `algorithm`, base64 as S3 reports it, with the bytes read. Used by
 * verify-bucket for objects it cannot compare otherwise. Throws what GetObject throws (NoSuchKey,
 * NoSuchVersion, InvalidObjectState for an archived object: never hashed, it must be named before
 * the standby), and AwsUnavailable (retried) when the stream ends before ContentLength bytes: a short read
 * must never pass for the content.
 */
export async function computeChecksum(
  s3: S3Client,
  bucket: string,
  key: string,
  versionId: string | undefined,
  algorithm: HashAlgorithm = 'CRC64NVME',
): Promise<ComputedChecksum> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  const body = response.Body as AsyncIterable<Uint8Array> | undefined;
  const hash = hashFor(algorithm);
  let bytesRead = 0;
  if (body) {
    for await (const chunk of body) {
      hash.update(chunk);
      bytesRead += chunk.byteLength;
    }
  }
  if (response.ContentLength !== undefined && bytesRead !== response.ContentLength) {
    throw new AwsUnavailable(`GetObject of ${bucket}/${key}${versionId ? ` (version ${versionId})` : ''} ended after ${bytesRead} of ${response.ContentLength} bytes`);
  }
  return { algorithm, value: Buffer.from(await hash.digest()).toString('base64'), bytesRead, etag: response.ETag };
}
