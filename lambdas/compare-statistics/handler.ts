import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientConfig, s3ClientConfig } from '../shared/aws-config';
import type { CompareStatisticsEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { compareStatistics } from './core';

const cfn = new CloudFormationClient(clientConfig);
const secrets = new SecretsManagerClient(clientConfig);
const s3 = new S3Client(s3ClientConfig);
const logger = createLogger('compare-statistics');

export const handler = stepHandler(
  logger,
  (event: CompareStatisticsEvent) => ({ execution: event.execution, stackName: event.destinationStackName }),
  // fetch is looked up per call: the local simulator installs its own globalThis.fetch.
  (event) => compareStatistics({ cfn, secrets, s3, fetch: (url, init) => fetch(url, init) }, event),
);
