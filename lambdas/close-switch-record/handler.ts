import { S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { clientConfig, s3ClientConfig } from '../shared/aws-config';
import type { CloseSwitchRecordEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { closeSwitchRecord } from './core';

const s3 = new S3Client(s3ClientConfig);
const scheduler = new SchedulerClient(clientConfig);
const logger = createLogger('close-switch-record');

export const handler = stepHandler(
  logger,
  (event: CloseSwitchRecordEvent) => ({ execution: event.execution }),
  (event) => closeSwitchRecord({ s3, scheduler }, event),
);
