/**
 * The whole product on this machine: the CDK app synthesized in-process, its state machines
 * registered with a simulated account's Step Functions, its Lambda steps loaded, its topic, lock
 * table and workflow bucket created, and the account installed behind the AWS SDK. Tests and the rehearsal start
 * executions through the SDK (StartExecution), exactly as a user or a pipeline would.
 */
import { RETIRE_SCHEDULE_GROUP_ENV, RETIRE_SCHEDULE_GROUP_NAME as RETIRE_SCHEDULE_GROUP } from '../lambdas/steps';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { LOCK_TABLE_ENV } from '../lambdas/shared/cancel-request';
import { WORKFLOW_BUCKET_ENV } from '../lambdas/shared/documents';
import { SimAccount } from './sim/account';
import type { TimingProfile } from './sim/core';
import { installSimulatedAccount } from './sim/install';
import type { SimExecution } from './sim/sfn';
import { type LocalDeployment, localDeployment } from './definitions';
import { LocalWorkflow, type ProgressEvent } from './executor';
import { createIntegrationClients } from './integrations';
import { LambdaInvoker } from './lambda-invoker';
import { synthesizeTemplate } from './synth';

/** The schedule group of the retire schedules, as the construct names it (one constant: lambdas/steps.ts). */
export { RETIRE_SCHEDULE_GROUP };

export interface HarnessOptions {
  timing?: TimingProfile;
  onEvent?: (event: ProgressEvent) => void;
}

export class LocalHarness {
  private uninstall: (() => void) | undefined;
  private readonly sfn = new SFNClient({});

  private constructor(
    readonly account: SimAccount,
    readonly deployment: LocalDeployment,
    readonly invoker: LambdaInvoker,
    readonly workflow: LocalWorkflow,
  ) {}

  /** Builds everything; call dispose() when done (it uninstalls the account from the SDK). */
  static async create(options: HarnessOptions = {}): Promise<LocalHarness> {
    // Step logs are for CloudWatch; locally the progress printer and the summary tell the story.
    process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
    const account = new SimAccount({ timing: options.timing });
    const deployment = localDeployment(await synthesizeTemplate(), account);
    // The construct gives the checksum job steps CHECKSUM_JOB_ROLE_ARN; read when their modules load.
    process.env.CHECKSUM_JOB_ROLE_ARN = deployment.checksumJobRoleArn;
    const invoker = new LambdaInvoker(deployment.timeouts, account.timing.lambdaColdStartMs, deployment.memorySizes);
    await invoker.load();
    const uninstall = installSimulatedAccount(account);
    const workflow = new LocalWorkflow(deployment, invoker, createIntegrationClients(), options.onEvent);
    account.sns.createTopic(deployment.topicArn.split(':').pop() ?? 'topic');
    account.dynamodb.createTable(deployment.lockTableName, 'stackName');
    // The construct gives every step WORKFLOW_BUCKET; here the steps run in this process.
    account.s3.createBucket(deployment.workflowBucketName);
    process.env[WORKFLOW_BUCKET_ENV] = deployment.workflowBucketName;
    // And the loop steps LOCK_TABLE, where they read cancel requests (CANCEL_CHECK_STEPS).
    process.env[LOCK_TABLE_ENV] = deployment.lockTableName;
    // And the blue/green steps the retire schedules' group (the construct's Scheduler group, `env-migrator`).
    account.scheduler.createScheduleGroup(RETIRE_SCHEDULE_GROUP);
    process.env[RETIRE_SCHEDULE_GROUP_ENV] = RETIRE_SCHEDULE_GROUP;
    // Every machine, Retire included: an execution the simulated Scheduler starts is run by the runner registered here.
    for (const machine of [deployment.migrate, deployment.clone, deployment.retire, deployment.rollback]) {
      account.sfn.registerStateMachine(machine.arn, machine.name, machine.definition, (execution) => workflow.run(machine, execution));
    }
    const harness = new LocalHarness(account, deployment, invoker, workflow);
    harness.uninstall = uninstall;
    return harness;
  }

  /** Starts a Migrate execution through the SDK, as the console or a pipeline would. */
  async startMigration(input: unknown, name = 'rehearsal'): Promise<string> {
    const out = await this.sfn.send(
      new StartExecutionCommand({ stateMachineArn: this.deployment.migrate.arn, name, input: typeof input === 'string' ? input : JSON.stringify(input) }),
    );
    if (!out.executionArn) throw new Error('StartExecution returned no executionArn');
    return out.executionArn;
  }

  execution(executionArn: string): SimExecution {
    const e = this.account.sfn.executions.get(executionArn);
    if (!e) throw new Error(`No execution ${executionArn}`);
    return e;
  }

  /** Waits for an execution (and anything it started) to end. */
  async finished(executionArn: string): Promise<SimExecution> {
    const e = this.execution(executionArn);
    await e.done;
    return e;
  }

  dispose(): void {
    this.uninstall?.();
    this.uninstall = undefined;
  }
}
