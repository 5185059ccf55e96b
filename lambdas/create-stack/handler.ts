import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { clientConfig } from '../shared/aws-config';
import type { CreateStackEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { createStack } from './core';

const cfn = new CloudFormationClient(clientConfig);
const logger = createLogger('create-stack');

export const handler = stepHandler(
  logger,
  (event: CreateStackEvent) => ({ execution: event.execution, stackName: event.destinationStackName }),
  (event) => createStack({ cfn, roleArn: process.env.CFN_ROLE_ARN || undefined }, event),
);
