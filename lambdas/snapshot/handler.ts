import { RDSClient } from '@aws-sdk/client-rds';
import { clientConfig } from '../shared/aws-config';
import type { SnapshotEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { snapshot } from './core';

const rds = new RDSClient(clientConfig);
const logger = createLogger('snapshot');

export const handler = stepHandler(
  logger,
  (event: SnapshotEvent) => ({ execution: event.execution, stackName: event.sourceStackName }),
  (event) => snapshot(rds, event),
);
