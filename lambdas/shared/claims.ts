import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';

/**
 * Whether the execution named by a claim tag (`env-migrator:execution` on an Auto Scaling group)
 * still holds it. The tag is not only ours to write: CloudFormation hands a stack's tags to the
 * resources it creates, Auto Scaling groups included ("Resource tag", CloudFormation User Guide), so
 * the stack a previous migration created carries that migration's execution on its group for the
 * rest of its life. A claim holds while its execution may still act on the group; once the execution
 * has ended it is only history.
 *
 * Asking Step Functions, rather than removing the tag at the end of a run, keeps the check right for
 * the tags no run can remove: the stack-level tag CloudFormation propagates (and puts back on the
 * next stack update), and the claim of a run that was stopped or crashed before it could clean up.
 */
export interface ClaimStatus {
  /** The claim still holds: the other execution may be acting on the group. */
  held: boolean;
  /** The other execution's status as DescribeExecution reports it, or why it could not be read. */
  status: string;
}

/**
 * DescribeExecution statuses: RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE
 * (API_DescribeExecution). PENDING_REDRIVE is about to run again, so it still holds.
 */
const ENDED = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

/**
 * Reads the status of the execution a claim names. Ended, or gone (Step Functions keeps a closed
 * standard execution's history for 90 days, then DescribeExecution answers ExecutionDoesNotExist):
 * not held. A value that is not an execution ARN Step Functions accepts (InvalidArn), or an execution
 * of another account or Region we cannot read, proves nothing: held. Other errors are thrown, for the
 * state's retry. DescribeExecution is eventually consistent ("best effort"), which matters only for
 * executions started moments ago: no execution claims a group that soon after it starts (the lock and
 * the discovery come first).
 */
export async function claimStatus(sfn: SFNClient, executionArn: string): Promise<ClaimStatus> {
  try {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const status = out.status ?? 'UNKNOWN';
    return { held: !ENDED.has(status), status };
  } catch (err) {
    const name = (err as { name?: unknown } | undefined)?.name;
    if (name === 'ExecutionDoesNotExist') return { held: false, status: 'no longer exists' };
    if (name === 'InvalidArn' || name === 'AccessDeniedException') return { held: true, status: `unreadable (${name})` };
    throw err;
  }
}
