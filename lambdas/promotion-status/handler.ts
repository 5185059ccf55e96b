import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { clientConfig } from '../shared/aws-config';
import type { PromotionStatusEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { promotionStatus } from './core';

const cfn = new CloudFormationClient(clientConfig);
const logger = createLogger('promotion-status');

export const handler = stepHandler(
  logger,
  (event: PromotionStatusEvent) => ({ execution: event.execution, stackName: event.promotion.stackName }),
  (event) => promotionStatus(cfn, event),
);
