import { S3Client } from '@aws-sdk/client-s3';
import { S3ControlClient } from '@aws-sdk/client-s3-control';
import { clientConfig, s3ClientConfig } from '../shared/aws-config';
import type { ChecksumJobStatusEvent } from '../shared/contracts';
import { lockClient, obeyingCancel } from '../shared/cancel-request';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { checksumJobStatus } from './core';

const s3 = new S3Client(s3ClientConfig);
const s3control = new S3ControlClient(clientConfig);
const logger = createLogger('checksum-job-status');
// The jobs run in the account of the Batch Operations role.
const accountId = /^arn:[^:]+:iam::(\d{12}):/.exec(process.env.CHECKSUM_JOB_ROLE_ARN ?? '')?.[1] ?? '';

export const handler = stepHandler(
  logger,
  (event: ChecksumJobStatusEvent) => ({ execution: event.execution }),
  obeyingCancel(lockClient, logger, (event: ChecksumJobStatusEvent) => checksumJobStatus({ s3, s3control, accountId }, event)),
);
