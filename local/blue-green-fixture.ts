/**
 * The state a successful blue/green migration leaves (issue 11), set up in the simulated account with
 * the real steps and the real Clone machine, in the migration's order, for the Retire and Rollback
 * tests and rehearsals (they must not wait for Migrate's blue/green path): the sample environment as
 * slot A behind the entry point → A's instances in standby → Clone A → slot B at the target version
 * → both slots' statistics at the switch → the record switched to B (INSYNC) → the clone output and
 * the switch record written to the workflow bucket → the retire schedule created (schedule-retire).
 *
 * The "migration" is the Clone execution itself: its ARN is the execution every step is given, the
 * one that tags A's groups in standby and the switch record names (so rollback's standby-exit acts
 * as it, and standby-enter on B finds an execution that has ended).
 *
 * Call inside runOnSimulatedClock: the clone, the standby and the switch take simulated time.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type {
  CloneInput,
  CloneOutput,
  CompareStatisticsResult,
  EntryPointRef,
  EntryPointResult,
  ExecutionRef,
  RetireInput,
  ScheduleRetireResult,
  SlotEndpoint,
  StandbyRecord,
  StatusResult,
  SwitchEntryPointResult,
  SwitchRecord,
  SwitchStatusResult,
} from '../lambdas/shared/contracts';
import { MigrationInputSchema } from '../lambdas/shared/contracts';
import { putDocument, putJsonDocument, switchRecordKey, workflowBucket } from '../lambdas/shared/documents';
import { slotEndpoint } from '../lambdas/shared/entry-point';
import { executionArnOf, runIdOf } from '../lambdas/shared/naming';
import { describeStack } from '../lambdas/shared/stacks';
import type { StepName } from '../lambdas/steps';
import { retireScheduleName } from '../lambdas/schedule-retire/core';
import type { LocalHarness } from './harness';
import type { SlotRunFacts } from './invariants-blue-green';
import type { SimExecution } from './sim/sfn';
import { SAMPLE_STACK, SAMPLE_VERSION, type SampleSize, seedEntryPoint, seedSampleEnvironment, TARGET_VERSION, TEMPLATE_KEYS, TEST_SIZE, templateUrl } from './sample-environment';

/** The two slots of the sample: the sample environment adopts the scheme as slot A. */
export const BG_SLOTS: [string, string] = [SAMPLE_STACK, `${SAMPLE_STACK}-b`];
/** The role the retire schedules' target is started with (the construct's Scheduler role; IAM is not simulated). */
export const RETIRE_SCHEDULER_ROLE_ARN = 'arn:aws:iam::123456789012:role/env-migrator-retire-scheduler';

export interface SwitchedEnvironment {
  entryPoint: EntryPointRef;
  slots: [string, string];
  /** The migration (the Clone execution). */
  migration: ExecutionRef;
  runId: string;
  switchRecord: SwitchRecord;
  retireInput: RetireInput;
  scheduleName: string;
}

export interface FixtureOptions {
  size?: SampleSize;
  keepPreviousHours?: number;
  /** The entry point's record type (default an alias A record). */
  recordType?: 'alias' | 'cname';
  /** The migration's execution name (default `bg-switch`). */
  name?: string;
}

/** Sets up the account as a successful blue/green migration A → B leaves it; see the file comment. */
export async function switchedEnvironment(harness: LocalHarness, options: FixtureOptions = {}): Promise<SwitchedEnvironment> {
  const { account, deployment } = harness;
  const step = <T>(name: StepName, event: unknown) => harness.invoker.invoke(name, event) as Promise<T>;
  const cfn = new CloudFormationClient({});
  const s3 = new S3Client({});
  seedSampleEnvironment(account, options.size ?? TEST_SIZE);
  const entryPoint = seedEntryPoint(account, { recordType: options.recordType ?? 'alias' });
  const [a, b] = BG_SLOTS;
  const name = options.name ?? 'bg-switch';
  const migration: ExecutionRef = { id: executionArnOf(deployment.clone.arn, name), name };
  const runId = runIdOf(migration.id);
  const defaults = MigrationInputSchema.parse({ stackName: a, targetVersion: TARGET_VERSION });

  const entry = await step<EntryPointResult>('entry-point', { entryPoint, slots: BG_SLOTS, execution: migration });
  if (entry.liveSlot !== a) throw new Error(`the fixture's record points at ${entry.liveSlot}, not ${a}`);
  const previousStack = await describeStack(cfn, a);
  const groups = account.cloudformation.resourcesOf(a).filter((r) => r.type === 'AWS::AutoScaling::AutoScalingGroup').map((r) => ({ logicalId: r.logicalId, autoScalingGroupName: r.physicalId }));
  const standby = await step<StandbyRecord>('standby-enter', { autoScalingGroups: groups, execution: migration });
  await until<StatusResult>((wait) => step('standby-status', { standby, direction: 'ENTER', execution: migration, timeoutSeconds: defaults.waits.standbySeconds, ...(wait ? { wait } : {}) }));

  const cloneInput: CloneInput = {
    sourceStackName: a,
    destinationStackName: b,
    targetVersion: TARGET_VERSION,
    templateUrl: templateUrl(TEMPLATE_KEYS.target),
    parameters: { InstanceType: 't3.medium' },
    statistics: defaults.statistics,
    waits: defaults.waits,
    phase: 'c1',
    runId,
    execution: migration,
  };
  const started = await new SFNClient({}).send(new StartExecutionCommand({ stateMachineArn: deployment.clone.arn, name, input: JSON.stringify(cloneInput) }));
  const clone = await harness.finished(started.executionArn!);
  if (clone.status !== 'SUCCEEDED') throw new Error(`the fixture's clone ${clone.status}: ${clone.error} ${clone.cause}`);
  const cloneOutput = JSON.parse(clone.output ?? '{}') as CloneOutput;
  if (cloneOutput.outcome !== 'EQUAL') throw new Error(`the fixture's clone differs: ${cloneOutput.statistics.summary}`);

  const atSwitch = await step<CompareStatisticsResult>('compare-statistics', { sourceStackName: a, destinationStackName: b, statistics: defaults.statistics, execution: migration });
  const liveStack = await describeStack(cfn, b);
  const liveEndpoint = slotEndpoint(liveStack!) as SlotEndpoint;
  const switched = await step<SwitchEntryPointResult>('switch-entry-point', {
    entryPoint,
    record: entry.record,
    target: liveEndpoint,
    execution: migration,
    comment: `env-migrator ${runId}: ${a} → ${b}`,
  });
  await until<SwitchStatusResult>((wait) => step('switch-status', { changeId: switched.changeId, submittedAt: switched.submittedAt, execution: migration, timeoutSeconds: 600, ...(wait ? { wait } : {}) }));

  const switchedAt = new Date(account.now());
  const cloneDocument = await putJsonDocument(s3, migration, ['clone-output.json'], cloneOutput);
  const previous = { stackName: a, stackId: previousStack!.StackId! };
  const live = { stackName: b, stackId: liveStack!.StackId! };
  const retireAt = new Date(switchedAt.getTime() + (options.keepPreviousHours ?? 24) * 3600_000);
  const retireInput: RetireInput = { runId, entryPoint, slots: BG_SLOTS, previous, live, cloneOutput: cloneDocument, retireAt: `${retireAt.toISOString().slice(0, 19)}Z` };
  const schedule = await step<ScheduleRetireResult>('schedule-retire', {
    runId,
    at: retireAt.toISOString().slice(0, 19) + 'Z',
    targetArn: deployment.retire.arn,
    roleArn: RETIRE_SCHEDULER_ROLE_ARN,
    input: retireInput,
    execution: migration,
  });
  const switchRecord: SwitchRecord = {
    runId,
    executionArn: migration.id,
    entryPoint,
    switchedAt: switchedAt.toISOString(),
    retireAt: schedule.at,
    scheduleName: retireScheduleName(runId),
    record: switched.record,
    live: { ...live, endpoint: liveEndpoint, version: TARGET_VERSION, statistics: atSwitch.destination },
    previous: { ...previous, endpoint: entry.liveEndpoint, version: SAMPLE_VERSION, statistics: atSwitch.source, standby },
    checks: { statistics: defaults.statistics, smokeTest: { outputKey: 'ServiceUrl', path: '/health', expectedStatus: 200, timeoutSeconds: 5 } },
  };
  await putDocument(s3, workflowBucket(), switchRecordKey(entryPoint), JSON.stringify(switchRecord));
  return { entryPoint, slots: BG_SLOTS, migration, runId, switchRecord, retireInput, scheduleName: switchRecord.scheduleName };
}

/**
 * What the blue/green invariant checks (checkRetireInvariants, checkRollbackInvariants) need of one
 * Retire or Rollback run on a switch: the run, the switch as the migration recorded it, the slots, and
 * where the harness keeps its locks and notifications (those before the run are not its own).
 */
export function slotRunFacts(
  harness: LocalHarness,
  env: Pick<SwitchedEnvironment, 'switchRecord' | 'slots'>,
  execution: SimExecution,
  notificationsBefore: number,
): SlotRunFacts {
  return { execution, switchRecord: env.switchRecord, slots: env.slots, lockTable: harness.deployment.lockTableName, topicArn: harness.deployment.topicArn, notificationsBefore };
}

/** Calls a status step until READY, sleeping (on the simulated clock) the delay it asks for. */
async function until<T extends { status: string; wait: { nextDelaySeconds: number } }>(check: (wait?: T['wait']) => Promise<T>): Promise<T> {
  let result = await check();
  while (result.status !== 'READY') {
    await new Promise((resolve) => setTimeout(resolve, result.wait.nextDelaySeconds * 1000));
    result = await check(result.wait);
  }
  return result;
}
