/**
 * Blue/green end to end: the switch record and the retire input are a contract between Migrate, which
 * writes them, and Rollback and Retire, which read them. The Rollback and Retire tests run on a fixture
 * (local/blue-green-fixture.ts); here `env-migrator rollback` (its core: planRollback, startRollback)
 * runs on exactly what a Migrate blue/green run wrote. The retire fired by Migrate's own schedule after
 * the retention is the a-b-a scenario (test/workflow/blue-green.test.ts, local/scenarios.ts).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { planRollback, rollbackExecutionName, startRollback } from '../../cli/rollback-core';
import { runOnSimulatedClock } from '../../local/clock';
import { LocalHarness } from '../../local/harness';
import { checkRollbackInvariants, recordPointsAt, switchRecordOf } from '../../local/invariants-blue-green';
import { SAMPLE_RECORD_NAME, SAMPLE_STACK, seedEntryPoint, seedSampleEnvironment, TEST_SIZE } from '../../local/sample-environment';
import { blueGreenInput, SAMPLE_SLOT_B } from '../../local/scenarios';

let harness: LocalHarness | undefined;
afterEach(() => harness?.dispose());

describe('Migrate blue/green, then env-migrator rollback on what it wrote', () => {
  it('A → B by Migrate, then the rollback found by the record name switches back to A (no write since the switch), marks the switch rolled back and deletes the retire schedule; a second rollback is refused without an execution', async () => {
    harness = await LocalHarness.create();
    const h = harness;
    const { account, deployment } = h;
    seedSampleEnvironment(account, TEST_SIZE);
    const { hostedZoneId } = seedEntryPoint(account);
    const entryPoint = { hostedZoneId, recordName: SAMPLE_RECORD_NAME };
    const slots = [SAMPLE_STACK, SAMPLE_SLOT_B];
    const input = { ...blueGreenInput(SAMPLE_STACK), entryPoint, smokeTest: { outputKey: 'ServiceUrl', path: '/health' } };
    const migration = await runOnSimulatedClock(async () => h.finished(await h.startMigration(input, 'e2e-migrate')), account.now());
    expect([migration.status, migration.error]).toEqual(['SUCCEEDED', undefined]);
    expect(recordPointsAt(account, entryPoint, slots)).toBe(SAMPLE_SLOT_B);
    const switchRecord = switchRecordOf(account, deployment.workflowBucketName, entryPoint)!;
    // What Rollback reads, as Migrate wrote it: the migration's own checks, the standby's owner.
    expect(switchRecord.checks?.smokeTest).toMatchObject({ path: '/health' });
    expect(switchRecord.executionArn).toBe(migration.executionArn);

    const s3 = new S3Client({});
    const plan = await planRollback(s3, deployment.workflowBucketName, { recordName: 'Orders.Example.Internal.', acceptDiscardingWrites: false });
    if (plan.outcome !== 'READY') throw new Error(`rollback not planned: ${plan.cause}`);
    expect(plan.input).toMatchObject({ entryPoint, slots: [SAMPLE_STACK, SAMPLE_SLOT_B], smokeTest: { path: '/health' } });
    const notificationsBefore = account.sns.messages(deployment.topicArn).length;
    const execution = await runOnSimulatedClock(
      async () => h.finished(await startRollback(new SFNClient({}), deployment.rollback.arn, rollbackExecutionName(plan.record, new Date(account.now())), plan.input)),
      account.now(),
    );
    expect([execution.status, execution.error, execution.cause]).toEqual(['SUCCEEDED', undefined, undefined]);
    const report = await checkRollbackInvariants(account, {
      execution,
      switchRecord,
      slots,
      lockTable: deployment.lockTableName,
      topicArn: deployment.topicArn,
      notificationsBefore,
      bucket: deployment.workflowBucketName,
      acceptDiscardingWrites: false,
    });
    expect(report.violations).toEqual([]);
    expect(report.rolledBack).toBe(true);
    expect(recordPointsAt(account, entryPoint, slots)).toBe(SAMPLE_STACK);
    expect(account.scheduler.scheduleKeys()).toEqual([]);
    expect(switchRecordOf(account, deployment.workflowBucketName, entryPoint)?.rolledBack).toMatchObject({ executionArn: execution.executionArn, discardedWrites: false });

    expect(await planRollback(s3, deployment.workflowBucketName, { recordName: SAMPLE_RECORD_NAME, acceptDiscardingWrites: false })).toMatchObject({ outcome: 'ALREADY_ROLLED_BACK' });
  });
});
