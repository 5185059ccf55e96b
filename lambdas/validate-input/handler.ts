import type { ValidateInputEvent } from '../shared/contracts';
import { stepHandler } from '../shared/handler';
import { createLogger } from '../shared/logger';
import { validateInput } from './core';

const logger = createLogger('validate-input');

// The stack name is logged only once it is known to be a string: the input is not trusted yet.
const stackNameOf = (input: unknown): string | undefined =>
  input && typeof input === 'object' && 'stackName' in input && typeof input.stackName === 'string' ? input.stackName.slice(0, 128) : undefined;

export const handler = stepHandler(
  logger,
  (event: ValidateInputEvent) => ({ execution: event.execution, stackName: stackNameOf(event.input) }),
  async (event) => validateInput(event),
);
