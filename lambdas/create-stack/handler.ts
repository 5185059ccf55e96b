import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientConfig, s3ClientConfig } from '../shared/aws-config';
import { workflowBucket } from '../shared/documents';
import type { CreateStackEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { createStack } from './core';

const cfn = new CloudFormationClient(clientConfig);
const secrets = new SecretsManagerClient(clientConfig);
const s3 = new S3Client(s3ClientConfig);
const logger = createLogger('create-stack');

export const handler = stepHandler(
  logger,
  (event: CreateStackEvent) => ({ execution: event.execution, stackName: event.destinationStackName }),
  (event) => createStack({ cfn, secrets, s3, templateBucket: workflowBucket, roleArn: process.env.CFN_ROLE_ARN || undefined }, event),
);
