/**
 * The Migrate state machine: moves one environment to a new template version without losing data
 * (double-clone mode, docs/design.md). Input: the raw MigrationInputRaw; output: MigrationOutput.
 *
 *   validate → lock → discover → standby → Clone(current → temp) → identical? → delete current
 *   → Clone(temp → current name, new version) → identical? → delete temp → delete snapshots
 *   → unlock → notify → report
 *
 * Every forward state catches into a note of the failed state and then into the compensation of its
 * phase (saga): A before the current environment is touched (undo everything, the current
 * environment survives), B once it is being deleted (keep the temporary copy: the only copy), C once
 * the new environment is verified (only clean-up is left). Compensating states retry transient
 * errors and never stop the chain: a failure is recorded under `$.compensation.<action>`.
 * Every ending goes through one tail: release the lock → compose → publish → the outcome's end
 * state, so each outcome publishes exactly one notification.
 *
 * State layout after validation: ValidateInputResult at the root (`input`, `execution`,
 * `tempStackName`, `runId`, `lockExpiresAt`), then `required`, `current`, `standby`, `clone1`,
 * `clone2`, `*Status` of the wait loops, `cleanup`, `retainedSnapshots`, `keepSnapshots`; on failure `error` ({Error, Cause}),
 * `failure.state`, `compensation`; at the end `notice` (the ComposeNotificationEvent) and `notification`.
 */
import { Aws, Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import {
  type CloneInput,
  type ClonePrepared,
  type ComposeNotificationEvent,
  type DeleteSnapshotsEvent,
  type DeleteStackEvent,
  type DiscoverEvent,
  type CloneOutput,
  type InventoryBucketEvent,
  type LiveSyncStage,
  type MigrationOutput,
  type MigrationStatistics,
  type Outcome,
  type RecheckOriginalEvent,
  type SnapshotEvent,
  type StackStatusEvent,
  type StandbyEnterEvent,
  type StandbyExitEvent,
  type StandbyStatusEvent,
  type ValidateInputEvent,
} from '../lambdas/shared/contracts';
import { MIGRATION_CANCELLED } from '../lambdas/shared/errors';
import { CLONE_TIMEOUT_SECONDS, LIVE_PREPARE_TIMEOUT_SECONDS, MIGRATION_TIMEOUT_SECONDS } from '../lambdas/steps';
import {
  CANCEL_REQUEST_TEXT,
  cancelPoint,
  type LoopCancellation,
  type CancelCheck,
  type CancelFlag,
  EXECUTION,
  continuationLoop,
  resumableStep,
  catchInto,
  copyIfPresent,
  eventOf,
  lambdaStep,
  listRequiredOutputs,
  noteFailure,
  serviceRetry,
  TRANSIENT_RETRY,
  waitLoop,
  type Fields,
  type StepFunctions,
  takeLock,
} from './building-blocks';
import { blueGreenReport, blueGreenStart, blueGreenSwitch, IS_BLUE_GREEN } from './blue-green';
import { SECOND_CLONE_STATE, STANDBY_STATE } from './downtime-states';

export interface MigrateDefinitionProps {
  fns: StepFunctions;
  /** Concrete: its name is part of the ARNs of the clone executions Migrate may have to stop. */
  cloneStateMachine: sfn.StateMachine;
  /** The environment lock: partition key `stackName` (S), TTL attribute `expiresAt`. */
  lockTable: dynamodb.ITable;
  topic: sns.ITopic;
  /**
   * Blue/green: the retire state machine the retire schedules start, and the role EventBridge
   * Scheduler starts it with (the construct's, with `entryPoints`). Absent: schedule-retire is given
   * no target and fails, which the blue/green path reports as left to do.
   */
  retire?: { stateMachineArn: string; schedulerRoleArn: string };
}

/** A JSON null in Parameters: CDK drops null literals, so it is produced by an intrinsic function. */
export const JSON_NULL = sfn.JsonPath.stringToJson('null');

/** Timeout of the DynamoDB and SNS tasks (the local executor's default would be 60 s anyway). */
export const SERVICE_TASK_TIMEOUT = sfn.Timeout.duration(Duration.seconds(60));

/** Builds the Migrate definition; `scope` must hold no other machine's states (names are construct ids). */
export function buildMigrateDefinition(scope: Construct, props: MigrateDefinitionProps): sfn.IChainable {
  const { fns } = props;
  // Built from the end: the shared tail, the compensations, then the forward path backwards.
  const tail = notifyAndFinish(scope, props);
  const phaseA = undoBeforeDeletion(scope, props, tail);
  const phaseB = keepTheTemporaryCopy(scope, props, tail);

  const success = cleanUpPhase(scope, fns, tail);
  const secondClone = secondClonePhase(scope, props, { next: success, mismatch: preserveAfterSecondMismatch(scope, fns, tail), compensation: phaseB });
  // Once the original is gone its bucket reports have served (the recheck and the emptying read them):
  // the state keeps only what later states read, so fifty buckets' reports are not carried twice.
  const forgetReports = sfn.Pass.jsonPath(scope, "Forget the first clone's bucket reports", { result: sfn.Result.fromArray([]), resultPath: '$.clone1.output.verification' });
  forgetReports.next(secondClone);
  const deletion = deleteCurrentPhase(scope, fns, forgetReports, phaseB, phaseA, props);
  const recheck = recheckPhase(scope, fns, deletion, phaseA);
  const firstMismatch = preserveAfterFirstMismatch(scope, fns, tail);
  const firstClone = firstClonePhase(scope, props, { next: recheck, mismatch: firstMismatch, compensation: phaseA });
  // Blue/green (statemachine/blue-green.ts) shares the discovery, the count, the standby and the endings.
  const blueGreen = blueGreenSwitch(scope, props, { phaseA, mismatch: firstMismatch, tail });
  // After a live sync's PREPARE (`$.clone1.output.promotion`), the clone FINISHes what it prepared.
  const prepared = sfn.Condition.isPresent('$.clone1.output.promotion');
  const cloneInto = sfn.Choice.jsonPath(scope, 'Clone into the idle slot?')
    .when(sfn.Condition.and(IS_BLUE_GREEN, prepared), blueGreen.live)
    .when(IS_BLUE_GREEN, blueGreen.start)
    .when(prepared, firstClone.live)
    .otherwise(firstClone.start);
  const standby = standbyPhase(scope, fns, cloneInto, phaseA, props);
  const liveSync = liveSyncPhase(scope, props, standby, phaseA);
  const inventory = inventoryPhase(scope, fns, liveSync, phaseA);
  const discover = discoverPhase(scope, fns, inventory, phaseA);
  const lock = lockPhase(scope, props, discover, phaseA, tail);
  const strategy = sfn.Choice.jsonPath(scope, 'Which strategy?').when(IS_BLUE_GREEN, blueGreenStart(scope, props, { discover, phaseA, tail })).otherwise(lock);
  return validatePhase(scope, fns, strategy, tail);
}

// ---------------------------------------------------------------------------------------------
// Cancellation (env-migrator cancel)
// ---------------------------------------------------------------------------------------------

/** The cancel request this execution obeys: on its own lock, while it owns it. */
function cancelFlag(props: MigrateDefinitionProps): CancelFlag {
  return { lockTable: props.lockTable, stackNamePath: '$.input.stackName', ownerPath: '$.execution.id' };
}

/**
 * Migrate's safe points: a cancel request found there becomes a MigrationCancelled error in
 * `$.error`, then goes to `note` (the failure note of the state the safe point belongs to), so the
 * phase's compensation undoes exactly what it would after an error of that state: phase A returns
 * the original to service, phase B keeps the temporary copy. Then unlock, notify, fail.
 */
export function cancelInto(scope: Construct, props: MigrateDefinitionProps, note: sfn.IChainable): CancelCheck {
  return (where, next) => cancelPoint(scope, where, cancelFlag(props), cancelledInto(scope, where, note), next);
}

/**
 * A loop of Migrate obeys the same requests through its steps (building-blocks.ts LoopCancellation:
 * each call reads this execution's lock first); a request found leads where the safe points' do.
 */
export function obeyInto(scope: Construct, where: string, note: sfn.IChainable): LoopCancellation {
  return { ref: { stackName: sfn.JsonPath.stringAt('$.input.stackName') }, cancelled: cancelledInto(scope, where, note) };
}

/** The request found at `where` as a MigrationCancelled error in `$.error`, then `note`. */
function cancelledInto(scope: Construct, where: string, note: sfn.IChainable): sfn.Pass {
  const cancelled = sfn.Pass.jsonPath(scope, `Cancelled (${where})`, {
    parameters: {
      Error: MIGRATION_CANCELLED,
      Cause: sfn.JsonPath.format('cancel requested ({}): the migration stopped at a safe point and compensated', sfn.JsonPath.stringAt(CANCEL_REQUEST_TEXT)),
    },
    resultPath: '$.error',
  });
  cancelled.next(note);
  return cancelled;
}

// ---------------------------------------------------------------------------------------------
// Forward path
// ---------------------------------------------------------------------------------------------

/**
 * Validates the raw input before any AWS call; the whole state becomes ValidateInputResult. A bad
 * input (or a validation that could not run) is rejected with a notification naming the stack when
 * the input names one; the environment was not touched, so nothing is compensated nor unlocked.
 */
function validatePhase(scope: Construct, fns: StepFunctions, next: sfn.IChainable, tail: sfn.IChainable): sfn.IChainable {
  const validate = lambdaStep(scope, 'Validate the input', fns, 'validate-input', {
    payload: eventOf<ValidateInputEvent>({
      input: sfn.JsonPath.entirePayload,
      execution: { id: sfn.JsonPath.executionId, name: sfn.JsonPath.executionName },
    }),
  });
  validate.next(next);

  // Built from the context object: the state holds only the caught error, `$.input` may not exist.
  const rejection = (stackName: unknown): Fields<ComposeNotificationEvent> => ({
    outcome: 'REJECTED_INPUT',
    stackName,
    execution: { id: sfn.JsonPath.executionId, name: sfn.JsonPath.executionName },
    survivor: JSON_NULL,
    failedState: 'Validate the input',
    error: { Error: sfn.JsonPath.stringAt('$.Error'), Cause: sfn.JsonPath.stringAt('$.Cause') },
    cleanedUp: [],
    leftToDo: [],
  });
  const named = sfn.Pass.jsonPath(scope, 'Reject the input', {
    parameters: rejection(sfn.JsonPath.stringAt('$$.Execution.Input.stackName')),
    resultPath: '$.notice',
  });
  const unnamed = sfn.Pass.jsonPath(scope, 'Reject the input without a stack name', {
    parameters: rejection('(no valid stack name in the input)'),
    resultPath: '$.notice',
  });
  named.next(tail);
  unnamed.next(tail);
  const namesAStack = sfn.Choice.jsonPath(scope, 'Does the input name a stack?')
    .when(
      sfn.Condition.and(sfn.Condition.isPresent('$$.Execution.Input.stackName'), sfn.Condition.isString('$$.Execution.Input.stackName')),
      named,
    )
    .otherwise(unnamed);
  // No ResultPath: the raw input may not even be an object; the state becomes {Error, Cause}.
  validate.addCatch(namesAStack, { errors: [sfn.Errors.ALL] });
  return validate;
}

/**
 * Takes the environment lock (one migration per environment, invariant 6): a conditional PutItem
 * that succeeds when no lock exists, when it is ours (a retry), or when it has expired. DynamoDB's TTL
 * deletes expired items only eventually ("typically within a few days", DynamoDB developer guide,
 * "Using time to live"), so expiry is part of the condition too. A lock held by another execution
 * ends the execution with MIGRATION_IN_PROGRESS, naming the owner, without touching its lock.
 */
function lockPhase(scope: Construct, props: MigrateDefinitionProps, next: sfn.IChainable, compensation: sfn.IChainable, tail: sfn.IChainable): sfn.IChainable {
  const lock = takeLock(scope, 'Lock the environment', {
    table: props.lockTable,
    keyPath: '$.input.stackName',
    attributes: { targetVersion: '$.input.targetVersion' },
    runSeconds: MIGRATION_TIMEOUT_SECONDS,
    taskTimeout: SERVICE_TASK_TIMEOUT,
  });
  lock.next(next);

  const inProgress = (cause: string) =>
    notice('MIGRATION_IN_PROGRESS', {
      survivor: sfn.JsonPath.stringAt('$.input.stackName'),
      failedState: 'Lock the environment',
      error: { Error: 'MigrationInProgress', Cause: cause },
    });
  const named = sfn.Pass.jsonPath(scope, 'Name the running migration', {
    parameters: inProgress(
      sfn.JsonPath.format(
        '{} is being migrated by execution {}, started {}',
        sfn.JsonPath.stringAt('$.input.stackName'),
        sfn.JsonPath.stringAt('$.lockHolder.Item.owner.S'),
        sfn.JsonPath.stringAt('$.lockHolder.Item.startedAt.S'),
      ),
    ),
    resultPath: '$.notice',
  });
  const unnamed = sfn.Pass.jsonPath(scope, 'Report the lock conflict', {
    parameters: inProgress(sfn.JsonPath.format('another migration held the lock of {}; it may have finished since: start again', sfn.JsonPath.stringAt('$.input.stackName'))),
    resultPath: '$.notice',
  });
  named.next(tail);
  unnamed.next(tail);
  const stillHeld = sfn.Choice.jsonPath(scope, 'Is the lock still held?')
    .when(
      sfn.Condition.and(sfn.Condition.isPresent('$.lockHolder.Item.owner.S'), sfn.Condition.isPresent('$.lockHolder.Item.startedAt.S')),
      named,
    )
    .otherwise(unnamed);
  const findOwner = tasks.DynamoGetItem.jsonPath(scope, 'Find the running migration', {
    table: props.lockTable,
    key: { stackName: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$.input.stackName')) },
    consistentRead: true,
    resultPath: '$.lockHolder',
    taskTimeout: SERVICE_TASK_TIMEOUT,
  });
  findOwner.addRetry(serviceRetry('DynamoDB'));
  findOwner.addCatch(unnamed, { errors: [sfn.Errors.ALL], resultPath: '$.lockHolderError' });
  findOwner.next(stillHeld);

  lock.addCatch(findOwner, { errors: ['DynamoDB.ConditionalCheckFailedException'], resultPath: '$.error' });
  catchInto([lock], noteFailure(scope, 'Lock the environment', compensation));
  return lock;
}

/** The current environment, preflight-checked → `$.current` (only what the workflow reads later). */
function discoverPhase(scope: Construct, fns: StepFunctions, next: sfn.IChainable, compensation: sfn.IChainable): sfn.IChainable {
  const discover = lambdaStep(scope, 'Discover the environment', fns, 'discover', {
    payload: eventOf<DiscoverEvent>({
      stackName: sfn.JsonPath.stringAt('$.input.stackName'),
      execution: EXECUTION,
      requiredOutputs: sfn.JsonPath.listAt('$.required.outputKeys'),
      deletesStack: true,
      // The new template and the parameters both clones will be created with, checked before the standby.
      newTemplate: sfn.JsonPath.objectAt('$.input'),
      acceptUncopiedResources: sfn.JsonPath.listAt('$.input.acceptUncopiedResources'),
    }),
    resultSelector: {
      stackName: sfn.JsonPath.stringAt('$.stackName'),
      stackId: sfn.JsonPath.stringAt('$.stackId'),
      environmentVersion: sfn.JsonPath.stringAt('$.environmentVersion'),
      autoScalingGroups: sfn.JsonPath.listAt('$.autoScalingGroups'),
      buckets: sfn.JsonPath.listAt('$.buckets'),
      deletionPlan: sfn.JsonPath.listAt('$.deletionPlan'),
      liveSync: sfn.JsonPath.objectAt('$.liveSync'),
    },
    resultPath: '$.current',
  });
  discover.next(next);
  catchInto([discover], noteFailure(scope, 'Discover the environment', compensation));
  return listRequiredOutputs(
    scope,
    { question: 'Is a smoke test configured?', withSmokeTest: 'Require the statistics and service outputs', withoutSmokeTest: 'Require the statistics output' },
    { statistics: '$.input.statistics', smokeTest: '$.input.smokeTest' },
    discover,
  );
}

/**
 * Preflight of the data (invariants 8 and 9), before anything is touched: every bucket of the
 * current stack counted (current objects, noncurrent versions, delete markers, bytes, versioning),
 * each in as many invocations as it needs → `$.inventory` (one small BucketInventory per bucket). A
 * bucket holding versions in an archive storage class fails with PreflightFailed naming it (phase A:
 * nothing to undo but the lock). With objectVersions `current`, what will not be carried is counted
 * here and named in the output and the success notification.
 */
function inventoryPhase(scope: Construct, fns: StepFunctions, next: sfn.IChainable, compensation: sfn.IChainable): sfn.IChainable {
  // A cancel request fails the iteration, hence the Map, into its Catch (the Map's own phase A).
  const cancelled = sfn.Fail.jsonPath(scope, 'Counting cancelled', { error: MIGRATION_CANCELLED, causePath: CANCEL_REQUEST_TEXT });
  const item: Fields<Omit<InventoryBucketEvent, 'continuation'>> = {
    bucket: sfn.JsonPath.objectAt('$.bucket'),
    objectVersions: sfn.JsonPath.stringAt('$.objectVersions'),
    execution: EXECUTION,
  };
  const counted = sfn.Pass.jsonPath(scope, "Keep the bucket's counts", {
    parameters: {
      bucket: sfn.JsonPath.objectAt('$.count.bucket'),
      versioning: sfn.JsonPath.stringAt('$.count.versioning'),
      counts: sfn.JsonPath.objectAt('$.count.counts'),
      notCarried: sfn.JsonPath.numberAt('$.count.notCarried'),
    },
  });
  const count = continuationLoop(scope, fns, {
    first: "Count the bucket's objects",
    more: "Count more of the bucket's objects",
    question: 'Bucket counted?',
    step: 'inventory-buckets',
    event: item,
    resultPath: '$.count',
    done: { DONE: counted },
    // Every call reads the request first, the first one too: an iteration started after it counts nothing.
    cancellation: { ref: { stackName: sfn.JsonPath.stringAt('$.stackName') }, cancelled },
  });
  const eachBucket = sfn.Map.jsonPath(scope, "Count each bucket's objects", {
    itemsPath: '$.current.buckets',
    itemSelector: {
      bucket: sfn.JsonPath.objectAt('$$.Map.Item.Value'),
      objectVersions: sfn.JsonPath.stringAt('$.input.objectVersions'),
      execution: EXECUTION,
      // The lock's key, for the iteration's cancel check.
      stackName: sfn.JsonPath.stringAt('$.input.stackName'),
    },
    maxConcurrency: 8,
    resultPath: '$.inventory',
  });
  eachBucket.itemProcessor(count.start);
  eachBucket.next(next);
  eachBucket.addCatch(noteFailure(scope, "Count each bucket's objects", compensation), { errors: [sfn.Errors.ALL], resultPath: '$.error' });
  return eachBucket;
}

/** The current environment's instances out of service (no writes during the copy) → `$.standby`. */
function standbyPhase(scope: Construct, fns: StepFunctions, next: sfn.IChainable, compensation: sfn.IChainable, props: MigrateDefinitionProps): sfn.IChainable {
  const note = noteFailure(scope, STANDBY_STATE, compensation);
  const cancel = cancelInto(scope, props, note);
  const enter = lambdaStep(scope, STANDBY_STATE, fns, 'standby-enter', {
    payload: eventOf<StandbyEnterEvent>({ autoScalingGroups: sfn.JsonPath.listAt('$.current.autoScalingGroups'), execution: EXECUTION }),
    resultPath: '$.standby',
  });
  const loop = waitLoop<StandbyStatusEvent>(scope, fns, {
    check: 'Check the instances',
    ready: 'Instances in standby?',
    wait: 'Wait for the instances',
    step: 'standby-status',
    payload: { standby: sfn.JsonPath.objectAt('$.standby'), direction: 'ENTER', execution: EXECUTION },
    timeoutPath: '$.input.waits.standbySeconds',
    resultPath: '$.standbyStatus',
    next,
    cancellation: obeyInto(scope, 'Check the instances', note),
  });
  enter.next(loop.start);
  catchInto([enter, ...loop.checks], note);
  // The last moment nothing has been touched: a cancel request now only unlocks and notifies.
  return cancel(STANDBY_STATE, enter);
}

interface ClonePhaseTargets {
  /** When the copy is identical. */
  next: sfn.IChainable;
  /** When it is not (PRESERVE & ALERT). */
  mismatch: sfn.IChainable;
  /** When the clone fails. */
  compensation: sfn.IChainable;
}

/**
 * Clone 1: current → temporary stack, at the current version and template, through the Clone state
 * machine (.sync:2) → `$.clone1.output`. The request is prepared in `$.clone1`, whose presence
 * later tells the compensation that a temporary stack may exist.
 */
function firstClonePhase(scope: Construct, props: MigrateDefinitionProps, targets: ClonePhaseTargets): { start: sfn.IChainable; live: sfn.IChainable } {
  const clone = cloneTask(scope, props, 'Clone the environment to a temporary stack', 'c1', '$.clone1');
  const identical = sfn.Choice.jsonPath(scope, 'Is the temporary copy identical?')
    .when(sfn.Condition.stringEquals('$.clone1.output.outcome', 'EQUAL'), targets.next)
    .otherwise(targets.mismatch);
  clone.next(identical);
  const note = noteFailure(scope, 'Clone the environment to a temporary stack', targets.compensation);
  catchInto([clone], note);

  // At the current version with no parameters: the current template's NoEcho values cannot be carried
  // over, create-stack reads them from their secrets (secretParameters).
  const request = cloneRequest({ source: '$.input.stackName', destination: '$.tempStackName', targetVersion: '$.current.environmentVersion', parameters: false, phase: 'c1' });
  const prepare = sfn.Pass.jsonPath(scope, 'Prepare the first clone', { parameters: request, resultPath: '$.clone1' });
  // Live sync: the same clone FINISHes what its PREPARE made while the environment served.
  const finish = sfn.Pass.jsonPath(scope, 'Prepare the catch-up of the temporary copy', { parameters: { ...request, liveSync: liveSyncFinish() }, resultPath: '$.clone1' });
  const withSmokeTest = copyIfPresent(scope, { question: 'Smoke test the temporary copy?', copy: 'Add the smoke test to the first clone' }, '$.input.smokeTest', '$.clone1.smokeTest', clone);
  prepare.next(withSmokeTest);
  finish.next(withSmokeTest);
  // Before `$.clone1` exists: the compensation knows no temporary stack was started.
  return {
    start: cancelInto(scope, props, note)('Prepare the first clone', prepare),
    live: cancelInto(scope, props, note)('Prepare the catch-up of the temporary copy', finish),
  };
}

/**
 * A live sync's FINISH request (CloneInput.liveSync), from what its PREPARE returned in
 * `$.clone1.output`. Made after the standby confirmed: the replicas' catch-up is read from the
 * first check of its wait on (replica-status's `since`), when the source takes no writes any more.
 */
export function liveSyncFinish(): Fields<LiveSyncStage> {
  return {
    stage: 'FINISH',
    prepared: {
      destinationStackId: sfn.JsonPath.stringAt('$.clone1.output.destinationStackId'),
      destinationDbInstances: sfn.JsonPath.listAt('$.clone1.output.destinationDbInstances'),
      promotion: sfn.JsonPath.objectAt('$.clone1.output.promotion'),
    } satisfies Fields<NonNullable<LiveSyncStage['prepared']>>,
  };
}

/** The state that runs a live sync's PREPARE: the copy made while the environment still serves. */
export const LIVE_COPY_STATE = 'Copy while the environment serves';

/**
 * Live sync (MigrationInput.liveSync), before the standby: what the preflight found
 * (`$.current.liveSync`) decides. Every database can be a read replica: the Clone machine's
 * PREPARE makes the copy (double clone: the temporary stack at the current version; blue/green: the
 * idle slot at the target version) while the environment serves → `$.clone1` (its output, whose
 * `promotion` tells the clone after the standby to FINISH it). Otherwise, as liveSyncFallback says:
 * "refuse" fails with LiveSyncNotPossible naming each database (phase A: nothing touched but the
 * lock), "snapshots" notes why (`$.liveSyncFallback`) and copies by snapshots as without live sync.
 * A failed or cancelled PREPARE is phase A: the copy is deleted, the environment never left service.
 */
function liveSyncPhase(scope: Construct, props: MigrateDefinitionProps, next: sfn.IChainable, compensation: sfn.IChainable): sfn.IChainable {
  const note = noteFailure(scope, LIVE_COPY_STATE, compensation);
  const prepared: Fields<Omit<ClonePrepared, 'copies'>> = {
    outcome: sfn.JsonPath.stringAt('$.Output.outcome'),
    sourceStackName: sfn.JsonPath.stringAt('$.Output.sourceStackName'),
    destinationStackName: sfn.JsonPath.stringAt('$.Output.destinationStackName'),
    destinationStackId: sfn.JsonPath.stringAt('$.Output.destinationStackId'),
    destinationDbInstances: sfn.JsonPath.listAt('$.Output.destinationDbInstances'),
    promotion: sfn.JsonPath.objectAt('$.Output.promotion'),
  };
  const task = cloneTask(scope, props, LIVE_COPY_STATE, LIVE_CLONE_PHASE, '$.clone1', prepared, LIVE_PREPARE_TIMEOUT_SECONDS);
  task.next(next);
  catchInto([task], note);

  const prepare = { stage: 'PREPARE' } satisfies Fields<LiveSyncStage>;
  // As the clone after the standby will be asked (firstClonePhase, blue-green's clone), less the smoke test.
  const temporary = sfn.Pass.jsonPath(scope, 'Prepare the temporary copy while the environment serves', {
    parameters: {
      ...cloneRequest({ source: '$.input.stackName', destination: '$.tempStackName', targetVersion: '$.current.environmentVersion', parameters: false, phase: 'c1' }),
      liveSync: prepare,
    },
    resultPath: '$.clone1',
  });
  temporary.next(task);
  const idleSlot = sfn.Pass.jsonPath(scope, 'Prepare the idle slot while the live slot serves', {
    parameters: {
      ...cloneRequest({ source: '$.input.stackName', destination: '$.blueGreen.idleSlot', targetVersion: '$.input.targetVersion', parameters: true, phase: 'c1' }),
      liveSync: prepare,
    },
    resultPath: '$.clone1',
  });
  idleSlot.next(copyIfPresent(scope, { question: 'Is a new template given for the live copy?', copy: 'Add the new template to the live copy' }, '$.input.templateUrl', '$.clone1.templateUrl', task));
  const byStrategy = sfn.Choice.jsonPath(scope, 'Copy into the idle slot while it serves?').when(IS_BLUE_GREEN, idleSlot).otherwise(temporary);

  const refuse = sfn.Pass.jsonPath(scope, 'Refuse the live sync', {
    parameters: {
      Error: 'LiveSyncNotPossible',
      Cause: sfn.JsonPath.format(
        'live sync cannot carry every database of {}: {}. Nothing was touched. Fix what is named, or start the migration with liveSyncFallback "snapshots" to copy by snapshots (the downtime then holds the whole copy), or without liveSync',
        sfn.JsonPath.stringAt('$.input.stackName'),
        sfn.JsonPath.jsonToString(sfn.JsonPath.listAt('$.current.liveSync.reasons')),
      ),
    },
    resultPath: '$.error',
  });
  refuse.next(noteFailure(scope, 'Can live sync carry every database?', compensation));
  const fallBack = sfn.Pass.jsonPath(scope, 'Copy by snapshots instead of live', {
    parameters: { reasons: sfn.JsonPath.listAt('$.current.liveSync.reasons') },
    resultPath: '$.liveSyncFallback',
  });
  fallBack.next(next);

  return sfn.Choice.jsonPath(scope, 'Can live sync carry every database?')
    .when(sfn.Condition.booleanEquals('$.current.liveSync.possible', true), cancelInto(scope, props, note)(LIVE_COPY_STATE, byStrategy))
    .when(
      sfn.Condition.and(sfn.Condition.booleanEquals('$.current.liveSync.requested', true), sfn.Condition.stringEquals('$.input.liveSyncFallback', 'snapshots')),
      fallBack,
    )
    .when(sfn.Condition.booleanEquals('$.current.liveSync.requested', true), refuse)
    .otherwise(next);
}

/** The name suffix of a live sync's PREPARE execution (`<runId>-live`), which phase A stops. */
export const LIVE_CLONE_PHASE = 'live';

/**
 * Proves the current environment still equals what clone 1 verified (invariant 1), right before
 * its deletion: writes go on during the standby (background jobs, presigned uploads, S3-triggered
 * functions, log delivery), and a write after the verification is in no copy. Every bucket is
 * listed again against its verified manifest's digest and the statistics read again against clone
 * 1's, in as many invocations as the listing needs → `$.recheck`. Any difference fails with
 * OriginalChangedAfterVerification, which undoes the migration (phase A): the original keeps the data.
 */
function recheckPhase(scope: Construct, fns: StepFunctions, next: sfn.IChainable, compensation: sfn.IChainable): sfn.IChainable {
  const note = noteFailure(scope, 'Prove the original unchanged', compensation);
  const request: Fields<Omit<RecheckOriginalEvent, 'continuation'>> = {
    stackName: sfn.JsonPath.stringAt('$.input.stackName'),
    expectedStackId: sfn.JsonPath.stringAt('$.current.stackId'),
    verifiedCopy: sfn.JsonPath.objectAt('$.clone1.output'),
    statistics: sfn.JsonPath.objectAt('$.input.statistics'),
    execution: EXECUTION,
  };
  // CHANGED is thrown, never returned.
  const recheck = continuationLoop(scope, fns, {
    first: 'Prove the original unchanged',
    more: 'Prove more of the original unchanged',
    question: 'Original proven unchanged?',
    step: 'recheck-original',
    event: request,
    resultPath: '$.recheck',
    done: { UNCHANGED: next },
    cancellation: obeyInto(scope, 'Prove the original unchanged', note),
  });
  catchInto(recheck.calls, note);
  return recheck.start;
}

/**
 * Deletes the current environment now that a verified copy exists (invariant 1); delete-stack checks
 * the proof itself (verifiedCopy, expectedStackId) before emptying anything. A failed deletion is an
 * error of phase B: from here on the temporary copy may be the only complete copy.
 *
 * While CloudFormation deletes it, clone 2's snapshots of the temporary copy are taken (→
 * `$.tempSnapshots`, handed to clone 2): the same snapshots under the same names as clone 2 would
 * take first thing, of a copy nothing writes to, but no longer on the downtime's critical path.
 * They start only once the deletion is under way, in phase B, where the temporary stack is never
 * deleted: its databases are never deleted while being snapshotted.
 */
function deleteCurrentPhase(
  scope: Construct,
  fns: StepFunctions,
  next: sfn.IChainable,
  compensation: sfn.IChainable,
  refused: sfn.IChainable,
  props: MigrateDefinitionProps,
): sfn.IChainable {
  const note = noteFailure(scope, 'Delete the current environment', compensation);
  const describeFailure = describeDeletionFailure(scope, 'Describe the failed deletion of the current environment', '$.currentDeletionStatus');
  describeFailure.next(note);
  const loop = waitLoop<StackStatusEvent>(scope, fns, {
    check: 'Check the current environment',
    ready: 'Current environment deleted?',
    wait: 'Wait for the current environment deletion',
    step: 'stack-status',
    payload: { stackName: sfn.JsonPath.stringAt('$.input.stackName'), operation: 'DELETE', execution: EXECUTION },
    timeoutPath: '$.input.waits.stackDeleteSeconds',
    resultPath: '$.currentDeletionStatus',
    next,
    onFailed: describeFailure,
    // The deletion has started: a cancel request now keeps the temporary copy (phase B).
    cancellation: obeyInto(scope, 'Check the current environment', note),
  });
  const deletionEvent: Fields<Omit<DeleteStackEvent, 'continuation'>> = {
    stackName: sfn.JsonPath.stringAt('$.input.stackName'),
    execution: EXECUTION,
    reason: sfn.JsonPath.format('replaced by the new version: its verified copy {} holds all of its data', sfn.JsonPath.stringAt('$.tempStackName')),
    expectedStackId: sfn.JsonPath.stringAt('$.current.stackId'),
    verifiedCopy: sfn.JsonPath.objectAt('$.clone1.output'),
  };
  const snapshotTemp = lambdaStep(scope, 'Snapshot the temporary copy', fns, 'snapshot', {
    payload: eventOf<SnapshotEvent>({
      sourceStackName: sfn.JsonPath.stringAt('$.tempStackName'),
      dbInstances: sfn.JsonPath.listAt('$.clone1.output.destinationDbInstances'),
      phase: 'c2',
      runId: sfn.JsonPath.stringAt('$.runId'),
      execution: EXECUTION,
    }),
    resultPath: '$.tempSnapshots',
  });
  snapshotTemp.next(loop.start);
  // Buckets of millions of versions are compared, then emptied, in as many invocations as they need
  // (the same state again: every call has the same Catch, and the fault matrix reaches it on every route).
  const deletion = resumableStep(scope, fns, {
    begin: 'Begin deleting the current environment',
    call: 'Delete the current environment',
    question: 'Current environment emptied?',
    step: 'delete-stack',
    event: deletionEvent,
    resultPath: '$.currentDeletion',
    done: { DONE: snapshotTemp },
  });
  // delete-stack refuses before it deletes anything (no proof, a version its manifest does not name),
  // in any of its invocations (once deleting has begun it throws DeletionInterrupted instead):
  // the original is whole, so the migration is undone (phase A) and the original returns to service.
  // OriginalReplaced (another stack took the name: the original is gone) is not such a refusal: phase B keeps the copy.
  const refusedNote = sfn.Pass.jsonPath(scope, 'Note the refused deletion', { result: sfn.Result.fromObject({ state: 'Delete the current environment' }), resultPath: '$.failure' });
  refusedNote.next(refused);
  // A failure before anything was deleted, proven (DeletionNotStarted*: no delete request sent, every
  // verified version still there), is undone the same way; any other failure may follow a deletion: phase B.
  deletion.call.addRetry({ ...TRANSIENT_RETRY, errors: ['DeletionNotStartedTransient'] });
  deletion.call.addCatch(refusedNote, { errors: ['DeletionRefused', 'DeletionNotStarted', 'DeletionNotStartedTransient'], resultPath: '$.error' });
  catchInto([deletion.call, ...loop.checks], note);
  catchInto([snapshotTemp], noteFailure(scope, 'Snapshot the temporary copy', compensation));
  // The last safe point before the irreversible step: a cancel request here undoes the migration
  // (phase A, like a refused deletion), the original whole and back in service.
  return cancelInto(scope, props, refusedNote)('Begin deleting the current environment', deletion.start);
}

/** Clone 2: temporary stack → the environment's own name, at the target version (and template) → `$.clone2.output`. */
function secondClonePhase(scope: Construct, props: MigrateDefinitionProps, targets: ClonePhaseTargets): sfn.IChainable {
  const clone = cloneTask(scope, props, SECOND_CLONE_STATE, 'c2', '$.clone2');
  const identical = sfn.Choice.jsonPath(scope, 'Is the new environment identical?')
    .when(sfn.Condition.stringEquals('$.clone2.output.outcome', 'EQUAL'), targets.next)
    .otherwise(targets.mismatch);
  clone.next(identical);
  const note = noteFailure(scope, SECOND_CLONE_STATE, targets.compensation);
  catchInto([clone], note);

  const request = cloneRequest({
    source: '$.tempStackName',
    destination: '$.input.stackName',
    targetVersion: '$.input.targetVersion',
    parameters: true,
    phase: 'c2',
    snapshots: '$.tempSnapshots.snapshots',
  });
  const prepare = sfn.Pass.jsonPath(scope, 'Prepare the second clone', { parameters: request, resultPath: '$.clone2' });
  const withTemplate = copyIfPresent(
    scope,
    { question: 'Is a new template given?', copy: 'Add the new template to the second clone' },
    '$.input.templateUrl',
    '$.clone2.templateUrl',
    clone,
  );
  prepare.next(
    copyIfPresent(scope, { question: 'Smoke test the new environment?', copy: 'Add the smoke test to the second clone' }, '$.input.smokeTest', '$.clone2.smokeTest', withTemplate),
  );
  // Phase B: a cancel request keeps the temporary copy; `$.clone2` absent, no new stack to remove.
  return cancelInto(scope, props, note)('Prepare the second clone', prepare);
}

/**
 * After the new environment is verified: delete the temporary stack, then this migration's
 * snapshots (the original's kept when asked), then report success. Each clean-up action records
 * what it did under `$.cleanup` and the chain goes on whatever happens: the data is safe in the new
 * environment, and a clean-up that failed (phase C) ends the execution as failed, the notification
 * listing what is left to do by hand.
 */
function cleanUpPhase(scope: Construct, fns: StepFunctions, tail: sfn.IChainable): sfn.IChainable {
  const success = sfn.Pass.jsonPath(scope, 'Report success', {
    parameters: notice('SUCCEEDED', {
      survivor: sfn.JsonPath.stringAt('$.input.stackName'),
      statistics: sfn.JsonPath.objectAt('$.clone2.output.statistics'),
      // No per-bucket list on success (every bucket matched, the message says so): one report per
      // bucket would put the verification in the state a third time (256 KiB limit, 50 buckets).
      compensation: sfn.JsonPath.objectAt('$.cleanup'),
      inventory: sfn.JsonPath.listAt('$.inventory'),
      snapshotsInUse: sfn.JsonPath.listAt('$.clone2.output.snapshots'),
      deletionPlan: sfn.JsonPath.listAt('$.current.deletionPlan'),
      liveSync: sfn.JsonPath.objectAt('$.current.liveSync'),
    }),
    resultPath: '$.notice',
  });
  success.next(tail);
  const unfinished = (name: string, failedState: string, key: string) => {
    const report = sfn.Pass.jsonPath(scope, name, {
      parameters: notice('FAILED_AND_COMPENSATED', {
        survivor: sfn.JsonPath.stringAt('$.input.stackName'),
        failedState,
        error: sfn.JsonPath.objectAt(`$.cleanup.${key}`),
        compensation: sfn.JsonPath.objectAt('$.cleanup'),
      }),
      resultPath: '$.notice',
    });
    report.next(tail);
    return report;
  };
  const cleanedUp = sfn.Choice.jsonPath(scope, 'Was everything cleaned up?')
    .when(sfn.Condition.isPresent('$.cleanup.deleteTemporaryStack.Error'), unfinished('Report the leftover temporary stack', 'Delete the temporary stack', 'deleteTemporaryStack'))
    .when(sfn.Condition.isPresent('$.cleanup.deleteSnapshots.Error'), unfinished('Report the leftover snapshots', DELETE_SNAPSHOTS, 'deleteSnapshots'))
    .otherwise(success);

  const deleteSnapshots = sweepSnapshots(scope, fns, { name: DELETE_SNAPSHOTS, keepPath: '$.keepSnapshots', recordPath: '$.cleanup.deleteSnapshots', next: cleanedUp });
  // With retainOriginalSnapshots, clone 1's snapshots (of the original, now deleted) are the pre-migration backup.
  const listRetained = sfn.Map.jsonPath(scope, 'List the retained snapshots', {
    itemsPath: '$.clone1.output.snapshots',
    resultPath: '$.retainedSnapshots',
  });
  listRetained.itemProcessor(sfn.Pass.jsonPath(scope, 'Take the snapshot identifier', { inputPath: '$.snapshotIdentifier' }));
  const keepOriginals = sfn.Pass.jsonPath(scope, 'Keep the original snapshots as a backup', { inputPath: '$.clone1.output.snapshots', resultPath: '$.keepSnapshots' });
  const referenced = keepReferencedSnapshots(scope, deleteSnapshots);
  listRetained.next(keepOriginals).next(referenced);
  const retainNone = sfn.Pass.jsonPath(scope, 'Retain no snapshot', { result: sfn.Result.fromArray([]), resultPath: '$.retainedSnapshots' });
  const keepNone = sfn.Pass.jsonPath(scope, 'Keep no snapshot', { result: sfn.Result.fromArray([]), resultPath: '$.keepSnapshots' });
  retainNone.next(keepNone).next(referenced);
  const retained = sfn.Choice.jsonPath(scope, 'Keep the original snapshots?')
    .when(sfn.Condition.booleanEquals('$.input.retainOriginalSnapshots', true), listRetained)
    .otherwise(retainNone);

  const start = sfn.Pass.jsonPath(scope, 'Clean up', { result: sfn.Result.fromObject({}), resultPath: '$.cleanup' });
  start.next(
    undoStackDeletion(scope, fns, {
      key: 'deleteTemporaryStack',
      recordPath: '$.cleanup',
      stackNamePath: '$.tempStackName',
      reason: sfn.JsonPath.format('temporary copy of {}, no longer needed: the new environment is verified', sfn.JsonPath.stringAt('$.input.stackName')),
      names: {
        delete: 'Delete the temporary stack',
        check: 'Check the temporary stack',
        ready: 'Temporary stack deleted?',
        wait: 'Wait for the temporary stack deletion',
        failed: 'Note the temporary stack was not deleted',
      },
      next: retained,
    }),
  );
  return start;
}

/**
 * Adds clone 2's snapshots to `$.keepSnapshots` and lists every kept one in `$.retainedSnapshots`:
 * the new stack's `<LogicalId>SnapshotIdentifier` parameters name them, and CloudFormation restores
 * a replaced database from that snapshot on a later update, or replaces it with an EMPTY one if the
 * parameter changes (AWS::RDS::DBInstance, DBSnapshotIdentifier). They stay while the stack
 * references them. The flattening path needs a non-empty list: an environment without databases
 * has nothing to add.
 */
function keepReferencedSnapshots(scope: Construct, next: sfn.IChainable): sfn.IChainable {
  const gather = sfn.Pass.jsonPath(scope, 'Gather the snapshots to keep', {
    parameters: { groups: sfn.JsonPath.array(sfn.JsonPath.stringAt('$.keepSnapshots'), sfn.JsonPath.stringAt('$.clone2.output.snapshots')) },
    resultPath: '$.keepGroups',
  });
  const flatten = sfn.Pass.jsonPath(scope, 'Keep the snapshots the new stack restores from', { inputPath: '$.keepGroups.groups[*][*]', resultPath: '$.keepSnapshots' });
  const list = sfn.Map.jsonPath(scope, 'List the kept snapshots', { itemsPath: '$.keepSnapshots', resultPath: '$.retainedSnapshots' });
  list.itemProcessor(sfn.Pass.jsonPath(scope, 'Take the kept snapshot identifier', { inputPath: '$.snapshotIdentifier' }));
  gather.next(flatten).next(list).next(next);
  return sfn.Choice.jsonPath(scope, 'Does the new stack restore from snapshots?')
    .when(sfn.Condition.isPresent('$.clone2.output.snapshots[0]'), gather)
    .otherwise(next);
}

/** Name of the success path's snapshot clean-up (also the failed state a notification names). */
const DELETE_SNAPSHOTS = "Delete this migration's snapshots";

interface SweepProps {
  name: string;
  /** Path of the SnapshotRef[] to keep; absent: keep none. */
  keepPath?: string;
  /** Where the step's result, or the caught {Error, Cause}, is recorded. */
  recordPath: string;
  next: sfn.IChainable;
}

/**
 * Deletes this execution's snapshots, found by sweep (delete-snapshots with runId: every manual
 * snapshot named `em-<runId>-...` that carries this execution's tag, so those of a clone that failed
 * before reporting them too), except `keepPath`'s. Records the result (deleted, kept, not
 * deletable) or the error at `recordPath` and goes on to `next` whatever happens.
 */
function sweepSnapshots(scope: Construct, fns: StepFunctions, p: SweepProps): sfn.IChainable {
  const task = lambdaStep(scope, p.name, fns, 'delete-snapshots', {
    payload: eventOf<DeleteSnapshotsEvent>({
      snapshots: [],
      execution: EXECUTION,
      runId: sfn.JsonPath.stringAt('$.runId'),
      ...(p.keepPath ? { keep: sfn.JsonPath.listAt(p.keepPath) } : {}),
    }),
    resultPath: p.recordPath,
  });
  task.next(p.next);
  task.addCatch(p.next, { errors: [sfn.Errors.ALL], resultPath: p.recordPath });
  return task;
}

/** Turns a FAILED stack deletion into an error ({Error, Cause} in `$.error`) for the phase's compensation. */
function describeDeletionFailure(scope: Construct, name: string, statusPath: string): sfn.Pass {
  return sfn.Pass.jsonPath(scope, name, {
    parameters: { Error: 'StackDeleteFailed', Cause: sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt(`${statusPath}.failures`)) },
    resultPath: '$.error',
  });
}

/** A clone through the Clone state machine, waiting for it (.sync:2: the output is JSON), deterministic name. */
/**
 * What a migration gives each Clone execution (its input less the template and the smoke test, added
 * when present): the route (JSONPaths into the state), the input's settings, the run, and the cancel
 * request the clone reads at its own safe points. `parameters`: the input's, or none (the first clone
 * of the double clone recreates the current version).
 */
export function cloneRequest(route: {
  source: string;
  destination: string;
  targetVersion: string;
  parameters: boolean;
  phase: 'c1' | 'c2';
  /** Restore from these snapshots (a JSONPath) instead of taking new ones. */
  snapshots?: string;
}): Fields<Omit<CloneInput, 'smokeTest' | 'templateUrl'>> {
  return {
    sourceStackName: sfn.JsonPath.stringAt(route.source),
    destinationStackName: sfn.JsonPath.stringAt(route.destination),
    targetVersion: sfn.JsonPath.stringAt(route.targetVersion),
    parameters: route.parameters ? sfn.JsonPath.objectAt('$.input.parameters') : {},
    secretParameters: sfn.JsonPath.objectAt('$.input.secretParameters'),
    statistics: sfn.JsonPath.objectAt('$.input.statistics'),
    waits: sfn.JsonPath.objectAt('$.input.waits'),
    objectVersions: sfn.JsonPath.stringAt('$.input.objectVersions'),
    phase: route.phase,
    runId: sfn.JsonPath.stringAt('$.runId'),
    execution: EXECUTION,
    ...(route.snapshots ? { snapshots: sfn.JsonPath.listAt(route.snapshots) } : {}),
    cancellation: { stackName: sfn.JsonPath.stringAt('$.input.stackName') },
  };
}

export function cloneTask(
  scope: Construct,
  props: MigrateDefinitionProps,
  name: string,
  phase: 'c1' | 'c2' | typeof LIVE_CLONE_PHASE,
  requestPath: string,
  // Everything but `copies` (one copy report per bucket, read by no later state): Migrate holds
  // both clones' outputs at once, and the state is limited to 256 KiB.
  output: Fields<Omit<CloneOutput, 'copies'>> | Fields<Omit<ClonePrepared, 'copies'>> = {
    outcome: sfn.JsonPath.stringAt('$.Output.outcome'),
    sourceStackName: sfn.JsonPath.stringAt('$.Output.sourceStackName'),
    destinationStackName: sfn.JsonPath.stringAt('$.Output.destinationStackName'),
    destinationStackId: sfn.JsonPath.stringAt('$.Output.destinationStackId'),
    destinationDbInstances: sfn.JsonPath.listAt('$.Output.destinationDbInstances'),
    version: sfn.JsonPath.stringAt('$.Output.version'),
    snapshots: sfn.JsonPath.listAt('$.Output.snapshots'),
    verification: sfn.JsonPath.listAt('$.Output.verification'),
    statistics: sfn.JsonPath.objectAt('$.Output.statistics'),
  },
  timeoutSeconds = CLONE_TIMEOUT_SECONDS,
): sfn.TaskStateBase {
  const task = tasks.StepFunctionsStartExecution.jsonPath(scope, name, {
    stateMachine: props.cloneStateMachine,
    integrationPattern: sfn.IntegrationPattern.RUN_JOB,
    input: sfn.TaskInput.fromJsonPathAt(requestPath),
    // Same name on a retry: StartExecution is idempotent for a running execution with the same name and input.
    name: sfn.JsonPath.format(`{}-${phase}`, sfn.JsonPath.stringAt('$.runId')),
    resultSelector: { output },
    resultPath: requestPath,
    // validate-input keeps the waits within what this bound leaves: a clone that overruns fails this
    // task into its Catch, which compensates and notifies, before Migrate's own timeout could strike.
    taskTimeout: sfn.Timeout.duration(Duration.seconds(timeoutSeconds)),
  });
  task.addRetry(serviceRetry('StepFunctions'));
  return task;
}

// ---------------------------------------------------------------------------------------------
// PRESERVE & ALERT
// ---------------------------------------------------------------------------------------------

/**
 * Clone 1 differs: the current environment keeps the data. Delete the temporary copy, bring the
 * instances back into service, then alert with the differences.
 */
function preserveAfterFirstMismatch(scope: Construct, fns: StepFunctions, tail: sfn.IChainable): sfn.IChainable {
  const report = sfn.Pass.jsonPath(scope, 'Report the differing temporary copy', {
    parameters: notice('PRESERVED_AFTER_FIRST_CLONE_MISMATCH', {
      survivor: sfn.JsonPath.stringAt('$.input.stackName'),
      copyStackName: sfn.JsonPath.stringAt('$.tempStackName'),
      failedState: 'Is the temporary copy identical?',
      error: {
        Error: 'StatisticsMismatch',
        Cause: sfn.JsonPath.format(
          'the temporary copy {} differs from {}: {}',
          sfn.JsonPath.stringAt('$.tempStackName'),
          sfn.JsonPath.stringAt('$.input.stackName'),
          sfn.JsonPath.stringAt('$.clone1.output.statistics.summary'),
        ),
      },
      statistics: sfn.JsonPath.objectAt('$.clone1.output.statistics'),
      verification: sfn.JsonPath.listAt('$.clone1.output.verification'),
      compensation: sfn.JsonPath.objectAt('$.compensation'),
    }),
    resultPath: '$.notice',
  });
  report.next(tail);
  const removeSnapshots = sweepSnapshots(scope, fns, { name: "Delete the differing copy's snapshots", recordPath: '$.compensation.deleteSnapshots', next: report });
  const exit = undoStandby(scope, fns, {
    prepare: 'Prepare to bring the instances back',
    exit: 'Bring the instances back into service',
    check: 'Check the instances coming back',
    ready: 'Instances back in service?',
    wait: 'Wait for the instances to come back',
    done: 'Note the instances are back',
    next: removeSnapshots,
  });
  const deleteTemp = undoStackDeletion(scope, fns, {
    key: 'deleteTemporaryStack',
    stackNamePath: '$.tempStackName',
    reason: sfn.JsonPath.format('temporary copy that differs from {}: the original keeps the data', sfn.JsonPath.stringAt('$.input.stackName')),
    names: {
      delete: 'Delete the temporary copy',
      check: 'Check the temporary copy deletion',
      ready: 'Temporary copy deleted?',
      wait: 'Wait for the temporary copy deletion',
      failed: 'Note the temporary copy was not deleted',
    },
    next: exit,
  });
  return startCompensation(scope, 'Preserve the current environment', deleteTemp);
}

/**
 * Clone 2 differs: the temporary stack is the ONLY complete copy and is never deleted. Delete the
 * mismatched new environment (tagged with this execution), then alert naming the temporary stack.
 */
function preserveAfterSecondMismatch(scope: Construct, fns: StepFunctions, tail: sfn.IChainable): sfn.IChainable {
  const report = sfn.Pass.jsonPath(scope, 'Report the differing new environment', {
    parameters: notice('PRESERVED_AFTER_SECOND_CLONE_MISMATCH', {
      survivor: sfn.JsonPath.stringAt('$.tempStackName'),
      copyStackName: sfn.JsonPath.stringAt('$.tempStackName'),
      failedState: 'Is the new environment identical?',
      error: {
        Error: 'StatisticsMismatch',
        Cause: sfn.JsonPath.format(
          'the new environment {} differs from the temporary copy {}, which keeps the data: {}',
          sfn.JsonPath.stringAt('$.input.stackName'),
          sfn.JsonPath.stringAt('$.tempStackName'),
          sfn.JsonPath.stringAt('$.clone2.output.statistics.summary'),
        ),
      },
      statistics: sfn.JsonPath.objectAt('$.clone2.output.statistics'),
      verification: sfn.JsonPath.listAt('$.clone2.output.verification'),
      compensation: sfn.JsonPath.objectAt('$.compensation'),
    }),
    resultPath: '$.notice',
  });
  report.next(tail);
  // The original is gone: its snapshots (clone 1's) are kept as a backup, clone 2's deleted.
  const removeSnapshots = sweepSnapshots(scope, fns, {
    name: "Delete the second clone's snapshots",
    keepPath: '$.clone1.output.snapshots',
    recordPath: '$.compensation.deleteSnapshots',
    next: report,
  });
  const deleteNew = undoStackDeletion(scope, fns, {
    key: 'deleteNewStack',
    stackNamePath: '$.input.stackName',
    reason: sfn.JsonPath.format('new environment that differs from its source {}, which keeps the data', sfn.JsonPath.stringAt('$.tempStackName')),
    names: {
      delete: 'Delete the mismatched new environment',
      check: 'Check the mismatched new environment',
      ready: 'Mismatched new environment deleted?',
      wait: 'Wait for the mismatched new environment deletion',
      failed: 'Note the mismatched new environment was not deleted',
    },
    next: removeSnapshots,
  });
  return startCompensation(scope, 'Preserve the temporary copy', deleteNew);
}

// ---------------------------------------------------------------------------------------------
// Compensation (saga)
// ---------------------------------------------------------------------------------------------

/**
 * Phase A, the current environment untouched: delete the temporary stack if clone 1 was started,
 * return the instances to service if they may have left it, delete every snapshot of this
 * migration, then alert: the current environment keeps the data.
 */
function undoBeforeDeletion(scope: Construct, props: MigrateDefinitionProps, tail: sfn.IChainable): sfn.IChainable {
  const { fns } = props;
  const report = sfn.Pass.jsonPath(scope, 'Report the undone migration', {
    parameters: failedNotice({ survivor: sfn.JsonPath.stringAt('$.input.stackName'), compensation: sfn.JsonPath.objectAt('$.compensation'), copyStackName: sfn.JsonPath.stringAt('$.tempStackName'), }),
    resultPath: '$.notice',
  });
  report.next(tail);

  // The clone may have failed before reporting its snapshots: they are found by their name and tag.
  const removeSnapshots = sweepSnapshots(scope, fns, { name: "Remove this migration's snapshots", recordPath: '$.compensation.deleteSnapshots', next: report });

  const exit = undoStandby(scope, fns, {
    prepare: 'Prepare the return to service',
    ifRecorded: { question: 'Was the standby recorded?', copy: 'Add the standby record' },
    exit: 'Return the instances to service',
    check: 'Check the returning instances',
    ready: 'Instances returned?',
    wait: 'Wait for the returning instances',
    done: 'Note the instances are returned',
    next: removeSnapshots,
  });
  // standby-exit also recovers groups standby-enter tagged before failing, so it runs whenever the
  // groups are known, even without a StandbyRecord.
  const mayBeInStandby = sfn.Choice.jsonPath(scope, 'May instances be in standby?').when(sfn.Condition.isPresent('$.current'), exit).otherwise(removeSnapshots);

  const removeTemp = undoStackDeletion(scope, fns, {
    key: 'deleteTemporaryStack',
    stackNamePath: '$.tempStackName',
    reason: sfn.JsonPath.format('temporary copy of {}, undone after a failure: the original keeps the data', sfn.JsonPath.stringAt('$.input.stackName')),
    names: {
      delete: 'Remove the temporary stack',
      check: 'Check the temporary stack removal',
      ready: 'Temporary stack removed?',
      wait: 'Wait for the temporary stack removal',
      failed: 'Note the temporary stack was not removed',
    },
    next: mayBeInStandby,
  });
  // A live sync's PREPARE ran as its own execution: stopped too (nothing to stop without live sync).
  const stopLive = stopClone(scope, props, 'Stop the copy made while serving', LIVE_CLONE_PHASE, removeTemp);
  const stop = stopClone(scope, props, 'Stop the first clone', 'c1', stopLive);
  const tempMayExist = sfn.Choice.jsonPath(scope, 'Was the first clone started?').when(sfn.Condition.isPresent('$.clone1'), stop).otherwise(mayBeInStandby);
  return startCompensation(scope, 'Undo the migration', tempMayExist);
}

/**
 * Phase B, the current environment deleted or being deleted: the temporary stack holds the data
 * and is NEVER deleted. Delete the partial new stack if clone 2 had started (it carries this
 * execution's tag; delete-stack refuses anything else, and a refusal does not stop the alert), and
 * clone 2's snapshots; clone 1's, the backup of the original environment, are kept and listed.
 */
function keepTheTemporaryCopy(scope: Construct, props: MigrateDefinitionProps, tail: sfn.IChainable): sfn.IChainable {
  const { fns } = props;
  const report = sfn.Pass.jsonPath(scope, 'Report the kept temporary copy', {
    parameters: failedNotice({ survivor: sfn.JsonPath.stringAt('$.tempStackName'), compensation: sfn.JsonPath.objectAt('$.compensation'), copyStackName: sfn.JsonPath.stringAt('$.tempStackName'), }),
    resultPath: '$.notice',
  });
  report.next(tail);
  // The original is gone or going: its snapshots (clone 1's) are kept as a backup, clone 2's deleted.
  const removeSnapshots = sweepSnapshots(scope, fns, {
    name: "Remove the second clone's snapshots",
    keepPath: '$.clone1.output.snapshots',
    recordPath: '$.compensation.deleteSnapshots',
    next: report,
  });
  const removePartial = undoStackDeletion(scope, fns, {
    key: 'deleteNewStack',
    stackNamePath: '$.input.stackName',
    reason: sfn.JsonPath.format('partial new environment of a failed migration; the temporary copy {} keeps the data', sfn.JsonPath.stringAt('$.tempStackName')),
    names: {
      delete: 'Remove the partial new environment',
      check: 'Check the partial new environment removal',
      ready: 'Partial new environment removed?',
      wait: 'Wait for the partial new environment removal',
      failed: 'Note the partial new environment was not removed',
    },
    next: removeSnapshots,
  });
  const stop = stopClone(scope, props, 'Stop the second clone', 'c2', removePartial);
  const started = sfn.Choice.jsonPath(scope, 'Was the second clone started?').when(sfn.Condition.isPresent('$.clone2'), stop).otherwise(removeSnapshots);
  return startCompensation(scope, 'Keep the temporary copy', started);
}

/**
 * Stops the clone's execution before its work is undone. The Clone task can fail while its
 * execution still runs (the task's own timeout, a failure to follow the child), and a clone left
 * running would go on creating the stack and snapshots the compensation is about to delete.
 * StopExecution of an execution that never started or already ended changes nothing; any failure
 * is recorded and the chain goes on.
 */
function stopClone(scope: Construct, props: MigrateDefinitionProps, name: string, phase: 'c1' | 'c2' | typeof LIVE_CLONE_PHASE, next: sfn.IChainable): sfn.IChainable {
  const executions = `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:execution:${props.cloneStateMachine.stateMachineName}`;
  const stop = tasks.CallAwsService.jsonPath(scope, name, {
    service: 'sfn',
    action: 'stopExecution',
    iamAction: 'states:StopExecution',
    iamResources: [`${executions}:*`],
    parameters: {
      // The name cloneTask gives it.
      ExecutionArn: sfn.JsonPath.format(`${executions}:{}-${phase}`, sfn.JsonPath.stringAt('$.runId')),
      Error: 'MigrationCompensating',
      Cause: 'the migration failed and is undoing what this clone did',
    },
    resultPath: sfn.JsonPath.DISCARD,
    taskTimeout: SERVICE_TASK_TIMEOUT,
  });
  stop.addRetry({ ...serviceRetry('StepFunctions'), errors: [...serviceRetry('StepFunctions').errors!.map((e) => e.replace(/^StepFunctions\./, 'Sfn.'))] });
  // Never started (StartExecution itself failed): nothing to stop. SDK integrations name errors
  // "<Service>.<Exception>" ("Handling errors", AWS SDK service integrations).
  stop.addCatch(next, { errors: ['Sfn.ExecutionDoesNotExistException', 'Sfn.ExecutionDoesNotExist'], resultPath: sfn.JsonPath.DISCARD });
  stop.addCatch(next, { errors: [sfn.Errors.ALL], resultPath: `$.compensation.stopClone${phase === 'c1' ? '1' : phase === 'c2' ? '2' : 'Live'}` });
  stop.next(next);
  return stop;
}

/** Every compensation chain starts with an empty record of what it did. */
export function startCompensation(scope: Construct, name: string, next: sfn.IChainable): sfn.IChainable {
  const start = sfn.Pass.jsonPath(scope, name, { result: sfn.Result.fromObject({}), resultPath: '$.compensation' });
  start.next(next);
  return start;
}

interface UndoStackProps {
  /** Key under `recordPath`. */
  key: string;
  /** Where the action is recorded (default `$.compensation`). */
  recordPath?: string;
  stackNamePath: string;
  reason: string;
  names: { delete: string; check: string; ready: string; wait: string; failed: string };
  next: sfn.IChainable;
}

/**
 * A compensating stack deletion: delete + wait, recording `{status: DONE, target}` or the error
 * under `<recordPath>.<key>`, and going on to `next` whatever happens.
 */
function undoStackDeletion(scope: Construct, fns: StepFunctions, p: UndoStackProps): sfn.IChainable {
  const notePath = `${p.recordPath ?? '$.compensation'}.${p.key}`;
  const failed = sfn.Pass.jsonPath(scope, p.names.failed, {
    parameters: { Error: 'StackDeleteFailed', Cause: sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt(`$.undo.${p.key}.failures`)) },
    resultPath: notePath,
  });
  failed.next(p.next);
  const loop = waitLoop<StackStatusEvent>(scope, fns, {
    check: p.names.check,
    ready: p.names.ready,
    wait: p.names.wait,
    step: 'stack-status',
    payload: { stackName: sfn.JsonPath.stringAt(p.stackNamePath), operation: 'DELETE', execution: EXECUTION },
    timeoutPath: '$.input.waits.stackDeleteSeconds',
    resultPath: `$.undo.${p.key}`,
    next: p.next,
    onFailed: failed,
  });
  // The deletion started (DONE): recorded as `{status, target}` for the notification, then waited for.
  const started = sfn.Pass.jsonPath(scope, `${p.names.delete}: deletion started`, {
    parameters: { status: 'DONE', target: sfn.JsonPath.stringAt(`$.undo.${p.key}.stackName`) },
    resultPath: notePath,
  });
  started.next(loop.start);
  const event: Fields<Pick<DeleteStackEvent, 'stackName' | 'execution' | 'reason'>> = { stackName: sfn.JsonPath.stringAt(p.stackNamePath), execution: EXECUTION, reason: p.reason };
  // A copy of millions of versions is emptied in as many invocations as it needs (the same state again).
  const deletion = resumableStep(scope, fns, {
    begin: `${p.names.delete}: begin`,
    call: p.names.delete,
    question: `${p.names.delete}: buckets emptied?`,
    step: 'delete-stack',
    event,
    resultPath: `$.undo.${p.key}`,
    done: { DONE: started },
  });
  for (const s of [deletion.call, ...loop.checks]) s.addCatch(p.next, { errors: [sfn.Errors.ALL], resultPath: notePath });
  return deletion.start;
}

export interface UndoStandbyNames {
  prepare: string;
  /** Names of the Choice and Pass adding the StandbyRecord when it may be absent; omitted when it is known to exist. */
  ifRecorded?: { question: string; copy: string };
  exit: string;
  check: string;
  ready: string;
  wait: string;
  done: string;
  next: sfn.IChainable;
}

/**
 * Brings the current environment's instances back into service (invariant 3): standby-exit with the
 * discovered groups and the StandbyRecord when there is one (standby-exit recovers groups that
 * standby-enter tagged before failing), then wait until they are InService.
 * Records `$.compensation.exitStandby` and goes on to `next` whatever happens.
 */
export function undoStandby(scope: Construct, fns: StepFunctions, n: UndoStandbyNames): sfn.IChainable {
  const notePath = '$.compensation.exitStandby';
  const done = sfn.Pass.jsonPath(scope, n.done, { result: sfn.Result.fromObject({ status: 'DONE' }), resultPath: notePath });
  done.next(n.next);
  const loop = waitLoop<StandbyStatusEvent>(scope, fns, {
    check: n.check,
    ready: n.ready,
    wait: n.wait,
    step: 'standby-status',
    payload: { standby: sfn.JsonPath.objectAt('$.standbyExit.standby'), direction: 'EXIT', execution: EXECUTION },
    timeoutPath: '$.input.waits.standbySeconds',
    resultPath: '$.undo.exitStandby',
    next: done,
  });
  const exit = lambdaStep(scope, n.exit, fns, 'standby-exit', {
    inputPath: '$.standbyExit',
    resultPath: '$.standbyExit',
  });
  // Instances still entering standby (a standby-enter that failed or timed out moments ago) can be
  // moved back only once in Standby (ExitStandby, Auto Scaling API reference): about ten minutes of patience.
  exit.addRetry({ errors: ['StandbyInTransition'], interval: Duration.seconds(10), backoffRate: 2, maxAttempts: 6 });
  exit.next(loop.start);
  for (const s of [exit, ...loop.checks]) s.addCatch(n.next, { errors: [sfn.Errors.ALL], resultPath: notePath });

  const request: Fields<StandbyExitEvent> = {
    autoScalingGroups: sfn.JsonPath.listAt('$.current.autoScalingGroups'),
    execution: EXECUTION,
    ...(n.ifRecorded ? {} : { standby: sfn.JsonPath.objectAt('$.standby') }),
  };
  const prepare = sfn.Pass.jsonPath(scope, n.prepare, { parameters: request, resultPath: '$.standbyExit' });
  prepare.next(n.ifRecorded ? copyIfPresent(scope, n.ifRecorded, '$.standby', '$.standbyExit.standby', exit) : exit);
  return prepare;
}

// ---------------------------------------------------------------------------------------------
// The one ending: notify, unlock, end
// ---------------------------------------------------------------------------------------------

/**
 * The ComposeNotificationEvent of an outcome of a validated input, as Parameters. Common fields
 * default to this execution's; `fields` adds or overrides the rest.
 */
export function notice(outcome: Outcome, fields: Partial<Fields<ComposeNotificationEvent>>): Fields<ComposeNotificationEvent> {
  return {
    outcome,
    stackName: sfn.JsonPath.stringAt('$.input.stackName'),
    version: sfn.JsonPath.stringAt('$.input.targetVersion'),
    execution: EXECUTION,
    survivor: JSON_NULL,
    cleanedUp: [],
    leftToDo: [],
    ...fields,
  };
}

/** FAILED_AND_COMPENSATED, with the failed state and the original error. */
export function failedNotice(fields: Partial<Fields<ComposeNotificationEvent>>): Fields<ComposeNotificationEvent> {
  return notice('FAILED_AND_COMPENSATED', {
    failedState: sfn.JsonPath.stringAt('$.failure.state'),
    error: sfn.JsonPath.objectAt('$.error'),
    ...fields,
  });
}

/**
 * A blue/green run's other two locks (the idle slot's and the entry point's), released like the
 * stack's: each on the condition that it is still ours, a failure recorded for the notification.
 */
function releaseBlueGreenLocks(scope: Construct, props: MigrateDefinitionProps, next: sfn.IChainable): sfn.IChainable {
  const releaseOne = (name: string, keyPath: string, record: string, then: sfn.IChainable) => {
    const release = tasks.DynamoDeleteItem.jsonPath(scope, name, {
      table: props.lockTable,
      key: { stackName: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt(keyPath)) },
      conditionExpression: '#owner = :me',
      expressionAttributeNames: { '#owner': 'owner' },
      expressionAttributeValues: { ':me': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$.execution.id')) },
      resultPath: sfn.JsonPath.DISCARD,
      taskTimeout: SERVICE_TASK_TIMEOUT,
    });
    release.addRetry(serviceRetry('DynamoDB'));
    release.addCatch(then, { errors: ['DynamoDB.ConditionalCheckFailedException'], resultPath: sfn.JsonPath.DISCARD });
    release.addCatch(then, { errors: [sfn.Errors.ALL], resultPath: `$.notice.compensation.${record}` });
    release.next(then);
    return release;
  };
  const record = releaseOne("Release the entry point's lock", '$.blueGreen.recordLockKey', 'releaseEntryPointLock', next);
  const idle = releaseOne("Release the idle slot's lock", '$.blueGreen.idleSlot', 'releaseIdleSlotLock', record);
  return sfn.Choice.jsonPath(scope, 'Other locks to release?').when(IS_BLUE_GREEN, idle).otherwise(next);
}

/**
 * The shared ending of every outcome, once nothing acts on the environment any more: release the
 * lock when this execution holds it (a release that fails is recorded, so the notification lists
 * it as left to do by hand), compose and publish the notification (a failure to notify is recorded
 * and does not stop the ending), then end the way the outcome says.
 */
function notifyAndFinish(scope: Construct, props: MigrateDefinitionProps): sfn.IChainable {
  const outcomeIs = (o: Outcome) => sfn.Condition.stringEquals('$.notice.outcome', o);
  const errorOf = { errorPath: '$.notice.error.Error', causePath: '$.notice.error.Cause' };

  const report = sfn.Pass.jsonPath(scope, 'Report the migration', {
    parameters: {
      outcome: 'SUCCEEDED',
      stackName: sfn.JsonPath.stringAt('$.input.stackName'),
      stackId: sfn.JsonPath.stringAt('$.clone2.output.destinationStackId'),
      version: sfn.JsonPath.stringAt('$.input.targetVersion'),
      previousVersion: sfn.JsonPath.stringAt('$.current.environmentVersion'),
      // The digest and the document's place, never the document: it can exceed what a state may hold.
      statistics: {
        dataSha256: sfn.JsonPath.stringAt('$.clone2.output.statistics.destination.dataSha256'),
        values: sfn.JsonPath.numberAt('$.clone2.output.statistics.destination.values'),
        document: sfn.JsonPath.objectAt('$.clone2.output.statistics.destination.document'),
        summary: sfn.JsonPath.stringAt('$.clone2.output.statistics.summary'),
      } satisfies Fields<MigrationStatistics>,
      snapshotsRetained: sfn.JsonPath.listAt('$.retainedSnapshots'),
      executionArn: sfn.JsonPath.stringAt('$.execution.id'),
      objectVersions: sfn.JsonPath.stringAt('$.input.objectVersions'),
      buckets: sfn.JsonPath.listAt('$.inventory'),
      deletionPlan: sfn.JsonPath.listAt('$.current.deletionPlan'),
      liveSync: sfn.JsonPath.objectAt('$.current.liveSync'),
    } satisfies Fields<MigrationOutput>,
  });
  const succeeded = sfn.Succeed.jsonPath(scope, 'Migration succeeded');
  report.next(succeeded);
  const switched = blueGreenReport(scope);
  switched.next(succeeded);

  const howItEnded = sfn.Choice.jsonPath(scope, 'How did it end?')
    .when(sfn.Condition.and(outcomeIs('SUCCEEDED'), IS_BLUE_GREEN), switched)
    .when(outcomeIs('SUCCEEDED'), report)
    .when(outcomeIs('REJECTED_INPUT'), sfn.Fail.jsonPath(scope, 'Input rejected', errorOf))
    .when(outcomeIs('MIGRATION_IN_PROGRESS'), sfn.Fail.jsonPath(scope, 'Migration already running', errorOf))
    .when(outcomeIs('PRESERVED_AFTER_FIRST_CLONE_MISMATCH'), sfn.Fail.jsonPath(scope, 'Temporary copy differs', errorOf))
    .when(outcomeIs('PRESERVED_AFTER_SECOND_CLONE_MISMATCH'), sfn.Fail.jsonPath(scope, 'New environment differs', errorOf))
    .otherwise(sfn.Fail.jsonPath(scope, 'Migration failed', errorOf));

  const compose = lambdaStep(scope, 'Compose the notification', props.fns, 'compose-notification', {
    inputPath: '$.notice',
    resultPath: '$.notification',
  });
  const publish = tasks.SnsPublish.jsonPath(scope, 'Publish the notification', {
    topic: props.topic,
    subject: sfn.JsonPath.stringAt('$.notification.subject'),
    message: sfn.TaskInput.fromJsonPathAt('$.notification.message'),
    messageAttributes: { details: { value: sfn.JsonPath.stringAt('$.notification.details'), dataType: tasks.MessageAttributeDataType.STRING } },
    resultPath: sfn.JsonPath.DISCARD,
    taskTimeout: SERVICE_TASK_TIMEOUT,
  });
  publish.addRetry(serviceRetry('SNS'));
  publish.addCatch(howItEnded, { errors: [sfn.Errors.ALL], resultPath: '$.notificationError' });
  publish.next(howItEnded);
  // The composer could not run (it crashed twice): a plain notification built here still goes out,
  // naming everything this execution may have left for an engineer to check.
  const plainFacts = sfn.Pass.jsonPath(scope, 'List what to check by hand', {
    parameters: {
      outcome: sfn.JsonPath.stringAt('$.notice.outcome'),
      stackName: sfn.JsonPath.stringAt('$.notice.stackName'),
      survivor: sfn.JsonPath.objectAt('$.notice.survivor'),
      executionArn: sfn.JsonPath.stringAt('$.notice.execution.id'),
      notificationError: sfn.JsonPath.stringAt('$.notificationError.Error'),
      leftToDo: sfn.JsonPath.array(
        sfn.JsonPath.format(
          'the notification could not be composed: check by hand what this execution left, in its history: the stacks {} and {}, the DB snapshots {}*, the migration lock of {}',
          sfn.JsonPath.stringAt('$.input.stackName'),
          sfn.JsonPath.stringAt('$.tempStackName'),
          sfn.JsonPath.format('em-{}-', sfn.JsonPath.stringAt('$.runId')),
          sfn.JsonPath.stringAt('$.input.stackName'),
        ),
      ),
    },
    resultPath: '$.plainNotice',
  });
  const plain = sfn.Pass.jsonPath(scope, 'Compose a plain notification', {
    parameters: {
      subject: sfn.JsonPath.format('[env-migrator] {} - see the execution for the details', sfn.JsonPath.stringAt('$.notice.outcome')),
      message: sfn.JsonPath.format(
        'The migration of {} ended with outcome {}. The data is in: {}. The full notification could not be composed ({}): {}. Every detail is in the execution {}',
        sfn.JsonPath.stringAt('$.notice.stackName'),
        sfn.JsonPath.stringAt('$.notice.outcome'),
        sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.notice.survivor')),
        sfn.JsonPath.stringAt('$.notificationError.Error'),
        sfn.JsonPath.stringAt('$.plainNotice.leftToDo[0]'),
        sfn.JsonPath.stringAt('$.notice.execution.id'),
      ),
      details: sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.plainNotice')),
    },
    resultPath: '$.notification',
  });
  // A rejected input left nothing, and names no stack the state can be sure of.
  const nothingToCheck = sfn.Pass.jsonPath(scope, 'List nothing to check', {
    parameters: {
      outcome: sfn.JsonPath.stringAt('$.notice.outcome'),
      stackName: sfn.JsonPath.stringAt('$.notice.stackName'),
      survivor: JSON_NULL,
      executionArn: sfn.JsonPath.stringAt('$.notice.execution.id'),
      notificationError: sfn.JsonPath.stringAt('$.notificationError.Error'),
      leftToDo: sfn.JsonPath.array('nothing: the input was rejected before anything was touched'),
    },
    resultPath: '$.plainNotice',
  });
  plainFacts.next(plain);
  nothingToCheck.next(plain);
  plain.next(publish);
  const touched = sfn.Choice.jsonPath(scope, 'Was the input accepted?').when(outcomeIs('REJECTED_INPUT'), nothingToCheck).otherwise(plainFacts);
  compose.addCatch(touched, { errors: [sfn.Errors.ALL], resultPath: '$.notificationError' });
  // The execution ends with the error the notification names, which says what was found: a failed
  // Clone's own error (not the States.TaskFailed that wraps it), BucketsDiffer (compose-notification).
  const nameFound = sfn.Pass.jsonPath(scope, 'Name the error that was found', {
    parameters: { Error: sfn.JsonPath.stringAt('$.notification.error.Error'), Cause: sfn.JsonPath.stringAt('$.notification.error.Cause') },
    resultPath: '$.notice.error',
  });
  nameFound.next(publish);
  compose.next(
    sfn.Choice.jsonPath(scope, 'Does the notification name an error?').when(sfn.Condition.isPresent('$.notification.error'), nameFound).otherwise(publish),
  );

  const release = tasks.DynamoDeleteItem.jsonPath(scope, 'Release the lock', {
    table: props.lockTable,
    key: { stackName: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$.input.stackName')) },
    conditionExpression: '#owner = :me',
    expressionAttributeNames: { '#owner': 'owner' },
    expressionAttributeValues: { ':me': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$.execution.id')) },
    resultPath: sfn.JsonPath.DISCARD,
    taskTimeout: SERVICE_TASK_TIMEOUT,
  });
  release.addRetry(serviceRetry('DynamoDB'));
  // Blue/green locked the idle slot and the entry point's record too (statemachine/blue-green.ts).
  const releaseOthers = releaseBlueGreenLocks(scope, props, compose);
  // Not ours (never taken, or expired and taken since) or already gone: nothing to release.
  release.addCatch(releaseOthers, { errors: ['DynamoDB.ConditionalCheckFailedException'], resultPath: '$.lockReleaseError' });
  // Still held after the retries: the notification lists it as left to do by hand (the TTL is the safety net).
  release.addCatch(releaseOthers, { errors: [sfn.Errors.ALL], resultPath: '$.notice.compensation.releaseLock' });
  release.next(releaseOthers);
  const lockIsOurs = sfn.Choice.jsonPath(scope, 'Is the lock ours?')
    .when(sfn.Condition.or(outcomeIs('REJECTED_INPUT'), outcomeIs('MIGRATION_IN_PROGRESS')), compose)
    .otherwise(release);
  return lockIsOurs;
}
