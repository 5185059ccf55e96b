import { RDSClient } from '@aws-sdk/client-rds';
import { clientConfig } from '../shared/aws-config';
import type { SnapshotStatusEvent } from '../shared/contracts';
import { lockClient, obeyingCancel } from '../shared/cancel-request';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { snapshotStatus } from './core';

const rds = new RDSClient(clientConfig);
const logger = createLogger('snapshot-status');

export const handler = stepHandler(
  logger,
  (event: SnapshotStatusEvent) => ({ execution: event.execution }),
  obeyingCancel(lockClient, logger, (event: SnapshotStatusEvent) => snapshotStatus(rds, event)),
);
