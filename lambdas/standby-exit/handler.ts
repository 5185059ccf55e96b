import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { clientConfig } from '../shared/aws-config';
import type { StandbyExitEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { standbyExit } from './core';

const asg = new AutoScalingClient(clientConfig);
const logger = createLogger('standby-exit');

export const handler = stepHandler(
  logger,
  (event: StandbyExitEvent) => ({ execution: event.execution }),
  (event) => standbyExit(asg, event, logger),
);
