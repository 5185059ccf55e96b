import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { clientConfig } from '../shared/aws-config';
import type { StandbyStatusEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { standbyStatus } from './core';

const asg = new AutoScalingClient(clientConfig);
const logger = createLogger('standby-status');

export const handler = stepHandler(
  logger,
  (event: StandbyStatusEvent) => ({ execution: event.execution }),
  (event) => standbyStatus(asg, event, logger),
);
