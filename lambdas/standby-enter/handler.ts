import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { SFNClient } from '@aws-sdk/client-sfn';
import { clientConfig } from '../shared/aws-config';
import type { StandbyEnterEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { standbyEnter } from './core';

const asg = new AutoScalingClient(clientConfig);
const sfn = new SFNClient(clientConfig);
const logger = createLogger('standby-enter');

export const handler = stepHandler(
  logger,
  (event: StandbyEnterEvent) => ({ execution: event.execution }),
  (event) => standbyEnter(asg, event, sfn, logger),
);
