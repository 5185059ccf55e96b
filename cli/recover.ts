/**
 * `env-migrator recover <execution-arn>`: finishes, safely, a migration that failed after the
 * original's deletion started. Reads what the failed Migrate execution recorded (cli/recover-core.ts
 * decides), and after a phase-B failure starts the Clone state machine that migration used to clone
 * the temporary stack back under the original name and verify it, as clone 2 would have, under the
 * environment's lock; otherwise explains why nothing needs recovering (or why recover will not act).
 * By default it follows the recovery to its end and releases the lock; --no-wait returns once it started.
 */
import type { ExecutionArn } from './arn';
import { parseExecutionArn } from './arn';
import { EXIT, type ExitCode } from './exit-codes';
import { type Io, awsCall, humanOf } from './io';
import { assessBlueGreen, blueGreenHistoryOf, observeEntryPoint } from './recover-blue-green';
import { type Assessment, type FailedMigration, type StartResult, assessRecovery, isBlueGreen, readFailedMigration, releaseRecoveryLock, startRecovery } from './recover-core';
import { type ExecutionSummary, awsFailure, endWith } from './result';
import { lockTableOf } from './unlock';
import { watchExecution } from './watch';

/** What `recover` was given, parsed (cli/program.ts). */
export interface RecoverOptions {
  versionOfOriginal: boolean;
  table?: string;
  migratorStack: string;
  wait: boolean;
  interval: number;
  json: boolean;
  /** The time the lock is taken at (tests); default now. */
  now?: () => Date;
}

/** Outcomes of `recover` (the `outcome` of its JSON result). */
export const RECOVER_OUTCOME = {
  /** The environment is back under its name, at the version asked, verified (Clone EQUAL). */
  RECOVERED: 'RECOVERED',
  /** A recovery was started (--no-wait); the lock stays with it. */
  RECOVERY_STARTED: 'RECOVERY_STARTED',
  /** The original holds the data, the migration succeeded, or a recovery already put it back. */
  NOTHING_TO_RECOVER: 'NOTHING_TO_RECOVER',
  /** recover did not act: it cannot tell, a recovery runs, the lock is held, a stack holds the name... */
  RECOVERY_REFUSED: 'RECOVERY_REFUSED',
  /** The recovery's clone is not identical to the temporary copy: the temporary copy keeps the data. */
  RECOVERY_DIFFERS: 'RECOVERY_DIFFERS',
  /** The recovery's Clone execution failed, timed out or was stopped. */
  RECOVERY_FAILED: 'RECOVERY_FAILED',
} as const;

interface Verdict {
  outcome: (typeof RECOVER_OUTCOME)[keyof typeof RECOVER_OUTCOME];
  exitCode: ExitCode;
  line: string;
  survivor: string | null;
  error: { name: string; cause: string } | null;
  leftToDo: string[];
}

function fromAssessment(a: Exclude<Assessment, { verdict: 'RECOVER' }>): Verdict {
  if (a.verdict === 'NOTHING_TO_RECOVER') return { outcome: 'NOTHING_TO_RECOVER', exitCode: EXIT.SUCCEEDED, line: `nothing to recover: ${a.reason}`, survivor: a.survivor, error: null, leftToDo: [] };
  return { outcome: 'RECOVERY_REFUSED', exitCode: EXIT.FAILED, line: `refused: ${a.reason}`, survivor: a.survivor, error: { name: 'RecoveryRefused', cause: a.reason }, leftToDo: [] };
}

function fromStart(r: Extract<StartResult, { started: false }>, temp: string, stackName: string): Verdict {
  if (r.kind === 'ALREADY_RECOVERED') return { outcome: 'NOTHING_TO_RECOVER', exitCode: EXIT.SUCCEEDED, line: `nothing to recover: ${r.reason}`, survivor: stackName, error: null, leftToDo: [] };
  return { outcome: 'RECOVERY_REFUSED', exitCode: EXIT.FAILED, line: `refused: ${r.reason}`, survivor: temp, error: { name: 'RecoveryRefused', cause: r.reason }, leftToDo: [] };
}

/** What the recovery's Clone execution ended with, for people and pipelines. */
function fromClone(s: ExecutionSummary, stackName: string, temp: string, version: string, cloneArn: string): Verdict {
  const outcome = (s.output as { outcome?: unknown } | undefined)?.outcome;
  if (s.status === 'SUCCEEDED' && outcome === 'EQUAL') {
    return {
      outcome: 'RECOVERED',
      exitCode: EXIT.SUCCEEDED,
      line: `recovered: ${stackName} is back at version ${version}, cloned from ${temp} and verified as the second clone verifies (every bucket, the statistics, the smoke test when configured)`,
      survivor: stackName,
      error: null,
      leftToDo: [
        `delete the temporary stack ${temp} once you no longer want it as a backup (empty its buckets first: CloudFormation does not delete a bucket that holds objects)`,
        `delete this migration's DB snapshots you no longer need, but not those ${stackName}'s <LogicalId>SnapshotIdentifier parameters name: CloudFormation restores from them when it replaces a database`,
      ],
    };
  }
  const unverified = `the stack ${stackName} this recovery created (tag env-migrator:execution=${cloneArn}) is not verified: do not put it in service; delete it once checked, then run recover again`;
  if (s.status === 'SUCCEEDED') {
    const statistics = (s.output as { statistics?: { status?: string; summary?: string } }).statistics;
    // Equal statistics with a MISMATCH outcome: a bucket differs (the Clone's verification), as Migrate names it.
    const name = statistics?.status === 'EQUAL' ? 'BucketsDiffer' : 'StatisticsMismatch';
    const cause = `the recovered ${stackName} differs from ${temp}, which keeps the data: ${name === 'BucketsDiffer' ? 'a bucket differs (the Clone execution lists it)' : (statistics?.summary ?? 'see the Clone execution')}`;
    return { outcome: 'RECOVERY_DIFFERS', exitCode: EXIT.FAILED, line: `not recovered: ${cause}`, survivor: temp, error: { name, cause }, leftToDo: [unverified] };
  }
  const cause = `the recovery ${cloneArn} ended ${s.status}${s.error ? ` (${s.error}: ${s.cause ?? ''})` : ''}; ${temp} keeps the data`;
  const exitCode = s.status === 'ABORTED' ? EXIT.ABORTED : s.status === 'TIMED_OUT' ? EXIT.TIMED_OUT : EXIT.FAILED;
  return { outcome: 'RECOVERY_FAILED', exitCode, line: `not recovered: ${cause}`, survivor: temp, error: { name: s.error ?? s.status, cause }, leftToDo: [unverified] };
}

/**
 * A blue/green migration (cli/recover-blue-green.ts): never a Clone. Reads where the entry point
 * points and both slots, then says where things stand: NOTHING_TO_RECOVER (exit 0) for a success,
 * RECOVERY_REFUSED (exit 1) for every failure, with the state found and what is left to do. The
 * state goes to the JSON result's `blueGreen`. An AWS call that fails is thrown (exit 6 by the caller).
 */
async function blueGreenVerdict(io: Io, execution: ExecutionArn, failed: FailedMigration, say: (line: string) => void, extra: Record<string, unknown>): Promise<Verdict> {
  const history = blueGreenHistoryOf(failed);
  const settled = failed.status !== 'SUCCEEDED' && failed.status !== 'RUNNING' && failed.status !== 'PENDING_REDRIVE';
  let observed;
  if (history && settled) {
    const { Route53Client } = await import('@aws-sdk/client-route-53');
    const clients = { route53: new Route53Client({}), cloudformation: io.cloudformation() };
    observed = await awsCall('ListResourceRecordSets/GetChange/DescribeStacks', () => observeEntryPoint(clients, history, execution.arn));
  }
  const a = assessBlueGreen(failed, history, observed);
  if (a.state.length) say(`${execution.arn} is a blue/green migration (recover never clones one); found now:`);
  for (const line of a.state) say(`  ${line}`);
  extra.blueGreen = { situation: a.situation, serving: a.serving, state: a.state, ...(observed ? { pointsAt: observed.pointsAt, slots: observed.slots } : {}) };
  if (a.verdict === 'NOTHING_TO_RECOVER') return { outcome: 'NOTHING_TO_RECOVER', exitCode: EXIT.SUCCEEDED, line: `nothing to recover: ${a.reason}`, survivor: a.serving, error: null, leftToDo: a.leftToDo };
  return { outcome: 'RECOVERY_REFUSED', exitCode: EXIT.FAILED, line: a.reason, survivor: a.serving, error: { name: 'RecoveryRefused', cause: a.reason }, leftToDo: a.leftToDo };
}

/**
 * `env-migrator recover`. Exit code: 0 recovered, started (--no-wait), or nothing to recover; 1 refused,
 * or the recovery failed or differs (the temporary stack keeps the data); 4 and 5 when the recovery's
 * execution timed out or was stopped; 6 when an AWS call of the CLI fails.
 */
export async function recoverCommand(io: Io, execution: ExecutionArn, o: RecoverOptions): Promise<ExitCode> {
  const say = humanOf(io, o.json);
  const sfn = io.sfn(execution.region);
  const extra: Record<string, unknown> = {};
  const end = (v: Verdict): ExitCode => {
    const code = endWith(io, say, o.json, v, { outcome: v.outcome, survivor: v.survivor, error: v.error, executionArn: execution.arn, leftToDo: v.leftToDo, ...extra });
    for (const item of v.leftToDo) say(`  left to do: ${item}`);
    return code;
  };

  let failed: FailedMigration;
  try {
    failed = await awsCall('DescribeExecution/GetExecutionHistory', () => readFailedMigration(sfn, execution.arn));
  } catch (err) {
    return awsFailure(io, err, o.json, execution.arn);
  }
  extra.migrationStatus = failed.status;
  extra.migrationOutcome = failed.notice?.outcome ?? null;
  if (isBlueGreen(failed)) {
    let verdict: Verdict;
    try {
      verdict = await blueGreenVerdict(io, execution, failed, say, extra);
    } catch (err) {
      return awsFailure(io, err, o.json, execution.arn);
    }
    return end(verdict);
  }
  const assessed = assessRecovery(failed);
  if (assessed.verdict !== 'RECOVER') return end(fromAssessment(assessed));
  const { stackName, tempStackName } = assessed;
  Object.assign(extra, { stackName, tempStackName });
  say(`${execution.arn} failed in phase B (${failed.notice?.outcome}, at "${failed.notice?.failedState ?? '?'}"): ${tempStackName} holds the data and ${stackName} is to be recreated from it`);

  let started: StartResult;
  let lockTable: string;
  try {
    lockTable = await lockTableOf(io, o.table, o.migratorStack);
    const dynamodb = await io.dynamodb();
    started = await awsCall('StartExecution', () =>
      startRecovery({ sfn, cloudformation: io.cloudformation(), dynamodb }, failed, { lockTable, versionOfOriginal: o.versionOfOriginal, now: (o.now ?? (() => new Date()))() }),
    );
  } catch (err) {
    return awsFailure(io, err, o.json, execution.arn);
  }
  if (!started.started) {
    if (started.cloneExecutionArn) extra.recoveryExecutionArn = started.cloneExecutionArn;
    return end(fromStart(started, tempStackName, stackName));
  }
  const { cloneExecutionArn, input } = started;
  Object.assign(extra, { recoveryExecutionArn: cloneExecutionArn, version: input.targetVersion });
  say(`Started recovery ${cloneExecutionArn}: ${tempStackName} → ${stackName} at version ${input.targetVersion}${input.templateUrl ? ` (${input.templateUrl})` : ' (the template of before)'}, holding the lock of ${stackName}`);
  if (!o.wait) {
    return end({
      outcome: 'RECOVERY_STARTED',
      exitCode: EXIT.SUCCEEDED,
      line: `follow it with: env-migrator watch ${cloneExecutionArn}`,
      survivor: tempStackName,
      error: null,
      leftToDo: [`once it has ended, release the lock: env-migrator unlock --stack ${stackName} (or run recover again, which says how it ended)`],
    });
  }

  let summary: ExecutionSummary;
  try {
    summary = await watchExecution(io, parseExecutionArn(cloneExecutionArn)!, { pollSeconds: o.interval, write: say });
  } catch (err) {
    // Watching failed, not the recovery: it goes on, holding the lock, which unlock releases once it ended.
    return awsFailure(io, err, o.json, execution.arn);
  }
  say('');
  try {
    const dynamodb = await io.dynamodb();
    extra.lockReleased = await awsCall('DeleteItem', () => releaseRecoveryLock(dynamodb, lockTable, stackName, cloneExecutionArn));
  } catch (err) {
    io.err(`the lock of ${stackName} could not be released (${(err as Error).message}): env-migrator unlock --stack ${stackName}`);
    extra.lockReleased = false;
  }
  return end(fromClone(summary, stackName, tempStackName, input.targetVersion, cloneExecutionArn));
}
