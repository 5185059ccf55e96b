import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { clientConfig } from '../shared/aws-config';
import type { StandbyStatusEvent } from '../shared/contracts';
import { lockClient, obeyingCancel } from '../shared/cancel-request';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { standbyStatus } from './core';

const asg = new AutoScalingClient(clientConfig);
const logger = createLogger('standby-status');

export const handler = stepHandler(
  logger,
  (event: StandbyStatusEvent) => ({ execution: event.execution }),
  obeyingCancel(lockClient, logger, (event: StandbyStatusEvent) => standbyStatus(asg, event, logger)),
);
