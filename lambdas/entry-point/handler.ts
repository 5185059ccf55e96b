import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { Route53Client } from '@aws-sdk/client-route-53';
import { clientConfig } from '../shared/aws-config';
import type { EntryPointEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { entryPoint } from './core';

const route53 = new Route53Client(clientConfig);
const cfn = new CloudFormationClient(clientConfig);
const logger = createLogger('entry-point');

export const handler = stepHandler(
  logger,
  (event: EntryPointEvent) => ({ execution: event.execution }),
  (event) => {
    logger.info('reading the entry point', { hostedZoneId: event.entryPoint.hostedZoneId, recordName: event.entryPoint.recordName, slots: event.slots });
    return entryPoint({ route53, cfn }, event);
  },
);
