/**
 * `env-migrator cancel` end to end: the synthesized Migrate and Clone definitions run by the local
 * executor on the simulated account, the command run by an operator while the migration runs (just
 * before a chosen Task state, through taskHooks). A cancel is a stop that compensates: the execution
 * stops at its next safe point, undoes what its phase requires, releases its lock and notifies, and
 * every invariant of docs/design.md holds on the account's final state.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, expect, it } from 'vitest';
import { parseExecutionArn } from '../../cli/arn';
import { cancelCommand } from '../../cli/cancel';
import { ioOf } from '../../cli/io';
import { EXIT } from '../../cli/exit-codes';
import { executionArnOf } from '../../lambdas/shared/naming';
import { runOnSimulatedClock } from '../../local/clock';
import { taskHooks, type RunningState } from '../../local/faults/state-context';
import { LocalHarness } from '../../local/harness';
import { captureBaseline, checkInvariants } from '../../local/invariants';
import { SAMPLE_STACK, TEST_SIZE, seedSampleEnvironment } from '../../local/sample-environment';
import { scenario, tempStackNameOf } from '../../local/scenarios';
import { terminal } from '../cli/terminal';

let harness: LocalHarness | undefined;
afterEach(() => {
  taskHooks.beforeTask = undefined;
  harness?.dispose();
  harness = undefined;
});

/** A migration of the sample environment, cancelled by `env-migrator cancel` just before the first Task state `when` picks. */
async function cancelledMigration(name: string, when: (s: RunningState) => boolean) {
  harness = await LocalHarness.create();
  const h = harness;
  seedSampleEnvironment(h.account, TEST_SIZE);
  const executionArn = executionArnOf(h.deployment.migrate.arn, name);
  const tempStackName = tempStackNameOf(SAMPLE_STACK, executionArn);
  const baseline = await captureBaseline(h.account, SAMPLE_STACK);
  // Modules and clients loaded beforehand: the simulated clock cannot see vitest's module loading and
  // would run ahead (timing the state out) while the command is being imported.
  const operator = terminal({ deps: { dynamodb: new DynamoDBClient({}) } });
  const execution = parseExecutionArn(executionArn)!;
  let asked: Promise<number> | undefined;
  taskHooks.beforeTask = async (s) => {
    if (asked || !when(s)) return;
    asked = cancelCommand(ioOf(operator.deps), execution, { table: h.deployment.lockTableName, migratorStack: 'unused', reason: 'wrong window', json: true });
    await asked;
  };
  const ended = await runOnSimulatedClock(async () => h.finished(await h.startMigration(scenario('happy').input, name)), h.account.now());
  const report = await checkInvariants(h.account, baseline, { execution: ended, tempStackName, lockTable: h.deployment.lockTableName, topicArn: h.deployment.topicArn });
  const lock = await new DynamoDBClient({}).send(new GetItemCommand({ TableName: h.deployment.lockTableName, Key: { stackName: { S: SAMPLE_STACK } }, ConsistentRead: true }));
  const clones = [...h.account.sfn.executions.values()].filter((e) => e.stateMachineArn !== h.deployment.migrate.arn);
  expect(asked, 'the cancel was asked while the migration ran').toBeDefined();
  return { execution: ended, report, exitCode: await asked!, operator, lock: lock.Item, clones, tempStackName, executionArn, account: h.account };
}

it('cancel during the first clone\'s bucket copies: each copy stops at its own safe point, then the clone fails; phase A undoes the migration, the original back in service, the lock released', async () => {
  const r = await cancelledMigration('cancel-phase-a', (s) => s.executionName.endsWith('-c1') && s.state === 'Discover the destination stack');
  expect(r.exitCode, r.operator.err.join('\n')).toBe(EXIT.SUCCEEDED);
  expect(r.operator.json()).toMatchObject({ outcome: 'CANCEL_REQUESTED', executionArn: r.executionArn, stackName: SAMPLE_STACK, exitCode: 0 });
  expect(r.operator.err.join('\n')).toContain(`env-migrator watch ${r.executionArn}`);

  // The clone ended itself at a safe point with the request, not stopped mid-step: no copy was cut off.
  expect(r.clones.map((c) => [c.name.slice(-2), c.status, c.error])).toEqual([['c1', 'FAILED', 'MigrationCancelled']]);
  const entered = r.clones[0]!.history.filter((e) => e.type === 'StateEntered').map((e) => e.stateName);
  // Each bucket's copy step read the request before copying anything and answered it; each iteration
  // stopped on its own, then the clone failed at the safe point after the copies.
  expect(entered.filter((n) => n === 'Stop copying the bucket'), 'every bucket copy stopped on its own').toHaveLength(entered.filter((n) => n === 'Copy objects').length);
  expect(entered).toContain('Stop copying the bucket');
  expect(entered).not.toContain('Copy more objects');
  expect(entered).not.toContain('Verify the bucket copy');
  expect(r.account.calls.filter((c) => c.service === 'S3' && c.operation === 'CopyObject'), 'no object was copied').toHaveLength(0);
  expect(entered.at(-1)).toBe('Clone cancelled');
  expect(entered).not.toContain('Compare the statistics');
  expect(r.execution.status).toBe('FAILED');
  expect(r.execution.error).toBe('MigrationCancelled');
  expect(r.execution.cause).toContain('env-migrator cancel at ');
  expect(r.execution.cause).toContain('wrong window');
  // Every invariant on the final account: the original holds all of the data, InService, one notification.
  expect(r.report.violations).toEqual([]);
  expect(r.report.survivor).toBe(SAMPLE_STACK);
  expect(r.report.dataIntact).toBe(true);
  expect(r.report.notifications).toHaveLength(1);
  expect(r.report.notifications[0]!.message).toContain('MigrationCancelled');
  expect(r.report.notifications[0]!.message).toContain('Failed at state: "Clone the environment to a temporary stack"');
  expect(r.account.cloudformation.stackByName(r.tempStackName)).toBeUndefined();
  expect(r.lock, 'the lock is released').toBeUndefined();
});

it('cancel after the deletion of the original started: phase B keeps the temporary copy, which holds the data; no second clone; the lock released', async () => {
  const r = await cancelledMigration('cancel-phase-b', (s) => !s.executionName.endsWith('-c1') && s.state === 'Check the current environment');
  expect(r.exitCode).toBe(EXIT.SUCCEEDED);
  expect(r.execution.status).toBe('FAILED');
  expect(r.execution.error).toBe('MigrationCancelled');
  expect(r.clones.map((c) => c.name.slice(-2))).toEqual(['c1']);
  expect(r.report.violations).toEqual([]);
  expect(r.report.survivor).toBe(r.tempStackName);
  expect(r.report.dataIntact).toBe(true);
  expect(r.report.notifications).toHaveLength(1);
  expect(r.report.notifications[0]!.message).toContain('MigrationCancelled');
  expect(r.report.notifications[0]!.message).toContain(r.tempStackName);
  expect(r.report.notifications[0]!.message).toContain('Failed at state: "Delete the current environment"');
  expect(r.account.cloudformation.stackByName(r.tempStackName)).toBeDefined();
  expect(r.lock, 'the lock is released').toBeUndefined();
});

it('cancel after the original is proven unchanged, just before the deletion: the last safe point undoes the migration (phase A), nothing of the original deleted', async () => {
  const r = await cancelledMigration('cancel-before-deletion', (s) => s.state === 'Read any cancel request (Begin deleting the current environment)');
  expect(r.exitCode).toBe(EXIT.SUCCEEDED);
  expect(r.execution.error).toBe('MigrationCancelled');
  expect(r.execution.cause).toContain('the migration stopped at a safe point and compensated');
  expect(r.report.violations).toEqual([]);
  expect(r.report.survivor).toBe(SAMPLE_STACK);
  expect(r.report.dataIntact).toBe(true);
  expect(r.report.notifications[0]!.message).toContain('Failed at state: "Delete the current environment"');
  // One stack deletion only, the temporary copy's: the original was never asked to go.
  expect(r.account.calls.filter((c) => c.service === 'CloudFormation' && c.operation === 'DeleteStack' && !c.error)).toHaveLength(1);
  expect(r.account.cloudformation.stackByName(SAMPLE_STACK)).toBeDefined();
  expect(r.account.cloudformation.stackByName(r.tempStackName)).toBeUndefined();
  expect(r.lock).toBeUndefined();
});
