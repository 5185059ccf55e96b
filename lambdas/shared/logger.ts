import { Logger } from '@aws-lambda-powertools/logger';
import type { ExecutionRef } from './contracts';

/** One logger per Lambda module; `step` names the workflow step in every line. */
export function createLogger(step: string): Logger {
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'env-migrator', persistentKeys: { step } });
}

/** Adds the keys every log line of an invocation carries: execution and stack. */
export function appendInvocationKeys(logger: Logger, execution: ExecutionRef | undefined, stackName: string | undefined): void {
  logger.resetKeys();
  logger.appendKeys({ executionArn: execution?.id, executionName: execution?.name, stackName });
}

/** What a core needs of the logger to report oddities it tolerates (the module logger, or a stub in tests). */
export type WarnLogger = Pick<Logger, 'warn'>;
