/**
 * Exit codes of `env-migrator start | watch | status`, the contract a pipeline gates on (the table is
 * in README "Run a migration"). One code per way an execution can end, so a job can tell "the
 * migration failed and alerted" from "nobody could even start it".
 */
import type { ExecutionStatus } from '@aws-sdk/client-sfn';

export const EXIT = {
  /** The execution succeeded. */
  SUCCEEDED: 0,
  /** The execution failed: the workflow compensated and notified (the error names why). */
  FAILED: 1,
  /** Bad command line: unknown command or option, missing argument or required option, bad value (a malformed ARN
   *  included), unreadable --input file. One line on stderr; under --json, a USAGE_ERROR result on stdout. */
  USAGE: 2,
  /** The input was rejected, locally before any AWS call or by the execution's first state (InputInvalid). */
  INPUT_REJECTED: 3,
  /** The execution ran past the state machine's timeout (Step Functions TIMED_OUT). */
  TIMED_OUT: 4,
  /** Someone stopped the execution (StopExecution, the console's Stop button): no compensation ran. */
  ABORTED: 5,
  /** One of the CLI's own AWS calls failed (credentials, permissions, no such state machine or execution). */
  AWS_ERROR: 6,
  /** `status` only: the execution is still running. */
  RUNNING: 8,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The error name the Migrate definition ends with when its first state rejects the input. */
export const INPUT_INVALID = 'InputInvalid';

/** The process's exit code for a bug of the CLI itself (an exception that is neither a usage nor an AWS
 *  error): its stack goes to stderr. 70 is EX_SOFTWARE of sysexits.h. */
export const EXIT_BUG = 70;

/** The exit code for an execution's status (DescribeExecution) and error name. */
export function exitCodeFor(status: ExecutionStatus | string | undefined, error?: string): ExitCode {
  switch (status) {
    case 'SUCCEEDED':
      return EXIT.SUCCEEDED;
    case 'FAILED':
      return error === INPUT_INVALID ? EXIT.INPUT_REJECTED : EXIT.FAILED;
    case 'TIMED_OUT':
      return EXIT.TIMED_OUT;
    case 'ABORTED':
      return EXIT.ABORTED;
    case 'RUNNING':
    case 'PENDING_REDRIVE':
      return EXIT.RUNNING;
    default:
      return EXIT.FAILED;
  }
}

/** The table printed by `--help` and reproduced in README. */
export const EXIT_CODE_HELP = `Exit codes:
  0  the execution succeeded
  1  the execution failed (the workflow compensated and sent a notification)
  2  usage error (unknown option, missing argument, bad value or ARN, unreadable --input file)
  3  input rejected (locally before any AWS call, or InputInvalid from the execution)
  4  the execution timed out
  5  the execution was aborted (stopped by someone; no compensation ran)
  6  AWS error in the CLI's own calls (credentials, permissions, unknown state machine or execution)
  8  still running (status only)`;
