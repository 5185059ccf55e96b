import type { ComposeNotificationEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { composeNotification } from './core';

const logger = createLogger('compose-notification');

export const handler = stepHandler(
  logger,
  (event: ComposeNotificationEvent) => ({ execution: event.execution, stackName: event.stackName }),
  async (event) => composeNotification(event),
);
