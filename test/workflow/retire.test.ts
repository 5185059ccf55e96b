/**
 * Retire (blue/green, issue 11), the synthesized definition run locally on the state a successful
 * migration A → B leaves (local/blue-green-fixture.ts): the retire schedule fires on the simulated
 * clock and the execution it starts is run by the registered runner; the previous slot is deleted
 * only after its retention and only while the record points elsewhere.
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { BG_SLOTS, slotRunFacts, switchedEnvironment, type SwitchedEnvironment } from '../../local/blue-green-fixture';
import { runOnSimulatedClock } from '../../local/clock';
import { LocalHarness, RETIRE_SCHEDULE_GROUP } from '../../local/harness';
import { checkRetireInvariants, recordPointsAt } from '../../local/invariants-blue-green';
import type { SimExecution } from '../../local/sim/sfn';
import { environmentData, sameData } from '../../local/sim/environment-data';

let harness: LocalHarness | undefined;
afterEach(() => harness?.dispose());

async function switched(): Promise<{ h: LocalHarness; env: SwitchedEnvironment }> {
  harness = await LocalHarness.create();
  const h = harness;
  const env = await runOnSimulatedClock(() => switchedEnvironment(h, { keepPreviousHours: 2 }), h.account.now());
  return { h, env };
}

function check(h: LocalHarness, env: SwitchedEnvironment, execution: SimExecution, notificationsBefore: number) {
  return checkRetireInvariants(h.account, slotRunFacts(h, env, execution, notificationsBefore));
}

describe('Retire', () => {
  it('is started by the schedule once the retention is over and deletes the previous slot, the live one untouched, with one notification', async () => {
    const { h, env } = await switched();
    const [a, b] = BG_SLOTS;
    const liveData = environmentData(h.account, b);
    const notificationsBefore = h.account.sns.messages(h.deployment.topicArn).length;

    const execution = await runOnSimulatedClock(async () => {
      // Minute by minute, as Scheduler evaluates at() schedules (the timer it armed belonged to the fixture's clock).
      while (!h.account.scheduler.invocations.some((i) => i.executionArn)) {
        await new Promise((r) => setTimeout(r, 60_000));
        await h.account.scheduler.fireDue();
      }
      return h.finished(h.account.scheduler.invocations.find((i) => i.executionArn)!.executionArn!);
    }, h.account.now());

    expect(execution.stateMachineArn).toBe(h.deployment.retire.arn);
    expect(execution.startDate).toBeGreaterThanOrEqual(Date.parse(env.switchRecord.retireAt));
    expect([execution.status, execution.error, execution.cause]).toEqual(['SUCCEEDED', undefined, undefined]);
    const report = check(h, env, execution, notificationsBefore);
    expect(report.violations).toEqual([]);
    expect(report.previousDeleted).toBe(true);
    expect(h.account.cloudformation.stackByName(a)).toBeUndefined();
    expect(sameData(liveData, environmentData(h.account, b)).differences).toEqual([]);
    expect(recordPointsAt(h.account, env.entryPoint, env.slots)).toBe(b);
    expect(report.notifications.map((n) => n.subject)).toEqual(['[env-migrator] retired the previous slot']);
    expect(h.account.scheduler.scheduleKeys()).toEqual([]);
    // The invariant check itself: the same deletion by a run started before the retention's end is named.
    const early = check(h, env, { ...execution, startDate: Date.parse(env.switchRecord.retireAt) - 1000 }, notificationsBefore);
    expect(early.violations).toEqual([expect.stringContaining(`${a} was deleted by a run started at`)]);
  });

  it('refuses, deleting nothing, while the record points at the slot to retire', async () => {
    const { h, env } = await switched();
    const [a] = BG_SLOTS;
    // Someone switched the record back to A by hand (the switch record still says B is live).
    const zone = env.entryPoint.hostedZoneId;
    const name = `${env.entryPoint.recordName}.`;
    const current = h.account.route53.recordSets(zone).find((r) => r.Name === name && r.Type === 'A')!;
    await h.account.dispatch('Route53', 'ChangeResourceRecordSets', {
      HostedZoneId: zone,
      ChangeBatch: { Changes: [{ Action: 'DELETE', ResourceRecordSet: current }, { Action: 'CREATE', ResourceRecordSet: { ...current, AliasTarget: { ...current.AliasTarget!, DNSName: `dualstack.${env.switchRecord.previous.endpoint.dnsName}` } } }] },
    });
    expect(recordPointsAt(h.account, env.entryPoint, env.slots)).toBe(a);
    const notificationsBefore = h.account.sns.messages(h.deployment.topicArn).length;

    // Started by hand once the retention is over (the schedule removed, so that it does not start one too).
    await h.account.dispatch('Scheduler', 'DeleteSchedule', { Name: env.scheduleName, GroupName: RETIRE_SCHEDULE_GROUP });
    const execution = await runOnSimulatedClock(async () => {
      const started = await new SFNClient({}).send(new StartExecutionCommand({ stateMachineArn: h.deployment.retire.arn, name: 'retire-by-hand', input: JSON.stringify(env.retireInput) }));
      return h.finished(started.executionArn!);
    }, Date.parse(env.retireInput.retireAt!) + 60_000);

    expect([execution.status, execution.error]).toEqual(['FAILED', 'RetireRefused']);
    expect(execution.cause).toContain(`points at ${a}`);
    const report = check(h, env, execution, notificationsBefore);
    expect(report.violations).toEqual([]);
    expect(report.previousDeleted).toBe(false);
    expect(h.account.cloudformation.stackByName(a)?.stackId).toBe(env.switchRecord.previous.stackId);
    expect(report.notifications[0]!.subject).toBe('[env-migrator] retire refused, nothing deleted');
  });

  it('refuses, deleting nothing, when the previous slot was written to after the verification (its buckets no longer match the verified manifests)', async () => {
    const { h, env } = await switched();
    const [a] = BG_SLOTS;
    const uploads = h.account.cloudformation.resourcesOf(a).find((r) => r.logicalId === 'UploadsBucket')!.physicalId;
    // A job on the standby slot's bucket (S3-triggered, presigned upload): in no verified copy.
    h.account.s3.putObjectDirect(uploads, 'uploads/late/standby-job.json', { body: '{"late":true}\n', contentType: 'application/json' });
    await h.account.dispatch('Scheduler', 'DeleteSchedule', { Name: env.scheduleName, GroupName: RETIRE_SCHEDULE_GROUP });
    const notificationsBefore = h.account.sns.messages(h.deployment.topicArn).length;

    const execution = await runOnSimulatedClock(async () => {
      const started = await new SFNClient({}).send(new StartExecutionCommand({ stateMachineArn: h.deployment.retire.arn, name: 'retire-after-late-write', input: JSON.stringify(env.retireInput) }));
      return h.finished(started.executionArn!);
    }, Date.parse(env.retireInput.retireAt!) + 60_000);

    expect([execution.status, execution.error]).toEqual(['FAILED', 'DeletionRefused']);
    expect(execution.cause).toContain('uploads/late/standby-job.json');
    const report = check(h, env, execution, notificationsBefore);
    expect(report.violations).toEqual([]);
    expect(report.previousDeleted).toBe(false);
    expect(h.account.s3.getObjectRecord(uploads, 'uploads/late/standby-job.json')).toBeDefined();
    expect(report.notifications[0]!.subject).toBe('[env-migrator] retire refused, nothing deleted');
  });
});
