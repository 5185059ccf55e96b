import { Route53Client } from '@aws-sdk/client-route-53';
import { clientConfig } from '../shared/aws-config';
import type { SwitchEntryPointEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { switchEntryPoint } from './core';

const route53 = new Route53Client(clientConfig);
const logger = createLogger('switch-entry-point');

export const handler = stepHandler(
  logger,
  (event: SwitchEntryPointEvent) => ({ execution: event.execution }),
  async (event) => {
    logger.info('switching the entry point', { recordName: event.entryPoint.recordName, target: event.target.dnsName });
    const result = await switchEntryPoint(route53, event);
    logger.info('entry point switched', { changeId: result.changeId, alreadyApplied: result.alreadyApplied });
    return result;
  },
);
