import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { clientConfig } from '../shared/aws-config';
import type { PlanPromotionEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { planPromotion } from './core';

const cfn = new CloudFormationClient(clientConfig);
const logger = createLogger('plan-promotion');

export const handler = stepHandler(
  logger,
  (event: PlanPromotionEvent) => ({ execution: event.execution, stackName: event.stackName }),
  (event) => planPromotion({ cfn, roleArn: process.env.CFN_ROLE_ARN || undefined }, event),
);
