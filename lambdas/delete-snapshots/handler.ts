import { RDSClient } from '@aws-sdk/client-rds';
import { clientConfig } from '../shared/aws-config';
import type { DeleteSnapshotsEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { deleteSnapshots } from './core';

const rds = new RDSClient(clientConfig);
const logger = createLogger('delete-snapshots');

export const handler = stepHandler(
  logger,
  (event: DeleteSnapshotsEvent) => ({ execution: event.execution }),
  (event) => deleteSnapshots(rds, event),
);
