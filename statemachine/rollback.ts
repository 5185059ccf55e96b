/**
 * The Rollback state machine (blue/green, issue 11), started by `env-migrator rollback --environment
 * <record>` with RollbackInput: switches the entry point back to the slot the last switch replaced.
 *
 *   validate → lock the record and both slots → read the switch record (it exists, is not rolled back,
 *   both slots are the stacks it left) and the live slot's statistics now → the record points at the
 *   live slot → writes since the switch? (changed: refuse unless acceptDiscardingWrites) → previous slot
 *   back in service → switch back (DELETE the record as the switch wrote it, CREATE it at the previous
 *   slot) → INSYNC → the previous slot answers through the record → the live slot into standby →
 *   close the switch record (retire schedule deleted, marked rolled back) → unlock → notify
 *
 * Invariant: a rollback never silently discards writes. The live slot's statistics are read now and
 * compared with those recorded at the switch; anything but "read and equal" (changed, unreadable,
 * nothing recorded) counts as writes, and refuses unless the input accepts discarding them; then the
 * notification names what differed. The previous slot is returned to service as the migration that
 * put it in standby (its StandbyRecord, its execution: standby-exit touches only groups that
 * execution tagged). The switch back writes nothing over another's change (switch-entry-point's
 * DELETE must match the record as the switch wrote it: EntryPointChanged otherwise).
 *
 * Failures: before the switch back is requested, the record still points at the live slot (the
 * previous slot may be back in service); after, the record points at the previous slot (both may be
 * in service until the live slot's standby). Either way one notification says where the record
 * points, and the switch record is left open (a retire that fires refuses while the record points at
 * the slot it would delete).
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type {
  CloseSwitchRecordEvent,
  EntryPointEvent,
  ProbeEntryPointEvent,
  ReadSwitchRecordEvent,
  StandbyEnterEvent,
  StandbyExitEvent,
  StandbyStatusEvent,
  SwitchEntryPointEvent,
} from '../lambdas/shared/contracts';
import { catchInto, copyIfPresent, EXECUTION, eventOf, lambdaStep, recordChangeWait, waitLoop, type Fields } from './building-blocks';
import { CAUGHT_ERROR, lockPhase, slotNotice, slotOperationTail, validateSlotOperation, type SlotOperationProps } from './slot-operation';

const LABEL = 'rollback';
/** The record's lock and both slots'. */
const LOCKS = 3;

const RECORD = '$.input.entryPoint.recordName';
const SWITCH = '$.switch.switchRecord';
const LIVE = `${SWITCH}.live.stackName`;
const PREVIOUS = `${SWITCH}.previous.stackName`;

/** Builds the Rollback definition; `scope` must hold no other machine's states. */
export function buildRollbackDefinition(scope: Construct, props: SlotOperationProps): sfn.IChainable {
  const tail = slotOperationTail(scope, props, LOCKS, {
    outcome: 'ROLLED_BACK',
    entryPoint: sfn.JsonPath.objectAt('$.input.entryPoint'),
    live: sfn.JsonPath.stringAt(PREVIOUS),
    standby: sfn.JsonPath.stringAt(LIVE),
    switchRunId: sfn.JsonPath.stringAt(`${SWITCH}.runId`),
    writesSinceSwitch: sfn.JsonPath.stringAt('$.switch.writes.summary'),
    discardedWrites: sfn.JsonPath.objectAt('$.discarding.writes'),
    retireSchedule: sfn.JsonPath.objectAt('$.closed'),
    executionArn: sfn.JsonPath.executionId,
  });
  const afterSwitch = failedAfterSwitch(scope, tail);
  const beforeSwitch = failedBeforeSwitch(scope, tail);
  const close = closePhase(scope, props, tail, afterSwitch);
  const standby = liveIntoStandby(scope, props, close, afterSwitch);
  const probe = probePhase(scope, props, standby, afterSwitch);
  const switchBack = switchBackPhase(scope, props, probe, beforeSwitch, afterSwitch);
  const previousBack = previousIntoService(scope, props, switchBack, beforeSwitch);
  const writes = writesPhase(scope, previousBack, tail);
  const entry = entryPointPhase(scope, props, writes, tail);
  const read = readPhase(scope, props, entry, tail);
  const lock = lockPhase(scope, props, LABEL, LOCKS, read, tail);
  return validateSlotOperation(scope, props.fns, 'ROLLBACK', LABEL, lock, tail);
}

/** A refusal before anything changed: the record and both slots are as they were. */
function refused(scope: Construct, name: string, why: string, error: unknown, tail: sfn.IChainable): sfn.Pass {
  return slotNotice(
    scope,
    name,
    {
      outcome: 'REFUSED',
      subject: '[env-migrator] rollback refused, nothing changed',
      message: sfn.JsonPath.format(
        'The rollback {} of {} changed nothing: {}. The record and both slots are as they were.',
        sfn.JsonPath.executionId,
        sfn.JsonPath.stringAt(RECORD),
        why,
      ),
      error,
    },
    tail,
  );
}

/** read-switch-record → `$.switch`: what to undo, and the writes since the switch. */
function readPhase(scope: Construct, props: SlotOperationProps, next: sfn.IChainable, tail: sfn.IChainable): sfn.IChainable {
  const read = lambdaStep(scope, 'Read the switch record', props.fns, 'read-switch-record', {
    payload: eventOf<ReadSwitchRecordEvent>({
      entryPoint: sfn.JsonPath.objectAt('$.input.entryPoint'),
      slots: sfn.JsonPath.listAt('$.input.slots'),
      statistics: sfn.JsonPath.objectAt('$.input.statistics'),
      execution: EXECUTION,
    }),
    resultPath: '$.switch',
  });
  read.next(next);
  catchInto([read], refused(scope, 'Refuse: the switch cannot be undone', sfn.JsonPath.stringAt('$.error.Cause'), CAUGHT_ERROR, tail));
  return read;
}

/** entry-point: the record must point at the live slot of the switch → `$.entry`. */
function entryPointPhase(scope: Construct, props: SlotOperationProps, next: sfn.IChainable, tail: sfn.IChainable): sfn.IChainable {
  const read = lambdaStep(scope, 'Read the entry point', props.fns, 'entry-point', {
    payload: eventOf<EntryPointEvent>({ entryPoint: sfn.JsonPath.objectAt('$.input.entryPoint'), slots: sfn.JsonPath.listAt('$.input.slots'), execution: EXECUTION }),
    resultSelector: { liveSlot: sfn.JsonPath.stringAt('$.liveSlot') },
    resultPath: '$.entry',
  });
  const elsewhere = refused(
    scope,
    'Refuse: the record does not point at the live slot',
    sfn.JsonPath.format('the record points at {}, not at {} where the switch of run {} left it', sfn.JsonPath.stringAt('$.entry.liveSlot'), sfn.JsonPath.stringAt(LIVE), sfn.JsonPath.stringAt(`${SWITCH}.runId`)),
    { Error: 'RollbackRefused', Cause: sfn.JsonPath.format('the record points at {}', sfn.JsonPath.stringAt('$.entry.liveSlot')) },
    tail,
  );
  read.next(sfn.Choice.jsonPath(scope, 'Does the record point at the live slot?').when(sfn.Condition.stringEqualsJsonPath('$.entry.liveSlot', LIVE), next).otherwise(elsewhere));
  catchInto([read], refused(scope, 'Refuse: the entry point cannot be read', sfn.JsonPath.stringAt('$.error.Cause'), CAUGHT_ERROR, tail));
  return read;
}

/**
 * The invariant's gate: no write since the switch (read and equal) goes on; writes (or no proof of
 * none) go on only with acceptDiscardingWrites, recorded in `$.discarding.writes`, else refuse naming them.
 */
function writesPhase(scope: Construct, next: sfn.IChainable, tail: sfn.IChainable): sfn.IChainable {
  // An object, not a bare boolean: the local executor takes a Pass `Result: false` for no Result at all.
  const nothingLost = sfn.Pass.jsonPath(scope, 'Nothing to discard', { result: sfn.Result.fromObject({ writes: false }), resultPath: '$.discarding' });
  const discarding = sfn.Pass.jsonPath(scope, 'Discard the writes, as the input accepts', { result: sfn.Result.fromObject({ writes: true }), resultPath: '$.discarding' });
  nothingLost.next(next);
  discarding.next(next);
  const refuse = refused(
    scope,
    'Refuse: writes since the switch',
    sfn.JsonPath.format(
      '{}. Rolling back would discard them: the record would point at {} again, which does not hold them. Run the rollback again with --accept-discarding-writes to discard them',
      sfn.JsonPath.stringAt('$.switch.writes.summary'),
      sfn.JsonPath.stringAt(PREVIOUS),
    ),
    { Error: 'WritesSinceSwitch', Cause: sfn.JsonPath.stringAt('$.switch.writes.summary') },
    tail,
  );
  const accepted = sfn.Choice.jsonPath(scope, 'Does the input accept discarding them?').when(sfn.Condition.booleanEquals('$.input.acceptDiscardingWrites', true), discarding).otherwise(refuse);
  return sfn.Choice.jsonPath(scope, 'Were writes made since the switch?').when(sfn.Condition.stringEquals('$.switch.writes.status', 'UNCHANGED'), nothingLost).otherwise(accepted);
}

/** The previous slot back in service (standby-exit as the migration that put it in standby), then the wait → `$.previousStatus`. */
function previousIntoService(scope: Construct, props: SlotOperationProps, next: sfn.IChainable, failed: sfn.IChainable): sfn.IChainable {
  const request: Fields<StandbyExitEvent> = {
    standby: sfn.JsonPath.objectAt(`${SWITCH}.previous.standby`),
    execution: sfn.JsonPath.objectAt('$.switch.standbyOwner'),
  };
  const prepare = sfn.Pass.jsonPath(scope, 'Prepare the previous slot for service', { parameters: request, resultPath: '$.standbyExit' });
  const exit = lambdaStep(scope, 'Return the previous slot to service', props.fns, 'standby-exit', { inputPath: '$.standbyExit', resultPath: '$.standbyExit' });
  const loop = waitLoop<StandbyStatusEvent>(scope, props.fns, {
    check: "Check the previous slot's instances",
    ready: 'Previous slot in service?',
    wait: "Wait for the previous slot's instances",
    step: 'standby-status',
    payload: { standby: sfn.JsonPath.objectAt('$.standbyExit.standby'), direction: 'EXIT', execution: EXECUTION },
    timeoutPath: '$.waits.standbySeconds',
    resultPath: '$.previousStatus',
    next,
  });
  prepare.next(exit);
  exit.next(loop.start);
  catchInto([exit, ...loop.checks], failed);
  return prepare;
}

/**
 * The switch back: one batch, DELETE the record as the switch wrote it and CREATE it at the previous
 * slot's endpoint (switch-entry-point) → `$.switchBack`, then GetChange until INSYNC → `$.switchStatus`.
 * A failure of the batch itself changed nothing (Route 53 batches are atomic): before the switch.
 */
function switchBackPhase(scope: Construct, props: SlotOperationProps, next: sfn.IChainable, before: sfn.IChainable, after: sfn.IChainable): sfn.IChainable {
  const change = lambdaStep(scope, 'Switch the record back', props.fns, 'switch-entry-point', {
    payload: eventOf<SwitchEntryPointEvent>({
      entryPoint: sfn.JsonPath.objectAt('$.input.entryPoint'),
      record: sfn.JsonPath.objectAt(`${SWITCH}.record`),
      target: sfn.JsonPath.objectAt(`${SWITCH}.previous.endpoint`),
      execution: EXECUTION,
      comment: sfn.JsonPath.format('env-migrator rollback {}: {} back to {}', sfn.JsonPath.executionName, sfn.JsonPath.stringAt(LIVE), sfn.JsonPath.stringAt(PREVIOUS)),
    }),
    resultPath: '$.switchBack',
  });
  const loop = recordChangeWait(scope, props.fns, {
    back: true,
    changePath: '$.switchBack',
    timeoutPath: '$.switchSeconds',
    resultPath: '$.switchStatus',
    next,
  });
  change.next(loop.start);
  catchInto([change], before);
  catchInto(loop.checks, after);
  return change;
}

/**
 * Through the record's name, the previous slot must answer (probe-entry-point, a wait loop: resolvers
 * keep the old answer for its TTL after INSYNC) → `$.probe`. The request is prepared once in
 * `$.probeRequest` (the smoke test added only when configured), and each later call carries the wait.
 */
function probePhase(scope: Construct, props: SlotOperationProps, next: sfn.IChainable, failed: sfn.IChainable): sfn.IChainable {
  const request: Fields<Omit<ProbeEntryPointEvent, 'wait' | 'smokeTest'>> = {
    entryPoint: sfn.JsonPath.objectAt('$.input.entryPoint'),
    expected: { stackName: sfn.JsonPath.stringAt(PREVIOUS), stackId: sfn.JsonPath.stringAt(`${SWITCH}.previous.stackId`) },
    statistics: sfn.JsonPath.objectAt('$.input.statistics'),
    execution: EXECUTION,
    timeoutSeconds: sfn.JsonPath.numberAt('$.waits.smokeTestSeconds'),
  };
  const prepare = sfn.Pass.jsonPath(scope, 'Prepare the probe through the record', { parameters: request, resultPath: '$.probeRequest' });
  const probe = lambdaStep(scope, 'Probe the record', props.fns, 'probe-entry-point', { inputPath: '$.probeRequest', resultPath: '$.probe' });
  const pause = sfn.Wait.jsonPath(scope, 'Wait before probing the record again', { time: sfn.WaitTime.secondsPath('$.probe.wait.nextDelaySeconds') });
  const carry = sfn.Pass.jsonPath(scope, 'Carry the probe wait', { inputPath: '$.probe.wait', resultPath: '$.probeRequest.wait' });
  const answered = sfn.Choice.jsonPath(scope, 'Does the previous slot answer through the record?').when(sfn.Condition.stringEquals('$.probe.status', 'READY'), next).otherwise(pause);
  prepare.next(copyIfPresent(scope, { question: 'Probe with the smoke test?', copy: 'Add the smoke test to the probe' }, '$.input.smokeTest', '$.probeRequest.smokeTest', probe));
  probe.next(answered);
  pause.next(carry);
  carry.next(probe);
  catchInto([probe], failed);
  return prepare;
}

/** The live slot's instances into standby: it is kept for inspection, out of service → `$.liveStandby`. */
function liveIntoStandby(scope: Construct, props: SlotOperationProps, next: sfn.IChainable, failed: sfn.IChainable): sfn.IChainable {
  const enter = lambdaStep(scope, 'Put the live slot in standby', props.fns, 'standby-enter', {
    payload: eventOf<StandbyEnterEvent>({ autoScalingGroups: sfn.JsonPath.listAt('$.switch.liveGroups'), execution: EXECUTION }),
    resultPath: '$.liveStandby',
  });
  const loop = waitLoop<StandbyStatusEvent>(scope, props.fns, {
    check: "Check the live slot's instances",
    ready: 'Live slot in standby?',
    wait: "Wait for the live slot's instances",
    step: 'standby-status',
    payload: { standby: sfn.JsonPath.objectAt('$.liveStandby'), direction: 'ENTER', execution: EXECUTION },
    timeoutPath: '$.waits.standbySeconds',
    resultPath: '$.liveStandbyStatus',
    next,
  });
  enter.next(loop.start);
  catchInto([enter, ...loop.checks], failed);
  return enter;
}

/** close-switch-record → `$.closed`, then the success notice. */
function closePhase(scope: Construct, props: SlotOperationProps, tail: sfn.IChainable, failed: sfn.IChainable): sfn.IChainable {
  const close = lambdaStep(scope, 'Close the switch record', props.fns, 'close-switch-record', {
    payload: eventOf<CloseSwitchRecordEvent>({
      entryPoint: sfn.JsonPath.objectAt('$.input.entryPoint'),
      runId: sfn.JsonPath.stringAt(`${SWITCH}.runId`),
      discardedWrites: sfn.JsonPath.objectAt('$.discarding.writes'),
      execution: EXECUTION,
    }),
    resultPath: '$.closed',
  });
  close.next(
    slotNotice(
      scope,
      'Report the rollback',
      {
        outcome: 'SUCCEEDED',
        // Fixed: SNS refuses a subject of 100 characters or more, and a stack name may be 100 (the message names it).
        subject: '[env-migrator] rolled back to the previous slot',
        message: sfn.JsonPath.format(
          'The rollback {} switched {} back to {} (version {}), which serves again. {} (version {}) is in standby, kept for inspection; its retire schedule {} is deleted. Writes since the switch of run {}: {}. Writes discarded: {}.',
          sfn.JsonPath.executionId,
          sfn.JsonPath.stringAt(RECORD),
          sfn.JsonPath.stringAt(PREVIOUS),
          sfn.JsonPath.stringAt(`${SWITCH}.previous.version`),
          sfn.JsonPath.stringAt(LIVE),
          sfn.JsonPath.stringAt(`${SWITCH}.live.version`),
          sfn.JsonPath.stringAt('$.closed.scheduleName'),
          sfn.JsonPath.stringAt(`${SWITCH}.runId`),
          sfn.JsonPath.stringAt('$.switch.writes.summary'),
          sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.discarding.writes')),
        ),
      },
      tail,
    ),
  );
  catchInto([close], failed);
  return close;
}

/** A failure before the switch back was requested: the record still points at the live slot. */
function failedBeforeSwitch(scope: Construct, tail: sfn.IChainable): sfn.IChainable {
  return slotNotice(
    scope,
    'Report the failure before the switch back',
    {
      outcome: 'FAILED',
      subject: '[env-migrator] rollback failed, record unchanged',
      message: sfn.JsonPath.format(
        'The rollback {} of {} failed before switching back: {}: {}. The record still points at {}, which holds the data. {} may be back in service (its standby was being undone): check it.',
        sfn.JsonPath.executionId,
        sfn.JsonPath.stringAt(RECORD),
        sfn.JsonPath.stringAt('$.error.Error'),
        sfn.JsonPath.stringAt('$.error.Cause'),
        sfn.JsonPath.stringAt(LIVE),
        sfn.JsonPath.stringAt(PREVIOUS),
      ),
      error: CAUGHT_ERROR,
    },
    tail,
  );
}

/** A failure once the switch back was requested: the record points at the previous slot (or soon will). */
function failedAfterSwitch(scope: Construct, tail: sfn.IChainable): sfn.IChainable {
  return slotNotice(
    scope,
    'Report the failure after the switch back',
    {
      outcome: 'FAILED',
      subject: '[env-migrator] rollback failed after switching back',
      message: sfn.JsonPath.format(
        'The rollback {} of {} failed after switching the record back to {}: {}: {}. The record points at {}; {} may still be in service. Writes since the switch: {}. Check both slots; the switch record is left open.',
        sfn.JsonPath.executionId,
        sfn.JsonPath.stringAt(RECORD),
        sfn.JsonPath.stringAt(PREVIOUS),
        sfn.JsonPath.stringAt('$.error.Error'),
        sfn.JsonPath.stringAt('$.error.Cause'),
        sfn.JsonPath.stringAt(PREVIOUS),
        sfn.JsonPath.stringAt(LIVE),
        sfn.JsonPath.stringAt('$.switch.writes.summary'),
      ),
      error: CAUGHT_ERROR,
    },
    tail,
  );
}
