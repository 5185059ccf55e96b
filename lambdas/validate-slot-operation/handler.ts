import type { ValidateSlotOperationEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { validateSlotOperation } from './core';

const logger = createLogger('validate-slot-operation');

export const handler = stepHandler(
  logger,
  (event: ValidateSlotOperationEvent) => ({ execution: event.execution }),
  async (event) => {
    logger.info('validating the input', { operation: event.operation });
    return validateSlotOperation(event);
  },
);
