import { S3Client } from '@aws-sdk/client-s3';
import { S3ControlClient } from '@aws-sdk/client-s3-control';
import { clientConfig, s3ClientConfig } from '../shared/aws-config';
import type { StartChecksumJobEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { startChecksumJob } from './core';

const s3 = new S3Client(s3ClientConfig);
const s3control = new S3ControlClient(clientConfig);
const logger = createLogger('start-checksum-job');

export const handler = stepHandler(
  logger,
  (event: StartChecksumJobEvent) => ({ execution: event.execution }),
  (event) => {
    logger.info('starting checksum job', { bucket: event.bucket, manifest: event.manifest });
    return startChecksumJob({ s3, s3control, roleArn: process.env.CHECKSUM_JOB_ROLE_ARN ?? '' }, event);
  },
);
