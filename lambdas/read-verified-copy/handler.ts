import { S3Client } from '@aws-sdk/client-s3';
import { s3ClientConfig } from '../shared/aws-config';
import type { ReadVerifiedCopyEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { readVerifiedCopy } from './core';

const s3 = new S3Client(s3ClientConfig);
const logger = createLogger('read-verified-copy');

export const handler = stepHandler(
  logger,
  (event: ReadVerifiedCopyEvent) => ({ execution: event.execution, stackName: event.previous.stackName }),
  (event) => readVerifiedCopy(s3, event),
);
