/**
 * After a migration, the new stack's `<LogicalId>SnapshotIdentifier` names clone 2's snapshot. A later
 * UpdateStack that replaces the database restores it from that snapshot (AWS::RDS::DBInstance,
 * DBSnapshotIdentifier), so the migration keeps it: the data survives such an update. Without the
 * snapshot the update fails and rolls back; it never yields an empty database.
 */
import { CloudFormationClient, DescribeStacksCommand, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { DeleteDBSnapshotCommand, RDSClient } from '@aws-sdk/client-rds';
import { afterEach, describe, expect, it } from 'vitest';
import type { MigrationOutput } from '../../lambdas/shared/contracts';
import { runOnSimulatedClock } from '../../local/clock';
import { LocalHarness } from '../../local/harness';
import { SAMPLE_STACK, TEST_SIZE, seedSampleEnvironment } from '../../local/sample-environment';
import { scenario } from '../../local/scenarios';
import { environmentData, sameData } from '../../local/sim/environment-data';

let harness: LocalHarness | undefined;
afterEach(() => harness?.dispose());

const target = (harness: LocalHarness) => harness.account.s3.getObjectRecord('env-migrator-artifacts-123456789012', 'templates/environment-1.4.0.yaml')!.body!.toString('utf8');
/** A replacement-requiring change of OrdersDb: a custom DBInstanceIdentifier ("Update requires: Replacement"). */
const renameDb = (template: string) => template.replace('    Properties:\n      Engine: postgres\n', '    Properties:\n      DBInstanceIdentifier: orders-prod-orders-v2\n      Engine: postgres\n');

/** Migrates orders-prod, then runs `after` on the simulated clock; returns the migration's output and data. */
async function migrateThen<T>(after: (output: MigrationOutput) => Promise<T>) {
  harness = await LocalHarness.create();
  const { account } = harness;
  seedSampleEnvironment(account, { ...TEST_SIZE, objects: 10, largeObject: false, specialKeys: 0 });
  const before = environmentData(account, SAMPLE_STACK);
  return runOnSimulatedClock(async () => {
    const execution = await harness!.finished(await harness!.startMigration(scenario('happy').input, 'update-later'));
    expect(execution.status).toBe('SUCCEEDED');
    const output = JSON.parse(execution.output!) as MigrationOutput;
    return { output, before, result: await after(output) };
  });
}

async function updateAndWait(templateBody: string): Promise<string> {
  const cfn = new CloudFormationClient({});
  const stack = (await cfn.send(new DescribeStacksCommand({ StackName: SAMPLE_STACK }))).Stacks![0]!;
  await cfn.send(
    new UpdateStackCommand({
      StackName: SAMPLE_STACK,
      TemplateBody: templateBody,
      Parameters: stack.Parameters!.map((p) => ({ ParameterKey: p.ParameterKey, UsePreviousValue: true })),
      Capabilities: ['CAPABILITY_IAM'],
    }),
  );
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 30_000));
    const status = (await cfn.send(new DescribeStacksCommand({ StackName: SAMPLE_STACK }))).Stacks![0]!.StackStatus!;
    if (!status.endsWith('_IN_PROGRESS')) return status;
  }
}

describe('the new stack after a migration, updated later', () => {
  it('keeps the snapshot its OrdersDbSnapshotIdentifier names: an update that replaces the database (every parameter UsePreviousValue) restores all the data', async () => {
    const { output, before, result } = await migrateThen(async (out) => {
      const inUse = harness!.account.cloudformation.stackByName(SAMPLE_STACK)!.parameters.OrdersDbSnapshotIdentifier!;
      expect(out.snapshotsRetained).toEqual([inUse]);
      expect(harness!.account.rds.snapshot(inUse)?.status).toBe('available');
      return updateAndWait(renameDb(target(harness!)));
    });
    expect(result).toBe('UPDATE_COMPLETE');
    expect(output.snapshotsRetained[0]).toMatch(/^em-[0-9a-f]+-c2-/);
    const after = environmentData(harness!.account, SAMPLE_STACK);
    expect(harness!.account.cloudformation.resourcesOf(SAMPLE_STACK).find((r) => r.logicalId === 'OrdersDb')?.physicalId).toBe('orders-prod-orders-v2');
    expect(sameData(before, after).differences).toEqual([]);
    const notification = harness!.account.sns.messages(harness!.deployment.topicArn)[0]!.message;
    expect(notification).toContain('SNAPSHOTS KEPT FOR THE NEW STACK');
    expect(notification).toContain(`- ${output.snapshotsRetained[0]}: orders-prod restored OrdersDb from it (parameter OrdersDbSnapshotIdentifier)`);
    expect(notification).toContain('must keep OrdersDbSnapshotIdentifier unchanged');
  });

  it('without that snapshot the same update fails and rolls back (UPDATE_ROLLBACK_COMPLETE): the database keeps its data, it is never replaced by an empty one', async () => {
    const { before, result } = await migrateThen(async (out) => {
      await new RDSClient({}).send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: out.snapshotsRetained[0]! }));
      return updateAndWait(renameDb(target(harness!)));
    });
    expect(result).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(sameData(before, environmentData(harness!.account, SAMPLE_STACK)).differences).toEqual([]);
  });
});
