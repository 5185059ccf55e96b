/**
 * `env-migrator unlock` end to end: the lock is the one the synthesized Migrate takes, run by the
 * local executor against the simulated account, and the holder's status is the simulated Step
 * Functions' answer. A stopped execution runs no Catch and keeps its lock: unlock is how it goes.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes';
import { runCli } from '../../cli/program';
import { terminal } from './terminal';
import { runOnSimulatedClock } from '../../local/clock';
import { LocalHarness } from '../../local/harness';
import { SAMPLE_STACK, TARGET_VERSION, TEMPLATE_KEYS, TEST_SIZE, seedSampleEnvironment, templateUrl } from '../../local/sample-environment';

let harness: LocalHarness | undefined;
afterEach(() => {
  harness?.dispose();
  harness = undefined;
});


it('refuses while the holder runs, releases the lock a stopped migration kept, then says no lock held', async () => {
  harness = await LocalHarness.create();
  const h = harness;
  seedSampleEnvironment(h.account, TEST_SIZE);
  const table = h.deployment.lockTableName;
  const unlock = (t: ReturnType<typeof terminal>) => runCli(['unlock', '--stack', SAMPLE_STACK, '--table', table, '--json'], t.deps);
  const sfn = new SFNClient({});

  let executionArn = '';
  const whileRunning = terminal();
  let duringRun: Promise<number> | undefined;
  const start = terminal({ onLine: (line) => {
    if (line.startsWith('Started ')) executionArn = line.slice('Started '.length);
    // The lock is taken; an operator tries to unlock, then presses Stop.
    if (!duringRun && line.includes('Put the instances in standby')) {
      duringRun = unlock(whileRunning).then(async (code) => {
        await sfn.send(new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'wrong window' }));
        return code;
      });
    }
  } });
  const code = await runOnSimulatedClock(() =>
    runCli(['start', '--stack', SAMPLE_STACK, '--target-version', TARGET_VERSION, '--template-url', templateUrl(TEMPLATE_KEYS.target), '--state-machine-arn', h.deployment.migrate.arn, '--name', 'unlock-e2e', '--wait', '--json'], start.deps),
  );
  expect(code).toBe(EXIT.ABORTED);

  // While it ran: refused, naming the execution and its status; the lock stayed.
  expect(await duringRun).toBe(EXIT.FAILED);
  expect(whileRunning.json()).toMatchObject({ outcome: 'HOLDER_STILL_RUNNING', executionArn, holderStatus: 'RUNNING', exitCode: 1 });
  expect(whileRunning.err.join('\n')).toContain(`execution ${executionArn} holds the lock of ${SAMPLE_STACK} and is RUNNING`);

  // Stopped: no Catch ran, the lock is still there, naming it.
  const ddb = new DynamoDBClient({});
  const held = await ddb.send(new GetItemCommand({ TableName: table, Key: { stackName: { S: SAMPLE_STACK } } }));
  expect(held.Item?.owner?.S).toBe(executionArn);

  const released = terminal();
  expect(await unlock(released)).toBe(EXIT.SUCCEEDED);
  expect(released.json()).toMatchObject({ outcome: 'LOCK_RELEASED', executionArn, holderStatus: 'ABORTED', exitCode: 0 });
  expect((await ddb.send(new GetItemCommand({ TableName: table, Key: { stackName: { S: SAMPLE_STACK } } }))).Item).toBeUndefined();

  const again = terminal();
  expect(await unlock(again)).toBe(EXIT.SUCCEEDED);
  expect(again.json()).toMatchObject({ outcome: 'NO_LOCK_HELD', executionArn: null });
});
