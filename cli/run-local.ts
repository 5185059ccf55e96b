/**
 * `env-migrator run-local`: runs the synthesized definitions on this machine through the local
 * executor, with every step's handler on the default AWS SDK configuration (credentials, region,
 * AWS_ENDPOINT_URL and the service-specific endpoint variables): a migration debugged step by step
 * against a real account or an AWS-compatible endpoint, without deploying the workflow. Wait states
 * really wait. Clone executions started by Migrate run locally too.
 */
import { readFileSync } from 'node:fs';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { LOCK_TABLE_ENV } from '../lambdas/shared/cancel-request';
import { WORKFLOW_BUCKET_ENV } from '../lambdas/shared/documents';
import { localDeployment } from '../local/definitions';
import { LocalWorkflow } from '../local/executor';
import { LambdaInvoker } from '../local/lambda-invoker';
import { progressPrinter, summarizeCause } from '../local/progress';
import { SimAccount } from '../local/sim/account';
import { ZERO_TIMING } from '../local/sim/core';
import { answerClientFrom } from '../local/sim/install';
import { synthesizeTemplate } from '../local/synth';
import { EXIT, type ExitCode } from './exit-codes';
import { type Io, humanOf } from './io';
import { UsageError } from './result';

export interface RunLocalOptions {
  input: string;
  topicArn: string;
  /** Not needed by Clone alone. */
  lockTable?: string;
  workflowBucket: string;
  clone: boolean;
  name?: string;
  json: boolean;
}

/**
 * Runs Migrate (or Clone) through the local executor against the account of the default AWS SDK
 * configuration. Exit code 0 only when the execution succeeded. Throws UsageError for an --input
 * file that cannot be read or is not JSON.
 */
export async function runLocalCommand(io: Io, values: RunLocalOptions): Promise<ExitCode> {
  let input: string;
  try {
    input = readFileSync(values.input, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --input ${values.input}: ${(err as Error).message}`);
  }
  try {
    JSON.parse(input);
  } catch (err) {
    throw new UsageError(`--input ${values.input} is not JSON: ${(err as Error).message}`);
  }
  const write = humanOf(io, values.json);

  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  // A local stand-in for the Step Functions service: it only runs these two definitions.
  const local = new SimAccount({ timing: ZERO_TIMING, region });
  const deployment = localDeployment(await synthesizeTemplate(), local, {
    topicArn: values.topicArn,
    lockTableName: values.lockTable,
    workflowBucketName: values.workflowBucket,
  });
  process.env[WORKFLOW_BUCKET_ENV] = deployment.workflowBucketName;
  // The loop steps read cancel requests from the lock table, as the construct configures them.
  process.env[LOCK_TABLE_ENV] = deployment.lockTableName;
  const invoker = new LambdaInvoker(deployment.timeouts, 0);
  await invoker.load();
  const printer = progressPrinter(write, 'Migrate');
  const sfn = answerClientFrom(new SFNClient({ region }), local);
  const workflow = new LocalWorkflow(deployment, invoker, { sns: new SNSClient({}), dynamodb: new DynamoDBClient({}), sfn }, (e) =>
    printer({ ...e, machine: e.machine.startsWith(values.clone ? 'Clone' : 'Migrate') ? 'Migrate' : 'Clone' }),
  );
  for (const machine of [deployment.migrate, deployment.clone]) {
    local.sfn.registerStateMachine(machine.arn, machine.name, machine.definition, (execution) => workflow.run(machine, execution));
  }
  const target = values.clone ? deployment.clone : deployment.migrate;
  const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: target.arn, name: values.name ?? `run-local-${Date.now()}`, input }));
  await local.sfn.executions.get(started.executionArn ?? '')?.done;
  const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
  const summary = {
    executionArn: described.executionArn,
    status: described.status,
    error: described.error,
    cause: described.cause,
    output: described.output ? (JSON.parse(described.output) as unknown) : undefined,
    lambdaInvocations: invoker.stats.invocations,
    statesExecuted: printer.statesExecuted(),
  };
  write('');
  write(`status              ${summary.status}${summary.error ? ` (${summary.error}: ${summarizeCause(summary.cause)})` : ''}`);
  write(`states executed     ${summary.statesExecuted}`);
  write(`Lambda invocations  ${summary.lambdaInvocations}`);
  if (summary.output) write(`output              ${JSON.stringify(summary.output)}`);
  if (values.json) io.out(JSON.stringify(summary));
  return summary.status === 'SUCCEEDED' ? EXIT.SUCCEEDED : EXIT.FAILED;
}
