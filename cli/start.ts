/**
 * `env-migrator start`: builds the execution input from an --input file and flags (flags win),
 * validates it here with the same code as the workflow's first state (bad input never reaches AWS),
 * finds the Migrate state machine and starts it; with --wait, follows it to its end like `watch`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { validateInput } from '../lambdas/validate-input/core';
import { InputInvalid } from '../lambdas/shared/errors';
import { EXIT, EXIT_CODE_HELP } from './exit-codes';
import { AwsCallFailed, type CliDeps, type Io, awsCall, awsFailure, finish, ioOf, parseCommandLine } from './status';
import { DEFAULT_POLL_SECONDS, pollSecondsOf, watchAndFinish } from './watch';

export const STATE_MACHINE_ARN_ENV = 'ENV_MIGRATOR_STATE_MACHINE_ARN';
export const DEFAULT_MIGRATOR_STACK = 'EnvMigrator';
/** The output of the deployed migrator stack that holds the Migrate state machine's ARN (infra/migrator-stack.ts). */
export const STATE_MACHINE_OUTPUT = 'MigrateStateMachineArn';

const USAGE = `Usage: env-migrator start --stack <name> --version <version> [options]

Starts a migration of a stack to a template version. The input is validated here first, with the same
rules as the workflow's first state: a bad field fails before any AWS call.

Input (flags override the same fields of --input):
  --stack <name>              the environment's CloudFormation stack (stackName)
  --version <version>         the target version (targetVersion)
  --template-url <url>        the new version's template in Amazon S3 (templateUrl); absent: the current template
  --parameter <Key=Value>     a parameter override (parameters), repeatable
  --input <file.json>         the whole execution input (see README "Execution input")

State machine (first found): --state-machine-arn <arn>, the ${STATE_MACHINE_ARN_ENV} variable, or the
output ${STATE_MACHINE_OUTPUT} of the deployed stack --migrator-stack <name> (default ${DEFAULT_MIGRATOR_STACK}).

Execution:
  --name <name>               execution name (default <stack>-<version>-<UTC time>); starting again with the
                              same name and input while it runs returns the same execution
  --wait                      follow the execution until it ends, like "watch", and exit with its outcome
                              (Ctrl-C stops watching, not the migration)
  --interval <seconds>        seconds between polls with --wait (default ${DEFAULT_POLL_SECONDS})
  --json                      print the result as one JSON object on the last line

AWS credentials and region come from the standard AWS SDK configuration (AWS_PROFILE, AWS_REGION...).

${EXIT_CODE_HELP}`;

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

type Options = {
  stack?: string;
  version?: string;
  'template-url'?: string;
  parameter?: string[];
  input?: string;
};

/** The input from the file, with the flags laid over it. Returns a usage problem as a string. */
function buildInput(o: Options): Record<string, unknown> | string {
  let input: Record<string, unknown> = {};
  if (o.input !== undefined) {
    let text: string;
    try {
      text = readFileSync(o.input, 'utf8');
    } catch (err) {
      return `Cannot read --input ${o.input}: ${(err as Error).message}`;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return `--input ${o.input} is not JSON: ${(err as Error).message}`;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return `--input ${o.input} must hold one JSON object`;
    input = parsed as Record<string, unknown>;
  }
  if (o.stack !== undefined) input.stackName = o.stack;
  if (o.version !== undefined) input.targetVersion = o.version;
  if (o['template-url'] !== undefined) input.templateUrl = o['template-url'];
  if (o.parameter?.length) {
    const base = input.parameters;
    const parameters: Record<string, unknown> = base && typeof base === 'object' && !Array.isArray(base) ? { ...(base as Record<string, unknown>) } : {};
    for (const p of o.parameter) {
      const eq = p.indexOf('=');
      if (eq <= 0) return `--parameter ${p}: expected Key=Value`;
      parameters[p.slice(0, eq)] = p.slice(eq + 1);
    }
    input.parameters = parameters;
  }
  return input;
}

/** The Migrate state machine's ARN: the flag, the variable, or the deployed migrator stack's output. */
async function stateMachineArnOf(io: Io, flag: string | undefined, migratorStack: string): Promise<string> {
  const explicit = flag ?? io.env[STATE_MACHINE_ARN_ENV];
  if (explicit) return explicit;
  const out = await awsCall('DescribeStacks', () => io.cloudformation().send(new DescribeStacksCommand({ StackName: migratorStack })));
  const arn = out.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === STATE_MACHINE_OUTPUT)?.OutputValue;
  if (!arn) {
    throw new AwsCallFailed('DescribeStacks', 'OutputNotFound', `stack ${migratorStack} has no output ${STATE_MACHINE_OUTPUT}; give --state-machine-arn or ${STATE_MACHINE_ARN_ENV}`);
  }
  return arn;
}

export async function startCommand(argv: string[], deps?: CliDeps): Promise<number> {
  const io = ioOf(deps);
  const args = parseCommandLine(io, USAGE, () =>
    parseArgs({
      args: argv,
      strict: true,
      options: {
        stack: { type: 'string' },
        version: { type: 'string' },
        'template-url': { type: 'string' },
        parameter: { type: 'string', multiple: true },
        input: { type: 'string' },
        name: { type: 'string' },
        'state-machine-arn': { type: 'string' },
        'migrator-stack': { type: 'string', default: DEFAULT_MIGRATOR_STACK },
        wait: { type: 'boolean', default: false },
        interval: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }),
  );
  if (!args) return EXIT.USAGE;
  const o = args.values;
  if (o.help) {
    io.out(USAGE);
    return EXIT.SUCCEEDED;
  }
  const pollSeconds = pollSecondsOf(o.interval);
  if (pollSeconds === undefined) {
    io.err(`--interval must be a number of seconds from 1 to 3600\n\n${USAGE}`);
    return EXIT.USAGE;
  }
  const input = buildInput(o);
  if (typeof input === 'string') {
    io.err(`${input}\n\n${USAGE}`);
    return EXIT.USAGE;
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
    const stateMachineArn = await stateMachineArnOf(io, o['state-machine-arn'], o['migrator-stack']);
    const started = await awsCall('StartExecution', () => io.sfn().send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) })));
    executionArn = started.executionArn ?? '';
  } catch (err) {
    return awsFailure(io, err, o.json);
  }
  io.out(`Started ${executionArn}`);
  io.out(`Console: ${consoleUrl(executionArn)}`);
  if (o.wait) {
    io.out('');
    return watchAndFinish(io, executionArn, pollSeconds, o.json);
  }
  if (o.json) io.out(JSON.stringify({ executionArn, status: 'RUNNING', exitCode: EXIT.SUCCEEDED }));
  return EXIT.SUCCEEDED;
}
