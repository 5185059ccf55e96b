/**
 * Rollback (blue/green, issue 11), the synthesized definition run locally on the state a successful
 * migration A → B leaves (local/blue-green-fixture.ts): it switches the record back only when no write
 * since the switch can be lost, or when told to discard them, saying what is discarded. The rehearsal
 * scenarios after a switch (retire ones too) run here as well.
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import type { RollbackInputRaw } from '../../lambdas/shared/contracts';
import { BG_SLOTS, slotRunFacts, switchedEnvironment, type SwitchedEnvironment } from '../../local/blue-green-fixture';
import { runOnSimulatedClock } from '../../local/clock';
import { entryPointLockKey } from '../../lambdas/shared/naming';
import { LocalHarness, RETIRE_SCHEDULE_GROUP } from '../../local/harness';
import { checkRollbackInvariants, instanceStates, recordPointsAt, switchRecordOf } from '../../local/invariants-blue-green';
import { rehearseSlotOperation } from '../../local/rehearse-slot-operation';
import { TEST_SIZE } from '../../local/sample-environment';
import { SLOT_OPERATION_SCENARIOS } from '../../local/scenarios';

let harness: LocalHarness | undefined;
afterEach(() => harness?.dispose());

async function rollback(h: LocalHarness, env: SwitchedEnvironment, name: string, extra: Partial<RollbackInputRaw> = {}) {
  const notificationsBefore = h.account.sns.messages(h.deployment.topicArn).length;
  const input: RollbackInputRaw = { entryPoint: env.entryPoint, slots: env.slots, ...extra };
  const execution = await runOnSimulatedClock(async () => {
    const started = await new SFNClient({}).send(new StartExecutionCommand({ stateMachineArn: h.deployment.rollback.arn, name, input: JSON.stringify(input) }));
    return h.finished(started.executionArn!);
  }, h.account.now());
  const report = await checkRollbackInvariants(h.account, {
    ...slotRunFacts(h, env, execution, notificationsBefore),
    bucket: h.deployment.workflowBucketName,
    acceptDiscardingWrites: extra.acceptDiscardingWrites ?? false,
  });
  return { execution, ...report };
}

async function switched(): Promise<{ h: LocalHarness; env: SwitchedEnvironment }> {
  harness = await LocalHarness.create();
  const h = harness;
  const env = await runOnSimulatedClock(() => switchedEnvironment(h), h.account.now());
  return { h, env };
}

describe('Rollback', () => {
  it('with no write since the switch: switches the record back to the previous slot, back in service (its smoke test answering through the record), the new slot in standby, the retire schedule deleted, one notification', async () => {
    const { h, env } = await switched();
    const [a, b] = BG_SLOTS;
    expect(recordPointsAt(h.account, env.entryPoint, env.slots)).toBe(b);
    expect(h.account.scheduler.scheduleKeys()).toEqual([`${RETIRE_SCHEDULE_GROUP}/${env.scheduleName}`]);

    // With a smoke test: through the record too, /health must answer 200 (the previous slot's instances back InService).
    const run = await rollback(h, env, 'rollback-clean', { smokeTest: { outputKey: 'ServiceUrl', path: '/health' } });

    expect([run.execution.status, run.execution.error, run.execution.cause]).toEqual(['SUCCEEDED', undefined, undefined]);
    expect(run.violations).toEqual([]);
    expect(run.execution.history.some((e) => e.stateName === 'Add the smoke test to the probe')).toBe(true);
    expect(recordPointsAt(h.account, env.entryPoint, env.slots)).toBe(a);
    expect(instanceStates(h.account, a)).toEqual({ InService: 3 });
    expect(instanceStates(h.account, b)).toEqual({ Standby: 3 });
    expect(h.account.scheduler.scheduleKeys()).toEqual([]);
    expect(switchRecordOf(h.account, h.deployment.workflowBucketName, env.entryPoint)?.rolledBack).toMatchObject({ executionArn: run.execution.executionArn, discardedWrites: false });
    expect(run.notifications.map((n) => n.subject)).toEqual(['[env-migrator] rolled back to the previous slot']);
    expect(run.notifications[0]!.message).toContain('no write since the switch');
    expect(JSON.parse(run.execution.output!)).toMatchObject({ outcome: 'ROLLED_BACK', live: a, standby: b, discardedWrites: false });

    // A second rollback of the same switch refuses, changing nothing.
    const again = await rollback(h, env, 'rollback-again');
    expect([again.execution.status, again.execution.error]).toEqual(['FAILED', 'RollbackRefused']);
    expect(again.execution.cause).toContain('already rolled back');
    expect(again.violations).toEqual([]);
  });

  it('after a write to the new slot: refuses without acceptDiscardingWrites, naming the difference and changing nothing; with it, switches back and says what was discarded', async () => {
    const { h, env } = await switched();
    const [a, b] = BG_SLOTS;
    const uploads = h.account.cloudformation.resourcesOf(b).find((r) => r.logicalId === 'UploadsBucket')!.physicalId;
    h.account.s3.putObjectDirect(uploads, 'uploads/after-the-switch/order-1001.json', { body: '{"order":1001}\n', contentType: 'application/json' });

    const refused = await rollback(h, env, 'rollback-refused');
    expect([refused.execution.status, refused.execution.error]).toEqual(['FAILED', 'WritesSinceSwitch']);
    expect(refused.execution.cause).toMatch(/^1 statistic of orders-prod-b changed since the switch at .*: data\.objects\.UploadsBucket\.count: \d+ → \d+$/);
    expect(refused.violations).toEqual([]);
    expect(recordPointsAt(h.account, env.entryPoint, env.slots)).toBe(b);
    expect(instanceStates(h.account, a)).toEqual({ Standby: 3 });
    expect(instanceStates(h.account, b)).toEqual({ InService: 3 });
    expect(h.account.scheduler.scheduleKeys()).toHaveLength(1);
    expect(refused.notifications[0]!.subject).toBe('[env-migrator] rollback refused, nothing changed');
    expect(refused.notifications[0]!.message).toContain('--accept-discarding-writes');

    const accepted = await rollback(h, env, 'rollback-discarding', { acceptDiscardingWrites: true });
    expect([accepted.execution.status, accepted.execution.error]).toEqual(['SUCCEEDED', undefined]);
    expect(accepted.violations).toEqual([]);
    expect(recordPointsAt(h.account, env.entryPoint, env.slots)).toBe(a);
    expect(accepted.notifications[0]!.message).toMatch(/data\.objects\.UploadsBucket\.count: \d+ → \d+.*Writes discarded: true/);
    expect(switchRecordOf(h.account, h.deployment.workflowBucketName, env.entryPoint)?.rolledBack?.discardedWrites).toBe(true);
    // The invariant check itself: the same switch back, had discarding not been accepted, is a violation.
    const silent = await checkRollbackInvariants(h.account, {
      ...slotRunFacts(h, env, accepted.execution, h.account.sns.messages(h.deployment.topicArn).length - 1),
      bucket: h.deployment.workflowBucketName,
      acceptDiscardingWrites: false,
    });
    expect(silent.violations).toEqual([`the record was switched back to ${a} although ${b} changed since the switch and discarding was not accepted`]);
  });
});

describe('Rollback, refused or failed', () => {
  it('a lock held on the record (a migration running) refuses it at once: nothing changed, that lock untouched, one notification', async () => {
    const { h, env } = await switched();
    const holder = 'arn:aws:states:us-east-1:123456789012:execution:Migrate:bg-again';
    const key = entryPointLockKey(env.entryPoint);
    h.account.dynamodb.putItemDirect(h.deployment.lockTableName, { stackName: { S: key }, owner: { S: holder }, startedAt: { S: '2026-12-05T10:00:00Z' }, expiresAt: { N: String(Math.floor(h.account.now() / 1000) + 3600) } });

    const run = await rollback(h, env, 'rollback-locked');
    expect([run.execution.status, run.execution.error]).toEqual(['FAILED', 'MigrationInProgress']);
    expect(run.execution.cause).toBe(`${key} is locked by ${holder}`);
    expect(run.violations).toEqual([]);
    expect(h.account.dynamodb.items(h.deployment.lockTableName).map((i) => [i.stackName?.S, i.owner?.S])).toEqual([[key, holder]]);
    expect(recordPointsAt(h.account, env.entryPoint, env.slots)).toBe(BG_SLOTS[1]);
  });

  it('the previous slot never answering through the record after the switch back fails it with one notification saying the record points at it, the switch record left open', async () => {
    const { h, env } = await switched();
    const [a, b] = BG_SLOTS;
    h.account.faults.silent.statisticsErrorForStack = a;

    const run = await rollback(h, env, 'rollback-unanswered', { waits: { smokeTestSeconds: 120 } });
    expect([run.execution.status, run.execution.error]).toEqual(['FAILED', 'WaitTimedOut']);
    expect(run.violations).toEqual([]);
    expect(recordPointsAt(h.account, env.entryPoint, env.slots)).toBe(a);
    expect(run.notifications.map((n) => n.subject)).toEqual(['[env-migrator] rollback failed after switching back']);
    expect(run.notifications[0]!.message).toContain(`The record points at ${a}; ${b} may still be in service`);
    expect(switchRecordOf(h.account, h.deployment.workflowBucketName, env.entryPoint)?.rolledBack).toBeUndefined();
    expect(h.account.dynamodb.items(h.deployment.lockTableName)).toEqual([]);
  });
});

// The rehearsal scenarios after a switch, retire ones included (`npm run rehearse -- --scenario bg-…`), here
// rather than in a file of their own: the workers' warm modules make each run well under a second.
describe('the rehearsal scenarios after a blue/green switch', () => {
  it.each(SLOT_OPERATION_SCENARIOS.map((s) => [s.name, s] as const))('%s ends as designed, one notification per run, invariants held', async (_name, scenario) => {
    const summary = await rehearseSlotOperation(scenario, { size: TEST_SIZE });
    expect(summary.runs.map((r) => ({ outcome: r.outcome, error: r.error, violations: r.violations, notifications: r.notifications }))).toEqual(
      scenario.runs.map((r) => ({ outcome: r.expected.outcome, error: r.expected.error, violations: [], notifications: 1 })),
    );
    expect(summary.endedAsDesigned).toBe(true);
  });
});
