/**
 * Building blocks shared by the Clone and Migrate definitions: the Lambda task with the retry policy,
 * the status wait loop, the failure note of the saga and a few JSONPath helpers.
 *
 * Everything here is JSONPath (Parameters, ResultSelector, ResultPath, intrinsic functions): the
 * definitions run unchanged on AWS and in aws-local-stepfunctions, which has no JSONata and no
 * variables. Two traits of the local executor shape the helpers:
 * - a path that matches nothing is a States.Runtime error (uncatchable), so optional input is tested
 *   with a Choice `IsPresent` before any Parameters read it;
 * - `ResultPath: "$"` is not understood (it adds a field named "$"): a task that replaces the whole
 *   state simply has no ResultPath.
 */
import { Duration, Token } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { CANCEL_REQUEST_ATTRIBUTE, LOCK_TAKE_CONDITION, type SwitchStatusEvent, type WaitInput } from '../lambdas/shared/contracts';
import { RETRYABLE_ERRORS } from '../lambdas/shared/errors';
import { STEPS, type StepName } from '../lambdas/steps';
import { CANCEL_STATE_PREFIXES as P } from './cancel-names';

/** One deployed Lambda function per workflow step (built by infra/lambda-step.ts). */
export type StepFunctions = Record<StepName, lambda.IFunction>;

/** Time the state machine gives a Lambda task beyond the function's own timeout (cold start, queueing). */
export const TASK_TIMEOUT_MARGIN_SECONDS = 30;

/** Our retry of transient AWS trouble reported by the step code (classifyAwsError): 2, 4, 8... s with full jitter. */
export const TRANSIENT_RETRY: sfn.RetryProps = {
  errors: [...RETRYABLE_ERRORS],
  interval: Duration.seconds(2),
  backoffRate: 2,
  maxAttempts: 6,
  jitterStrategy: sfn.JitterType.FULL,
};

/**
 * Lambda refusing the invocation because the account's concurrency is exhausted. CDK's
 * retryOnServiceExceptions does not cover it ("Handle Lambda service exceptions", Step Functions
 * developer guide, lists Lambda.TooManyRequestsException as a throttling error worth retrying).
 */
const LAMBDA_THROTTLED: sfn.RetryProps = { ...TRANSIENT_RETRY, errors: ['Lambda.TooManyRequestsException'] };

/**
 * An invocation that died without an answer: the runtime crashed or was killed (Runtime.ExitError),
 * or ran out of time (Sandbox.Timedout; the optimized integration reports both as Lambda.Unknown,
 * "Handle Lambda service exceptions", Step Functions developer guide). Its AWS calls may have taken
 * effect, so it is retried once: every step is idempotent (docs/design.md invariant 5), and a second
 * death goes to the Catch like any failure.
 */
export const LAMBDA_CRASHED: sfn.RetryProps = {
  errors: ['Runtime.ExitError', 'Sandbox.Timedout', 'Lambda.Unknown'],
  interval: Duration.seconds(2),
  backoffRate: 2,
  maxAttempts: 1,
};

/**
 * Transient errors of the optimized service integrations (DynamoDB, SNS, StartExecution). Step
 * Functions names them `<Service>.<ExceptionName>` ("Error handling in Step Functions"); the local
 * executor's handlers for those states throw the classified names instead, so both are listed.
 */
export function serviceRetry(service: 'DynamoDB' | 'SNS' | 'StepFunctions'): sfn.RetryProps {
  const names: Record<typeof service, string[]> = {
    DynamoDB: ['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'InternalServerError'],
    SNS: ['ThrottledException', 'InternalErrorException', 'KMSThrottlingException'],
    StepFunctions: ['ThrottlingException', 'ExecutionLimitExceeded'],
  };
  // A 5xx the service does not model as an exception of its own reaches us under its HTTP error code.
  const unmodelled = ['InternalError', 'InternalFailure', 'ServiceUnavailable'];
  return { ...TRANSIENT_RETRY, errors: [...RETRYABLE_ERRORS, ...[...names[service], ...unmodelled].map((n) => `${service}.${n}`)] };
}

/** The lock item's attribute names LOCK_TAKE_CONDITION uses. */
export const LOCK_CONDITION_NAMES = { '#owner': 'owner', '#expiresAt': 'expiresAt' };

/**
 * `:now` of LOCK_TAKE_CONDITION, in whole seconds: the execution's start, which is its lock's expiry
 * (`$.lockExpiresAt`, set by its validation) less the time the execution may run.
 */
export function lockNow(runSeconds: number): string {
  return sfn.JsonPath.format('{}', Token.asString(sfn.JsonPath.mathAdd(sfn.JsonPath.numberAt('$.lockExpiresAt'), -runSeconds)));
}

export interface TakeLockProps {
  table: dynamodb.ITable;
  /** Where the lock's key is (a stack name, or an entry point's lock key). */
  keyPath: string;
  /** The item's string attributes besides owner, startedAt and expiresAt: name → JSONPath. */
  attributes: Record<string, string>;
  /** How long the execution may run (its lock's expiry is its start plus this). */
  runSeconds: number;
  taskTimeout: sfn.Timeout;
}

/**
 * Puts one lock item on LOCK_TAKE_CONDITION: it succeeds when no lock exists, when it is ours (a
 * retry), or when it has expired (DynamoDB's TTL deletes expired items only eventually). Retried on
 * DynamoDB's transient errors; a lock held by another fails with DynamoDB.ConditionalCheckFailedException.
 */
export function takeLock(scope: Construct, name: string, p: TakeLockProps): tasks.DynamoPutItem {
  const S = tasks.DynamoAttributeValue.fromString;
  const lock = tasks.DynamoPutItem.jsonPath(scope, name, {
    table: p.table,
    item: {
      stackName: S(sfn.JsonPath.stringAt(p.keyPath)),
      owner: S(sfn.JsonPath.stringAt('$.execution.id')),
      startedAt: S(sfn.JsonPath.stringAt('$$.Execution.StartTime')),
      ...Object.fromEntries(Object.entries(p.attributes).map(([attribute, path]) => [attribute, S(sfn.JsonPath.stringAt(path))])),
      expiresAt: tasks.DynamoAttributeValue.numberFromString(sfn.JsonPath.format('{}', sfn.JsonPath.stringAt('$.lockExpiresAt'))),
    },
    conditionExpression: LOCK_TAKE_CONDITION,
    expressionAttributeNames: LOCK_CONDITION_NAMES,
    expressionAttributeValues: { ':me': S(sfn.JsonPath.stringAt('$.execution.id')), ':now': tasks.DynamoAttributeValue.numberFromString(lockNow(p.runSeconds)) },
    resultPath: sfn.JsonPath.DISCARD,
    taskTimeout: p.taskTimeout,
  });
  lock.addRetry(serviceRetry('DynamoDB'));
  return lock;
}

export interface LambdaStepProps {
  /** The JSON the handler receives, shaped exactly as its event type in lambdas/shared/contracts.ts. */
  payload?: sfn.TaskInput;
  /**
   * Instead of `payload`: the path of an event already prepared in the state. (CDK renders a
   * `TaskInput.fromJsonPathAt` payload of a payloadResponseOnly task as a string Parameters, which
   * is not valid ASL; InputPath is.)
   */
  inputPath?: string;
  /** Where the handler's return value goes; omitted = it becomes the whole state. */
  resultPath?: string;
  resultSelector?: Record<string, unknown>;
}

/**
 * A Lambda task the way every step is called: the function ARN as Resource (payloadResponseOnly, the
 * result is the handler's return value), a timeout just above the function's, Lambda's own service
 * errors retried by CDK, and our retry of throttling and unavailability. Nothing else is retried:
 * permanent errors (InputInvalid, PreflightFailed, DeletionRefused, WaitTimedOut...) go to the Catch; a
 * crashed invocation is retried once (LAMBDA_CRASHED).
 */
export function lambdaStep(scope: Construct, name: string, fns: StepFunctions, step: StepName, props: LambdaStepProps): tasks.LambdaInvoke {
  const task = tasks.LambdaInvoke.jsonPath(scope, name, {
    lambdaFunction: fns[step],
    payloadResponseOnly: true,
    retryOnServiceExceptions: true,
    payload: props.payload,
    inputPath: props.inputPath,
    resultPath: props.resultPath,
    resultSelector: props.resultSelector,
    taskTimeout: sfn.Timeout.duration(Duration.seconds(STEPS[step].timeoutSeconds + TASK_TIMEOUT_MARGIN_SECONDS)),
  });
  task.addRetry(TRANSIENT_RETRY);
  task.addRetry(LAMBDA_THROTTLED);
  task.addRetry(LAMBDA_CRASHED);
  return task;
}

/**
 * The Parameters of a step's event, keyed exactly as its contract type: a field renamed or added in
 * contracts.ts is a compile error here (values are JSONPath tokens or literals).
 */
export type Fields<T> = { [K in keyof T]: unknown };

/** A step's event as a task payload, checked against its contract type `T`. */
export function eventOf<T>(fields: Fields<T>): sfn.TaskInput {
  return sfn.TaskInput.fromObject(fields as Record<string, unknown>);
}

/** The execution identity every step receives: `$.execution` ({id, name}). */
export const EXECUTION = sfn.JsonPath.objectAt('$.execution');

export interface WaitLoopProps<E extends WaitInput> {
  /** Name of the status task ("Check the snapshots"); the later checks are named "<check> again". */
  check: string;
  /** Name of the Choice ("Snapshots ready?"). */
  ready: string;
  /** Name of the Wait state ("Wait for the snapshots"). */
  wait: string;
  step: StepName;
  /** The status step's event without `timeoutSeconds` and `wait`, which the loop adds. */
  payload: Fields<Omit<E, keyof WaitInput>>;
  /** Path of the loop's timeout in seconds (from the input's `waits`). */
  timeoutPath: string;
  /** Where the status result ({status, wait, ...}) is kept between checks. */
  resultPath: string;
  /** Next state once the status is READY. */
  next: sfn.IChainable;
  /** Next state when the status is FAILED (only for steps that can return it). */
  onFailed?: sfn.IChainable;
  /** A forward loop obeys `env-migrator cancel`: each check reads the request first (see LoopCancellation). */
  cancellation?: LoopCancellation;
}

/**
 * The wait for a change of an entry point's record to be INSYNC (switch-status on the
 * SwitchEntryPointResult at `changePath`): "Check the switch", or with `back` "Check the switch back",
 * the names Migrate's blue/green path and Rollback share.
 */
export function recordChangeWait(
  scope: Construct,
  fns: StepFunctions,
  props: { back: boolean; changePath: string } & Pick<WaitLoopProps<SwitchStatusEvent>, 'timeoutPath' | 'resultPath' | 'next' | 'cancellation'>,
): WaitLoop {
  const { back, changePath, ...loop } = props;
  const which = back ? 'switch back' : 'switch';
  return waitLoop<SwitchStatusEvent>(scope, fns, {
    check: `Check the ${which}`,
    ready: `${back ? 'Switch back' : 'Switch'} in sync?`,
    wait: `Wait for the ${which}`,
    step: 'switch-status',
    payload: { changeId: sfn.JsonPath.stringAt(`${changePath}.changeId`), submittedAt: sfn.JsonPath.stringAt(`${changePath}.submittedAt`), execution: EXECUTION },
    ...loop,
  });
}

export interface WaitLoop {
  /** The first check: the loop's entry. */
  start: tasks.LambdaInvoke;
  /** Both status tasks, for the caller's Catch. */
  checks: tasks.LambdaInvoke[];
}

/**
 * The wait loop every long operation uses, since Lambdas never sleep: check → Choice on `status` →
 * Wait `wait.nextDelaySeconds` (the backoff the status step computed) → check again. The first check
 * has no `wait` (WaitInput.wait is absent on the first check) and the step starts the clock; the
 * timeout is enforced by the step, which throws WaitTimedOut (advanceWait in lambdas/shared/wait.ts).
 */
export function waitLoop<E extends WaitInput>(scope: Construct, fns: StepFunctions, props: WaitLoopProps<E>): WaitLoop {
  const payload = { ...props.payload, ...cancellationField(props.cancellation) };
  const first = lambdaStep(scope, props.check, fns, props.step, {
    payload: sfn.TaskInput.fromObject({ ...payload, timeoutSeconds: sfn.JsonPath.numberAt(props.timeoutPath) }),
    resultPath: props.resultPath,
  });
  const again = lambdaStep(scope, `${props.check} again`, fns, props.step, {
    payload: sfn.TaskInput.fromObject({
      ...payload,
      timeoutSeconds: sfn.JsonPath.numberAt(props.timeoutPath),
      wait: sfn.JsonPath.objectAt(`${props.resultPath}.wait`),
    }),
    resultPath: props.resultPath,
  });
  const pause = sfn.Wait.jsonPath(scope, props.wait, {
    time: sfn.WaitTime.secondsPath(`${props.resultPath}.wait.nextDelaySeconds`),
  });
  const choice = sfn.Choice.jsonPath(scope, props.ready);
  obeyCancelRequest(scope, choice, props.ready, props.resultPath, props.cancellation);
  choice.when(sfn.Condition.stringEquals(`${props.resultPath}.status`, 'READY'), props.next);
  if (props.onFailed) choice.when(sfn.Condition.stringEquals(`${props.resultPath}.status`, 'FAILED'), props.onFailed);
  choice.otherwise(pause);
  first.next(choice);
  pause.next(again);
  again.next(choice);
  return { start: first, checks: [first, again] };
}

/**
 * The first move of the saga when a forward state fails: keep which state failed in
 * `$.failure.state` (the Catch has put the error in `$.error`) and go on to the phase's compensation.
 * Returns the Pass for the Catch to target.
 */
export function noteFailure(scope: Construct, stateName: string, compensation: sfn.IChainable): sfn.Pass {
  const note = sfn.Pass.jsonPath(scope, `${stateName} failed`, {
    result: sfn.Result.fromObject({ state: stateName }),
    resultPath: '$.failure',
  });
  note.next(compensation);
  return note;
}

/** Catches everything the given forward states can throw into a failure note; the error goes to `$.error`. */
export function catchInto(states: sfn.TaskStateBase[], note: sfn.IChainable): void {
  for (const s of states) s.addCatch(note, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
}

/**
 * Copies an optional field into a request object being prepared, only when the field is present:
 * Choice IsPresent → Pass (InputPath = the field, ResultPath = the request's field) → next.
 * This is how an absent optional input (templateUrl, smokeTest) stays absent in a step's event.
 */
export function copyIfPresent(
  scope: Construct,
  names: { question: string; copy: string },
  from: string,
  to: string,
  next: sfn.IChainable,
): sfn.Choice {
  const copy = sfn.Pass.jsonPath(scope, names.copy, { inputPath: from, resultPath: to });
  copy.next(next);
  return sfn.Choice.jsonPath(scope, names.question).when(sfn.Condition.isPresent(from), copy).otherwise(next);
}

/**
 * Lists in `$.required.outputKeys` the stack outputs a discovery must find: the statistics URL, plus
 * the service URL when a smoke test is configured (an optional input, hence the Choice).
 */
export function listRequiredOutputs(
  scope: Construct,
  names: { question: string; withSmokeTest: string; withoutSmokeTest: string },
  paths: { statistics: string; smokeTest: string },
  next: sfn.IChainable,
): sfn.Choice {
  const statisticsKey = sfn.JsonPath.stringAt(`${paths.statistics}.outputKey`);
  const both = sfn.Pass.jsonPath(scope, names.withSmokeTest, {
    parameters: { outputKeys: sfn.JsonPath.array(statisticsKey, sfn.JsonPath.stringAt(`${paths.smokeTest}.outputKey`)) },
    resultPath: '$.required',
  });
  const statisticsOnly = sfn.Pass.jsonPath(scope, names.withoutSmokeTest, {
    parameters: { outputKeys: sfn.JsonPath.array(statisticsKey) },
    resultPath: '$.required',
  });
  both.next(next);
  statisticsOnly.next(next);
  return sfn.Choice.jsonPath(scope, names.question).when(sfn.Condition.isPresent(paths.smokeTest), both).otherwise(statisticsOnly);
}

export interface ContinuationLoopProps {
  /** Names of the first call, the calls after it and the Choice between them ("Copy objects", "Copy more objects", "All objects copied?"). */
  first: string;
  more: string;
  question: string;
  step: StepName;
  /** The step's event without `continuation`; the calls after the first add the previous result's. */
  event: Record<string, unknown>;
  resultPath: string;
  /** Each final status and the state it leads to; CONTINUE always loops. */
  done: Record<string, sfn.IChainable>;
  /** A forward loop obeys `env-migrator cancel`: each call reads the request first (see LoopCancellation). */
  cancellation?: LoopCancellation;
}

/**
 * A step that works in several invocations (a bucket copied, verified, counted or listed again): the
 * first call, then calls with the previous result's `continuation` while the status is CONTINUE. No
 * Default: a status other than CONTINUE and the listed ones is a bug and fails loudly
 * (States.NoChoiceMatched). Returns both calls (for Catch) and the first.
 */
export function continuationLoop(scope: Construct, fns: StepFunctions, p: ContinuationLoopProps): { start: tasks.LambdaInvoke; calls: tasks.LambdaInvoke[] } {
  const event = { ...p.event, ...cancellationField(p.cancellation) };
  const first = lambdaStep(scope, p.first, fns, p.step, { payload: sfn.TaskInput.fromObject(event), resultPath: p.resultPath });
  const more = lambdaStep(scope, p.more, fns, p.step, {
    payload: sfn.TaskInput.fromObject({ ...event, continuation: sfn.JsonPath.objectAt(`${p.resultPath}.continuation`) }),
    resultPath: p.resultPath,
  });
  const choice = sfn.Choice.jsonPath(scope, p.question);
  obeyCancelRequest(scope, choice, p.question, p.resultPath, p.cancellation);
  choice.when(sfn.Condition.stringEquals(`${p.resultPath}.status`, 'CONTINUE'), more);
  for (const [status, next] of Object.entries(p.done)) choice.when(sfn.Condition.stringEquals(`${p.resultPath}.status`, status), next);
  first.next(choice);
  more.next(choice);
  return { start: first, calls: [first, more] };
}

export interface ResumableStepProps {
  /** Names of the Pass that starts without a continuation, of the call, and of the Choice after it. */
  begin: string;
  call: string;
  question: string;
  step: StepName;
  /** The step's event without `continuation`; each call adds the previous result's (null on the first). */
  event: Record<string, unknown>;
  resultPath: string;
  /** Each final status and the state it leads to; CONTINUE calls again. */
  done: Record<string, sfn.IChainable>;
}

/**
 * continuationLoop with one Task state instead of two: a Pass puts `{continuation: null}` at
 * `resultPath`, and the one call, given `<resultPath>.continuation`, is entered again while its
 * status is CONTINUE. For a step whose calls all share one Catch and whose first and later calls
 * are the same state for the fault matrix (delete-stack in the compensations). No Default, as in
 * continuationLoop. Returns the Pass (the entry) and the call (for Catch).
 */
export function resumableStep(scope: Construct, fns: StepFunctions, p: ResumableStepProps): { start: sfn.Pass; call: tasks.LambdaInvoke } {
  const begin = sfn.Pass.jsonPath(scope, p.begin, { result: sfn.Result.fromObject({ continuation: null }), resultPath: p.resultPath });
  const call = lambdaStep(scope, p.call, fns, p.step, {
    payload: sfn.TaskInput.fromObject({ ...p.event, continuation: sfn.JsonPath.objectAt(`${p.resultPath}.continuation`) }),
    resultPath: p.resultPath,
  });
  const choice = sfn.Choice.jsonPath(scope, p.question).when(sfn.Condition.stringEquals(`${p.resultPath}.status`, 'CONTINUE'), call);
  for (const [status, next] of Object.entries(p.done)) choice.when(sfn.Condition.stringEquals(`${p.resultPath}.status`, status), next);
  begin.next(call);
  call.next(choice);
  return { start: begin, call };
}

// ---------------------------------------------------------------------------------------------
// Cancellation (env-migrator cancel)
// ---------------------------------------------------------------------------------------------

/**
 * Builds a safe point in front of `next`, named after the state it guards (`where`, e.g. "Put the
 * instances in standby"): there the execution reads the cancel request on its lock and, when there
 * is one, leaves for its phase's compensation instead of going on.
 */
export type CancelCheck = (where: string, next: sfn.IChainable) => sfn.IChainable;

export interface CancelFlag {
  /** The environment lock table (statemachine/migrate.ts "Lock the environment"). */
  lockTable: dynamodb.ITable;
  /** Path of the locked environment's stack name, the lock's key. */
  stackNamePath: string;
  /** Path of the Migrate execution ARN that must own the lock for its request to count (`$.execution.id`). */
  ownerPath: string;
  /** A path present only when the execution can be cancelled (a Clone run alone cannot); omitted: always. */
  onlyIf?: string;
}

/** Where a safe point keeps the lock item it read: the request's text is `${CANCEL_CHECK}.Item.cancelRequested.S`. */
export const CANCEL_CHECK = '$.cancelCheck';

/**
 * Path of the request's text (who asked, when) once a safe point or a loop step has found one: the
 * state that found it puts it here before going to its `cancelled` state, which reads it only here.
 */
export const CANCEL_REQUEST_TEXT = '$.cancelRequest';

/**
 * How a loop obeys `env-migrator cancel` without a state of its own per check: every call of the
 * loop's step is given `cancellation` (CancellableEvent: the lock's key), the step reads the request
 * first (lambdas/shared/cancel-request.ts obeyingCancel, CANCEL_CHECK_STEPS) and, when there is one,
 * returns `{cancelRequested}` and does nothing else; the loop's Choice tests that first and goes to
 * `cancelled` (after a Pass that keeps the text at CANCEL_REQUEST_TEXT). No state is entered when
 * there is no request: the reads cost no state transition, where a GetItem state and its Choices
 * before each Wait cost about 90 per migration.
 */
export interface LoopCancellation {
  /** The step event's `cancellation`: `{stackName: <path>}`, or the path of one (`$.cancellation`, `{}` when nothing can cancel). */
  ref: unknown;
  /** Where a request leads (the phase's compensation, or the end of a bucket's iteration). */
  cancelled: sfn.IChainable;
}

/** The `cancellation` field of a loop step's event, when the loop obeys cancel requests. */
function cancellationField(c: LoopCancellation | undefined): Record<string, unknown> {
  return c ? { cancellation: c.ref } : {};
}

/**
 * The loop Choice's first rule (rules are tried in order, and the others read a `status` that a
 * cancelled call's result does not have): a result carrying `cancelRequested` leaves for `cancelled`.
 */
function obeyCancelRequest(scope: Construct, choice: sfn.Choice, question: string, resultPath: string, c: LoopCancellation | undefined): void {
  if (!c) return;
  const take = sfn.Pass.jsonPath(scope, `${P.take}${question})`, { inputPath: `${resultPath}.cancelRequested`, resultPath: CANCEL_REQUEST_TEXT });
  take.next(c.cancelled);
  choice.when(sfn.Condition.isPresent(`${resultPath}.cancelRequested`), take);
}

/**
 * A cancel check (`env-migrator cancel`): a consistent GetItem of the lock, then `cancelled` when
 * the item carries a cancel request AND is still owned by this execution, `next` otherwise. It
 * stands only between states, where no step is in flight (a stopped execution would leave a Lambda
 * copying into a stack the compensation is deleting), and only at the phase boundaries: the loops
 * read the request through their steps (LoopCancellation), at no state transition.
 * A read that fails after the retries is not a request: the execution goes on, the next safe point
 * reads again. The item is a few hundred bytes (the state stays small).
 */
export function cancelPoint(scope: Construct, where: string, flag: CancelFlag, cancelled: sfn.IChainable, next: sfn.IChainable): sfn.IChainable {
  const key = `${CANCEL_CHECK}.Item`;
  const take = sfn.Pass.jsonPath(scope, `${P.take}${where})`, { inputPath: `${key}.${CANCEL_REQUEST_ATTRIBUTE}.S`, resultPath: CANCEL_REQUEST_TEXT });
  take.next(cancelled);
  const ours = sfn.Choice.jsonPath(scope, `${P.ours}${where})`)
    .when(sfn.Condition.stringEqualsJsonPath(`${key}.owner.S`, flag.ownerPath), take)
    .otherwise(next);
  // Nested, not an And: a Choice that compares a path which does not exist fails the execution
  // (States.Runtime), and And is not documented to short-circuit.
  const requested = sfn.Choice.jsonPath(scope, `${P.requested}${where})`)
    .when(sfn.Condition.and(sfn.Condition.isPresent(`${key}.${CANCEL_REQUEST_ATTRIBUTE}.S`), sfn.Condition.isPresent(`${key}.owner.S`)), ours)
    .otherwise(next);
  const read = tasks.DynamoGetItem.jsonPath(scope, `${P.read}${where})`, {
    table: flag.lockTable,
    key: { stackName: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt(flag.stackNamePath)) },
    consistentRead: true,
    resultPath: CANCEL_CHECK,
    taskTimeout: sfn.Timeout.duration(Duration.seconds(60)),
  });
  read.addRetry(serviceRetry('DynamoDB'));
  read.addCatch(next, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
  read.next(requested);
  if (!flag.onlyIf) return read;
  return sfn.Choice.jsonPath(scope, `${P.applies}${where})`).when(sfn.Condition.isPresent(flag.onlyIf), read).otherwise(next);
}
