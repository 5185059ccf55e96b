import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { clientConfig } from '../shared/aws-config';
import type { StackStatusEvent } from '../shared/contracts';
import { lockClient, obeyingCancel } from '../shared/cancel-request';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { stackStatus } from './core';

const cfn = new CloudFormationClient(clientConfig);
const logger = createLogger('stack-status');

export const handler = stepHandler(
  logger,
  (event: StackStatusEvent) => ({ execution: event.execution, stackName: event.stackName }),
  obeyingCancel(lockClient, logger, (event: StackStatusEvent) => stackStatus(cfn, event)),
);
