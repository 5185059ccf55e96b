import { RDSClient } from '@aws-sdk/client-rds';
import { clientConfig } from '../shared/aws-config';
import type { SnapshotStatusEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { snapshotStatus } from './core';

const rds = new RDSClient(clientConfig);
const logger = createLogger('snapshot-status');

export const handler = stepHandler(
  logger,
  (event: SnapshotStatusEvent) => ({ execution: event.execution }),
  (event) => snapshotStatus(rds, event),
);
