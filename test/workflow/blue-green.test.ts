/**
 * Migrate's blue/green path, run locally on the simulated account with the real handlers: each
 * scenario ends as docs/design.md "Strategies" says, with one notification and every invariant held
 * (the double clone's and the blue/green ones, read from the account), and the refusals before
 * anything is touched (a stale stack name, a locked slot) change nothing.
 */
import { rehearseAndInspect } from './rehearse-and-inspect';
import { describe, expect, it } from 'vitest';
import type { MigrationOutput, SwitchRecord } from '../../lambdas/shared/contracts';
import { switchRecordKey } from '../../lambdas/shared/documents';
import { runIdOf } from '../../lambdas/shared/naming';
import { checkMigrateBlueGreen, recordTarget } from '../../local/invariants-blue-green';
import { runOnSimulatedClock } from '../../local/clock';
import { LocalHarness } from '../../local/harness';
import { captureBaseline, checkInvariants } from '../../local/invariants';
import { SAMPLE_RECORD_NAME, SAMPLE_STACK, seedEntryPoint, seedSampleEnvironment, TEST_SIZE } from '../../local/sample-environment';
import { BLUE_GREEN_SCENARIOS, blueGreenInput, blueGreenScenario, SAMPLE_SLOT_B, type Scenario } from '../../local/scenarios';
import type { SimAccount } from '../../local/sim/account';
import { taskHooks } from '../../local/faults/state-context';
import { SWITCH_STATE } from '../../statemachine/blue-green';


const facts = (account: SimAccount) => ({ entryPoint: { hostedZoneId: zoneOf(account), recordName: SAMPLE_RECORD_NAME }, slots: [SAMPLE_STACK, SAMPLE_SLOT_B] as [string, string] });
/** The sample's hosted zone id (seeded by the rehearsal). */
function zoneOf(account: SimAccount): string {
  const migrate = [...account.sfn.executions.values()].find((x) => /:stateMachine:Migrate/.test(x.stateMachineArn))!;
  return (JSON.parse(migrate.input) as { entryPoint: { hostedZoneId: string } }).entryPoint.hostedZoneId;
}
const slotOfRecord = (account: SimAccount, hostedZoneId = zoneOf(account)) =>
  recordTarget(account, { ...facts(account), entryPoint: { hostedZoneId, recordName: SAMPLE_RECORD_NAME } }).slot?.stackName;

describe('Migrate, strategy blue-green, rehearsed on the simulated account', () => {
  for (const s of BLUE_GREEN_SCENARIOS) {
    const survivor = s.expected.survivor === 'new-slot' ? SAMPLE_SLOT_B : SAMPLE_STACK;
    it(`${s.name}: ends ${s.expected.outcome} with the data in ${survivor}, one notification, every invariant held`, async () => {
      const result = await rehearseAndInspect(s, ({ account }) => {
        // The record serves the slot that holds the data.
        expect(slotOfRecord(account)).toBe(survivor);
      });
      expect(result.violations).toEqual([]);
      expect(result.outcome).toBe(s.expected.outcome);
      expect(result.survivor).toBe(survivor);
      expect(result.dataIntact).toBe(true);
      expect(result.notifications).toBe(1);
      if (s.expected.error) expect(result.error).toBe(s.expected.error);
      if (s.then) expect(result.migrations?.map((m) => m.outcome)).toEqual(['succeeded', 'succeeded']);
    });
  }

  it('happy: the previous slot kept whole in standby, the retire scheduled at the switch + 24 h, the switch record written, the output and notification name the slots and the rollback command', async () => {
    await rehearseAndInspect(blueGreenScenario('happy'), ({ account, executionArn, baseline, report }) => {
      const execution = account.sfn.executions.get(executionArn)!;
      const output = JSON.parse(execution.output!) as MigrationOutput;
      expect(output.stackName).toBe(SAMPLE_SLOT_B);
      expect(output.blueGreen).toMatchObject({ liveSlot: SAMPLE_SLOT_B, previousSlot: SAMPLE_STACK, rollbackCommand: 'env-migrator rollback --environment orders.example.internal' });
      // The previous slot: there, out of service (the rollback point), not one instance serving.
      const previous = account.cloudformation.stackById(baseline.stackId)!;
      expect(previous.status).not.toMatch(/^DELETE_/);
      const groups = account.cloudformation.resourcesOf(SAMPLE_STACK).filter((r) => r.type === 'AWS::AutoScaling::AutoScalingGroup');
      for (const g of groups) expect(account.autoscaling.group(g.physicalId)!.instances.filter((i) => i.state === 'InService')).toEqual([]);
      // The retire run, scheduled once, in the construct's group, keepPreviousHours after the switch.
      const runId = runIdOf(executionArn);
      expect(account.scheduler.scheduleKeys()).toEqual([`env-migrator/em-retire-${runId}`]);
      const record = JSON.parse(
        account.s3.getObjectRecord(output.blueGreen!.switchRecord.bucket, switchRecordKey(facts(account).entryPoint))!.body!.toString('utf8'),
      ) as SwitchRecord;
      expect(Date.parse(record.retireAt) - Date.parse(record.switchedAt)).toBe(24 * 3600 * 1000);
      expect(output.blueGreen!.retireAt).toBe(record.retireAt);
      expect(record).toMatchObject({ runId, live: { stackName: SAMPLE_SLOT_B, stackId: output.stackId }, previous: { stackName: SAMPLE_STACK, stackId: baseline.stackId } });
      // The statistics at the switch are the verified ones, equal on both sides.
      expect(record.live.statistics.dataSha256).toBe(record.previous.statistics.dataSha256);
      const message = report.notifications[0]!.message;
      expect(message).toContain(`Previous slot: ${SAMPLE_STACK}, in standby as the rollback point until ${record.retireAt}`);
      expect(message).toContain('env-migrator rollback --environment orders.example.internal');
      // The checks are not vacuous: the same account fails them for a run that verified no copy, or a deleted previous slot.
      const other = { ...execution, executionArn: `${executionArn}-another` } as typeof execution;
      expect(checkMigrateBlueGreen(account, baseline, other, facts(account)).join()).toContain('which no clone of this run verified');
      expect(checkMigrateBlueGreen(account, { stackName: SAMPLE_STACK, stackId: 'arn:aws:cloudformation:gone' }, execution, facts(account)).join()).toContain('Migrate never deletes it');
    });
  });

  it('smoke-fails-through-record: the new slot kept for inspection, in standby, named as left to do, no retire scheduled', async () => {
    await rehearseAndInspect(blueGreenScenario('smoke-fails-through-record'), ({ account, report, workflowBucket }) => {
      expect(account.cloudformation.stackByName(SAMPLE_SLOT_B)?.status).toBe('CREATE_COMPLETE');
      expect(account.scheduler.scheduleKeys()).toEqual([]);
      expect(report.notifications[0]!.message).toMatch(/switched the entry point .*back to orders-prod/);
      expect(report.notifications[0]!.message).toContain(`inspect the new slot ${SAMPLE_SLOT_B}`);
      // Kept out of service too: nothing of it writes on while it waits.
      expect(report.notifications[0]!.message).toContain(`put the instances of the new slot ${SAMPLE_SLOT_B} in standby`);
      const groups = account.cloudformation.resourcesOf(SAMPLE_SLOT_B).filter((r) => r.type === 'AWS::AutoScaling::AutoScalingGroup');
      expect(groups.length).toBeGreaterThan(0);
      for (const g of groups) expect(account.autoscaling.group(g.physicalId)!.instances.filter((i) => i.state === 'InService')).toEqual([]);
      // The switch record no longer claims a live switch: a later env-migrator rollback refuses it cleanly.
      const record = JSON.parse(account.s3.getObjectRecord(workflowBucket, switchRecordKey(facts(account).entryPoint))!.body!.toString('utf8')) as SwitchRecord;
      expect(record.rolledBack).toMatchObject({ discardedWrites: false });
      expect(report.notifications[0]!.message).toContain('marked the switch record rolled back (env-migrator rollback now refuses it)');
    });
  });

  it('a record changed by someone else right before the switch: the switch refused, nothing overwritten, the run undone, its switch record marked so that no rollback acts on it', async () => {
    const changed: Scenario = {
      ...blueGreenScenario('happy'),
      name: 'record-changed-before-switch',
      arm: ({ account }) => {
        taskHooks.beforeTask = async (state) => {
          if (state.state !== SWITCH_STATE) return;
          // Still at orders-prod, but no longer the record the run read: a DELETE of it would not match.
          const zone = zoneOf(account);
          const current = account.route53.recordSets(zone).find((r) => r.Name === `${SAMPLE_RECORD_NAME}.` && r.Type === 'A')!;
          await account.dispatch('Route53', 'ChangeResourceRecordSets', {
            HostedZoneId: zone,
            ChangeBatch: { Changes: [{ Action: 'DELETE', ResourceRecordSet: current }, { Action: 'CREATE', ResourceRecordSet: { ...current, AliasTarget: { ...current.AliasTarget!, EvaluateTargetHealth: false } } }] },
          });
        };
      },
      expected: { outcome: 'failed', survivor: 'original-name', error: 'EntryPointChanged' },
    };
    const result = await rehearseAndInspect(changed, ({ account, workflowBucket }) => {
      expect(slotOfRecord(account)).toBe(SAMPLE_STACK);
      expect(account.cloudformation.stackByName(SAMPLE_SLOT_B)).toBeUndefined();
      const record = JSON.parse(account.s3.getObjectRecord(workflowBucket, switchRecordKey(facts(account).entryPoint))!.body!.toString('utf8')) as SwitchRecord;
      expect(record.rolledBack).toBeDefined();
    });
    expect(result.violations).toEqual([]);
    expect(result.error).toBe('EntryPointChanged');
    expect(result.notifications).toBe(1);
  });

  it('refuses to migrate back into a previous slot not yet retired (A → B, then B → A before the retire run), touching nothing', async () => {
    let second: { error?: string; cause?: string } | undefined;
    const result = await rehearseAndInspect({ ...blueGreenScenario('a-b-a'), name: 'a-b-a-unretired', betweenRuns: undefined }, ({ account }) => {
      const runs = [...account.sfn.executions.values()].filter((x) => /:stateMachine:Migrate/.test(x.stateMachineArn));
      second = runs.at(-1);
      // orders-prod, the rollback point, untouched; the record still at orders-prod-b; no copy started.
      expect(account.cloudformation.stackByName(SAMPLE_STACK)?.status).toBe('CREATE_COMPLETE');
      expect(slotOfRecord(account)).toBe(SAMPLE_SLOT_B);
      expect([...account.sfn.executions.values()].filter((x) => /:stateMachine:Clone/.test(x.stateMachineArn))).toHaveLength(1);
    });
    expect(result.violations).toEqual([]);
    expect(second?.error).toBe('IdleSlotOccupied');
    expect(second?.cause).toMatch(/the idle slot orders-prod exists \(CREATE_COMPLETE\): a previous slot not yet retired/);
  });

  it('refuses a stale stack name (the idle slot) and a slot another migration holds, before anything is touched', async () => {
    const harness = await LocalHarness.create();
    try {
      const { account } = harness;
      seedSampleEnvironment(account, TEST_SIZE);
      const { hostedZoneId } = seedEntryPoint(account);
      const run = async (stackName: string, name: string) => {
        const input = { ...blueGreenInput(stackName), entryPoint: { hostedZoneId, recordName: SAMPLE_RECORD_NAME } };
        const baseline = await captureBaseline(account, SAMPLE_STACK);
        const notificationsBefore = account.sns.messages(harness.deployment.topicArn).length;
        const execution = await runOnSimulatedClock(async () => harness.finished(await harness.startMigration(input, name)), account.now());
        const report = await checkInvariants(account, baseline, {
          execution,
          tempStackName: SAMPLE_SLOT_B,
          lockTable: harness.deployment.lockTableName,
          topicArn: harness.deployment.topicArn,
          notificationsBefore,
          blueGreen: { entryPoint: input.entryPoint, slots: input.slots as [string, string] },
        });
        expect(report.violations).toEqual([]);
        expect(report.survivor).toBe(SAMPLE_STACK);
        // Nothing touched: no standby, no snapshot, no idle slot, the record as it was.
        expect(account.calls.filter((c) => c.operation === 'EnterStandby' || c.operation === 'CreateDBSnapshot' || c.operation === 'CreateStack')).toEqual([]);
        expect(slotOfRecord(account, hostedZoneId)).toBe(SAMPLE_STACK);
        return execution;
      };
      expect((await run(SAMPLE_SLOT_B, 'stale')).error).toBe('NotTheLiveSlot');
      expect(account.sns.messages(harness.deployment.topicArn).at(-1)!.message).toContain(`ALL DATA IS IN ${SAMPLE_STACK} - NOT in ${SAMPLE_SLOT_B}`);

      // A double clone of orders-prod-b holds its lock: the blue/green run that would create it ends at once, the lock left as it was.
      const holder = 'arn:aws:states:us-east-1:123456789012:execution:Migrate:double-clone-of-b';
      const lock = { stackName: { S: SAMPLE_SLOT_B }, owner: { S: holder }, startedAt: { S: '2026-01-01T00:00:00Z' }, expiresAt: { N: String(Math.floor(account.now() / 1000) + 3600) } };
      account.dynamodb.putItemDirect(harness.deployment.lockTableName, lock);
      expect((await run(SAMPLE_STACK, 'locked')).error).toBe('MigrationInProgress');
      expect(account.dynamodb.items(harness.deployment.lockTableName)).toEqual([lock]);
    } finally {
      harness.dispose();
    }
  });
});
