/**
 * The core of `env-migrator recover <execution-arn>`: after a Migrate execution failed in phase B
 * (the original deleted or being deleted, the data kept in the temporary stack), clones the
 * temporary stack back under the original name and verifies it, exactly as clone 2 would have: the
 * Clone state machine that migration used, with clone 2's input (or, with `versionOfOriginal`, clone
 * 1's version and template), under the environment's lock taken as Migrate takes it. Clients are
 * passed in; no printing, no exit codes (cli/recover.ts).
 *
 * What the failed execution says is read from its history: the last state output holding `$.notice`
 * (the outcome, the survivor the compensation named, the failed state) is Migrate's whole state
 * then (`input`, `tempStackName`, `runId`, `current`), and the TaskScheduled events of its Clone
 * tasks name the Clone state machine. A failed execution has no output (DescribeExecution API
 * reference, `output`: "set only if the execution succeeds. If the execution fails, this field is
 * null"), so the history is the only place these are written.
 */
import { type CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { ConditionalCheckFailedException, DeleteItemCommand, type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, type HistoryEvent, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { type CloneInput, LOCK_TAKE_CONDITION, type MigrationInput, MigrationInputSchema } from '../lambdas/shared/contracts';
import { executionArnOf, snapshotPrefix } from '../lambdas/shared/naming';
import { MIGRATION_TIMEOUT_SECONDS, TAGS } from '../lambdas/steps';
import { parseObject } from '../lambdas/shared/json-object';

/** What the failed Migrate execution recorded, as recover reads it. */
export interface FailedMigration {
  executionArn: string;
  /** DescribeExecution's status. */
  status: string;
  error?: string;
  cause?: string;
  /** The last `$.notice` of its state: absent when the execution ended without reaching its ending (stopped, timed out, States.Runtime). */
  notice?: { outcome: string; survivor: string | null; failedState?: string };
  /** Migrate's state when that notice was written (validated input, names of the run). */
  state?: { input: MigrationInput; tempStackName: string; runId: string; originalVersion?: string };
  /** The Clone state machine its clone tasks started (TaskScheduled parameters). */
  cloneStateMachineArn?: string;
  /** The execution input's `strategy` (DescribeExecution input): `blue-green` runs are assessed by cli/recover-blue-green.ts. */
  strategy?: string;
  /** The execution input as given (DescribeExecution): a blue/green run's entry point and slots when no notice was written. */
  executionInput?: Record<string, unknown>;
  /** Migrate's whole state when the notice was written (a blue/green run's switch, switch back and compensation are read from it). */
  stateAtNotice?: Record<string, unknown>;
  /** DescribeExecution's output of a successful execution (a blue/green run's `blueGreen` facts). */
  output?: Record<string, unknown>;
}

/** A blue/green run: its input says so, or its state holds validate-input's `blueGreen`. */
export function isBlueGreen(m: FailedMigration): boolean {
  return m.strategy === 'blue-green' || m.state?.input.strategy === 'blue-green' || (m.stateAtNotice?.blueGreen !== undefined && m.stateAtNotice.blueGreen !== null);
}

/** Most recovery attempts of one migration: each is a Clone execution `<runId>-r<n>`. */
export const MAX_ATTEMPTS = 9;

const STILL_ACTIVE = new Set(['RUNNING', 'PENDING_REDRIVE']);
/** Outcomes after which the temporary stack is the survivor (phase B, or clone 2 differing). */
const PHASE_B_OUTCOMES = new Set(['FAILED_AND_COMPENSATED', 'PRESERVED_AFTER_SECOND_CLONE_MISMATCH']);
/** Stack statuses of a complete, usable source (DescribeStacks API reference, StackStatus). */
const USABLE = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE']);

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** The notice and Migrate's state in one StateExited output, or undefined when it holds no notice. */
function noticeState(e: HistoryEvent): Pick<FailedMigration, 'notice' | 'state' | 'stateAtNotice'> | undefined {
  const output = e.stateExitedEventDetails?.output;
  if (!output || !output.includes('"notice"')) return undefined;
  const whole = parseObject(output);
  const n = whole?.notice as Record<string, unknown> | undefined;
  if (!whole || !n || typeof n !== 'object' || !str(n.outcome) || !('survivor' in n)) return undefined;
  const notice = { outcome: n.outcome as string, survivor: str(n.survivor) ?? null, ...(str(n.failedState) ? { failedState: n.failedState as string } : {}) };
  const input = MigrationInputSchema.safeParse(whole.input);
  const tempStackName = str(whole.tempStackName);
  const runId = str(whole.runId);
  if (!input.success || !tempStackName || !runId) return { notice, stateAtNotice: whole };
  const current = whole.current as { environmentVersion?: unknown } | undefined;
  return {
    notice,
    stateAtNotice: whole,
    state: { input: input.data, tempStackName, runId, ...(str(current?.environmentVersion) ? { originalVersion: current?.environmentVersion as string } : {}) },
  };
}

/** The Clone state machine a startExecution task names. */
function cloneMachineOf(e: HistoryEvent): string | undefined {
  const scheduled = e.taskScheduledEventDetails;
  if (e.type !== 'TaskScheduled' || scheduled?.resourceType !== 'states' || !scheduled.resource?.startsWith('startExecution')) return undefined;
  return str(parseObject(scheduled.parameters)?.StateMachineArn);
}

function outputOf(output: string | undefined): Record<string, unknown> | undefined {
  return output ? parseObject(output) : undefined;
}

/**
 * Reads what a Migrate execution recorded: its status (DescribeExecution), then its history newest
 * first until the last notice and the Clone state machine are found. Throws the SDK's errors.
 */
export async function readFailedMigration(sfn: SFNClient, executionArn: string): Promise<FailedMigration> {
  const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  const executionInput = parseObject(d.input);
  const strategy = str(executionInput?.strategy);
  const output = outputOf(d.output);
  const found: FailedMigration = {
    executionArn,
    status: d.status ?? 'UNKNOWN',
    ...(d.error ? { error: d.error } : {}),
    ...(d.cause ? { cause: d.cause } : {}),
    ...(strategy ? { strategy } : {}),
    ...(executionInput ? { executionInput } : {}),
    ...(output ? { output } : {}),
  };
  if (STILL_ACTIVE.has(found.status) || found.status === 'SUCCEEDED') return found;
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1000, includeExecutionData: true, nextToken }));
    for (const e of page.events ?? []) {
      if (!found.notice) Object.assign(found, noticeState(e) ?? {});
      found.cloneStateMachineArn ??= cloneMachineOf(e);
    }
    if (found.notice && found.cloneStateMachineArn) break;
    nextToken = page.nextToken;
  } while (nextToken);
  return found;
}

export type Assessment =
  /** Phase B: the temporary stack holds the data and the original's name is to be given back. */
  | { verdict: 'RECOVER'; stackName: string; tempStackName: string }
  /** Nothing of the environment is missing: the original holds the data, or the migration succeeded. */
  | { verdict: 'NOTHING_TO_RECOVER'; reason: string; survivor: string | null }
  /** recover cannot tell, or must not act now: nothing was done. */
  | { verdict: 'REFUSED'; reason: string; survivor: string | null };

/**
 * Decides from the record alone what a recovery would be: RECOVER only when the execution failed and
 * its notice names the temporary stack as the survivor. Never throws.
 */
export function assessRecovery(m: FailedMigration): Assessment {
  // Blue/green never deletes the slot the record points at before the switch: there is no phase B and
  // nothing to clone back (cli/recover-blue-green.ts says what state the run left). Never a Clone.
  if (isBlueGreen(m)) return { verdict: 'REFUSED', reason: `${m.executionArn} is a blue/green migration: recover never starts a Clone for it (env-migrator recover reads the entry point and both slots and says what to do)`, survivor: m.notice?.survivor ?? null };
  if (STILL_ACTIVE.has(m.status)) return { verdict: 'REFUSED', reason: `execution ${m.executionArn} is ${m.status}: it compensates on its own if it fails; wait for it to end (env-migrator watch), then run recover again`, survivor: null };
  if (m.status === 'SUCCEEDED') return { verdict: 'NOTHING_TO_RECOVER', reason: `the migration succeeded: the environment is in service under its own name`, survivor: null };
  if (!m.notice) {
    return {
      verdict: 'REFUSED',
      reason: `execution ${m.executionArn} is ${m.status} and never reached its ending (stopped, timed out, or ${m.error ?? 'an uncaught error'}): it compensated nothing and its history names no survivor, so recover cannot tell which stack holds the data. Check both stacks by hand, then release the lock (env-migrator unlock) (README, "Recovery")`,
      survivor: null,
    };
  }
  const { outcome, survivor } = m.notice;
  const stackName = m.state?.input.stackName;
  if (outcome === 'REJECTED_INPUT' || outcome === 'MIGRATION_IN_PROGRESS') return { verdict: 'NOTHING_TO_RECOVER', reason: `the migration ended ${outcome} before touching anything`, survivor };
  if (!m.state || !stackName) return { verdict: 'REFUSED', reason: `the history of ${m.executionArn} does not hold the migration's input and names: recover cannot rebuild the second clone`, survivor };
  if (survivor === stackName) {
    return {
      verdict: 'NOTHING_TO_RECOVER',
      reason: `the original ${stackName} holds the data${m.notice.failedState ? ` (the migration failed at "${m.notice.failedState}" and was undone)` : ''}: nothing needs recovering. Fix the cause and start a new migration`,
      survivor,
    };
  }
  if (survivor !== m.state.tempStackName || !PHASE_B_OUTCOMES.has(outcome)) {
    return { verdict: 'REFUSED', reason: `the migration ended ${outcome} naming ${survivor ?? 'no stack'} as holding the data, neither the original nor its temporary copy ${m.state.tempStackName}: recover does not know this ending`, survivor };
  }
  if (!m.cloneStateMachineArn) return { verdict: 'REFUSED', reason: `the history of ${m.executionArn} names no Clone execution: recover cannot tell which Clone state machine to start`, survivor };
  return { verdict: 'RECOVER', stackName, tempStackName: m.state.tempStackName };
}

/**
 * Clone 2's input for a recovery (statemachine/migrate.ts secondClonePhase), with the recovery's own
 * execution as `execution` (its tags on what it creates, the lock's owner) and phase `r<attempt>` in
 * snapshot names. `versionOfOriginal`: the version the original had, from the temporary stack's own
 * template (clone 1's), without the input's parameter overrides.
 */
export function recoveryCloneInput(m: FailedMigration, attempt: number, execution: { id: string; name: string }, versionOfOriginal: boolean): CloneInput {
  const state = m.state!;
  const { input } = state;
  const base: CloneInput = {
    sourceStackName: state.tempStackName,
    destinationStackName: input.stackName,
    targetVersion: input.targetVersion,
    parameters: input.parameters ?? {},
    ...(input.secretParameters ? { secretParameters: input.secretParameters } : {}),
    statistics: input.statistics,
    ...(input.smokeTest ? { smokeTest: input.smokeTest } : {}),
    waits: input.waits,
    objectVersions: input.objectVersions,
    phase: `r${attempt}`,
    runId: state.runId,
    execution,
    ...(input.templateUrl ? { templateUrl: input.templateUrl } : {}),
  };
  if (!versionOfOriginal) return base;
  const { templateUrl: _t, ...rest } = base;
  return { ...rest, targetVersion: state.originalVersion ?? input.targetVersion, parameters: {} };
}

export interface RecoverClients {
  sfn: SFNClient;
  cloudformation: CloudFormationClient;
  dynamodb: DynamoDBClient;
}

export type StartResult =
  | { started: true; cloneExecutionArn: string; attempt: number; input: CloneInput }
  /** A recovery of this migration already runs, or already put the environment back: nothing started. */
  | { started: false; reason: string; kind: 'RUNNING' | 'ALREADY_RECOVERED' | 'REFUSED'; cloneExecutionArn?: string };

async function stackNamed(cfn: CloudFormationClient, name: string): Promise<Stack | undefined> {
  try {
    return (await cfn.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
  } catch (err) {
    // DescribeStacks answers a ValidationError "Stack with id <name> does not exist" for a name no live
    // stack has (the response body quoted in boto/boto3#2807); anything else is thrown.
    if ((err as Error).name === 'ValidationError' && /does not exist/.test((err as Error).message)) return undefined;
    throw err;
  }
}

const tagOf = (s: Stack, key: string) => s.Tags?.find((t) => t.Key === key)?.Value;

/** The first attempt number free, or an attempt that runs or succeeded. */
async function previousAttempts(sfn: SFNClient, cloneMachine: string, runId: string) {
  for (let n = 1; n <= MAX_ATTEMPTS; n++) {
    const arn = executionArnOf(cloneMachine, `${runId}-r${n}`);
    try {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
      if (STILL_ACTIVE.has(d.status ?? '')) return { running: arn };
      if (d.status === 'SUCCEEDED' && (parseObject(d.output)?.outcome as string | undefined) === 'EQUAL') return { recovered: arn };
    } catch (err) {
      if ((err as Error).name === 'ExecutionDoesNotExist') return { free: n, arn };
      throw err;
    }
  }
  return {};
}

/**
 * Starts the recovery of a migration assessed RECOVER: takes the environment's lock (the condition
 * Migrate's "Lock the environment" puts it on, owner the recovery's Clone execution), checks, under
 * the lock, that the temporary stack is the complete stack this migration created and that no stack
 * holds the original's name, then starts the Clone execution `<runId>-r<n>`. Whatever refuses after
 * the lock was taken releases it. Returns what was started or why nothing was. Throws the SDK's errors
 * (the lock released first when it was taken).
 */
export async function startRecovery(
  c: RecoverClients,
  m: FailedMigration,
  options: { lockTable: string; versionOfOriginal: boolean; now: Date },
): Promise<StartResult> {
  const a = assessRecovery(m);
  if (a.verdict !== 'RECOVER') return { started: false, kind: 'REFUSED', reason: a.reason };
  const cloneMachine = m.cloneStateMachineArn!;
  const { runId } = m.state!;
  const attempts = await previousAttempts(c.sfn, cloneMachine, runId);
  if (attempts.running) return { started: false, kind: 'RUNNING', cloneExecutionArn: attempts.running, reason: `the recovery ${attempts.running} is running: follow it with env-migrator watch` };
  if (attempts.recovered) {
    return { started: false, kind: 'ALREADY_RECOVERED', cloneExecutionArn: attempts.recovered, reason: `the recovery ${attempts.recovered} already put ${a.stackName} back, verified: nothing left to recover` };
  }
  if (!attempts.free || !attempts.arn) return { started: false, kind: 'REFUSED', reason: `${MAX_ATTEMPTS} recoveries of this migration were made already: look at them before trying again` };
  const cloneArn = attempts.arn;
  const name = `${runId}-r${attempts.free}`;
  const version = options.versionOfOriginal ? (m.state!.originalVersion ?? m.state!.input.targetVersion) : m.state!.input.targetVersion;

  const nowSeconds = Math.floor(options.now.getTime() / 1000);
  try {
    await c.dynamodb.send(
      new PutItemCommand({
        TableName: options.lockTable,
        // The item Migrate writes; expiresAt past the Clone state machine's timeout (the same 48 hours).
        Item: {
          stackName: { S: a.stackName },
          owner: { S: cloneArn },
          startedAt: { S: options.now.toISOString() },
          targetVersion: { S: version },
          expiresAt: { N: String(nowSeconds + MIGRATION_TIMEOUT_SECONDS) },
        },
        ConditionExpression: LOCK_TAKE_CONDITION,
        ExpressionAttributeNames: { '#owner': 'owner', '#expiresAt': 'expiresAt' },
        ExpressionAttributeValues: { ':me': { S: cloneArn }, ':now': { N: String(nowSeconds) } },
      }),
    );
  } catch (err) {
    if (!(err instanceof ConditionalCheckFailedException || (err as Error).name === 'ConditionalCheckFailedException')) throw err;
    const held = await c.dynamodb.send(new GetItemCommand({ TableName: options.lockTable, Key: { stackName: { S: a.stackName } }, ConsistentRead: true }));
    const owner = held.Item?.owner?.S ?? 'another execution';
    return { started: false, kind: 'REFUSED', reason: `${a.stackName} is locked by ${owner}${held.Item?.startedAt?.S ? `, started ${held.Item.startedAt.S}` : ''}: nothing started (env-migrator unlock releases a lock whose execution has ended)` };
  }

  const refuse = async (reason: string): Promise<StartResult> => {
    await releaseRecoveryLock(c.dynamodb, options.lockTable, a.stackName, cloneArn);
    return { started: false, kind: 'REFUSED', reason };
  };
  try {
    const temp = await stackNamed(c.cloudformation, a.tempStackName);
    if (!temp) return await refuse(`the temporary stack ${a.tempStackName}, named by the migration as holding the data, does not exist: check this migration's DB snapshots (${snapshotPrefix(runId)}*, clone 1's kept as the original's backup) by hand`);
    if (!USABLE.has(temp.StackStatus ?? '')) return await refuse(`the temporary stack ${a.tempStackName} is ${temp.StackStatus}: recover clones only a complete stack`);
    if (tagOf(temp, TAGS.execution) !== m.executionArn) {
      return await refuse(`the stack ${a.tempStackName} was not created by ${m.executionArn} (its ${TAGS.execution} tag is ${tagOf(temp, TAGS.execution) ?? 'missing'}): recover clones only the copy that migration verified`);
    }
    const taken = await stackNamed(c.cloudformation, a.stackName);
    if (taken) {
      return await refuse(
        `a stack named ${a.stackName} exists (${taken.StackId}, ${taken.StackStatus}, ${TAGS.execution}=${tagOf(taken, TAGS.execution) ?? 'none'}): recover creates the environment under that name only when it is free. If it is the partial or differing new environment of this migration or of a recovery, delete it once you have checked it is not the one holding the data (the data is in ${a.tempStackName}), then run recover again`,
      );
    }
    const input = recoveryCloneInput(m, attempts.free, { id: cloneArn, name }, options.versionOfOriginal);
    await c.sfn.send(new StartExecutionCommand({ stateMachineArn: cloneMachine, name, input: JSON.stringify(input) }));
    return { started: true, cloneExecutionArn: cloneArn, attempt: attempts.free, input };
  } catch (err) {
    // Nothing started: the lock must not block the next try (a release that fails too is left to its expiry).
    await releaseRecoveryLock(c.dynamodb, options.lockTable, a.stackName, cloneArn).catch(() => undefined);
    throw err;
  }
}

/**
 * Releases the lock a recovery took, on the condition that it still names the recovery (a lock taken
 * since by another execution is never released). Returns whether it was released. Throws the SDK's
 * other errors.
 */
export async function releaseRecoveryLock(dynamodb: DynamoDBClient, lockTable: string, stackName: string, owner: string): Promise<boolean> {
  try {
    await dynamodb.send(
      new DeleteItemCommand({
        TableName: lockTable,
        Key: { stackName: { S: stackName } },
        ConditionExpression: '#owner = :me',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':me': { S: owner } },
      }),
    );
    return true;
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException || (err as Error).name === 'ConditionalCheckFailedException') return false;
    throw err;
  }
}
