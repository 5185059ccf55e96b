import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { RDSClient } from '@aws-sdk/client-rds';
import { clientConfig } from '../shared/aws-config';
import { lockClient, obeyingCancel } from '../shared/cancel-request';
import type { ReplicaStatusEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { replicaStatus } from './core';

const rds = new RDSClient(clientConfig);
const cloudwatch = new CloudWatchClient(clientConfig);
const logger = createLogger('replica-status');

export const handler = stepHandler(
  logger,
  (event: ReplicaStatusEvent) => ({ execution: event.execution }),
  obeyingCancel(lockClient, logger, (event: ReplicaStatusEvent) => replicaStatus({ rds, cloudwatch }, event)),
);
