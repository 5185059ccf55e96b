import { S3Client } from '@aws-sdk/client-s3';
import { s3ClientConfig } from '../shared/aws-config';
import { positiveIntFromEnv } from '../shared/concurrency';
import type { VerifyBucketEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { verifyBucket } from './core';

const s3 = new S3Client(s3ClientConfig);
const logger = createLogger('verify-bucket');
const options = { concurrency: positiveIntFromEnv(process.env.VERIFY_CONCURRENCY, 64) };

export const handler = stepHandler(
  logger,
  (event: VerifyBucketEvent) => ({ execution: event.execution }),
  (event) => verifyBucket(s3, event, options),
);
