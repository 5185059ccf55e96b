/**
 * The error a failed child execution (Clone, started by Migrate with `states:startExecution.sync:2`)
 * really ended with. Step Functions fails the parent's task with `States.TaskFailed` and, as the
 * cause, the child's description as JSON (ExecutionArn, Status, Error, Cause, ...: the shape of
 * DescribeExecution; local/integrations.ts answers the same): the step that failed inside the child
 * is named only in there. Used by compose-notification (the notification and the error Migrate ends
 * with) and by the CLI (`env-migrator watch`, `status`).
 */
import { parseObject } from './json-object';

export interface StepError {
  Error: string;
  Cause: string;
}

/** Step Functions' own name for a failed task; what it wraps is the child's. */
export const TASK_FAILED = 'States.TaskFailed';

interface ChildDescription {
  ExecutionArn?: unknown;
  Status?: unknown;
  Error?: unknown;
  Cause?: unknown;
}

/** `arn:...:execution:<state machine>:<name>` → "Clone execution <name>" (CDK's `<id><8 hex>` suffix dropped). */
function executionLabel(arn: string): string {
  const parts = arn.split(':');
  const machine = (parts[6] ?? '').replace(/[0-9A-F]{8}(-[A-Za-z0-9]+)?$/, '') || 'child';
  const name = parts.slice(7).join(':') || arn;
  return `${machine} execution ${name}`;
}

/**
 * A cause as a person reads it: a Lambda step's `{"errorType","errorMessage","trace"}` is its message;
 * the stack events behind a failed stack operation (`[{logicalId, resourceType, status, reason}]`,
 * Clone's "Stack creation failed") one per `;`. Anything else as it is.
 */
export function readableCause(cause: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(cause);
  } catch {
    return cause;
  }
  if (Array.isArray(parsed)) return stackEventsText(parsed) ?? cause;
  const o = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  return o && typeof o.errorMessage === 'string' ? o.errorMessage : cause;
}

/**
 * The child's own error when `error` is a `States.TaskFailed` wrapping a child execution's
 * description that names one: `{Error: <the child's error, e.g. CopyFailed>, Cause: <its cause,
 * readable> (in the Clone execution <name>)}`. A child that ended without an error of its
 * own (aborted, timed out) keeps States.TaskFailed, with a cause that says so. Anything else is
 * returned as it is. Never throws.
 */
export function unwrapChildError(error: StepError, depth = 0): StepError {
  if (error.Error !== TASK_FAILED || depth > 3) return error;
  const child = parseObject(error.Cause) as ChildDescription | undefined;
  if (!child || typeof child.ExecutionArn !== 'string' || typeof child.Status !== 'string') return error;
  const where = executionLabel(child.ExecutionArn);
  if (typeof child.Error !== 'string' || child.Error === '') {
    return { Error: TASK_FAILED, Cause: `the ${where} ended ${child.Status}${typeof child.Cause === 'string' && child.Cause ? `: ${readableCause(child.Cause)}` : ''}` };
  }
  // A child that itself waited on a child: unwrap that one as well.
  const inner = unwrapChildError({ Error: child.Error, Cause: typeof child.Cause === 'string' ? child.Cause : '' }, depth + 1);
  return { Error: inner.Error, Cause: `${readableCause(inner.Cause)} (in the ${where})` };
}

/**
 * The stack events behind a failed stack operation (`[{logicalId, resourceType, status, reason}]`),
 * one per `;`; undefined when the array holds none.
 */
export function stackEventsText(parsed: unknown[]): string | undefined {
  const events = parsed.filter((f): f is Record<string, unknown> => !!f && typeof f === 'object' && 'logicalId' in f);
  if (events.length === 0) return undefined;
  return events.map((f) => `${String(f.logicalId)} (${String(f.resourceType ?? '?')}) ${String(f.status ?? '')}: ${String(f.reason ?? '')}`).join('; ');
}
