/**
 * The Retire state machine (blue/green, issue 11): the one-time schedule a blue/green migration
 * creates at its switch starts it with RetireInput once the previous slot's retention is over. It
 * deletes the previous slot, and only when that is still safe (invariant: the previous slot is deleted
 * only by retire, after its retention, while the record points elsewhere):
 *
 *   validate → lock the record and the slot → read the record: it must point at the live slot
 *   → read the verified copy → delete the previous slot with delete-stack's guards → wait → unlock → notify
 *
 * - The record pointing at the slot to retire (a rollback whose schedule deletion failed, a record
 *   switched by hand), or at anything but the live slot, refuses: nothing is deleted.
 * - Only the stack the switch replaced is deleted: delete-stack gets `expectedStackId`; a later stack
 *   of the same name is refused (OriginalReplaced), never deleted.
 * - The verified copy is the live slot: delete-stack gets the migration's clone output (previous →
 *   live, EQUAL) and empties each bucket only of the versions its verified manifest names, after
 *   comparing every bucket with it: a write into the previous slot since the verification refuses the
 *   retire (DeletionRefused), nothing deleted.
 * - Snapshots: the migration's clone snapshots are what the live slot's databases restore from (its
 *   `<LogicalId>SnapshotIdentifier` parameters name them), so the double clone's clean-up keeps them
 *   too; retire has none of its own to delete.
 *
 * Every ending goes through slotOperationTail: unlock, one notification, Succeed or Fail.
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { DeleteStackEvent, EntryPointEvent, ReadVerifiedCopyEvent, StackStatusEvent } from '../lambdas/shared/contracts';
import { catchInto, EXECUTION, eventOf, lambdaStep, resumableStep, waitLoop, type Fields } from './building-blocks';
import { CAUGHT_ERROR, lockPhase, slotNotice, slotOperationTail, validateSlotOperation, type SlotOperationProps } from './slot-operation';

const LABEL = 'retire';
/** The record's lock and the previous slot's. */
const LOCKS = 2;

const PREVIOUS = '$.input.previous.stackName';
const LIVE = '$.input.live.stackName';

/** Builds the Retire definition; `scope` must hold no other machine's states. */
export function buildRetireDefinition(scope: Construct, props: SlotOperationProps): sfn.IChainable {
  const tail = slotOperationTail(scope, props, LOCKS, {
    outcome: 'RETIRED',
    retired: sfn.JsonPath.stringAt(PREVIOUS),
    stackId: sfn.JsonPath.stringAt('$.input.previous.stackId'),
    live: sfn.JsonPath.stringAt(LIVE),
    deleteStarted: sfn.JsonPath.objectAt('$.deletion.deleteStarted'),
    executionArn: sfn.JsonPath.executionId,
  });
  const deletion = deletePhase(scope, props, tail);
  const copy = verifiedCopyPhase(scope, props, deletion, tail);
  const entry = entryPointPhase(scope, props, copy, tail);
  const lock = lockPhase(scope, props, LABEL, LOCKS, entry, tail);
  return validateSlotOperation(scope, props.fns, 'RETIRE', LABEL, lock, tail);
}

/** A refusal: nothing was deleted, the previous slot stays as it is (in standby). */
function refused(scope: Construct, name: string, why: string, error: unknown, tail: sfn.IChainable): sfn.Pass {
  return slotNotice(
    scope,
    name,
    {
      outcome: 'REFUSED',
      // Fixed subjects: SNS refuses one of 100 characters or more, and a stack name may be 100 (the message names it).
      subject: '[env-migrator] retire refused, nothing deleted',
      message: sfn.JsonPath.format(
        'The retire run {} did not delete {} (stack {}), kept since run {} switched {} to {}: {}. Nothing was deleted; the slot stays as it was. Find out why, then delete it by hand or start the retire state machine again with this execution\'s input.',
        sfn.JsonPath.executionId,
        sfn.JsonPath.stringAt(PREVIOUS),
        sfn.JsonPath.stringAt('$.input.previous.stackId'),
        sfn.JsonPath.stringAt('$.input.runId'),
        sfn.JsonPath.stringAt('$.input.entryPoint.recordName'),
        sfn.JsonPath.stringAt(LIVE),
        why,
      ),
      error,
    },
    tail,
  );
}

/** The record must point at the live slot (entry-point tells which slot it points at) → `$.entry`. */
function entryPointPhase(scope: Construct, props: SlotOperationProps, next: sfn.IChainable, tail: sfn.IChainable): sfn.IChainable {
  const read = lambdaStep(scope, 'Read the entry point', props.fns, 'entry-point', {
    payload: eventOf<EntryPointEvent>({ entryPoint: sfn.JsonPath.objectAt('$.input.entryPoint'), slots: sfn.JsonPath.listAt('$.input.slots'), execution: EXECUTION }),
    resultSelector: { liveSlot: sfn.JsonPath.stringAt('$.liveSlot'), idleSlot: sfn.JsonPath.stringAt('$.idleSlot') },
    resultPath: '$.entry',
  });
  const notElsewhere = refused(
    scope,
    'Refuse: the record does not point at the live slot',
    sfn.JsonPath.format('the record points at {}, not at the live slot {}: the slot the record points at is never deleted', sfn.JsonPath.stringAt('$.entry.liveSlot'), sfn.JsonPath.stringAt(LIVE)),
    { Error: 'RetireRefused', Cause: sfn.JsonPath.format('the record {} points at {}', sfn.JsonPath.stringAt('$.input.entryPoint.recordName'), sfn.JsonPath.stringAt('$.entry.liveSlot')) },
    tail,
  );
  // Positive check: only "points at the live slot" goes on; any other answer refuses.
  read.next(sfn.Choice.jsonPath(scope, 'Does the record point at the live slot?').when(sfn.Condition.stringEqualsJsonPath('$.entry.liveSlot', LIVE), next).otherwise(notElsewhere));
  catchInto([read], refused(scope, 'Refuse: the entry point cannot be read', sfn.JsonPath.stringAt('$.error.Cause'), CAUGHT_ERROR, tail));
  return read;
}

/** The migration's clone output, checked to be previous → live (read-verified-copy) → `$.verifiedCopy`. */
function verifiedCopyPhase(scope: Construct, props: SlotOperationProps, next: sfn.IChainable, tail: sfn.IChainable): sfn.IChainable {
  const read = lambdaStep(scope, 'Read the verified copy', props.fns, 'read-verified-copy', {
    payload: eventOf<ReadVerifiedCopyEvent>({
      cloneOutput: sfn.JsonPath.objectAt('$.input.cloneOutput'),
      previous: sfn.JsonPath.objectAt('$.input.previous'),
      live: sfn.JsonPath.objectAt('$.input.live'),
      execution: EXECUTION,
    }),
    resultPath: '$.verifiedCopy',
  });
  read.next(next);
  catchInto([read], refused(scope, 'Refuse: no verified copy', sfn.JsonPath.stringAt('$.error.Cause'), CAUGHT_ERROR, tail));
  return read;
}

/**
 * delete-stack with its guards (invariant 1 as for the double clone's original), in as many
 * invocations as the buckets need, then the wait for DELETE_COMPLETE → `$.deletion`, `$.deletionStatus`.
 * A refusal before anything was deleted (DeletionRefused, OriginalReplaced, DeletionNotStarted*) is
 * REFUSED; any failure after may follow a deletion: FAILED, naming the stack's state.
 */
function deletePhase(scope: Construct, props: SlotOperationProps, tail: sfn.IChainable): sfn.IChainable {
  const { fns } = props;
  const retired = (name: string, what: string) =>
    slotNotice(
      scope,
      name,
      {
        outcome: 'SUCCEEDED',
        subject: '[env-migrator] retired the previous slot',
        message: sfn.JsonPath.format(
          'The retire run {} {} {} (stack {}), the slot {} switched away from in run {}. {} serves {}; its data was verified as the copy of {} before the switch.',
          sfn.JsonPath.executionId,
          what,
          sfn.JsonPath.stringAt(PREVIOUS),
          sfn.JsonPath.stringAt('$.input.previous.stackId'),
          sfn.JsonPath.stringAt('$.input.entryPoint.recordName'),
          sfn.JsonPath.stringAt('$.input.runId'),
          sfn.JsonPath.stringAt(LIVE),
          sfn.JsonPath.stringAt('$.input.entryPoint.recordName'),
          sfn.JsonPath.stringAt(PREVIOUS),
        ),
      },
      tail,
    );
  const failed = slotNotice(
    scope,
    'Report the failed deletion',
    {
      outcome: 'FAILED',
      subject: '[env-migrator] retire failed',
      message: sfn.JsonPath.format(
        'The retire run {} failed while deleting {} (stack {}): {}: {}. Its deletion may have started: check the stack and its buckets. {} serves {} and holds the data.',
        sfn.JsonPath.executionId,
        sfn.JsonPath.stringAt(PREVIOUS),
        sfn.JsonPath.stringAt('$.input.previous.stackId'),
        sfn.JsonPath.stringAt('$.error.Error'),
        sfn.JsonPath.stringAt('$.error.Cause'),
        sfn.JsonPath.stringAt(LIVE),
        sfn.JsonPath.stringAt('$.input.entryPoint.recordName'),
      ),
      error: CAUGHT_ERROR,
    },
    tail,
  );
  const stuck = sfn.Pass.jsonPath(scope, 'Describe the failed deletion', {
    parameters: { Error: 'StackDeleteFailed', Cause: sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.deletionStatus.failures')) },
    resultPath: '$.error',
  });
  stuck.next(failed);
  const loop = waitLoop<StackStatusEvent>(scope, fns, {
    check: 'Check the previous slot',
    ready: 'Previous slot deleted?',
    wait: 'Wait for the previous slot deletion',
    step: 'stack-status',
    payload: { stackName: sfn.JsonPath.stringAt(PREVIOUS), operation: 'DELETE', execution: EXECUTION },
    timeoutPath: '$.waits.stackDeleteSeconds',
    resultPath: '$.deletionStatus',
    next: retired('Report the retired slot', 'deleted'),
    onFailed: stuck,
  });
  const started = sfn.Choice.jsonPath(scope, 'Did the deletion start?')
    .when(sfn.Condition.booleanEquals('$.deletion.deleteStarted', true), loop.start)
    .otherwise(retired('Report the slot already gone', 'found already deleted'));
  const event: Fields<Omit<DeleteStackEvent, 'continuation'>> = {
    stackName: sfn.JsonPath.stringAt(PREVIOUS),
    execution: EXECUTION,
    reason: sfn.JsonPath.format(
      'retired after its retention: the record {} points at {}, its verified copy',
      sfn.JsonPath.stringAt('$.input.entryPoint.recordName'),
      sfn.JsonPath.stringAt(LIVE),
    ),
    expectedStackId: sfn.JsonPath.stringAt('$.input.previous.stackId'),
    verifiedCopy: sfn.JsonPath.objectAt('$.verifiedCopy'),
  };
  const deletion = resumableStep(scope, fns, {
    begin: 'Begin deleting the previous slot',
    call: 'Delete the previous slot',
    question: 'Previous slot emptied?',
    step: 'delete-stack',
    event,
    resultPath: '$.deletion',
    done: { DONE: started },
  });
  deletion.call.addCatch(refused(scope, 'Refuse: the deletion was refused', sfn.JsonPath.stringAt('$.error.Cause'), CAUGHT_ERROR, tail), {
    errors: ['DeletionRefused', 'OriginalReplaced', 'DeletionNotStarted', 'DeletionNotStartedTransient'],
    resultPath: '$.error',
  });
  catchInto([deletion.call, ...loop.checks], failed);
  return deletion.start;
}
