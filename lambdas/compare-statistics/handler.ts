import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientConfig } from '../shared/aws-config';
import type { CompareStatisticsEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { compareStatistics } from './core';

const cfn = new CloudFormationClient(clientConfig);
const secrets = new SecretsManagerClient(clientConfig);
const logger = createLogger('compare-statistics');

export const handler = stepHandler(
  logger,
  (event: CompareStatisticsEvent) => ({ execution: event.execution, stackName: event.destinationStackName }),
  // fetch is looked up per call: the local simulator installs its own globalThis.fetch.
  (event) => compareStatistics({ cfn, secrets, fetch: (url, init) => fetch(url, init) }, event),
);
