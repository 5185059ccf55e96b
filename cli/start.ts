/**
 * `env-migrator start`: builds the execution input from an --input file and flags (flags win),
 * validates it here with the same code as the workflow's first state (bad input never reaches AWS),
 * finds the Migrate state machine and starts it; with --wait, follows it to its end like `watch`.
 */
import { readFileSync } from 'node:fs';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { validateInput } from '../lambdas/validate-input/core';
import { InputInvalid } from '../lambdas/shared/errors';
import { parseExecutionArn, stateMachineRegion } from './arn';
import { EXIT, type ExitCode } from './exit-codes';
import { AwsCallFailed, type Io, awsCall, humanOf } from './io';
import { DEFAULT_MIGRATOR_STACK, STATE_MACHINE_ARN_ENV, STATE_MACHINE_OUTPUT, parseStateMachineArn } from './options';
import { CLI_OUTCOME, UsageError, awsFailure, finish, resultLine } from './result';
import { watchAndFinish } from './watch';

export { DEFAULT_MIGRATOR_STACK, STATE_MACHINE_ARN_ENV, STATE_MACHINE_OUTPUT };

/** A name Step Functions accepts (1–80 characters; letters, digits, '-' and '_' are always safe). */
export function defaultExecutionName(stackName: unknown, version: unknown, now: Date): string {
  const safe = (v: unknown) => String(v ?? '').replace(/[^A-Za-z0-9_-]+/g, '-');
  const time = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const suffix = `-${safe(version).slice(0, 40)}-${time}`;
  return `${safe(stackName).slice(0, 80 - suffix.length)}${suffix}`;
}

/** The AWS console page of an execution. */
export function consoleUrl(executionArn: string): string {
  const region = executionArn.split(':')[3] ?? 'us-east-1';
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/** What `start` was given, parsed (cli/program.ts). */
export interface StartOptions {
  stack?: string;
  targetVersion?: string;
  templateUrl?: string;
  parameter: string[];
  input?: string;
  name?: string;
  stateMachineArn?: string;
  migratorStack: string;
  wait: boolean;
  interval: number;
  json: boolean;
}

/** The input from the file, with the flags laid over it. Throws UsageError when the file cannot be used. */
export function buildInput(o: Pick<StartOptions, 'input' | 'stack' | 'targetVersion' | 'templateUrl' | 'parameter'>): Record<string, unknown> {
  let input: Record<string, unknown> = {};
  if (o.input !== undefined) {
    let text: string;
    try {
      text = readFileSync(o.input, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read --input ${o.input}: ${(err as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new UsageError(`--input ${o.input} is not JSON: ${(err as Error).message}`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError(`--input ${o.input} must hold one JSON object`);
    input = parsed as Record<string, unknown>;
  }
  if (o.stack !== undefined) input.stackName = o.stack;
  if (o.targetVersion !== undefined) input.targetVersion = o.targetVersion;
  if (o.templateUrl !== undefined) input.templateUrl = o.templateUrl;
  if (o.parameter.length) {
    const base = input.parameters;
    const parameters: Record<string, unknown> = base && typeof base === 'object' && !Array.isArray(base) ? { ...(base as Record<string, unknown>) } : {};
    for (const p of o.parameter) {
      const eq = p.indexOf('=');
      if (eq <= 0) throw new UsageError(`--parameter ${p}: expected Key=Value`);
      parameters[p.slice(0, eq)] = p.slice(eq + 1);
    }
    input.parameters = parameters;
  }
  return input;
}

/** The Migrate state machine's ARN: the flag, the variable, or the deployed migrator stack's output. */
async function stateMachineArnOf(io: Io, flag: string | undefined, migratorStack: string): Promise<string> {
  if (flag) return flag;
  const fromEnv = io.env[STATE_MACHINE_ARN_ENV];
  if (fromEnv) return fromEnv;
  const out = await awsCall('DescribeStacks', () => io.cloudformation().send(new DescribeStacksCommand({ StackName: migratorStack })));
  const arn = out.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === STATE_MACHINE_OUTPUT)?.OutputValue;
  if (!arn) {
    throw new AwsCallFailed('DescribeStacks', 'OutputNotFound', `stack ${migratorStack} has no output ${STATE_MACHINE_OUTPUT}; give --state-machine-arn or ${STATE_MACHINE_ARN_ENV}`);
  }
  return arn;
}

/**
 * `env-migrator start`: builds and checks the input, starts Migrate in the region its ARN names and,
 * with --wait, follows it. Exit code: 0 once started (without --wait) or the execution's; 3 for
 * rejected input, 6 when an AWS call fails. Throws UsageError for an unusable --input file or an
 * ill-formed ENV_MIGRATOR_STATE_MACHINE_ARN.
 */
export async function startCommand(io: Io, o: StartOptions): Promise<ExitCode> {
  const say = humanOf(io, o.json);
  const input = buildInput(o);
  // Configuration is checked like a flag: before any AWS call.
  const fromEnv = o.stateMachineArn ? undefined : io.env[STATE_MACHINE_ARN_ENV];
  if (fromEnv) {
    try {
      parseStateMachineArn(fromEnv);
    } catch (err) {
      throw new UsageError(`${STATE_MACHINE_ARN_ENV}: ${(err as Error).message}`);
    }
  }

  // The workflow's own first step, run here: the same schema, the same messages, no AWS call.
  const name = o.name ?? defaultExecutionName(input.stackName, input.targetVersion, new Date());
  try {
    validateInput({ input, execution: { id: `arn:aws:states:local:000000000000:execution:local:${name}`, name } });
  } catch (err) {
    if (!(err instanceof InputInvalid)) throw err;
    io.err('Input rejected, nothing was started:');
    for (const issue of err.issues) io.err(`  ${issue.field}: ${issue.problem}`);
    return finish(io, { status: 'NOT_STARTED', error: err.name, cause: err.message, issues: err.issues }, o.json);
  }

  let executionArn: string;
  try {
    const stateMachineArn = await stateMachineArnOf(io, o.stateMachineArn, o.migratorStack);
    const region = stateMachineRegion(stateMachineArn);
    const started = await awsCall('StartExecution', () => io.sfn(region).send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) })));
    executionArn = started.executionArn ?? '';
  } catch (err) {
    return awsFailure(io, err, o.json);
  }
  say(`Started ${executionArn}`);
  say(`Console: ${consoleUrl(executionArn)}`);
  const execution = parseExecutionArn(executionArn);
  if (!execution) {
    // Step Functions answered with something that is not an execution ARN: nothing to follow.
    return awsFailure(io, new AwsCallFailed('StartExecution', 'UnexpectedResponse', `not an execution ARN: ${executionArn}`), o.json);
  }
  if (o.wait) {
    say('');
    return watchAndFinish(io, execution, o.interval, o.json);
  }
  if (o.json) io.out(resultLine({ outcome: CLI_OUTCOME.STARTED, exitCode: EXIT.SUCCEEDED, survivor: null, error: null, executionArn, status: 'RUNNING' }));
  return EXIT.SUCCEEDED;
}
