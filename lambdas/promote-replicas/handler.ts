import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { clientConfig } from '../shared/aws-config';
import type { PromoteReplicasEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { promoteReplicas } from './core';

const cfn = new CloudFormationClient(clientConfig);
const logger = createLogger('promote-replicas');

export const handler = stepHandler(
  logger,
  (event: PromoteReplicasEvent) => ({ execution: event.execution, stackName: event.promotion.stackName }),
  (event) => promoteReplicas(cfn, event),
);
