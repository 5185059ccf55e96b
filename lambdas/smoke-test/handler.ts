import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { clientConfig } from '../shared/aws-config';
import type { SmokeTestEvent } from '../shared/contracts';
import { lockClient, obeyingCancel } from '../shared/cancel-request';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { smokeTest } from './core';

const cfn = new CloudFormationClient(clientConfig);
const logger = createLogger('smoke-test');

export const handler = stepHandler(
  logger,
  (event: SmokeTestEvent) => ({ execution: event.execution, stackName: event.stackName }),
  // fetch is looked up per call: the local simulator installs its own globalThis.fetch.
  obeyingCancel(lockClient, logger, (event: SmokeTestEvent) => smokeTest({ cfn, fetch: (url, init) => fetch(url, init) }, event)),
);
