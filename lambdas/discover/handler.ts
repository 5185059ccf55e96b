import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { RDSClient } from '@aws-sdk/client-rds';
import { clientConfig } from '../shared/aws-config';
import type { DiscoverEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { discover } from './core';

const cfn = new CloudFormationClient(clientConfig);
const rds = new RDSClient(clientConfig);
const logger = createLogger('discover');

export const handler = stepHandler(
  logger,
  (event: DiscoverEvent) => ({ execution: event.execution, stackName: event.stackName }),
  (event) => discover({ cfn, rds }, event),
);
