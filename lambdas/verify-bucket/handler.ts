import { S3Client } from '@aws-sdk/client-s3';
import { fanOutS3ClientConfig } from '../shared/aws-config';
import { positiveIntFromEnv } from '../shared/concurrency';
import type { VerifyBucketEvent } from '../shared/contracts';
import { lockClient, obeyingCancel } from '../shared/cancel-request';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { VERIFY_SAFETY_MARGIN_MS } from '../steps';
import { verifyBucket } from './core';

const options = {
  concurrency: positiveIntFromEnv(process.env.VERIFY_CONCURRENCY, 64),
  safetyMarginMs: VERIFY_SAFETY_MARGIN_MS,
  // 1 GiB read and hashed in the step at most per version; larger ones go to Batch Operations.
  hashMaxBytes: positiveIntFromEnv(process.env.VERIFY_HASH_MAX_BYTES, 1024 ** 3),
};
const s3 = new S3Client(fanOutS3ClientConfig(options.concurrency));
const logger = createLogger('verify-bucket');

export const handler = stepHandler(
  logger,
  (event: VerifyBucketEvent) => ({ execution: event.execution }),
  obeyingCancel(lockClient, logger, (event: VerifyBucketEvent, remainingMs) => verifyBucket(s3, event, remainingMs, options)),
);
