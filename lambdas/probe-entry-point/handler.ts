import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientConfig } from '../shared/aws-config';
import type { ProbeEntryPointEvent } from '../shared/contracts';
import { lockClient, obeyingCancel } from '../shared/cancel-request';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { probeEntryPoint } from './core';

const cfn = new CloudFormationClient(clientConfig);
const secrets = new SecretsManagerClient(clientConfig);
const logger = createLogger('probe-entry-point');

export const handler = stepHandler(
  logger,
  (event: ProbeEntryPointEvent) => ({ execution: event.execution, stackName: event.expected.stackName }),
  // fetch is looked up per call: the local simulator installs its own globalThis.fetch.
  // Migrate's loop passes `cancellation` (env-migrator cancel is obeyed between probes); Rollback's passes none.
  obeyingCancel(lockClient, logger, (event: ProbeEntryPointEvent) => probeEntryPoint({ cfn, secrets, fetch: (url, init) => fetch(url, init) }, event)),
);
