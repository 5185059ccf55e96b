/**
 * `env-migrator recover` end to end: a migration fails in phase B on the simulated account (the
 * synthesized Migrate, run by the local executor), then recover, through the real SDK, clones the
 * temporary stack back under the original name with the synthesized Clone and verifies it. What is
 * checked is read from the account: the stack under the original name, its version, its data
 * against the environment before the migration, the lock.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes';
import { runCli } from '../../cli/program';
import { runOnSimulatedClock } from '../../local/clock';
import { LocalHarness } from '../../local/harness';
import { captureBaseline } from '../../local/invariants';
import { SAMPLE_STACK, SAMPLE_VERSION, TARGET_VERSION, TEST_SIZE, seedSampleEnvironment } from '../../local/sample-environment';
import { scenario, tempStackNameOf } from '../../local/scenarios';
import { environmentData, sameData } from '../../local/sim/environment-data';
import { terminal } from './terminal';

let harness: LocalHarness | undefined;
afterEach(() => {
  harness?.dispose();
  harness = undefined;
});

/** Runs a scenario's migration to its (failed) end and returns what recover needs. */
async function failInPhaseB(name: 'stats-mismatch-second-clone' | 'stack-create-fails') {
  harness = await LocalHarness.create();
  const h = harness;
  const s = scenario(name);
  seedSampleEnvironment(h.account, TEST_SIZE);
  const baseline = await captureBaseline(h.account, SAMPLE_STACK);
  const executionName = `recover-${name}`;
  const executionArn = `${h.deployment.migrate.arn.replace(':stateMachine:', ':execution:')}:${executionName}`;
  const tempStackName = tempStackNameOf(SAMPLE_STACK, executionArn);
  s.arm({ account: h.account, executionArn, tempStackName, baseline });
  const execution = await runOnSimulatedClock(async () => h.finished(await h.startMigration(s.input, executionName)), h.account.now());
  expect(execution.status).toBe('FAILED');
  expect(h.account.cloudformation.stackByName(SAMPLE_STACK)).toBeUndefined();
  const recover = async (...flags: string[]) => {
    const t = terminal();
    const code = await runOnSimulatedClock(() => runCli(['recover', executionArn, '--table', h.deployment.lockTableName, '--interval', '60', '--json', ...flags], t.deps), h.account.now());
    return { code, result: t.json(), err: t.err.join('\n') };
  };
  return { h, baseline, executionArn, tempStackName, recover };
}

async function lockOf(table: string) {
  return (await new DynamoDBClient({}).send(new GetItemCommand({ TableName: table, Key: { stackName: { S: SAMPLE_STACK } }, ConsistentRead: true }))).Item;
}

it('stats-mismatch-second-clone: the notification names the recover command; recover recreates the environment at the target version, verified, with all the data, releases the lock, and a second recover finds nothing to do', async () => {
  const { h, baseline, executionArn, tempStackName, recover } = await failInPhaseB('stats-mismatch-second-clone');
  const [notification] = h.account.sns.messages(h.deployment.topicArn);
  expect(notification!.message).toContain(`env-migrator recover ${executionArn}`);
  // The restore fault was the cause, and the operator fixed it before recovering.
  h.account.faults.silent.restoreDropsRows = undefined;

  const { code, result, err } = await recover();
  expect(err).toContain(`${tempStackName} → ${SAMPLE_STACK} at version ${TARGET_VERSION}`);
  expect(code).toBe(EXIT.SUCCEEDED);
  expect(result).toMatchObject({ outcome: 'RECOVERED', survivor: SAMPLE_STACK, executionArn, version: TARGET_VERSION, lockReleased: true, error: null });
  const recovered = h.account.cloudformation.stackByName(SAMPLE_STACK);
  expect(recovered?.status).toBe('CREATE_COMPLETE');
  expect(recovered?.parameters.EnvironmentVersion).toBe(TARGET_VERSION);
  expect(sameData(baseline.data, environmentData(h.account, SAMPLE_STACK))).toMatchObject({ equal: true });
  // The Clone that ran is the recovery's own execution, which verified the copy (EQUAL).
  const clone = h.account.sfn.executions.get(String(result.recoveryExecutionArn));
  expect(clone?.status).toBe('SUCCEEDED');
  expect(JSON.parse(clone!.output!)).toMatchObject({ outcome: 'EQUAL', sourceStackName: tempStackName, destinationStackName: SAMPLE_STACK });
  // The temporary copy is kept until the operator deletes it; the lock is free for the next migration.
  expect(h.account.cloudformation.stackByName(tempStackName)?.status).toBe('CREATE_COMPLETE');
  expect(await lockOf(h.deployment.lockTableName)).toBeUndefined();

  const again = await recover();
  expect(again.code).toBe(EXIT.SUCCEEDED);
  expect(again.result).toMatchObject({ outcome: 'NOTHING_TO_RECOVER', recoveryExecutionArn: result.recoveryExecutionArn });
});

it('stack-create-fails: recover --version-of-original recreates the environment at the version it had, from its own template, verified, with all the data', async () => {
  const { h, baseline, recover } = await failInPhaseB('stack-create-fails');
  const { code, result } = await recover('--version-of-original');
  expect(code).toBe(EXIT.SUCCEEDED);
  expect(result).toMatchObject({ outcome: 'RECOVERED', survivor: SAMPLE_STACK, version: SAMPLE_VERSION, lockReleased: true });
  const recovered = h.account.cloudformation.stackByName(SAMPLE_STACK);
  expect(recovered?.status).toBe('CREATE_COMPLETE');
  expect(recovered?.parameters.EnvironmentVersion).toBe(SAMPLE_VERSION);
  expect(sameData(baseline.data, environmentData(h.account, SAMPLE_STACK))).toMatchObject({ equal: true });
  expect(await lockOf(h.deployment.lockTableName)).toBeUndefined();
});
