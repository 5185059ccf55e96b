import { Route53Client } from '@aws-sdk/client-route-53';
import { clientConfig } from '../shared/aws-config';
import type { SwitchStatusEvent } from '../shared/contracts';
import { lockClient, obeyingCancel } from '../shared/cancel-request';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { switchStatus } from './core';

const route53 = new Route53Client(clientConfig);
const logger = createLogger('switch-status');

export const handler = stepHandler(
  logger,
  (event: SwitchStatusEvent) => ({ execution: event.execution }),
  obeyingCancel(lockClient, logger, (event: SwitchStatusEvent) => switchStatus(route53, event)),
);
