import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { KMSClient } from '@aws-sdk/client-kms';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientConfig } from '../shared/aws-config';
import type { DiscoverEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { discover } from './core';

const cfn = new CloudFormationClient(clientConfig);
const rds = new RDSClient(clientConfig);
const s3 = new S3Client(clientConfig);
const kms = new KMSClient(clientConfig);
const secrets = new SecretsManagerClient(clientConfig);
const logger = createLogger('discover');

export const handler = stepHandler(
  logger,
  (event: DiscoverEvent) => ({ execution: event.execution, stackName: event.stackName }),
  (event) => discover({ cfn, rds, s3, kms, secrets }, event),
);
