import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { clientConfig } from '../shared/aws-config';
import type { RecordSwitchEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { recordSwitch } from './core';

const cfn = new CloudFormationClient(clientConfig);
const s3 = new S3Client(clientConfig);
const logger = createLogger('record-switch');

export const handler = stepHandler(
  logger,
  (event: RecordSwitchEvent) => ({ execution: event.execution, stackName: event.previous.stackName }),
  async (event) => {
    const result = await recordSwitch({ cfn, s3 }, event);
    logger.info('switch recorded', { from: event.previous.stackName, to: event.next.stackName, retireAt: result.retireAt, key: result.switchRecord.key });
    return result;
  },
);
