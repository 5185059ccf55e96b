/**
 * What the Retire and Rollback state machines share (blue/green, issue 11): the validation of their
 * input, the locks (the entry point's item, then the slots', in the environment lock table Migrate
 * uses, with Migrate's condition), and the one ending: release every lock this execution holds,
 * publish one notification, end as the outcome says.
 *
 * State after validation: ValidateSlotOperationResult at the root (`operation`, `input`,
 * `execution`, `runId`, `lockKeys`, `lockExpiresAt`, `waits`, `switchSeconds`); every ending puts
 * `$.notice` (SlotNotice) and goes to the tail. The notification is composed here, with States.Format,
 * not by compose-notification, whose outcomes are Migrate's.
 */
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { type SlotOperation, type ValidateSlotOperationEvent } from '../lambdas/shared/contracts';
import { SLOT_OPERATION_TIMEOUT_SECONDS } from '../lambdas/steps';
import { catchInto, eventOf, lambdaStep, serviceRetry, type StepFunctions, takeLock } from './building-blocks';

/** How a slot operation ended: `SUCCEEDED` ends the execution in success, every other outcome fails it. */
export type SlotOutcome = 'SUCCEEDED' | 'REFUSED' | 'FAILED' | 'INPUT_REJECTED' | 'LOCKED';

/** What every ending puts at `$.notice`: the notification, and the error a failed execution ends with. */
export interface SlotNotice {
  outcome: SlotOutcome;
  subject: string;
  message: string;
  error?: { Error: string; Cause: string };
}

export interface SlotOperationProps {
  fns: StepFunctions;
  lockTable: dynamodb.ITable;
  topic: sns.ITopic;
}

const SERVICE_TASK_TIMEOUT = sfn.Timeout.duration(Duration.seconds(60));

/** A notice as Parameters (values are JSONPath tokens or literals). */
export function slotNotice(scope: Construct, name: string, notice: { [K in keyof SlotNotice]?: unknown }, tail: sfn.IChainable): sfn.Pass {
  const pass = sfn.Pass.jsonPath(scope, name, { parameters: notice as Record<string, unknown>, resultPath: '$.notice' });
  pass.next(tail);
  return pass;
}

/** The caught error of a failed state (`$.error`) as a notice's `error`. */
export const CAUGHT_ERROR = { Error: sfn.JsonPath.stringAt('$.error.Error'), Cause: sfn.JsonPath.stringAt('$.error.Cause') };

/**
 * Validates the raw input (validate-slot-operation) before any AWS call; the whole state becomes
 * ValidateSlotOperationResult. A bad input ends with one notification and nothing locked.
 */
export function validateSlotOperation(scope: Construct, fns: StepFunctions, operation: SlotOperation, label: string, next: sfn.IChainable, tail: sfn.IChainable): sfn.IChainable {
  const validate = lambdaStep(scope, 'Validate the input', fns, 'validate-slot-operation', {
    payload: eventOf<ValidateSlotOperationEvent>({
      operation,
      input: sfn.JsonPath.entirePayload,
      execution: { id: sfn.JsonPath.executionId, name: sfn.JsonPath.executionName },
    }),
  });
  validate.next(next);
  // No ResultPath: the raw input may not even be an object; the state becomes {Error, Cause} and then the notice.
  const rejected = sfn.Pass.jsonPath(scope, 'Reject the input', {
    parameters: {
      outcome: 'INPUT_REJECTED',
      subject: `[env-migrator] ${label}: input rejected`,
      message: sfn.JsonPath.format(`The ${label} run {} was not started: its input was rejected before anything was touched ({}: {}).`, sfn.JsonPath.executionId, sfn.JsonPath.stringAt('$.Error'), sfn.JsonPath.stringAt('$.Cause')),
      error: { Error: sfn.JsonPath.stringAt('$.Error'), Cause: sfn.JsonPath.stringAt('$.Cause') },
    },
    resultPath: '$.notice',
  });
  rejected.next(tail);
  validate.addCatch(rejected, { errors: [sfn.Errors.ALL] });
  return validate;
}

/**
 * Takes the locks `$.lockKeys[0..count-1]` one after the other, each with Migrate's condition (none,
 * ours, or expired: DynamoDB's TTL deletes late), so a migration of the record or of a slot and this
 * operation exclude each other. A lock held by another execution ends the operation (LOCKED) naming
 * its owner; the tail releases only the locks this execution holds (the release is conditional on
 * the owner), so the ones taken before the conflict are freed and the other's are untouched.
 */
export function lockPhase(scope: Construct, props: SlotOperationProps, label: string, count: number, next: sfn.IChainable, tail: sfn.IChainable): sfn.IChainable {
  const S = tasks.DynamoAttributeValue.fromString;
  const held = sfn.Pass.jsonPath(scope, 'Name who holds the lock', {
    parameters: {
      outcome: 'LOCKED',
      subject: `[env-migrator] ${label}: refused, locked`,
      message: sfn.JsonPath.format(
        `The ${label} run {} did nothing: {} is locked by {} (started {}), a migration or another operation of this entry point. Start it again once that one has ended.`,
        sfn.JsonPath.executionId,
        sfn.JsonPath.stringAt('$.lockHolder.Item.stackName.S'),
        sfn.JsonPath.stringAt('$.lockHolder.Item.owner.S'),
        sfn.JsonPath.stringAt('$.lockHolder.Item.startedAt.S'),
      ),
      error: { Error: 'MigrationInProgress', Cause: sfn.JsonPath.format('{} is locked by {}', sfn.JsonPath.stringAt('$.lockHolder.Item.stackName.S'), sfn.JsonPath.stringAt('$.lockHolder.Item.owner.S')) },
    },
    resultPath: '$.notice',
  });
  held.next(tail);
  const gone = sfn.Pass.jsonPath(scope, 'Report the lock conflict', {
    parameters: {
      outcome: 'LOCKED',
      subject: `[env-migrator] ${label}: refused, locked`,
      message: sfn.JsonPath.format(`The ${label} run {} did nothing: a lock of its entry point or slots was held by another execution, which may have ended since. Start it again.`, sfn.JsonPath.executionId),
      error: { Error: 'MigrationInProgress', Cause: 'a lock of the entry point or a slot was held by another execution' },
    },
    resultPath: '$.notice',
  });
  gone.next(tail);
  const failed = slotNotice(
    scope,
    'Report the failed lock',
    {
      outcome: 'FAILED',
      subject: `[env-migrator] ${label}: failed to lock`,
      message: sfn.JsonPath.format(`The ${label} run {} could not take its locks and did nothing: {}: {}`, sfn.JsonPath.executionId, sfn.JsonPath.stringAt('$.error.Error'), sfn.JsonPath.stringAt('$.error.Cause')),
      error: CAUGHT_ERROR,
    },
    tail,
  );

  let chain: sfn.IChainable = next;
  for (let i = count - 1; i >= 0; i--) {
    const key = sfn.JsonPath.stringAt(`$.lockKeys[${i}]`);
    const lock = takeLock(scope, `Take lock ${i + 1} of ${count}`, {
      table: props.lockTable,
      keyPath: `$.lockKeys[${i}]`,
      attributes: { operation: '$.operation' },
      runSeconds: SLOT_OPERATION_TIMEOUT_SECONDS,
      taskTimeout: SERVICE_TASK_TIMEOUT,
    });
    const findOwner = tasks.DynamoGetItem.jsonPath(scope, `Find who holds lock ${i + 1}`, {
      table: props.lockTable,
      key: { stackName: S(key) },
      consistentRead: true,
      resultPath: '$.lockHolder',
      taskTimeout: SERVICE_TASK_TIMEOUT,
    });
    findOwner.addRetry(serviceRetry('DynamoDB'));
    findOwner.addCatch(gone, { errors: [sfn.Errors.ALL], resultPath: '$.lockHolderError' });
    findOwner.next(
      sfn.Choice.jsonPath(scope, `Is lock ${i + 1} still held?`)
        .when(
          sfn.Condition.and(
            sfn.Condition.isPresent('$.lockHolder.Item.owner.S'),
            sfn.Condition.isPresent('$.lockHolder.Item.startedAt.S'),
            sfn.Condition.isPresent('$.lockHolder.Item.stackName.S'),
          ),
          held,
        )
        .otherwise(gone),
    );
    lock.addCatch(findOwner, { errors: ['DynamoDB.ConditionalCheckFailedException'], resultPath: '$.error' });
    catchInto([lock], failed);
    lock.next(chain);
    chain = lock;
  }
  return chain;
}

/**
 * The one ending: release each lock this execution holds (conditional on the owner: one not taken,
 * or taken by another, is left as it is; a release that fails is left to the TTL and `unlock`),
 * publish the notice (a failure to publish does not stop the ending), then succeed with `output` or
 * fail with the notice's error.
 */
export function slotOperationTail(scope: Construct, props: SlotOperationProps, count: number, output: Record<string, unknown>): sfn.IChainable {
  const report = sfn.Pass.jsonPath(scope, 'Report the outcome', { parameters: output });
  report.next(sfn.Succeed.jsonPath(scope, 'Done'));
  const end = sfn.Choice.jsonPath(scope, 'How did it end?')
    .when(sfn.Condition.stringEquals('$.notice.outcome', 'SUCCEEDED'), report)
    .otherwise(sfn.Fail.jsonPath(scope, 'Not done', { errorPath: '$.notice.error.Error', causePath: '$.notice.error.Cause' }));
  const publish = tasks.SnsPublish.jsonPath(scope, 'Publish the notification', {
    topic: props.topic,
    subject: sfn.JsonPath.stringAt('$.notice.subject'),
    message: sfn.TaskInput.fromJsonPathAt('$.notice.message'),
    messageAttributes: { details: { value: sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.notice')), dataType: tasks.MessageAttributeDataType.STRING } },
    resultPath: sfn.JsonPath.DISCARD,
    taskTimeout: SERVICE_TASK_TIMEOUT,
  });
  publish.addRetry(serviceRetry('SNS'));
  publish.addCatch(end, { errors: [sfn.Errors.ALL], resultPath: '$.notificationError' });
  publish.next(end);

  // A release that failed past its retries leaves a lock that refuses every migration of that slot or
  // record until it expires: the notification says so and how to release it (`$.unlockFailed` holds
  // the last failure; the message is the notice's with the line added).
  const nameLocksLeft = sfn.Pass.jsonPath(scope, 'Name the locks left', {
    parameters: {
      message: sfn.JsonPath.format(
        '{}\n\nLEFT TO DO BY HAND: releasing this run\'s locks failed ({}): check the lock table for the items {} owned by {} and release each with env-migrator unlock --stack <key>; otherwise they expire at {} (Unix time) and refuse every migration of those slots and that record until then.',
        sfn.JsonPath.stringAt('$.notice.message'),
        sfn.JsonPath.stringAt('$.unlockFailed.Error'),
        sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.lockKeys')),
        sfn.JsonPath.stringAt('$.execution.id'),
        sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.lockExpiresAt')),
      ),
    },
    resultPath: '$.locksLeft',
  });
  // A Pass without parameters passes its input on: the message alone, put back into the notice.
  const intoMessage = sfn.Pass.jsonPath(scope, 'Add the locks left to the message', { inputPath: '$.locksLeft.message', resultPath: '$.notice.message' });
  nameLocksLeft.next(intoMessage);
  intoMessage.next(publish);
  const locksLeft = sfn.Choice.jsonPath(scope, 'Any lock left?').when(sfn.Condition.isPresent('$.unlockFailed'), nameLocksLeft).otherwise(publish);

  let chain: sfn.IChainable = locksLeft;
  for (let i = count - 1; i >= 0; i--) {
    const release = tasks.DynamoDeleteItem.jsonPath(scope, `Release lock ${i + 1} of ${count}`, {
      table: props.lockTable,
      key: { stackName: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt(`$.lockKeys[${i}]`)) },
      conditionExpression: '#owner = :me',
      expressionAttributeNames: { '#owner': 'owner' },
      expressionAttributeValues: { ':me': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$.execution.id')) },
      resultPath: sfn.JsonPath.DISCARD,
      taskTimeout: SERVICE_TASK_TIMEOUT,
    });
    release.addRetry(serviceRetry('DynamoDB'));
    // The owner condition failing means the lock is not ours (never taken, or another's): nothing to say.
    release.addCatch(chain, { errors: ['DynamoDB.ConditionalCheckFailedException'], resultPath: sfn.JsonPath.DISCARD });
    release.addCatch(chain, { errors: [sfn.Errors.ALL], resultPath: '$.unlockFailed' });
    release.next(chain);
    chain = release;
  }
  // A rejected input took no lock and has no `lockKeys`.
  return sfn.Choice.jsonPath(scope, 'Were locks taken?').when(sfn.Condition.isPresent('$.lockKeys'), chain).otherwise(publish);
}
