import { S3Client } from '@aws-sdk/client-s3';
import type { SplitBucketEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { MAX_KEY_RANGES, MIN_RANGE_ENTRIES } from '../steps';
import { splitBucket } from './core';

const options = { maxRanges: MAX_KEY_RANGES, minRangeEntries: MIN_RANGE_ENTRIES };
const s3 = new S3Client({});
const logger = createLogger('split-bucket');

export const handler = stepHandler(
  logger,
  (event: SplitBucketEvent) => ({ execution: event.execution }),
  (event: SplitBucketEvent) => splitBucket(s3, event, options),
);
