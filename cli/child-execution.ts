import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { parseObject } from '../lambdas/shared/json-object';
import { executionArnOf } from '../lambdas/shared/naming';

/**
 * The child execution a startExecution task names (Clone under Migrate): TaskScheduled's
 * parameters, or TaskSubmitted's response. Read by `watch` (to follow it) and `report` (to draw it).
 */
export function childOf(e: HistoryEvent): string | undefined {
  const scheduled = e.taskScheduledEventDetails;
  if (e.type === 'TaskScheduled' && scheduled?.resourceType === 'states' && scheduled.resource?.startsWith('startExecution')) {
    const p = parseObject(scheduled.parameters);
    if (typeof p?.StateMachineArn === 'string' && typeof p.Name === 'string') {
      return executionArnOf(p.StateMachineArn, p.Name);
    }
  }
  const submitted = e.taskSubmittedEventDetails;
  if (e.type === 'TaskSubmitted' && submitted?.resourceType === 'states') {
    const arn = parseObject(submitted.output)?.ExecutionArn;
    if (typeof arn === 'string') return arn;
  }
  return undefined;
}
