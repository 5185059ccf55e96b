import { S3Client } from '@aws-sdk/client-s3';
import { s3ClientConfig } from '../shared/aws-config';
import { positiveIntFromEnv } from '../shared/concurrency';
import type { CopyBucketEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { COPY_SAFETY_MARGIN_MS } from '../steps';
import { copyBucket } from './core';

const s3 = new S3Client(s3ClientConfig);
const logger = createLogger('copy-bucket');
const options = { concurrency: positiveIntFromEnv(process.env.COPY_CONCURRENCY, 64), safetyMarginMs: COPY_SAFETY_MARGIN_MS };

export const handler = stepHandler(
  logger,
  (event: CopyBucketEvent) => ({ execution: event.execution }),
  (event, remainingMs) => copyBucket(s3, event, remainingMs, options),
);
