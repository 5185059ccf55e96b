import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { clientConfig, s3ClientConfig } from '../shared/aws-config';
import type { DeleteStackEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { deleteStack } from './core';
import { deleteReportingProgress } from './deletion-progress';

const cfn = new CloudFormationClient(clientConfig);
const s3 = new S3Client(s3ClientConfig);
const logger = createLogger('delete-stack');

export const handler = stepHandler(
  logger,
  (event: DeleteStackEvent) => ({ execution: event.execution, stackName: event.stackName }),
  (event) => {
    logger.info('deleting stack', { reason: event.reason });
    return deleteReportingProgress(deleteStack, { cfn, s3, roleArn: process.env.CFN_ROLE_ARN || undefined }, event);
  },
);
