import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientConfig, s3ClientConfig } from '../shared/aws-config';
import type { ReadSwitchRecordEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { readSwitchRecord } from './core';

const s3 = new S3Client(s3ClientConfig);
const cfn = new CloudFormationClient(clientConfig);
const secrets = new SecretsManagerClient(clientConfig);
const logger = createLogger('read-switch-record');

export const handler = stepHandler(
  logger,
  (event: ReadSwitchRecordEvent) => ({ execution: event.execution }),
  // fetch is looked up per call: the local simulator installs its own globalThis.fetch.
  (event) => readSwitchRecord({ s3, cfn, secrets, fetch: (url, init) => fetch(url, init) }, event),
);
