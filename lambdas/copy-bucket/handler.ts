import { S3Client } from '@aws-sdk/client-s3';
import { fanOutS3ClientConfig } from '../shared/aws-config';
import { positiveIntFromEnv } from '../shared/concurrency';
import type { CopyBucketEvent } from '../shared/contracts';
import { lockClient, obeyingCancel } from '../shared/cancel-request';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { COPY_SAFETY_MARGIN_MS, DEFAULT_COPY_CONCURRENCY } from '../steps';
import { copyBucket } from './core';

const options = { concurrency: positiveIntFromEnv(process.env.COPY_CONCURRENCY, DEFAULT_COPY_CONCURRENCY), safetyMarginMs: COPY_SAFETY_MARGIN_MS };
const s3 = new S3Client(fanOutS3ClientConfig(options.concurrency));
const logger = createLogger('copy-bucket');

export const handler = stepHandler(
  logger,
  (event: CopyBucketEvent) => ({ execution: event.execution }),
  obeyingCancel(lockClient, logger, (event: CopyBucketEvent, remainingMs) => copyBucket(s3, event, remainingMs, options)),
);
