/**
 * Reading one object version and computing its checksum, for versions that carry no ETag or
 * checksum comparable with their copy's (uploaded before S3 gave every object a checksum, multipart,
 * SSE-KMS). The destination's CRC64NVME is S3's own, computed over the copied bytes because the copy
 * asked for it; computing the same algorithm over the source's bytes proves the two equal.
 *
 * Stand-in, with the signature of lambdas/shared/object-hash.ts (written by the simulated-S3 work):
 * once that module is merged this file is deleted and verify-bucket imports it instead.
 */
import { Crc64Nvme } from '@aws-sdk/checksums';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/**
 * The base64 CRC64NVME of version `versionId` of `bucket/key` (the current version when undefined),
 * as S3 reports it (ChecksumCRC64NVME: "The Base64 encoded, 64-bit CRC64NVME checksum of the
 * object", HeadObject API reference), streamed: memory stays constant whatever the size.
 */
export async function computeChecksum(s3: S3Client, bucket: string, key: string, versionId: string | undefined, algorithm: 'CRC64NVME'): Promise<string> {
  if (algorithm !== 'CRC64NVME') throw new Error(`computeChecksum supports CRC64NVME only, not ${String(algorithm)}`);
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }));
  const crc = new Crc64Nvme();
  for await (const chunk of (out.Body ?? []) as AsyncIterable<Uint8Array>) crc.update(chunk);
  return Buffer.from(await crc.digest()).toString('base64');
}
