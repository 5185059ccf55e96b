/**
 * `env-migrator status <executionArn>`: one DescribeExecution, printed. Also the plumbing the
 * start and watch commands share: injectable clients and output, the summary every command ends
 * with (and its --json line), and how an AWS error of the CLI's own calls is reported.
 */
import { parseArgs } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DescribeExecutionCommand, type DescribeExecutionCommandOutput, type ExecutionStatus, SFNClient } from '@aws-sdk/client-sfn';
import { unwrapChildError } from '../lambdas/shared/child-error';
import type { MigrationOutput } from '../lambdas/shared/contracts';
import { summarizeCause } from '../local/progress';
import { EXIT, EXIT_CODE_HELP, type ExitCode, exitCodeFor } from './exit-codes';

/** What a command talks to. Tests inject clients (the SDK patched onto a simulated account) and writers. */
export interface CliDeps {
  sfn?: SFNClient;
  cloudformation?: CloudFormationClient;
  /** Standard output, one line per call. */
  out?: (line: string) => void;
  /** Standard error, one line per call. */
  err?: (line: string) => void;
  env?: Record<string, string | undefined>;
}

export interface Io {
  sfn: () => SFNClient;
  cloudformation: () => CloudFormationClient;
  out: (line: string) => void;
  err: (line: string) => void;
  env: Record<string, string | undefined>;
}

/** Fills in the defaults: clients on the standard AWS SDK configuration, created on first use. */
export function ioOf(deps: CliDeps = {}): Io {
  let sfn = deps.sfn;
  let cloudformation = deps.cloudformation;
  return {
    sfn: () => (sfn ??= new SFNClient({})),
    cloudformation: () => (cloudformation ??= new CloudFormationClient({})),
    out: deps.out ?? ((line) => process.stdout.write(`${line}\n`)),
    err: deps.err ?? ((line) => process.stderr.write(`${line}\n`)),
    env: deps.env ?? process.env,
  };
}

/** How every command ends; `--json` prints it as one JSON object on the last line of stdout. */
export interface ExecutionSummary {
  executionArn?: string;
  /** Step Functions' status; NOT_STARTED when the CLI stopped before StartExecution succeeded;
   *  UNKNOWN when a call about an existing execution failed. */
  status: ExecutionStatus | 'NOT_STARTED' | 'UNKNOWN';
  error?: string;
  cause?: string;
  /** The execution's output, parsed: a MigrationOutput when Migrate succeeded. */
  output?: unknown;
  /** The stack that holds the data, when known (watch reads it from the history; success names it in the output). */
  survivor?: string | null;
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

const label = (name: string) => name.padEnd(12);

/** Prints the summary for people, then (with --json) the machine-readable last line. Returns the exit code. */
export function finish(io: Io, summary: ExecutionSummary, json: boolean): ExitCode {
  const code =
    summary.status === 'NOT_STARTED' || summary.status === 'UNKNOWN' ? (summary.issues ? EXIT.INPUT_REJECTED : EXIT.AWS_ERROR) : exitCodeFor(summary.status, summary.error);
  if (summary.executionArn) io.out(`${label('execution')}${summary.executionArn}`);
  io.out(`${label('status')}${summary.status}${summary.error ? ` (${summary.error})` : ''}`);
  if (summary.cause) io.out(`${label('cause')}${summarizeCause(summary.cause, 2000)}`);
  if (summary.outcome) io.out(`${label('outcome')}${summary.outcome}`);
  if (summary.survivor !== undefined) io.out(`${label('data is in')}${summary.survivor ?? 'untouched: nothing was changed'}`);
  if (summary.status === 'ABORTED' || summary.status === 'TIMED_OUT') {
    // A stopped or timed-out execution runs no Catch: nothing was compensated and no notification was sent.
    io.out(`${label('note')}stopped without compensation or notification: check both stacks, and any instances left in standby`);
  }
  if (summary.startDate) io.out(`${label('started')}${summary.startDate}${summary.stopDate ? `, stopped ${summary.stopDate}` : ''}`);
  if (summary.output !== undefined) io.out(`${label('output')}${JSON.stringify(summary.output)}`);
  if (json) io.out(JSON.stringify({ ...summary, exitCode: code }));
  return code;
}

/** A failed AWS call of the CLI itself: a service error, missing credentials or region, the network,
 *  or an answer it cannot use (a stack without the expected output). Reported as exit 6, never as a bug. */
export class AwsCallFailed extends Error {
  override readonly name = 'AwsCallFailed';
  constructor(
    readonly operation: string,
    readonly errorName: string,
    message: string,
  ) {
    super(message);
  }
}

/** Runs one AWS call; whatever it throws becomes an AwsCallFailed naming the operation. */
export async function awsCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    throw new AwsCallFailed(operation, e.name, e.message);
  }
}

/** Reports a failed AWS call of the CLI itself (exit 6); anything else is a bug and is rethrown. */
export function awsFailure(io: Io, err: unknown, json: boolean, executionArn?: string): ExitCode {
  if (!(err instanceof AwsCallFailed)) throw err;
  io.err(`AWS error in ${err.operation}: ${err.errorName}: ${err.message}`);
  if (json) io.out(JSON.stringify({ executionArn, status: executionArn ? 'UNKNOWN' : 'NOT_STARTED', error: err.errorName, cause: err.message, exitCode: EXIT.AWS_ERROR }));
  return EXIT.AWS_ERROR;
}

/** parseArgs, with a usage error (exit 2) instead of an exception for a bad command line. */
export function parseCommandLine<T>(io: Io, usage: string, parse: () => T): T | undefined {
  try {
    return parse();
  } catch (err) {
    if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
      io.err(`${err.message}\n\n${usage}`);
      return undefined;
    }
    throw err;
  }
}

const USAGE = `Usage: env-migrator status <executionArn> [--json]

Prints the execution's status, error and cause, and its output when it succeeded.

${EXIT_CODE_HELP}`;

export async function statusCommand(argv: string[], deps?: CliDeps): Promise<number> {
  const io = ioOf(deps);
  const args = parseCommandLine(io, USAGE, () =>
    parseArgs({ args: argv, allowPositionals: true, strict: true, options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } } }),
  );
  if (!args) return EXIT.USAGE;
  if (args.values.help) {
    io.out(USAGE);
    return EXIT.SUCCEEDED;
  }
  const [executionArn, ...extra] = args.positionals;
  if (!executionArn || extra.length > 0) {
    io.err(`Give exactly one execution ARN.\n\n${USAGE}`);
    return EXIT.USAGE;
  }
  let described: DescribeExecutionCommandOutput;
  try {
    described = await awsCall('DescribeExecution', () => io.sfn().send(new DescribeExecutionCommand({ executionArn })));
  } catch (err) {
    return awsFailure(io, err, args.values.json, executionArn);
  }
  return finish(io, summaryOf(described), args.values.json);
}
