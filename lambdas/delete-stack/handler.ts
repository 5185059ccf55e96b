import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { clientConfig, s3ClientConfig } from '../shared/aws-config';
import type { DeleteStackEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { DELETE_SAFETY_MARGIN_MS } from '../steps';
import { deleteStack } from './core';
import { deleteReportingProgress } from './deletion-progress';

const cfn = new CloudFormationClient(clientConfig);
const s3 = new S3Client(s3ClientConfig);
const logger = createLogger('delete-stack');

export const handler = stepHandler(
  logger,
  (event: DeleteStackEvent) => ({ execution: event.execution, stackName: event.stackName }),
  (event, remainingMs) => {
    logger.info('deleting stack', { reason: event.reason, invocation: (event.continuation?.invocations ?? 0) + 1, phase: event.continuation?.phase });
    // A failure says how far the deletion got (phase A or B in Migrate): deletion-progress.ts.
    return deleteReportingProgress((deps, e) => deleteStack(deps, e, remainingMs, { safetyMarginMs: DELETE_SAFETY_MARGIN_MS }), { cfn, s3, roleArn: process.env.CFN_ROLE_ARN || undefined }, event);
  },
);
