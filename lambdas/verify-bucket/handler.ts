import { S3Client } from '@aws-sdk/client-s3';
import { s3ClientConfig } from '../shared/aws-config';
import { positiveIntFromEnv } from '../shared/concurrency';
import type { VerifyBucketEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { verifyBucket } from './core';
import { recordSourceManifest } from './source-manifest-bridge';

const s3 = new S3Client(s3ClientConfig);
const logger = createLogger('verify-bucket');
const options = { concurrency: positiveIntFromEnv(process.env.VERIFY_CONCURRENCY, 64) };

export const handler = stepHandler(
  logger,
  (event: VerifyBucketEvent) => ({ execution: event.execution }),
  async (event) => {
    // BRIDGE (see source-manifest-bridge.ts): H2's verify-bucket returns the manifest it verified.
    const sourceManifest = await recordSourceManifest(s3, event.pair.sourceBucket, event.execution);
    return { ...(await verifyBucket(s3, event, options)), sourceManifest };
  },
);
