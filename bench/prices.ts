/**
 * List prices the benchmark's cost estimate uses: US East (N. Virginia), on-demand, no free tier,
 * as published on the pricing pages named below (bench/README.md, "Prices", gives the dates).
 */
export const PRICES = {
  /** https://aws.amazon.com/step-functions/pricing/ — Standard workflows, per state transition (retries included). */
  stepFunctionsPerTransition: 0.025 / 1000,
  /** https://aws.amazon.com/lambda/pricing/ — Arm, first 7.5 billion GB-s per month. */
  lambdaArmPerGbSecond: 0.0000133334,
  /** https://aws.amazon.com/lambda/pricing/ — per request. */
  lambdaPerRequest: 0.2 / 1_000_000,
  /** https://aws.amazon.com/s3/pricing/ — S3 Standard PUT, COPY, POST, LIST requests. */
  s3Tier1PerRequest: 0.005 / 1000,
  /** https://aws.amazon.com/s3/pricing/ — S3 Standard GET, SELECT and all other requests. */
  s3Tier2PerRequest: 0.0004 / 1000,
} as const;

/** PUT, COPY, POST and LIST class requests (UploadPartCopy is a COPY, multipart create/complete are POSTs). */
const TIER1 = new Set([
  'PutObject',
  'CopyObject',
  'UploadPart',
  'UploadPartCopy',
  'CreateMultipartUpload',
  'CompleteMultipartUpload',
  'ListObjectsV2',
  'ListObjects',
  'ListObjectVersions',
  'ListMultipartUploads',
  'PutObjectTagging',
  'PutBucketTagging',
  'PutBucketVersioning',
  'PutBucketEncryption',
  'CreateBucket',
]);
/** "DELETE and CANCEL requests are free" (S3 pricing page). */
const FREE = new Set(['DeleteObject', 'DeleteObjects', 'DeleteBucket', 'AbortMultipartUpload']);

export type S3RequestClass = 'tier1' | 'tier2' | 'free';

export function s3RequestClass(operation: string): S3RequestClass {
  if (FREE.has(operation)) return 'free';
  return TIER1.has(operation) ? 'tier1' : 'tier2';
}
