import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { clientConfig } from '../shared/aws-config';
import type { ScheduleRetireEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { scheduleRetire } from './core';

const scheduler = new SchedulerClient(clientConfig);
const logger = createLogger('schedule-retire');

export const handler = stepHandler(
  logger,
  (event: ScheduleRetireEvent) => ({ execution: event.execution }),
  async (event) => {
    const result = await scheduleRetire(scheduler, event);
    logger.info('retire scheduled', { scheduleArn: result.scheduleArn, at: result.at, alreadyExisted: result.alreadyExisted });
    return result;
  },
);
