import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type { ExecutionRef } from './contracts';
import { classifyAwsError } from './errors';
import { appendInvocationKeys } from './logger';

/** Time budget helper handed to cores that do long work (the bucket copy). */
export type RemainingTime = () => number;

/**
 * Wraps a step's core into a Lambda handler: appends the execution and stack keys to the logger,
 * logs start and end, and turns AWS SDK errors into the named classes the state machine retries or
 * catches. Handlers stay one line: `export const handler = stepHandler(logger, keys, core)`.
 */
export function stepHandler<E, R>(
  logger: Logger,
  keys: (event: E) => { execution?: ExecutionRef; stackName?: string },
  core: (event: E, remainingMs: RemainingTime) => Promise<R>,
): (event: E, context?: Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'>) => Promise<R> {
  return async (event, context) => {
    const k = keys(event);
    appendInvocationKeys(logger, k.execution, k.stackName);
    if (context?.awsRequestId) logger.appendKeys({ requestId: context.awsRequestId });
    logger.info('step started');
    try {
      const result = await core(event, () => context?.getRemainingTimeInMillis() ?? 15 * 60 * 1000);
      logger.info('step finished');
      return result;
    } catch (err) {
      const named = classifyAwsError(err);
      logger.error('step failed', { error: named.name, errorMessage: named.message });
      throw named;
    }
  };
}
