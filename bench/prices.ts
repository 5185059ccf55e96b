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

/**
 * Storage and instance prices `env-migrator plan` uses for what a migration creates for its duration
 * (cli/plan-cost.ts): US East (N. Virginia), on-demand, free tiers and allowances ignored. No pricing
 * page could be fetched here: each figure was read, on 2026-12-05, in stored copies of pages that quote
 * the AWS page named first (the second URL); bench/README.md "Prices" lists them. Re-check before
 * quoting a bill. A class or storage type missing here has no price: the plan says so, it never guesses.
 */
export const RESOURCE_PRICES = {
  /**
   * https://aws.amazon.com/s3/pricing/ — S3 Standard, first 50 TB, per GB-month (quoted by
   * https://devnotes.tech/understanding-aws-s3-pricing-a-complete-cost-breakdown-with-examples).
   */
  s3StandardPerGbMonth: 0.023,
  /**
   * https://aws.amazon.com/rds/pricing/ — RDS General Purpose gp3 storage, per GB-month provisioned (quoted
   * by https://www.usage.ai/blogs/aws/reserved-instances/rds/pricing-calculator/, June 2026).
   */
  rdsStoragePerGbMonth: { gp3: 0.115 } as Readonly<Record<string, number>>,
  /**
   * https://aws.amazon.com/rds/pricing/ — RDS backup storage (manual snapshots included) beyond the free
   * allowance of 100 % of the Region's provisioned database storage, per GB-month (same page as above).
   */
  rdsBackupPerGbMonth: 0.095,
  /**
   * https://aws.amazon.com/rds/postgresql/pricing/ — RDS for PostgreSQL on-demand instance-hours, Single-AZ
   * and Multi-AZ (quoted by https://infratally.com/articles/aws-rds-pricing-explained-2026.html, 2026).
   * The sample environment's class is db.t4g.micro; other engines have no price here.
   */
  rdsInstancePerHour: {
    postgres: {
      'db.t4g.micro': { singleAz: 0.016, multiAz: 0.032 },
      'db.t4g.small': { singleAz: 0.032, multiAz: 0.064 },
      'db.t4g.medium': { singleAz: 0.065, multiAz: 0.13 },
    },
  } as Readonly<Record<string, Readonly<Record<string, { singleAz: number; multiAz: number }>>>>,
  /** Hours in a month as AWS prorates GB-months and as its pricing calculator counts them. */
  hoursPerMonth: 730,
} as const;

/** The pricing pages the prices above come from, by what they price (printed beside each cost line). */
export const PRICE_SOURCES = {
  stepFunctions: 'https://aws.amazon.com/step-functions/pricing/',
  lambda: 'https://aws.amazon.com/lambda/pricing/',
  s3: 'https://aws.amazon.com/s3/pricing/',
  rds: 'https://aws.amazon.com/rds/pricing/',
  rdsPostgres: 'https://aws.amazon.com/rds/postgresql/pricing/',
} as const;
