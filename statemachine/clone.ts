/**
 * The Clone state machine: copies one environment (source stack) into a new stack, with the data,
 * and says whether the copy is identical. Input CloneInput, output CloneOutput (contracts.ts).
 *
 *   discover source → snapshot DBs (unless the caller started them) · wait → create the destination
 *   from the snapshots · wait
 *   → discover destination → copy + verify each bucket (Map) → smoke test · wait → compare statistics
 *   → outcome EQUAL | MISMATCH
 *
 * The execution SUCCEEDS with either outcome: the caller (Migrate) decides what a mismatch means.
 * Clone compensates nothing itself except a destination stack whose creation failed; any other
 * failure fails the execution and the caller compensates (it knows what exists).
 *
 * State layout: the CloneInput fields at the root, plus `required`, `source`, `snapshot`,
 * `snapshotStatus`, `created`, `createdStatus`, `destination`, `buckets`, `smokeTestStatus`,
 * `statistics`, `copies`, `verification`, `verdicts`, `tally`, `objectVersions` ("all" when not given).
 */
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type {
  ChecksumJobStatusEvent,
  ClonePrepared,
  CloneOutput,
  CompareStatisticsEvent,
  CopyBucketEvent,
  CreateStackEvent,
  DeleteStackEvent,
  DiscoverEvent,
  PlanPromotionEvent,
  PromoteReplicasEvent,
  PromotionStatusEvent,
  ReplicaStatusEvent,
  SmokeTestEvent,
  SnapshotEvent,
  SnapshotStatusEvent,
  SourceDiscovery,
  SplitBucketEvent,
  StackStatusEvent,
  StartChecksumJobEvent,
  VerifyBucketEvent,
} from '../lambdas/shared/contracts';
import { MIGRATION_CANCELLED } from '../lambdas/shared/errors';
import { CHECKSUM_JOB_TIMEOUT_SECONDS, MAX_KEY_RANGES } from '../lambdas/steps';
import { CANCEL_STATE_PREFIXES } from './cancel-names';
import { CANCEL_REQUEST_TEXT, cancelPoint, type CancelCheck, EXECUTION, type LoopCancellation, continuationLoop, copyIfPresent, eventOf, lambdaStep, listRequiredOutputs, resumableStep, waitLoop, type Fields, type StepFunctions } from './building-blocks';

/**
 * The Task states only a live sync's clones run: PREPARE's plan and pre-copy, FINISH's catch-up and
 * promotion (named by the fault matrix, which faults them on live-sync routes only).
 */
export const LIVE_SYNC_CLONE_TASK_STATES = [
  'Plan the promotion',
  'Check the promotion plan',
  'Check the promotion plan again',
  'Pre-copy objects',
  'Pre-copy more objects',
  // The cancel point before the standby: its Task's name is the cancel check's (cancel-names.ts).
  `${CANCEL_STATE_PREFIXES.read}Report the prepared copy)`,
  'Check the read replicas',
  'Check the read replicas again',
  'Promote the read replicas',
  'Check the promotion',
  'Check the promotion again',
] as const;

/** What a key range's iteration ends with when it stopped for a cancel request (instead of its totals). */
const RANGE_STOPPED = 'STOPPED';

/** Bucket pairs copied at once: each copy already runs many requests in parallel. */
export const BUCKET_COPY_CONCURRENCY = 8;

/**
 * Builds the Clone definition; `scope` must hold no other machine's states (names are construct ids).
 * `lockTable` is where a Migrate's cancel request is read (CloneInput.cancellation).
 */
export function buildCloneDefinition(scope: Construct, fns: StepFunctions, lockTable: dynamodb.ITable): sfn.IChainable {
  // A cancel request ends the clone with MigrationCancelled at its next safe point; Migrate's Catch
  // of the clone compensates (Clone itself compensates nothing, see above).
  const flag = { lockTable, stackNamePath: '$.cancellation.stackName', ownerPath: '$.execution.id', onlyIf: '$.cancellation.stackName' };
  const cancelled = sfn.Fail.jsonPath(scope, 'Clone cancelled', { error: MIGRATION_CANCELLED, causePath: CANCEL_REQUEST_TEXT });
  const cancel: CancelCheck = (where, next) => cancelPoint(scope, where, flag, cancelled, next);
  // In a bucket's copy the request ends the iteration quietly instead of failing it: a failed
  // iteration would stop the others wherever they are, a copy Lambda still writing into the stack
  // Migrate is about to delete. Each iteration stops at its own safe point; once all have, the safe
  // point after the Map fails the clone.
  const bucketStopped = sfn.Pass.jsonPath(scope, 'Stop copying the bucket', { parameters: { cancelled: sfn.JsonPath.stringAt(CANCEL_REQUEST_TEXT) } });
  // The loops' steps read the request themselves (`$.cancellation`: {} when the clone runs alone,
  // and nothing is read); the one safe point of Clone's own is after the copies.
  const obey: LoopCancellation = { ref: sfn.JsonPath.objectAt('$.cancellation'), cancelled };
  const obeyInMap: LoopCancellation = { ref: sfn.JsonPath.objectAt('$.cancellation'), cancelled: bucketStopped };
  // Built from the end, each phase receiving the one that follows it.
  const report = reportPhase(scope);
  const statistics = statisticsPhase(scope, fns, report);
  const smokeTest = smokeTestPhase(scope, fns, statistics, obey);
  // After the Map: iterations that stopped for a request ended quietly; here the clone fails.
  // Each graph (a Map's iterations, a Parallel's branch) ends quietly in a state of its own.
  const precopyStopped = sfn.Pass.jsonPath(scope, 'Stop pre-copying the bucket', { parameters: { cancelled: sfn.JsonPath.stringAt(CANCEL_REQUEST_TEXT) } });
  const catchUpStopped = sfn.Pass.jsonPath(scope, 'Stop catching up the replicas', { parameters: {} });
  const prepared = prepareLivePhase(scope, fns, cancel, { ref: obeyInMap.ref, cancelled: precopyStopped });
  const replicas = catchUpPhase(scope, fns, { ref: obeyInMap.ref, cancelled: catchUpStopped });
  const copy = copyPhase(scope, fns, cancel('Run a smoke test?', smokeTest), obeyInMap, { prepare: prepared, replicas });
  const destination = destinationPhase(scope, fns, copy);
  const create = createStackPhase(scope, fns, destination, obey);
  const finish = finishLivePhase(scope, destination);
  const snapshot = snapshotPhase(scope, fns, create.fromSnapshots, obey, { replicas: create.asReplicas, finish });
  const source = sourcePhase(scope, fns, snapshot);
  // `$.cancellation` always exists from here on (the Map's iterations are given it): {} when the
  // clone runs alone, which makes every safe point a no-op.
  const alone = sfn.Pass.jsonPath(scope, 'Run without a cancel request', { result: sfn.Result.fromObject({}), resultPath: '$.cancellation' });
  alone.next(source);
  return sfn.Choice.jsonPath(scope, 'Can a migration cancel this clone?').when(sfn.Condition.isPresent('$.cancellation'), source).otherwise(alone);
}

/** Which outputs the source must have, then its discovery and preflight → `$.source`. */
function sourcePhase(scope: Construct, fns: StepFunctions, next: sfn.IChainable): sfn.IChainable {
  const discover = lambdaStep(scope, 'Discover the source stack', fns, 'discover', {
    payload: eventOf<DiscoverEvent>({
      stackName: sfn.JsonPath.stringAt('$.sourceStackName'),
      execution: EXECUTION,
      requiredOutputs: sfn.JsonPath.listAt('$.required.outputKeys'),
    }),
    // Everything but the template body (up to 51,200 bytes, and it would travel twice: here and in the
    // create-stack request): create-stack reads it itself. The state stays small (256 KiB limit).
    resultSelector: {
      stackName: sfn.JsonPath.stringAt('$.stackName'),
      stackId: sfn.JsonPath.stringAt('$.stackId'),
      stackStatus: sfn.JsonPath.stringAt('$.stackStatus'),
      parameters: sfn.JsonPath.listAt('$.parameters'),
      outputs: sfn.JsonPath.objectAt('$.outputs'),
      tags: sfn.JsonPath.objectAt('$.tags'),
      autoScalingGroups: sfn.JsonPath.listAt('$.autoScalingGroups'),
      dbInstances: sfn.JsonPath.listAt('$.dbInstances'),
      buckets: sfn.JsonPath.listAt('$.buckets'),
      environmentVersion: sfn.JsonPath.stringAt('$.environmentVersion'),
    } satisfies Fields<SourceDiscovery>,
    resultPath: '$.source',
  });
  discover.next(next);
  return listRequiredOutputs(
    scope,
    { question: 'Is a smoke test configured?', withSmokeTest: 'Require the statistics and service outputs', withoutSmokeTest: 'Require the statistics output' },
    { statistics: '$.statistics', smokeTest: '$.smokeTest' },
    discover,
  );
}

/**
 * One manual snapshot per source database → `$.snapshot` (or the ones the caller started), then
 * wait until all are available.
 */
function snapshotPhase(
  scope: Construct,
  fns: StepFunctions,
  next: sfn.IChainable,
  cancellation: LoopCancellation,
  live: { replicas: sfn.IChainable; finish: sfn.IChainable },
): sfn.IChainable {
  const failed = sfn.Fail.jsonPath(scope, 'Snapshot failed', { error: 'SnapshotFailed', causePath: '$.snapshotStatus.reason' });
  const loop = waitLoop<SnapshotStatusEvent>(scope, fns, {
    check: 'Check the snapshots',
    ready: 'Snapshots ready?',
    wait: 'Wait for the snapshots',
    step: 'snapshot-status',
    payload: { snapshots: sfn.JsonPath.listAt('$.snapshot.snapshots'), execution: EXECUTION },
    timeoutPath: '$.waits.snapshotSeconds',
    resultPath: '$.snapshotStatus',
    // Each check reads the cancel request first: the last before the destination stack is created
    // is the check that finds the snapshots ready (in both clones: clone 2 waits for its given ones).
    next,
    onFailed: failed,
    cancellation,
  });
  // Snapshots the caller already started (CloneInput.snapshots) are waited for, not taken again.
  const given = sfn.Pass.jsonPath(scope, 'Use the given snapshots', { parameters: { snapshots: sfn.JsonPath.listAt('$.snapshots') }, resultPath: '$.snapshot' });
  given.next(loop.start);
  const snapshot = lambdaStep(scope, 'Snapshot the source databases', fns, 'snapshot', {
    payload: eventOf<SnapshotEvent>({
      sourceStackName: sfn.JsonPath.stringAt('$.sourceStackName'),
      dbInstances: sfn.JsonPath.listAt('$.source.dbInstances'),
      phase: sfn.JsonPath.stringAt('$.phase'),
      runId: sfn.JsonPath.stringAt('$.runId'),
      execution: EXECUTION,
    }),
    resultPath: '$.snapshot',
  });
  snapshot.next(loop.start);
  // Live sync takes no snapshot: PREPARE creates the destination with read replicas, FINISH (which
  // carries what PREPARE returned) goes on with the destination PREPARE made.
  return sfn.Choice.jsonPath(scope, 'Were the snapshots started?')
    .when(sfn.Condition.isPresent('$.liveSync.prepared'), live.finish)
    .when(sfn.Condition.isPresent('$.liveSync'), live.replicas)
    .when(sfn.Condition.isPresent('$.snapshots'), given)
    .otherwise(snapshot);
}

/**
 * The destination stack from the snapshots → `$.created`, then wait for CREATE_COMPLETE. The request
 * is prepared in `$.created` (templateUrl only when given) and replaced there by the step's result.
 * A failed creation is deleted before the execution fails: nobody else knows it exists half-made.
 */
function createStackPhase(
  scope: Construct,
  fns: StepFunctions,
  next: sfn.IChainable,
  cancellation: LoopCancellation,
): { fromSnapshots: sfn.IChainable; asReplicas: sfn.IChainable } {
  const describeFailure = failWithStackEvents(scope, { describe: 'Describe the creation failure', fail: 'Stack creation failed', error: 'StackCreateFailed', statusPath: '$.createdStatus', causePath: '$.creationFailure' });

  // Whether the failed stack's deletion completes or fails, the execution fails with the creation's reasons.
  const deletionLoop = waitLoop<StackStatusEvent>(scope, fns, {
    check: 'Check the failed stack deletion',
    ready: 'Failed stack deleted?',
    wait: 'Wait for the failed stack deletion',
    step: 'stack-status',
    payload: { stackName: sfn.JsonPath.stringAt('$.destinationStackName'), operation: 'DELETE', execution: EXECUTION },
    timeoutPath: '$.waits.stackDeleteSeconds',
    resultPath: '$.failedStackStatus',
    next: describeFailure,
    onFailed: describeFailure,
  });
  const deletionEvent: Fields<Pick<DeleteStackEvent, 'stackName' | 'execution' | 'reason'>> = {
    stackName: sfn.JsonPath.stringAt('$.destinationStackName'),
    execution: EXECUTION,
    reason: sfn.JsonPath.format('its creation failed ({})', sfn.JsonPath.stringAt('$.createdStatus.stackStatus')),
  };
  // Like every deletion, in as many invocations as its buckets need.
  const deleteFailed = resumableStep(scope, fns, {
    begin: 'Begin deleting the failed stack',
    call: 'Delete the failed stack',
    question: 'Failed stack emptied?',
    step: 'delete-stack',
    event: deletionEvent,
    resultPath: '$.failedStackDeletion',
    done: { DONE: deletionLoop.start },
  }).start;

  const creationLoop = waitLoop<StackStatusEvent>(scope, fns, {
    check: 'Check the destination stack',
    ready: 'Stack created?',
    wait: 'Wait for the stack creation',
    step: 'stack-status',
    payload: { stackName: sfn.JsonPath.stringAt('$.destinationStackName'), operation: 'CREATE', execution: EXECUTION },
    timeoutPath: '$.waits.stackCreateSeconds',
    resultPath: '$.createdStatus',
    next,
    onFailed: deleteFailed,
    cancellation,
  });
  const create = lambdaStep(scope, 'Create the destination stack', fns, 'create-stack', {
    inputPath: '$.created',
    resultPath: '$.created',
  });
  create.next(creationLoop.start);

  const request: Fields<Omit<CreateStackEvent, 'templateUrl' | 'secretParameters'>> = {
    source: sfn.JsonPath.objectAt('$.source'),
    destinationStackName: sfn.JsonPath.stringAt('$.destinationStackName'),
    targetVersion: sfn.JsonPath.stringAt('$.targetVersion'),
    parameterOverrides: sfn.JsonPath.objectAt('$.parameters'),
    snapshots: sfn.JsonPath.listAt('$.snapshot.snapshots'),
    execution: EXECUTION,
  };
  const prepare = sfn.Pass.jsonPath(scope, 'Prepare the destination stack', {
    parameters: request,
    resultPath: '$.created',
  });
  // Live sync's PREPARE: every database a read replica of its source partner, no snapshot.
  const replicas = sfn.Pass.jsonPath(scope, 'Prepare the destination stack with read replicas', {
    parameters: { ...request, snapshots: [], liveSync: true } satisfies Fields<Omit<CreateStackEvent, 'templateUrl' | 'secretParameters'>>,
    resultPath: '$.created',
  });
  // Secret parameters are optional in a Clone run alone: copied only when given (ARNs; create-stack reads the values).
  const withSecrets = copyIfPresent(scope, { question: 'Are secret parameters given?', copy: 'Use the given secret parameters' }, '$.secretParameters', '$.created.secretParameters', create);
  const withTemplate = copyIfPresent(scope, { question: 'Is a template given?', copy: 'Use the given template' }, '$.templateUrl', '$.created.templateUrl', withSecrets);
  prepare.next(withTemplate);
  replicas.next(withTemplate);
  return { fromSnapshots: prepare, asReplicas: replicas };
}

/**
 * Live sync's FINISH, the source no longer written to: the destination PREPARE created (its stack
 * → `$.created`, no snapshot → `$.snapshot`), then on as the snapshot copy does from the
 * destination's discovery; the copy phase catches the replicas up beside the bucket copies.
 */
function finishLivePhase(scope: Construct, next: sfn.IChainable): sfn.IChainable {
  const noSnapshot = sfn.Pass.jsonPath(scope, 'Take no snapshot', { result: sfn.Result.fromObject({ snapshots: [] }), resultPath: '$.snapshot' });
  noSnapshot.next(next);
  const stack = sfn.Pass.jsonPath(scope, 'Use the prepared destination', {
    parameters: {
      stackName: sfn.JsonPath.stringAt('$.destinationStackName'),
      stackId: sfn.JsonPath.stringAt('$.liveSync.prepared.destinationStackId'),
      alreadyExisted: true,
    },
    resultPath: '$.created',
  });
  stack.next(noSnapshot);
  return stack;
}

/**
 * Beside the bucket copies (copyPhase's Parallel), live sync's FINISH catches the read replicas up:
 * wait until every replica has applied all the source wrote (→ `$.replicaStatus`; WaitTimedOut
 * past waits.replicaCatchUpSeconds fails the clone, and Migrate returns the source to service),
 * promote them by executing the change set PREPARE checked (→ `$.promoted`) and wait for the update
 * (→ `$.promotedStatus`). A failed promotion fails the clone with the stack's reasons; Migrate deletes
 * the destination (the source still holds it all). Without live sync: nothing. Ends with {} (the
 * Parallel's result holds the bucket branch's state only, 256 KiB limit). A cancel request ends the
 * branch quietly before the promotion, like the bucket iterations: the safe point after the copies
 * fails the clone once every branch stopped.
 */
function catchUpPhase(scope: Construct, fns: StepFunctions, cancellation: LoopCancellation): sfn.IChainable {
  const done = sfn.Pass.jsonPath(scope, 'Replicas caught up and promoted', { parameters: {} });
  const describeFailure = failWithStackEvents(scope, { describe: 'Describe the promotion failure', fail: 'Promotion failed', error: 'StackUpdateFailed', statusPath: '$.promotedStatus', causePath: '$.promotionFailure' });
  const updated = waitLoop<StackStatusEvent>(scope, fns, {
    check: 'Check the promotion',
    ready: 'Replicas promoted?',
    wait: 'Wait for the promotion',
    step: 'stack-status',
    // The change set executed: an earlier UPDATE_COMPLETE of the stack is not this one.
    payload: { stackName: sfn.JsonPath.stringAt('$.destinationStackName'), operation: 'UPDATE', changeSetId: sfn.JsonPath.stringAt('$.promoted.changeSetId'), execution: EXECUTION },
    timeoutPath: '$.waits.stackCreateSeconds',
    resultPath: '$.promotedStatus',
    next: done,
    onFailed: describeFailure,
  });
  const promote = lambdaStep(scope, 'Promote the read replicas', fns, 'promote-replicas', {
    payload: eventOf<PromoteReplicasEvent>({ promotion: sfn.JsonPath.objectAt('$.liveSync.prepared.promotion'), execution: EXECUTION }),
    resultPath: '$.promoted',
  });
  promote.next(updated.start);
  const caughtUp = waitLoop<ReplicaStatusEvent>(scope, fns, {
    check: 'Check the read replicas',
    ready: 'Replicas caught up?',
    wait: 'Wait for the read replicas',
    step: 'replica-status',
    payload: {
      dbInstances: sfn.JsonPath.listAt('$.liveSync.prepared.destinationDbInstances'),
      execution: EXECUTION,
    },
    timeoutPath: '$.waits.replicaCatchUpSeconds',
    resultPath: '$.replicaStatus',
    // The last safe point before the promotion: after it the replicas no longer follow the source.
    next: promote,
    cancellation,
  });
  const nothing = sfn.Pass.jsonPath(scope, 'No replica to catch up', { parameters: {} });
  return sfn.Choice.jsonPath(scope, 'Catch up read replicas?').when(sfn.Condition.isPresent('$.liveSync.prepared'), caughtUp.start).otherwise(nothing);
}

/**
 * Live sync's PREPARE, once the destination exists: the change set that will promote its replicas,
 * created and read now (→ `$.promotion`, `$.promotionStatus`: PromotionUnsafe fails the clone while
 * the source still serves), then every bucket copied (→ `$.copies`), nothing verified: the source
 * still changes, FINISH copies what changed and verifies. Ends with ClonePrepared.
 */
function prepareLivePhase(scope: Construct, fns: StepFunctions, cancel: CancelCheck, obeyInMap: LoopCancellation): sfn.IChainable {
  const output: Fields<ClonePrepared> = {
    outcome: 'PREPARED',
    sourceStackName: sfn.JsonPath.stringAt('$.sourceStackName'),
    destinationStackName: sfn.JsonPath.stringAt('$.destinationStackName'),
    destinationStackId: sfn.JsonPath.stringAt('$.created.stackId'),
    destinationDbInstances: sfn.JsonPath.listAt('$.destination.dbInstances'),
    promotion: sfn.JsonPath.objectAt('$.promotion'),
    copies: sfn.JsonPath.listAt('$.copies'),
  };
  const report = sfn.Pass.jsonPath(scope, 'Report the prepared copy', { parameters: output });
  report.next(sfn.Succeed.jsonPath(scope, 'Copy prepared'));

  const copyEvent: Fields<Omit<CopyBucketEvent, 'continuation'>> = {
    pair: sfn.JsonPath.objectAt('$.pair'),
    objectVersions: sfn.JsonPath.stringAt('$.objectVersions'),
    mirror: true,
    execution: EXECUTION,
  };
  const reportBucket = sfn.Pass.jsonPath(scope, 'Report the pre-copied bucket', { parameters: { copy: sfn.JsonPath.objectAt('$.copy.continuation.totals') } });
  const copy = continuationLoop(scope, fns, {
    first: 'Pre-copy objects',
    more: 'Pre-copy more objects',
    question: 'All objects pre-copied?',
    step: 'copy-bucket',
    event: copyEvent,
    resultPath: '$.copy',
    done: { DONE: reportBucket },
    cancellation: obeyInMap,
  });
  const eachBucket = sfn.Map.jsonPath(scope, 'Pre-copy each bucket', {
    itemsPath: '$.destination.bucketPairs',
    itemSelector: {
      pair: sfn.JsonPath.objectAt('$$.Map.Item.Value'),
      objectVersions: sfn.JsonPath.stringAt('$.objectVersions'),
      execution: EXECUTION,
      cancellation: sfn.JsonPath.objectAt('$.cancellation'),
    },
    maxConcurrency: BUCKET_COPY_CONCURRENCY,
    resultPath: '$.copies',
  });
  eachBucket.itemProcessor(copy.start);
  const copies = project(scope, 'Collect the pre-copy results', 'Take the pre-copy result', '$.copies', '$.copy', '$.copies');
  eachBucket.next(copies);
  // After the Map: iterations that stopped for a request ended quietly; here the clone fails.
  copies.next(cancel('Report the prepared copy', report));

  const planned = waitLoop<PromotionStatusEvent>(scope, fns, {
    check: 'Check the promotion plan',
    ready: 'Promotion plan safe?',
    wait: 'Wait for the promotion plan',
    step: 'promotion-status',
    payload: { promotion: sfn.JsonPath.objectAt('$.promotion'), execution: EXECUTION },
    timeoutPath: '$.waits.stackCreateSeconds',
    resultPath: '$.promotionStatus',
    // Seconds, before the standby: a cancel request is obeyed by the pre-copy and the safe point after it.
    next: eachBucket,
  });
  const plan = lambdaStep(scope, 'Plan the promotion', fns, 'plan-promotion', {
    payload: eventOf<PlanPromotionEvent>({
      stackName: sfn.JsonPath.stringAt('$.destinationStackName'),
      dbInstances: sfn.JsonPath.listAt('$.source.dbInstances'),
      phase: sfn.JsonPath.stringAt('$.phase'),
      runId: sfn.JsonPath.stringAt('$.runId'),
      execution: EXECUTION,
    }),
    resultPath: '$.promotion',
  });
  plan.next(planned.start);
  return plan;
}

/**
 * Fails the clone with `error` and, as its cause, the stack's failure reasons a stack-status wait
 * found (`<statusPath>.failures`, as JSON text kept at `<causePath>.cause`). Returns the first state.
 */
function failWithStackEvents(scope: Construct, names: { describe: string; fail: string; error: string; statusPath: string; causePath: string }): sfn.Pass {
  const describe = sfn.Pass.jsonPath(scope, names.describe, {
    parameters: { cause: sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt(`${names.statusPath}.failures`)) },
    resultPath: names.causePath,
  });
  describe.next(sfn.Fail.jsonPath(scope, names.fail, { error: names.error, causePath: `${names.causePath}.cause` }));
  return describe;
}

/** The destination's discovery, paired with the source by logical ID → `$.destination.bucketPairs`. */
function destinationPhase(scope: Construct, fns: StepFunctions, next: sfn.IChainable): sfn.IChainable {
  const discover = lambdaStep(scope, 'Discover the destination stack', fns, 'discover', {
    payload: eventOf<DiscoverEvent>({
      stackName: sfn.JsonPath.stringAt('$.destinationStackName'),
      execution: EXECUTION,
      pairWith: sfn.JsonPath.objectAt('$.source'),
      requiredOutputs: sfn.JsonPath.listAt('$.required.outputKeys'),
    }),
    // Only the pairs (and the databases, for the output) are needed from here on; the state stays
    // small (256 KiB limit).
    resultSelector: { bucketPairs: sfn.JsonPath.listAt('$.bucketPairs'), dbInstances: sfn.JsonPath.listAt('$.dbInstances') },
    resultPath: '$.destination',
  });
  discover.next(next);
  return discover;
}

/**
 * Each bucket pair split into key ranges (→ `$.split`), each range copied by its own invocations at
 * once (CONTINUE loops with the continuation → `$.ranges`: each range's totals), then the whole
 * bucket verified (likewise) → `$.buckets`: [{pair, copy, verification}]. A bucket of one range
 * costs 4 state transitions more than one copy loop (the split, the Map, "Report the key range",
 * "Was a key range stopped?"). Which versions
 * are carried (`$.objectVersions`) is "all" unless the input says otherwise.
 */
function copyPhase(
  scope: Construct,
  fns: StepFunctions,
  next: sfn.IChainable,
  cancellation: LoopCancellation,
  live: { prepare: sfn.IChainable; replicas: sfn.IChainable },
): sfn.IChainable {
  const item: Fields<Omit<VerifyBucketEvent, 'continuation'>> = {
    pair: sfn.JsonPath.objectAt('$.pair'),
    objectVersions: sfn.JsonPath.stringAt('$.objectVersions'),
    phase: sfn.JsonPath.stringAt('$.phase'),
    execution: EXECUTION,
    // The copy's totals, one per key range (verify-bucket sums them): how big the bucket is decides
    // how versions that need reading are proven.
    bucketTotals: sfn.JsonPath.listAt('$.ranges.totals'),
  };
  const copyEvent: Fields<Omit<CopyBucketEvent, 'continuation'>> = {
    pair: sfn.JsonPath.objectAt('$.pair'),
    objectVersions: sfn.JsonPath.stringAt('$.objectVersions'),
    // The destination is this run's own new bucket: what the source does not have does not belong in
    // it (a key live sync's pre-copy carried and the source deleted since, an earlier attempt's copy).
    // Each key range removes only its own keys.
    mirror: true,
    range: sfn.JsonPath.objectAt('$.range'),
    execution: EXECUTION,
  };
  // Only what the clone's output needs of the last verification: no continuation is left once it is done.
  const reportBucket = sfn.Pass.jsonPath(scope, 'Report the bucket', {
    // Only what the report needs: with 50 buckets the collected results stay far below 256 KiB
    // (the verification names the pair; the copy's own continuation is of no use any more).
    parameters: {
      // The key ranges' totals, summed by the verification.
      copy: sfn.JsonPath.objectAt('$.verification.copyTotals'),
      verification: sfn.JsonPath.objectAt('$.verification'),
    },
  });
  const verify = continuationLoop(scope, fns, {
    first: 'Verify the bucket copy',
    more: 'Verify more of the bucket copy',
    question: 'All of the bucket verified?',
    step: 'verify-bucket',
    event: item,
    resultPath: '$.verification',
    done: { EQUAL: reportBucket, MISMATCH: reportBucket, PROOF_NEEDED: proofPhase(scope, fns, item, reportBucket, cancellation) },
    cancellation,
  });
  // A range's iteration ends with its totals only (the Map's result stays small: 256 KiB limit); one
  // stopped for a cancel request ends quietly with RANGE_STOPPED, and then the bucket stops too,
  // unverified, once every range has ended (the safe point after the buckets fails the clone).
  const rangeCopied = sfn.Pass.jsonPath(scope, 'Report the key range', { inputPath: '$.copy.continuation.totals' });
  const rangeStopped = sfn.Pass.jsonPath(scope, 'Stop copying the key range', { result: sfn.Result.fromString(RANGE_STOPPED) });
  // The request's text stays in the stopped range's iteration: the bucket names it in general words.
  const bucketStoppedInRanges = sfn.Pass.jsonPath(scope, 'Note the stopped key ranges', { result: sfn.Result.fromString('a key range of the bucket stopped for the cancel request'), resultPath: CANCEL_REQUEST_TEXT });
  bucketStoppedInRanges.next(cancellation.cancelled);
  const copy = continuationLoop(scope, fns, {
    first: 'Copy objects',
    more: 'Copy more objects',
    question: 'All objects copied?',
    step: 'copy-bucket',
    event: copyEvent,
    resultPath: '$.copy',
    done: { DONE: rangeCopied },
    // The first call reads the request too: an iteration started after it copies nothing.
    cancellation: { ref: cancellation.ref, cancelled: rangeStopped },
  });
  // One copy function copies ~1,000 objects/s (CPU): a large bucket is cut into key ranges copied by
  // as many invocations at once (split-bucket; a bucket of one listing page is one range, {}).
  const eachRange = sfn.Map.jsonPath(scope, 'Copy each key range', {
    itemsPath: '$.split.ranges',
    itemSelector: {
      pair: sfn.JsonPath.objectAt('$.pair'),
      objectVersions: sfn.JsonPath.stringAt('$.objectVersions'),
      execution: EXECUTION,
      cancellation: sfn.JsonPath.objectAt('$.cancellation'),
      range: sfn.JsonPath.objectAt('$$.Map.Item.Value'),
    },
    maxConcurrency: MAX_KEY_RANGES,
    resultSelector: { totals: sfn.JsonPath.listAt('$'), stopped: sfn.JsonPath.arrayContains(sfn.JsonPath.listAt('$'), RANGE_STOPPED) },
    resultPath: '$.ranges',
  });
  eachRange.itemProcessor(copy.start);
  eachRange.next(sfn.Choice.jsonPath(scope, 'Was a key range stopped?').when(sfn.Condition.booleanEquals('$.ranges.stopped', true), bucketStoppedInRanges).otherwise(verify.start));
  const split = lambdaStep(scope, 'Split the bucket into key ranges', fns, 'split-bucket', {
    payload: eventOf<SplitBucketEvent>({ pair: sfn.JsonPath.objectAt('$.pair'), execution: EXECUTION }),
    // Only the ranges travel on (at most MAX_KEY_RANGES, two keys each).
    resultSelector: { ranges: sfn.JsonPath.listAt('$.ranges') },
    resultPath: '$.split',
  });
  split.next(eachRange);

  const eachBucket = sfn.Map.jsonPath(scope, 'Copy each bucket', {
    itemsPath: '$.destination.bucketPairs',
    itemSelector: {
      pair: sfn.JsonPath.objectAt('$$.Map.Item.Value'),
      objectVersions: sfn.JsonPath.stringAt('$.objectVersions'),
      phase: sfn.JsonPath.stringAt('$.phase'),
      execution: EXECUTION,
      checksumJobSeconds: CHECKSUM_JOB_TIMEOUT_SECONDS,
      cancellation: sfn.JsonPath.objectAt('$.cancellation'),
    },
    maxConcurrency: BUCKET_COPY_CONCURRENCY,
    resultPath: '$.buckets',
  });
  eachBucket.itemProcessor(split);
  // Live sync's FINISH catches its read replicas up and promotes them while the buckets copy what
  // changed: the downtime holds the longer of the two, not their sum. The state after is the
  // buckets' branch's (the other ends with {}).
  const copies = sfn.Parallel.jsonPath(scope, 'Copy the buckets', { outputPath: '$[1]' });
  copies.branch(live.replicas);
  copies.branch(eachBucket);
  copies.next(next);

  // A Clone started on its own may leave objectVersions out: every version is copied.
  const allVersions = sfn.Pass.jsonPath(scope, 'Copy every version', { result: sfn.Result.fromString('all'), resultPath: '$.objectVersions' });
  allVersions.next(copies);
  // Live sync's PREPARE (a liveSync without what PREPARE returned) pre-copies instead; FINISH copies
  // and verifies like the snapshot copy.
  // (Presence only, in this order: the local executor evaluates `IsPresent: false` as never true.)
  const finishing = sfn.Condition.isPresent('$.liveSync.prepared');
  return sfn.Choice.jsonPath(scope, 'Are the versions to copy given?')
    .when(sfn.Condition.and(finishing, sfn.Condition.isPresent('$.objectVersions')), copies)
    .when(finishing, allVersions)
    .when(sfn.Condition.isPresent('$.liveSync'), live.prepare)
    .when(sfn.Condition.isPresent('$.objectVersions'), copies)
    .otherwise(allVersions);
}

/**
 * Versions the verification could not prove itself (PROOF_NEEDED): an S3 Batch Operations Compute
 * checksum job on each side, waited for (`$.proof.source`, `$.proof.destination`: READY with the
 * result document, or FAILED), then the verification's second pass compares the two checksums per
 * version: EQUAL or MISMATCH. A failed job is not an error here: its versions are NOT_COMPARABLE, a
 * mismatch. Errors (CreateJob refused, a wait past CHECKSUM_JOB_TIMEOUT_SECONDS) fail the clone like
 * any other step's.
 */
function proofPhase(scope: Construct, fns: StepFunctions, item: Record<string, unknown>, next: sfn.IChainable, cancellation: LoopCancellation): sfn.IChainable {
  const prove = lambdaStep(scope, 'Verify the bucket copy with the checksums', fns, 'verify-bucket', {
    payload: sfn.TaskInput.fromObject({
      ...item,
      continuation: sfn.JsonPath.objectAt('$.verification.continuation'),
      proofResults: { source: sfn.JsonPath.objectAt('$.proof.source'), destination: sfn.JsonPath.objectAt('$.proof.destination') },
    }),
    resultPath: '$.verification',
  });
  // No Default: the second pass answers EQUAL or MISMATCH; anything else is a bug and fails loudly.
  prove.next(
    sfn.Choice.jsonPath(scope, 'Checksums compared?')
      .when(sfn.Condition.stringEquals('$.verification.status', 'EQUAL'), next)
      .when(sfn.Condition.stringEquals('$.verification.status', 'MISMATCH'), next),
  );
  const side = (name: 'source' | 'destination', title: string, afterwards: sfn.IChainable) => {
    const wait = waitLoop<ChecksumJobStatusEvent>(scope, fns, {
      check: `Check the ${name} checksum job`,
      ready: `${title} checksums computed?`,
      wait: `Wait for the ${name} checksum job`,
      step: 'checksum-job-status',
      payload: {
        execution: EXECUTION,
        jobId: sfn.JsonPath.stringAt(`$.proofJobs.${name}.jobId`),
        reportBucket: sfn.JsonPath.stringAt(`$.verification.proof.manifests.${name}.bucket`),
        reportPrefix: sfn.JsonPath.stringAt(`$.verification.proof.reportPrefixes.${name}`),
      },
      timeoutPath: '$.checksumJobSeconds',
      resultPath: `$.proof.${name}`,
      next: afterwards,
      onFailed: afterwards,
      cancellation,
    });
    const start = lambdaStep(scope, `Start the ${name} checksum job`, fns, 'start-checksum-job', {
      payload: eventOf<StartChecksumJobEvent>({
        execution: EXECUTION,
        bucket: sfn.JsonPath.stringAt(name === 'source' ? '$.pair.sourceBucket' : '$.pair.destinationBucket'),
        manifest: sfn.JsonPath.objectAt(`$.verification.proof.manifests.${name}`),
        reportPrefix: sfn.JsonPath.stringAt(`$.verification.proof.reportPrefixes.${name}`),
      }),
      resultPath: `$.proofJobs.${name}`,
    });
    return { start, wait: wait.start };
  };
  // Both jobs run at once in S3: start both, then wait for one and the other.
  const destination = side('destination', 'Destination', prove);
  const source = side('source', 'Source', destination.wait);
  source.start.next(destination.start);
  destination.start.next(source.wait);
  return source.start;
}

/** When configured, probe the destination until it answers as expected (or the wait times out). */
function smokeTestPhase(scope: Construct, fns: StepFunctions, next: sfn.IChainable, cancellation: LoopCancellation): sfn.IChainable {
  const loop = waitLoop<SmokeTestEvent>(scope, fns, {
    check: 'Probe the new environment',
    ready: 'Smoke test passed?',
    wait: 'Wait before probing again',
    step: 'smoke-test',
    payload: {
      stackName: sfn.JsonPath.stringAt('$.destinationStackName'),
      smokeTest: sfn.JsonPath.objectAt('$.smokeTest'),
      execution: EXECUTION,
    },
    timeoutPath: '$.waits.smokeTestSeconds',
    resultPath: '$.smokeTestStatus',
    next,
    cancellation,
  });
  return sfn.Choice.jsonPath(scope, 'Run a smoke test?').when(sfn.Condition.isPresent('$.smokeTest'), loop.start).otherwise(next);
}

/** Both environments' statistics endpoints, compared → `$.statistics`. */
function statisticsPhase(scope: Construct, fns: StepFunctions, next: sfn.IChainable): sfn.IChainable {
  const compare = lambdaStep(scope, 'Compare the statistics', fns, 'compare-statistics', {
    payload: eventOf<CompareStatisticsEvent>({
      sourceStackName: sfn.JsonPath.stringAt('$.sourceStackName'),
      destinationStackName: sfn.JsonPath.stringAt('$.destinationStackName'),
      statistics: sfn.JsonPath.objectAt('$.statistics'),
      execution: EXECUTION,
    }),
    resultPath: '$.statistics',
  });
  compare.next(next);
  return compare;
}

/**
 * Tallies the per-bucket results and builds CloneOutput. The arrays are projected with small Map
 * states rather than `$.buckets[*].x` paths: the local executor returns a lone value (one bucket) or
 * nothing (no bucket) for such a path instead of an array, and the tally must hold for 0, 1 or n buckets.
 */
function reportPhase(scope: Construct): sfn.IChainable {
  const done = sfn.Succeed.jsonPath(scope, 'Copy reported');
  const output = (outcome: CloneOutput['outcome']): Fields<CloneOutput> => ({
    outcome,
    sourceStackName: sfn.JsonPath.stringAt('$.sourceStackName'),
    destinationStackName: sfn.JsonPath.stringAt('$.destinationStackName'),
    destinationStackId: sfn.JsonPath.stringAt('$.created.stackId'),
    destinationDbInstances: sfn.JsonPath.listAt('$.destination.dbInstances'),
    version: sfn.JsonPath.stringAt('$.targetVersion'),
    snapshots: sfn.JsonPath.listAt('$.snapshot.snapshots'),
    copies: sfn.JsonPath.listAt('$.copies'),
    verification: sfn.JsonPath.listAt('$.buckets'),
    statistics: sfn.JsonPath.objectAt('$.statistics'),
  });
  const identical = sfn.Pass.jsonPath(scope, 'Report an identical copy', { parameters: output('EQUAL') });
  const different = sfn.Pass.jsonPath(scope, 'Report a differing copy', { parameters: output('MISMATCH') });
  identical.next(done);
  different.next(done);
  const verdict = sfn.Choice.jsonPath(scope, 'Is the copy identical?')
    .when(
      sfn.Condition.and(sfn.Condition.stringEquals('$.statistics.status', 'EQUAL'), sfn.Condition.booleanEquals('$.tally.anyMismatch', false)),
      identical,
    )
    .otherwise(different);

  const tally = sfn.Pass.jsonPath(scope, 'Tally the verification', {
    parameters: { anyMismatch: sfn.JsonPath.arrayContains(sfn.JsonPath.listAt('$.verdicts'), 'MISMATCH') },
    resultPath: '$.tally',
  });
  tally.next(verdict);

  const verdicts = project(scope, 'Collect the verdicts', 'Take the verdict', '$.buckets', '$.status', '$.verdicts');
  // The verification results replace the per-bucket reports in place (`$.buckets` becomes the list of
  // VerifyBucketResult): never held twice in the state (256 KiB limit, 50 buckets).
  const verifications = project(scope, 'Collect the verification results', 'Take the verification result', '$.buckets', '$.verification', '$.buckets');
  const copies = project(scope, 'Collect the copy results', 'Take the copy result', '$.buckets', '$.copy', '$.copies');
  copies.next(verifications).next(verdicts).next(tally);
  return copies;
}

/** `to` = [item at `field` for each item of `from`], as an array even for 0 or 1 items. */
function project(scope: Construct, mapName: string, passName: string, from: string, field: string, to: string): sfn.Map {
  const map = sfn.Map.jsonPath(scope, mapName, { itemsPath: from, resultPath: to });
  map.itemProcessor(sfn.Pass.jsonPath(scope, passName, { inputPath: field }));
  return map;
}
