import { S3Client } from '@aws-sdk/client-s3';
import { fanOutS3ClientConfig } from '../shared/aws-config';
import { positiveIntFromEnv } from '../shared/concurrency';
import type { InventoryBucketEvent } from '../shared/contracts';
import { lockClient, obeyingCancel } from '../shared/cancel-request';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { RECHECK_SAFETY_MARGIN_MS } from '../steps';
import { inventoryBucket } from './core';

const options = { safetyMarginMs: RECHECK_SAFETY_MARGIN_MS, concurrency: positiveIntFromEnv(process.env.INVENTORY_CONCURRENCY, 32) };
const s3 = new S3Client(fanOutS3ClientConfig(options.concurrency));
const logger = createLogger('inventory-buckets');

export const handler = stepHandler(
  logger,
  (event: InventoryBucketEvent) => ({ execution: event.execution }),
  obeyingCancel(lockClient, logger, (event: InventoryBucketEvent, remainingMs) => inventoryBucket(s3, event, remainingMs, options)),
);
