/**
 * Migrate's blue/green path (strategy `blue-green`, docs/design.md "Strategies"): two slot stacks
 * behind one Route 53 record; the run clones the live slot into the idle one at the target version,
 * verifies it, switches the record and keeps the previous slot in standby as the rollback point until
 * the retire run (scheduled here) deletes it.
 *
 *   validate → lock the record and both slots → read the entry point (stackName must be the live
 *   slot, the idle slot must be free) → [discover → count → standby: the double clone's states]
 *   → Clone(live → idle slot, target version) → identical? → record the switch → switch the record
 *   → INSYNC → smoke test through the record → schedule the retire run → [unlock → notify → report]
 *
 * Before the switch every failure goes to Migrate's phase A (the run's copy, named by `tempStackName`,
 * is the idle slot: deleted only when this execution created it; the live slot back in service) and a
 * differing copy to its first PRESERVE & ALERT. After the switch (the switch failed in a way that may
 * have written, INSYNC or the smoke test through the record timed out, a cancel request), the record
 * is switched back, the previous slot returns to service and the new slot is kept for inspection.
 *
 * State layout beyond Migrate's: `blueGreen` (validate-input: idle slot, record lock key, record host),
 * `entry` (EntryPointResult), `switchPlan` (RecordSwitchResult), `switch`, `switchStatus`, `probe`,
 * `retire` (ScheduleRetireResult); `clone1` holds the clone into the idle slot.
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import {
  type BlueGreenFacts,
  type CloseSwitchRecordEvent,
  type DiscoverEvent,
  type EntryPointEvent,
  type MigrationOutput,
  type MigrationStatistics,
  type ProbeEntryPointEvent,
  type RecordSwitchEvent,
  type RetireInput,
  type ScheduleRetireEvent,
  type StandbyEnterEvent,
  type SwitchEntryPointEvent,
  LOCK_TAKE_CONDITION,
} from '../lambdas/shared/contracts';
import { MIGRATION_TIMEOUT_SECONDS } from '../lambdas/steps';
import { SERVED_STATE, SWITCHED_STATE } from './downtime-states';
import { catchInto, copyIfPresent, EXECUTION, eventOf, type Fields, lambdaStep, LOCK_CONDITION_NAMES, lockNow, noteFailure, recordChangeWait, serviceRetry, waitLoop } from './building-blocks';
import {
  cancelInto,
  cloneTask,
  failedNotice,
  type MigrateDefinitionProps,
  notice,
  obeyInto,
  SERVICE_TASK_TIMEOUT,
  startCompensation,
  undoStandby,
  cloneRequest,
  liveSyncFinish,
} from './migrate';

/** The state that switches the entry point (named in notifications and by the fault matrix). */
export const SWITCH_STATE = 'Switch the entry point';
/** The clone into the idle slot: `<runId>-c1`, so phase A's "Stop the first clone" stops it too. */
export const BLUE_GREEN_CLONE_STATE = 'Clone the live slot into the idle slot';

/**
 * The Task states only a blue/green run enters (the double clone's routes never do): the fault
 * matrix of the double clone leaves them out; the blue/green rows are issue 11's next part.
 */
export const BLUE_GREEN_TASK_STATES: readonly string[] = [
  'Lock the entry point and both slots',
  'Read the entry point',
  BLUE_GREEN_CLONE_STATE,
  'Record the switch',
  SWITCH_STATE,
  'Check the switch',
  'Check the switch again',
  SWITCHED_STATE,
  `${SWITCHED_STATE} again`,
  SERVED_STATE,
  'Switch the entry point back',
  'Check the switch back',
  'Check the switch back again',
  'Mark the switch rolled back',
  'Mark the switch not made',
  'Return the previous slot to service',
  'Check the previous slot returning',
  'Check the previous slot returning again',
  "Find the new slot's groups",
  'Put the new slot in standby',
  "Release the idle slot's lock",
  "Release the entry point's lock",
];

/** Is this a blue/green run? validate-input sets `$.blueGreen` only for strategy blue-green. */
export const IS_BLUE_GREEN = sfn.Condition.isPresent('$.blueGreen');

/** The transaction's error, as an SDK integration names it ("<ServiceName>.<ErrorName>", PascalCase) and as the optimized one would. */
const TRANSACTION_CANCELED = ['DynamoDb.TransactionCanceledException', 'DynamoDB.TransactionCanceledException'];

/** SDK integrations name errors `DynamoDb.*`; serviceRetry lists the optimized integration's `DynamoDB.*`: both are retried. */
function dynamoRetry(): sfn.RetryProps {
  const retry = serviceRetry('DynamoDB');
  return { ...retry, errors: [...retry.errors!, ...retry.errors!.filter((e) => e.startsWith('DynamoDB.')).map((e) => e.replace(/^DynamoDB\./, 'DynamoDb.'))] };
}

// ---------------------------------------------------------------------------------------------
// Before the shared discovery: the lock and the entry point
// ---------------------------------------------------------------------------------------------

export interface BlueGreenStartTargets {
  /** The double clone's discovery of `$.input.stackName` (then its count and standby). */
  discover: sfn.IChainable;
  /** Migrate's phase A: nothing of the environment touched yet, or only the run's own copy. */
  phaseA: sfn.IChainable;
  /** The shared ending (unlock, notify, end). */
  tail: sfn.IChainable;
}

/**
 * The start of the blue/green path: lock the entry point's record and both slots in one transaction
 * (so a double clone of either slot, which locks its stack name, and another blue/green run of the
 * record exclude this one and each other), then read the record: the stack named must be the slot it
 * points at (a stale pipeline is refused), and the idle slot must not exist (a previous slot not yet
 * retired, or a stack of another origin, is refused: this run would never overwrite it).
 */
export function blueGreenStart(scope: Construct, props: MigrateDefinitionProps, targets: BlueGreenStartTargets): sfn.IChainable {
  const refused = (state: string, error: string, cause: string) => {
    const note = noteFailure(scope, state, targets.phaseA);
    const pass = sfn.Pass.jsonPath(scope, `Refuse: ${state}`, { parameters: { Error: error, Cause: cause }, resultPath: '$.error' });
    pass.next(note);
    return pass;
  };
  const idleFree = sfn.Choice.jsonPath(scope, 'Is the idle slot free?')
    .when(
      sfn.Condition.booleanEquals('$.entry.idleExists', true),
      refused(
        'Is the idle slot free?',
        'IdleSlotOccupied',
        sfn.JsonPath.format(
          'the idle slot {} exists ({}): a previous slot not yet retired (its retire run deletes it at the retireAt of the switch record of {}) or a stack of another origin; this run never writes over it: migrate again once it is gone',
          sfn.JsonPath.stringAt('$.entry.idleSlot'),
          sfn.JsonPath.stringAt('$.entry.idleStackStatus'),
          sfn.JsonPath.stringAt('$.input.entryPoint.recordName'),
        ),
      ),
    )
    .otherwise(targets.discover);
  // Nothing touched, and the data is in the slot the record points at, not in the one the input names.
  const stale = sfn.Pass.jsonPath(scope, 'Refuse: Is the stack the live slot?', {
    parameters: notice('FAILED_AND_COMPENSATED', {
      survivor: sfn.JsonPath.stringAt('$.entry.liveSlot'),
      failedState: 'Is the stack the live slot?',
      error: {
        Error: 'NotTheLiveSlot',
        Cause: sfn.JsonPath.format(
          'the entry point {} points at {}, not at {}: the input names the idle slot (a stale pipeline?); nothing was touched',
          sfn.JsonPath.stringAt('$.input.entryPoint.recordName'),
          sfn.JsonPath.stringAt('$.entry.liveSlot'),
          sfn.JsonPath.stringAt('$.input.stackName'),
        ),
      },
    }),
    resultPath: '$.notice',
  });
  stale.next(targets.tail);
  const live = sfn.Choice.jsonPath(scope, 'Is the stack the live slot?')
    .when(sfn.Condition.stringEqualsJsonPath('$.entry.liveSlot', '$.input.stackName'), idleFree)
    .otherwise(stale);
  const read = lambdaStep(scope, 'Read the entry point', props.fns, 'entry-point', {
    payload: eventOf<EntryPointEvent>({
      entryPoint: sfn.JsonPath.objectAt('$.input.entryPoint'),
      slots: sfn.JsonPath.listAt('$.input.slots'),
      execution: EXECUTION,
    }),
    resultPath: '$.entry',
  });
  read.next(live);
  catchInto([read], noteFailure(scope, 'Read the entry point', targets.phaseA));

  const lock = lockRecordAndSlots(scope, props, targets);
  lock.next(read);
  return lock;
}

/**
 * One TransactWriteItems of three conditional puts of the lock item (the live slot's name, the idle
 * slot's, the record's key), each on Migrate's own condition (none, ours, or expired): all three are
 * taken or none (DynamoDB API reference, TransactWriteItems: "either all of them succeed, or all of
 * them fail"). Permissions are those of PutItem ("Using IAM with DynamoDB transactions"). A cancelled
 * transaction ends as MIGRATION_IN_PROGRESS, touching no lock; the shared ending releases all three.
 */
function lockRecordAndSlots(scope: Construct, props: MigrateDefinitionProps, targets: BlueGreenStartTargets): tasks.CallAwsService {
  const now = lockNow(MIGRATION_TIMEOUT_SECONDS);
  // The transaction's Put takes plain attribute values: takeLock's item, written out.
  const put = (keyPath: string) => ({
    Put: {
      TableName: props.lockTable.tableName,
      Item: {
        stackName: { S: sfn.JsonPath.stringAt(keyPath) },
        owner: { S: sfn.JsonPath.stringAt('$.execution.id') },
        startedAt: { S: sfn.JsonPath.stringAt('$$.Execution.StartTime') },
        targetVersion: { S: sfn.JsonPath.stringAt('$.input.targetVersion') },
        expiresAt: { N: sfn.JsonPath.format('{}', sfn.JsonPath.stringAt('$.lockExpiresAt')) },
      },
      ConditionExpression: LOCK_TAKE_CONDITION,
      ExpressionAttributeNames: LOCK_CONDITION_NAMES,
      ExpressionAttributeValues: { ':me': { S: sfn.JsonPath.stringAt('$.execution.id') }, ':now': { N: now } },
    },
  });
  const lock = tasks.CallAwsService.jsonPath(scope, 'Lock the entry point and both slots', {
    service: 'dynamodb',
    action: 'transactWriteItems',
    iamAction: 'dynamodb:PutItem',
    iamResources: [props.lockTable.tableArn],
    parameters: { TransactItems: [put('$.input.stackName'), put('$.blueGreen.idleSlot'), put('$.blueGreen.recordLockKey')] },
    resultPath: sfn.JsonPath.DISCARD,
    taskTimeout: SERVICE_TASK_TIMEOUT,
  });
  lock.addRetry(dynamoRetry());
  const inProgress = sfn.Pass.jsonPath(scope, 'Name the lock conflict of the entry point', {
    parameters: notice('MIGRATION_IN_PROGRESS', {
      survivor: sfn.JsonPath.stringAt('$.input.stackName'),
      failedState: 'Lock the entry point and both slots',
      error: {
        Error: 'MigrationInProgress',
        Cause: sfn.JsonPath.format(
          'the entry point {} or one of its slots ({}, {}) is locked by another migration (a double clone of a slot, or a blue/green run of the record): start again once it has ended ({})',
          sfn.JsonPath.stringAt('$.input.entryPoint.recordName'),
          sfn.JsonPath.stringAt('$.input.stackName'),
          sfn.JsonPath.stringAt('$.blueGreen.idleSlot'),
          sfn.JsonPath.stringAt('$.lockConflict.Cause'),
        ),
      },
    }),
    resultPath: '$.notice',
  });
  inProgress.next(targets.tail);
  lock.addCatch(inProgress, { errors: TRANSACTION_CANCELED, resultPath: '$.lockConflict' });
  catchInto([lock], noteFailure(scope, 'Lock the entry point and both slots', targets.phaseA));
  return lock;
}

// ---------------------------------------------------------------------------------------------
// After the shared standby: clone, switch, verify through the record
// ---------------------------------------------------------------------------------------------

export interface BlueGreenSwitchTargets {
  phaseA: sfn.IChainable;
  /** Migrate's PRESERVE & ALERT after a differing first clone: deletes `tempStackName` (the idle slot), returns the live slot to service. */
  mismatch: sfn.IChainable;
  tail: sfn.IChainable;
}

/** From the standby of the live slot to the report of the switch: the clone into the idle slot and everything after. */
export function blueGreenSwitch(scope: Construct, props: MigrateDefinitionProps, targets: BlueGreenSwitchTargets): { start: sfn.IChainable; live: sfn.IChainable } {
  const { fns } = props;
  const afterSwitch = switchBack(scope, props, targets.tail);
  const success = reportSwitch(scope, targets.tail);
  const leftover = sfn.Pass.jsonPath(scope, 'Report the unscheduled retire', {
    parameters: notice('FAILED_AND_COMPENSATED', {
      stackName: sfn.JsonPath.stringAt('$.blueGreen.idleSlot'),
      survivor: sfn.JsonPath.stringAt('$.blueGreen.idleSlot'),
      failedState: SERVED_STATE,
      error: sfn.JsonPath.objectAt('$.retireError'),
      leftToDo: sfn.JsonPath.array(
        sfn.JsonPath.format(
          'the switch succeeded ({} serves through {}) but the retire run of the previous slot {} could not be scheduled: it stays in standby as the rollback point (env-migrator rollback --environment {}) until you delete it by hand',
          sfn.JsonPath.stringAt('$.blueGreen.idleSlot'),
          sfn.JsonPath.stringAt('$.input.entryPoint.recordName'),
          sfn.JsonPath.stringAt('$.input.stackName'),
          sfn.JsonPath.stringAt('$.input.entryPoint.recordName'),
        ),
        sfn.JsonPath.format(
          'keep the DB snapshots {}* while {} references them (its <LogicalId>SnapshotIdentifier parameters: CloudFormation restores a replaced database from them)',
          sfn.JsonPath.format('em-{}-', sfn.JsonPath.stringAt('$.runId')),
          sfn.JsonPath.stringAt('$.blueGreen.idleSlot'),
        ),
      ),
    }),
    resultPath: '$.notice',
  });
  leftover.next(targets.tail);

  // Schedule the retire run: the new slot serves, verified through the record; a failure here loses no data.
  const schedule = lambdaStep(scope, SERVED_STATE, fns, 'schedule-retire', {
    payload: eventOf<ScheduleRetireEvent>({
      runId: sfn.JsonPath.stringAt('$.runId'),
      at: sfn.JsonPath.stringAt('$.switchPlan.retireAt'),
      targetArn: props.retire?.stateMachineArn ?? 'unconfigured: deploy with entryPoints',
      roleArn: props.retire?.schedulerRoleArn ?? 'unconfigured: deploy with entryPoints',
      input: {
        runId: sfn.JsonPath.stringAt('$.runId'),
        entryPoint: sfn.JsonPath.objectAt('$.input.entryPoint'),
        slots: sfn.JsonPath.listAt('$.input.slots'),
        previous: { stackName: sfn.JsonPath.stringAt('$.input.stackName'), stackId: sfn.JsonPath.stringAt('$.current.stackId') },
        live: { stackName: sfn.JsonPath.stringAt('$.blueGreen.idleSlot'), stackId: sfn.JsonPath.stringAt('$.clone1.output.destinationStackId') },
        cloneOutput: sfn.JsonPath.objectAt('$.switchPlan.cloneOutput'),
        // The retire run refuses to start before it (a schedule fired early, or a run started by hand).
        retireAt: sfn.JsonPath.stringAt('$.switchPlan.retireAt'),
      } satisfies Fields<RetireInput>,
      execution: EXECUTION,
    }),
    resultPath: '$.retire',
  });
  schedule.next(success);
  schedule.addCatch(leftover, { errors: [sfn.Errors.ALL], resultPath: '$.retireError' });

  const probeNote = noteFailure(scope, SWITCHED_STATE, afterSwitch);
  const probe = waitLoop<ProbeEntryPointEvent>(scope, fns, {
    check: SWITCHED_STATE,
    ready: 'Does the new slot answer through the entry point?',
    wait: 'Wait for the new slot behind the entry point',
    step: 'probe-entry-point',
    // The step Rollback probes with too: only the expected stack's answer through the record counts.
    payload: {
      entryPoint: sfn.JsonPath.objectAt('$.input.entryPoint'),
      expected: { stackName: sfn.JsonPath.stringAt('$.blueGreen.idleSlot'), stackId: sfn.JsonPath.stringAt('$.clone1.output.destinationStackId') },
      statistics: sfn.JsonPath.objectAt('$.input.statistics'),
      execution: EXECUTION,
    },
    timeoutPath: '$.input.waits.smokeTestSeconds',
    resultPath: '$.probe',
    next: schedule,
    cancellation: obeyInto(scope, SWITCHED_STATE, probeNote),
  });
  catchInto(probe.checks, probeNote);

  const insyncNote = noteFailure(scope, 'Check the switch', afterSwitch);
  const insync = recordChangeWait(scope, fns, {
    back: false,
    changePath: '$.switch',
    timeoutPath: '$.input.waits.smokeTestSeconds',
    resultPath: '$.switchStatus',
    next: probe.start,
    cancellation: obeyInto(scope, 'Check the switch', insyncNote),
  });
  catchInto(insync.checks, insyncNote);

  const doSwitch = lambdaStep(scope, SWITCH_STATE, fns, 'switch-entry-point', {
    payload: eventOf<SwitchEntryPointEvent>({
      entryPoint: sfn.JsonPath.objectAt('$.input.entryPoint'),
      record: sfn.JsonPath.objectAt('$.entry.record'),
      target: sfn.JsonPath.objectAt('$.switchPlan.target'),
      execution: EXECUTION,
      comment: sfn.JsonPath.format('env-migrator {}: {} -> {}', sfn.JsonPath.stringAt('$.runId'), sfn.JsonPath.stringAt('$.input.stackName'), sfn.JsonPath.stringAt('$.blueGreen.idleSlot')),
    }),
    resultPath: '$.switch',
  });
  doSwitch.next(insync.start);
  // The step's own refusals write nothing (the record changed since it was read, or Route 53 refused
  // the new record): the switch did not happen, phase A undoes the run. Any other failure may follow
  // a batch Route 53 applied (an answer lost): switch back, which changes nothing if it did not.
  // The switch record is written already: marked rolled back (close-switch-record), it no longer
  // claims a switch that did not happen, and `env-migrator rollback` refuses it. A failure to mark it
  // is kept aside (Rollback also refuses while the record points elsewhere); phase A goes on either way.
  const refusedNote = noteFailure(scope, `${SWITCH_STATE} (refused)`, targets.phaseA);
  const unmade = lambdaStep(scope, 'Mark the switch not made', fns, 'close-switch-record', {
    payload: eventOf<CloseSwitchRecordEvent>({ entryPoint: sfn.JsonPath.objectAt('$.input.entryPoint'), runId: sfn.JsonPath.stringAt('$.runId'), discardedWrites: false, execution: EXECUTION }),
    resultPath: '$.closedSwitch',
  });
  unmade.next(refusedNote);
  unmade.addCatch(refusedNote, { errors: [sfn.Errors.ALL], resultPath: '$.closeSwitchError' });
  doSwitch.addCatch(unmade, { errors: ['EntryPointChanged', 'EntryPointInvalid'], resultPath: '$.error' });
  catchInto([doSwitch], noteFailure(scope, SWITCH_STATE, afterSwitch));

  const recordNote = noteFailure(scope, 'Record the switch', targets.phaseA);
  const record = lambdaStep(scope, 'Record the switch', fns, 'record-switch', {
    payload: eventOf<RecordSwitchEvent>({
      runId: sfn.JsonPath.stringAt('$.runId'),
      execution: EXECUTION,
      entryPoint: sfn.JsonPath.objectAt('$.input.entryPoint'),
      record: sfn.JsonPath.objectAt('$.entry.record'),
      keepPreviousHours: sfn.JsonPath.numberAt('$.input.keepPreviousHours'),
      previous: {
        stackName: sfn.JsonPath.stringAt('$.input.stackName'),
        stackId: sfn.JsonPath.stringAt('$.current.stackId'),
        endpoint: sfn.JsonPath.objectAt('$.entry.liveEndpoint'),
        version: sfn.JsonPath.stringAt('$.current.environmentVersion'),
        standby: sfn.JsonPath.objectAt('$.standby'),
      },
      next: {
        stackName: sfn.JsonPath.stringAt('$.blueGreen.idleSlot'),
        stackId: sfn.JsonPath.stringAt('$.clone1.output.destinationStackId'),
        version: sfn.JsonPath.stringAt('$.input.targetVersion'),
      },
      cloneOutput: sfn.JsonPath.objectAt('$.clone1.output'),
      checks: sfn.JsonPath.objectAt('$.blueGreen.checks'),
    }),
    resultPath: '$.switchPlan',
  });
  record.next(doSwitch);
  catchInto([record], recordNote);
  // The last safe point before the record changes: a cancel request now undoes the run (phase A).
  const beforeSwitch = cancelInto(scope, props, recordNote)('Record the switch', record);

  // The smoke test through the record tells the slots apart only by the stack the statistics document
  // names: a new slot whose document does not say is refused before the switch, not discovered after.
  const identifiable = sfn.Choice.jsonPath(scope, 'Does the new slot name its stack?')
    .when(sfn.Condition.isPresent('$.clone1.output.statistics.destination.reportedEnvironment'), beforeSwitch)
    .otherwise(
      (() => {
        const pass = sfn.Pass.jsonPath(scope, 'Refuse: Does the new slot name its stack?', {
          parameters: {
            Error: 'SlotNotIdentifiable',
            Cause: sfn.JsonPath.format(
              "the statistics document of {} does not say which stack it describes (environment.stackId): a smoke test through {} could not tell the new slot from the previous one, so the record is not switched (template contract)",
              sfn.JsonPath.stringAt('$.blueGreen.idleSlot'),
              sfn.JsonPath.stringAt('$.input.entryPoint.recordName'),
            ),
          },
          resultPath: '$.error',
        });
        pass.next(noteFailure(scope, 'Does the new slot name its stack?', targets.phaseA));
        return pass;
      })(),
    );

  const clone = cloneTask(scope, props, BLUE_GREEN_CLONE_STATE, 'c1', '$.clone1');
  const identical = sfn.Choice.jsonPath(scope, 'Is the copy in the idle slot identical?')
    .when(sfn.Condition.stringEquals('$.clone1.output.outcome', 'EQUAL'), identifiable)
    .otherwise(targets.mismatch);
  clone.next(identical);
  const cloneNote = noteFailure(scope, BLUE_GREEN_CLONE_STATE, targets.phaseA);
  catchInto([clone], cloneNote);

  const request = cloneRequest({ source: '$.input.stackName', destination: '$.blueGreen.idleSlot', targetVersion: '$.input.targetVersion', parameters: true, phase: 'c1' });
  const prepare = sfn.Pass.jsonPath(scope, 'Prepare the clone into the idle slot', { parameters: request, resultPath: '$.clone1' });
  // Live sync: the clone FINISHes the copy its PREPARE made in the idle slot while the live slot served.
  const finish = sfn.Pass.jsonPath(scope, 'Prepare the catch-up of the idle slot', { parameters: { ...request, liveSync: liveSyncFinish() }, resultPath: '$.clone1' });
  const withTemplate = copyIfPresent(scope, { question: 'Is a new template given for the idle slot?', copy: 'Add the new template to the clone' }, '$.input.templateUrl', '$.clone1.templateUrl', clone);
  const withSmokeTest = copyIfPresent(scope, { question: 'Smoke test the idle slot?', copy: 'Add the smoke test to the clone' }, '$.input.smokeTest', '$.clone1.smokeTest', withTemplate);
  prepare.next(withSmokeTest);
  finish.next(withSmokeTest);
  // Before `$.clone1` exists: phase A knows no copy was started.
  return {
    start: cancelInto(scope, props, cloneNote)('Prepare the clone into the idle slot', prepare),
    live: cancelInto(scope, props, cloneNote)('Prepare the catch-up of the idle slot', finish),
  };
}

/** The facts of a switched run, as Parameters (BlueGreenFacts). */
function facts(): Fields<BlueGreenFacts> {
  return {
    entryPoint: sfn.JsonPath.objectAt('$.input.entryPoint'),
    liveSlot: sfn.JsonPath.stringAt('$.blueGreen.idleSlot'),
    previousSlot: sfn.JsonPath.stringAt('$.input.stackName'),
    retireAt: sfn.JsonPath.stringAt('$.retire.at'),
    scheduleName: sfn.JsonPath.stringAt('$.switchPlan.scheduleName'),
    switchRecord: sfn.JsonPath.objectAt('$.switchPlan.switchRecord'),
    rollbackCommand: sfn.JsonPath.format('env-migrator rollback --environment {}', sfn.JsonPath.stringAt('$.input.entryPoint.recordName')),
  };
}

/**
 * The success notice: the new slot is the environment now (stackName and survivor), the previous one
 * in standby until its retire time. The snapshots the new slot restores from are kept (its
 * `<LogicalId>SnapshotIdentifier` parameters name them) and listed for the output.
 */
function reportSwitch(scope: Construct, tail: sfn.IChainable): sfn.IChainable {
  const report = sfn.Pass.jsonPath(scope, 'Report the switch', {
    parameters: notice('SUCCEEDED', {
      stackName: sfn.JsonPath.stringAt('$.blueGreen.idleSlot'),
      survivor: sfn.JsonPath.stringAt('$.blueGreen.idleSlot'),
      statistics: sfn.JsonPath.objectAt('$.clone1.output.statistics'),
      compensation: {},
      inventory: sfn.JsonPath.listAt('$.inventory'),
      snapshotsInUse: sfn.JsonPath.listAt('$.clone1.output.snapshots'),
      deletionPlan: sfn.JsonPath.listAt('$.current.deletionPlan'),
      liveSync: sfn.JsonPath.objectAt('$.current.liveSync'),
      blueGreen: facts(),
    }),
    resultPath: '$.notice',
  });
  report.next(tail);
  const list = sfn.Map.jsonPath(scope, "List the new slot's snapshots", { itemsPath: '$.clone1.output.snapshots', resultPath: '$.retainedSnapshots' });
  list.itemProcessor(sfn.Pass.jsonPath(scope, "Take the new slot's snapshot identifier", { inputPath: '$.snapshotIdentifier' }));
  list.next(report);
  return list;
}

/** Migrate's output after a switch (the ending's "How did it end?" takes it for a blue/green success). */
export function blueGreenReport(scope: Construct): sfn.Pass {
  return sfn.Pass.jsonPath(scope, 'Report the blue/green migration', {
    parameters: {
      outcome: 'SUCCEEDED',
      stackName: sfn.JsonPath.stringAt('$.blueGreen.idleSlot'),
      stackId: sfn.JsonPath.stringAt('$.clone1.output.destinationStackId'),
      version: sfn.JsonPath.stringAt('$.input.targetVersion'),
      previousVersion: sfn.JsonPath.stringAt('$.current.environmentVersion'),
      statistics: {
        dataSha256: sfn.JsonPath.stringAt('$.clone1.output.statistics.destination.dataSha256'),
        values: sfn.JsonPath.numberAt('$.clone1.output.statistics.destination.values'),
        document: sfn.JsonPath.objectAt('$.clone1.output.statistics.destination.document'),
        summary: sfn.JsonPath.stringAt('$.clone1.output.statistics.summary'),
      } satisfies Fields<MigrationStatistics>,
      snapshotsRetained: sfn.JsonPath.listAt('$.retainedSnapshots'),
      executionArn: sfn.JsonPath.stringAt('$.execution.id'),
      objectVersions: sfn.JsonPath.stringAt('$.input.objectVersions'),
      buckets: sfn.JsonPath.listAt('$.inventory'),
      deletionPlan: sfn.JsonPath.listAt('$.current.deletionPlan'),
      liveSync: sfn.JsonPath.objectAt('$.current.liveSync'),
      blueGreen: sfn.JsonPath.objectAt('$.notice.blueGreen'),
    } satisfies Fields<MigrationOutput>,
  });
}

/**
 * After the switch: point the record back at the previous slot (switch-entry-point DELETEs the
 * record as the switch wrote it and CREATEs the old one; it changes nothing when the record already
 * points there, and refuses when someone else changed it since), wait for INSYNC, bring the previous
 * slot back into service, keep the new slot (and the snapshots it restores from) for inspection:
 * writes made through the record since the switch are only there. Each action records what it did
 * under `$.compensation` and the chain goes on whatever happens; then alert.
 */
function switchBack(scope: Construct, props: MigrateDefinitionProps, tail: sfn.IChainable): sfn.IChainable {
  const { fns } = props;
  const report = sfn.Pass.jsonPath(scope, 'Report the switch back', {
    parameters: failedNotice({
      survivor: sfn.JsonPath.stringAt('$.input.stackName'),
      compensation: sfn.JsonPath.objectAt('$.compensation'),
      leftToDo: sfn.JsonPath.array(
        sfn.JsonPath.format(
          'inspect the new slot {} (not retired): writes made through {} since the switch at {} are only there; then delete it by hand, with the DB snapshots {}* it restores from',
          sfn.JsonPath.stringAt('$.blueGreen.idleSlot'),
          sfn.JsonPath.stringAt('$.input.entryPoint.recordName'),
          sfn.JsonPath.stringAt('$.switchPlan.switchedAt'),
          sfn.JsonPath.format('em-{}-', sfn.JsonPath.stringAt('$.runId')),
        ),
      ),
    }),
    resultPath: '$.notice',
  });
  report.next(tail);

  // The new slot, out of the record, is put in standby too: nothing of it (a worker, a scheduled job)
  // writes on while it waits for inspection. A failure is recorded and the chain goes on.
  const standbyNote = '$.compensation.standbyNewSlot';
  const inStandby = sfn.Pass.jsonPath(scope, 'Note the new slot is in standby', {
    parameters: { status: 'DONE', target: sfn.JsonPath.stringAt('$.blueGreen.idleSlot') },
    resultPath: standbyNote,
  });
  inStandby.next(report);
  const standbyNew = lambdaStep(scope, 'Put the new slot in standby', fns, 'standby-enter', {
    payload: eventOf<StandbyEnterEvent>({ autoScalingGroups: sfn.JsonPath.listAt('$.newSlot.autoScalingGroups'), execution: EXECUTION }),
    resultPath: '$.newSlotStandby',
  });
  standbyNew.next(inStandby);
  const findNew = lambdaStep(scope, "Find the new slot's groups", fns, 'discover', {
    payload: eventOf<DiscoverEvent>({ stackName: sfn.JsonPath.stringAt('$.blueGreen.idleSlot'), execution: EXECUTION }),
    resultSelector: { autoScalingGroups: sfn.JsonPath.listAt('$.autoScalingGroups') },
    resultPath: '$.newSlot',
  });
  findNew.next(standbyNew);
  for (const s of [findNew, standbyNew]) s.addCatch(report, { errors: [sfn.Errors.ALL], resultPath: standbyNote });

  // Only once the record is confirmed back at the previous slot: until then it may still send every
  // request to the new slot, and putting that slot in standby would leave nothing serving the record.
  const keepServing = sfn.Pass.jsonPath(scope, 'Keep the new slot serving', {
    parameters: {
      Error: 'NotSwitchedBack',
      Cause: sfn.JsonPath.format(
        'the switch of {} back to {} was not confirmed, so the record may still send requests to {}: its instances were left in service',
        sfn.JsonPath.stringAt('$.input.entryPoint.recordName'),
        sfn.JsonPath.stringAt('$.input.stackName'),
        sfn.JsonPath.stringAt('$.blueGreen.idleSlot'),
      ),
      target: sfn.JsonPath.stringAt('$.blueGreen.idleSlot'),
    },
    resultPath: standbyNote,
  });
  keepServing.next(report);
  const switchedBack = sfn.Choice.jsonPath(scope, 'Is the record back at the previous slot?')
    .when(sfn.Condition.and(sfn.Condition.isPresent('$.compensation.switchBack.status'), sfn.Condition.stringEquals('$.compensation.switchBack.status', 'DONE')), findNew)
    .otherwise(keepServing);
  const backInService = undoStandby(scope, fns, {
    prepare: 'Prepare the previous slot for service',
    exit: 'Return the previous slot to service',
    check: 'Check the previous slot returning',
    ready: 'Previous slot back in service?',
    wait: 'Wait for the previous slot to return',
    done: 'Note the previous slot is back',
    next: switchedBack,
  });

  // The record points at the previous slot again: the switch record must no longer claim a live
  // switch, or a later `env-migrator rollback` would act on it. close-switch-record marks it rolled
  // back (by this execution; the writes made through the record since the switch are not discarded
  // but kept in the new slot, named in the notification) and deletes the retire schedule if any.
  // Recorded under `$.compensation.closeSwitchRecord`; a failure is recorded and the chain goes on.
  const closeNote = '$.compensation.closeSwitchRecord';
  const closed = sfn.Pass.jsonPath(scope, 'Note the switch record is closed', {
    parameters: { status: 'DONE', target: sfn.JsonPath.stringAt('$.switchPlan.switchRecord.key') },
    resultPath: closeNote,
  });
  closed.next(backInService);
  const close = lambdaStep(scope, 'Mark the switch rolled back', fns, 'close-switch-record', {
    payload: eventOf<CloseSwitchRecordEvent>({
      entryPoint: sfn.JsonPath.objectAt('$.input.entryPoint'),
      runId: sfn.JsonPath.stringAt('$.runId'),
      discardedWrites: false,
      execution: EXECUTION,
    }),
    resultPath: '$.closedSwitch',
  });
  close.next(closed);
  close.addCatch(backInService, { errors: [sfn.Errors.ALL], resultPath: closeNote });
  const switched = sfn.Pass.jsonPath(scope, 'Note the switch back', {
    parameters: { status: 'DONE', target: sfn.JsonPath.stringAt('$.input.stackName') },
    resultPath: '$.compensation.switchBack',
  });
  switched.next(close);
  const insync = recordChangeWait(scope, fns, {
    back: true,
    changePath: '$.switchBack',
    timeoutPath: '$.input.waits.smokeTestSeconds',
    resultPath: '$.undo.switchBack',
    next: switched,
  });
  const back = lambdaStep(scope, 'Switch the entry point back', fns, 'switch-entry-point', {
    payload: eventOf<SwitchEntryPointEvent>({
      entryPoint: sfn.JsonPath.objectAt('$.input.entryPoint'),
      record: sfn.JsonPath.objectAt('$.switchPlan.record'),
      target: sfn.JsonPath.objectAt('$.entry.liveEndpoint'),
      execution: EXECUTION,
      comment: sfn.JsonPath.format('env-migrator {}: back to {}', sfn.JsonPath.stringAt('$.runId'), sfn.JsonPath.stringAt('$.input.stackName')),
    }),
    resultPath: '$.switchBack',
  });
  back.next(insync.start);
  for (const s of [back, ...insync.checks]) s.addCatch(backInService, { errors: [sfn.Errors.ALL], resultPath: '$.compensation.switchBack' });
  return startCompensation(scope, 'Undo the switch', back);
}
