import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientConfig, s3ClientConfig } from '../shared/aws-config';
import type { RecheckOriginalEvent } from '../shared/contracts';
import { lockClient, obeyingCancel } from '../shared/cancel-request';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { RECHECK_SAFETY_MARGIN_MS } from '../steps';
import { recheckOriginal } from './core';

const cfn = new CloudFormationClient(clientConfig);
const s3 = new S3Client(s3ClientConfig);
const secrets = new SecretsManagerClient(clientConfig);
const logger = createLogger('recheck-original');

export const handler = stepHandler(
  logger,
  (event: RecheckOriginalEvent) => ({ execution: event.execution, stackName: event.stackName }),
  // fetch is looked up per call: the local simulator installs its own globalThis.fetch.
  obeyingCancel(lockClient, logger, (event: RecheckOriginalEvent, remainingMs) => recheckOriginal({ cfn, s3, secrets, fetch: (url, init) => fetch(url, init) }, event, remainingMs, { safetyMarginMs: RECHECK_SAFETY_MARGIN_MS })),
);
