/**
 * How every env-migrator command ends: the JSON result that `--json` prints alone on standard output
 * (README "With the env-migrator command" documents it), the summary printed for people, and the
 * two ways a command ends before any execution is followed: a usage error (exit 2) and a failed AWS
 * call of the CLI itself (exit 6).
 */
import type { DescribeExecutionCommandOutput, ExecutionStatus } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { unwrapChildError } from '../lambdas/shared/child-error';
import type { MigrationOutput } from '../lambdas/shared/contracts';
import type { DowntimeSummary } from '../local/downtime';
import { summarizeCause } from '../local/progress';
import { EXIT, type ExitCode, exitCodeFor } from './exit-codes';
import { AwsCallFailed, type Io, humanOf } from './io';

/**
 * The one JSON result of `rehearse`, `start` (with or without `--wait`), `watch` and `status`, and of
 * a usage error under `--json`. Every key below is always present; each command adds its own fields
 * after them (`status`, `output`, `issues`... for the AWS commands, the rehearsal's figures for
 * `rehearse`), never changing these.
 */
export const cliResultSchema = z.looseObject({
  /**
   * Migrate's own outcome when the CLI saw it (SUCCEEDED, PRESERVED_AFTER_FIRST_CLONE_MISMATCH,
   * PRESERVED_AFTER_SECOND_CLONE_MISMATCH, FAILED_AND_COMPENSATED, REJECTED_INPUT, MIGRATION_IN_PROGRESS),
   * else the execution's Step Functions status (SUCCEEDED, FAILED, TIMED_OUT, ABORTED, RUNNING), else
   * what the CLI itself ended on: STARTED (start without --wait), REJECTED_INPUT (checked locally),
   * AWS_ERROR, USAGE_ERROR. `unlock`: LOCK_RELEASED, NO_LOCK_HELD, HOLDER_STILL_RUNNING, LOCK_CHANGED,
   * HOLDER_UNKNOWN (cli/unlock-core.ts), with `executionArn` the lock's holder.
   */
  outcome: z.string().min(1),
  /** The process's exit code (cli/exit-codes.ts). */
  exitCode: z.number().int().min(0).max(255),
  /** The stack that holds the data, when the CLI knows it; null when no stack is named. */
  survivor: z.string().nullable(),
  /** Why it did not succeed: the execution's error and cause (a Clone's own, unwrapped), or the CLI's. */
  error: z.object({ name: z.string().min(1), cause: z.string() }).nullable(),
  /** The Migrate execution, once there is one. */
  executionArn: z.string().nullable(),
});

export type CliResult = z.infer<typeof cliResultSchema>;

/** Outcomes the CLI reports itself, when no execution says otherwise. */
export const CLI_OUTCOME = {
  STARTED: 'STARTED',
  REJECTED_INPUT: 'REJECTED_INPUT',
  AWS_ERROR: 'AWS_ERROR',
  USAGE_ERROR: 'USAGE_ERROR',
} as const;

/** A bad command line found after parsing (a file that cannot be read, a value that contradicts
 *  another): reported like the parser's own errors, exit 2, one line, no stack. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The JSON line, with the schema's keys first so a reader sees the verdict before the details. */
export function resultLine(result: CliResult): string {
  const { outcome, exitCode, survivor, error, executionArn, ...rest } = result;
  return JSON.stringify({ outcome, exitCode, survivor, error, executionArn, ...rest });
}

/**
 * How a command that decides one verdict ends (cancel, unlock, recover): its line for people on
 * stdout when it succeeded, on stderr otherwise (`say` is silent under --json), then under --json
 * its result as the one line on stdout. Returns the exit code.
 */
export function endWith(
  io: Io,
  say: (line: string) => void,
  json: boolean,
  v: { line: string; exitCode: ExitCode },
  result: Pick<CliResult, 'outcome' | 'survivor' | 'error' | 'executionArn'> & Record<string, unknown>,
): ExitCode {
  (v.exitCode === EXIT.SUCCEEDED ? say : io.err)(v.line);
  if (json) io.out(resultLine({ ...result, exitCode: v.exitCode }));
  return v.exitCode;
}

/** Prints a usage error as one line on stderr and, under --json, its result on stdout. Returns 2. */
export function usageError(io: Io, line: string, cause: string, json: boolean): ExitCode {
  io.err(line);
  if (json) io.out(resultLine({ outcome: CLI_OUTCOME.USAGE_ERROR, exitCode: EXIT.USAGE, survivor: null, error: { name: 'UsageError', cause }, executionArn: null }));
  return EXIT.USAGE;
}

/** What the AWS commands know when they end, before it becomes a CliResult. */
export interface ExecutionSummary {
  executionArn?: string;
  /** Step Functions' status; NOT_STARTED when the CLI stopped before StartExecution succeeded;
   *  UNKNOWN when a call about an existing execution failed. */
  status: ExecutionStatus | 'NOT_STARTED' | 'UNKNOWN';
  error?: string;
  cause?: string;
  /** The execution's output, parsed: a MigrationOutput when Migrate succeeded. */
  output?: unknown;
  /** The stack that holds the data: a string when named, null when Migrate said nothing was touched,
   *  undefined when unknown (watch reads it from the history; success names it in the output). */
  survivor?: string | null;
  /** Standby to verified and where it went (watch, from the history); absent when there was no standby. */
  downtime?: DowntimeSummary;
  /** Migrate's outcome (SUCCEEDED, PRESERVED_AFTER_FIRST_CLONE_MISMATCH...), when watch saw it. */
  outcome?: string;
  /** Local input rejection: every bad field. */
  issues?: { field: string; problem: string }[];
  startDate?: string;
  stopDate?: string;
}

export function summaryOf(d: DescribeExecutionCommandOutput): ExecutionSummary {
  const output = parseJson(d.output);
  const stackName = (output as Partial<MigrationOutput> | undefined)?.stackName;
  // An execution that ended on a Clone's States.TaskFailed (its notification could not be composed) is
  // reported with the Clone's own error, as the notification would have named it.
  const given = d.error !== undefined ? { Error: d.error, Cause: d.cause ?? '' } : undefined;
  const found = given && unwrapChildError(given);
  const unwrapped = found !== undefined && found !== given;
  return {
    executionArn: d.executionArn,
    status: d.status ?? 'FAILED',
    error: unwrapped ? found.Error : d.error,
    cause: unwrapped ? found.Cause : d.cause,
    output,
    survivor: d.status === 'SUCCEEDED' && typeof stackName === 'string' ? stackName : undefined,
    startDate: d.startDate?.toISOString(),
    stopDate: d.stopDate?.toISOString(),
  };
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function exitCodeOfSummary(s: ExecutionSummary): ExitCode {
  if (s.status === 'NOT_STARTED' || s.status === 'UNKNOWN') return s.issues ? EXIT.INPUT_REJECTED : EXIT.AWS_ERROR;
  return exitCodeFor(s.status, s.error);
}

/** The summary as the shared JSON result. */
export function resultOf(s: ExecutionSummary, exitCode: ExitCode = exitCodeOfSummary(s)): CliResult {
  const outputOutcome = (s.output as { outcome?: unknown } | undefined)?.outcome;
  const outcome =
    s.outcome ??
    (s.status === 'SUCCEEDED' && typeof outputOutcome === 'string' ? outputOutcome : undefined) ??
    (s.status === 'NOT_STARTED' || s.status === 'UNKNOWN' ? (s.issues ? CLI_OUTCOME.REJECTED_INPUT : CLI_OUTCOME.AWS_ERROR) : s.status);
  const { executionArn, error, cause, survivor, outcome: _outcome, ...rest } = s;
  return { outcome, exitCode, survivor: survivor ?? null, error: error ? { name: error, cause: cause ?? '' } : null, executionArn: executionArn ?? null, ...rest };
}

const label = (name: string) => name.padEnd(12);

/** Prints the summary for people (stderr under --json), then with --json the result on stdout. Returns the exit code. */
export function finish(io: Io, summary: ExecutionSummary, json: boolean): ExitCode {
  const code = exitCodeOfSummary(summary);
  const say = humanOf(io, json);
  if (summary.executionArn) say(`${label('execution')}${summary.executionArn}`);
  say(`${label('status')}${summary.status}${summary.error ? ` (${summary.error})` : ''}`);
  if (summary.cause) say(`${label('cause')}${summarizeCause(summary.cause, 2000)}`);
  if (summary.outcome) say(`${label('outcome')}${summary.outcome}`);
  if (summary.survivor !== undefined) say(`${label('data is in')}${summary.survivor ?? 'untouched: nothing was changed'}`);
  if (summary.status === 'ABORTED' || summary.status === 'TIMED_OUT') {
    // A stopped or timed-out execution runs no Catch: nothing was compensated and no notification was sent.
    say(`${label('note')}stopped without compensation or notification: check both stacks, and any instances left in standby`);
  }
  if (summary.startDate) say(`${label('started')}${summary.startDate}${summary.stopDate ? `, stopped ${summary.stopDate}` : ''}`);
  if (summary.output !== undefined) say(`${label('output')}${JSON.stringify(summary.output)}`);
  if (json) io.out(resultLine(resultOf(summary, code)));
  return code;
}

/** Reports a failed AWS call of the CLI itself (exit 6); anything else is a bug and is rethrown. */
export function awsFailure(io: Io, err: unknown, json: boolean, executionArn?: string): ExitCode {
  if (!(err instanceof AwsCallFailed)) throw err;
  io.err(`AWS error in ${err.operation}: ${err.errorName}: ${err.message}`);
  if (json) {
    const summary: ExecutionSummary = { executionArn, status: executionArn ? 'UNKNOWN' : 'NOT_STARTED', error: err.errorName, cause: err.message };
    io.out(resultLine({ ...resultOf(summary, EXIT.AWS_ERROR), operation: err.operation }));
  }
  return EXIT.AWS_ERROR;
}
