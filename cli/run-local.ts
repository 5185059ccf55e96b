/**
 * `env-migrator run-local`: runs the synthesized definitions on this machine through the local
 * executor, with every step's handler on the default AWS SDK configuration (credentials, region,
 * AWS_ENDPOINT_URL and the service-specific endpoint variables): a migration debugged step by step
 * against a real account or an AWS-compatible endpoint, without deploying the workflow. Wait states
 * really wait. Clone executions started by Migrate run locally too.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { WORKFLOW_BUCKET_ENV } from '../lambdas/shared/documents';
import { localDeployment } from '../local/definitions';
import { LocalWorkflow } from '../local/executor';
import { LambdaInvoker } from '../local/lambda-invoker';
import { progressPrinter, summarizeCause } from '../local/progress';
import { SimAccount } from '../local/sim/account';
import { ZERO_TIMING } from '../local/sim/core';
import { answerClientFrom } from '../local/sim/install';
import { synthesizeTemplate } from '../local/synth';

const USAGE = `Usage: npm run run-local -- --input <file.json> --topic-arn <sns topic arn> --lock-table <dynamodb table> --workflow-bucket <s3 bucket> [--clone] [--name <execution name>] [--json]

Runs the Migrate definition (or Clone with --clone) locally against the account of the default AWS SDK
configuration. Set AWS_REGION / AWS_PROFILE as usual; AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_<SERVICE> for
other endpoints; S3_FORCE_PATH_STYLE=true for S3-compatible endpoints that need path-style addressing.
The lock table needs a string partition key "stackName". The workflow bucket (the WorkflowBucketName output of a
deployed EnvMigrator, or any bucket you may write to) receives the run's documents under runs/<execution name>/;
the steps read it from WORKFLOW_BUCKET, which --workflow-bucket sets.`;

export async function runLocalCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      input: { type: 'string' },
      'topic-arn': { type: 'string' },
      'lock-table': { type: 'string' },
      'workflow-bucket': { type: 'string' },
      clone: { type: 'boolean', default: false },
      name: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const missing = (['input', 'topic-arn', 'lock-table', 'workflow-bucket'] as const).filter((k) => !values[k] && !(k === 'lock-table' && values.clone));
  if (missing.length > 0) {
    console.error(`Missing ${missing.map((m) => `--${m}`).join(', ')}.\n\n${USAGE}`);
    return 2;
  }
  const input = readFileSync(String(values.input), 'utf8');
  try {
    JSON.parse(input);
  } catch (err) {
    console.error(`--input ${values.input} is not JSON: ${(err as Error).message}`);
    return 2;
  }

  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  // A local stand-in for the Step Functions service: it only runs these two definitions.
  const local = new SimAccount({ timing: ZERO_TIMING, region });
  const deployment = localDeployment(await synthesizeTemplate(), local, {
    topicArn: values['topic-arn'],
    lockTableName: values['lock-table'],
    workflowBucketName: values['workflow-bucket'],
  });
  process.env[WORKFLOW_BUCKET_ENV] = deployment.workflowBucketName;
  const invoker = new LambdaInvoker(deployment.timeouts, 0);
  await invoker.load();
  const printer = progressPrinter((line) => console.log(line), 'Migrate');
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
  console.log('');
  console.log(`status              ${summary.status}${summary.error ? ` (${summary.error}: ${summarizeCause(summary.cause)})` : ''}`);
  console.log(`states executed     ${summary.statesExecuted}`);
  console.log(`Lambda invocations  ${summary.lambdaInvocations}`);
  if (summary.output) console.log(`output              ${JSON.stringify(summary.output)}`);
  if (values.json) console.log(JSON.stringify(summary));
  return summary.status === 'SUCCEEDED' ? 0 : 1;
}
