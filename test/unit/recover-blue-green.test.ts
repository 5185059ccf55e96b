/**
 * recover's blue/green decisions (cli/recover-blue-green.ts): what it reads (Route 53 and
 * CloudFormation mocked) and what it says for each way a blue/green run can end. Never RECOVER.
 */
import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { GetChangeCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type BlueGreenHistory, type ObservedEntryPoint, assessBlueGreen, blueGreenHistoryOf, observeEntryPoint } from '../../cli/recover-blue-green';
import { type FailedMigration, assessRecovery } from '../../cli/recover-core';

const ARN = 'arn:aws:states:us-east-1:123456789012:execution:Migrate:run-1';
const ENTRY = { hostedZoneId: 'ZONE1', recordName: 'orders.example.com' };
const INPUT = { stackName: 'blue', strategy: 'blue-green', slots: ['blue', 'green'], entryPoint: ENTRY, targetVersion: '2.0.0' };
const done = { status: 'DONE' };
const failedAction = { Error: 'InvalidChangeBatch', Cause: JSON.stringify({ errorMessage: 'the record changed', trace: ['at x'] }) };

function failed(state: Record<string, unknown>, notice: FailedMigration['notice'] = { outcome: 'FAILED_AND_COMPENSATED', survivor: 'blue', failedState: 'Smoke test through the entry point' }): FailedMigration {
  return { executionArn: ARN, status: 'FAILED', strategy: 'blue-green', notice, stateAtNotice: { input: INPUT, runId: 'abcd1234', blueGreen: { idleSlot: 'green' }, ...state } };
}
const observed = (pointsAt: string | null, green: string | null = 'CREATE_COMPLETE'): ObservedEntryPoint => ({
  pointsAt,
  record: `A alias → lb (${pointsAt ?? 'neither slot'})`,
  slots: [
    { stackName: 'blue', status: 'CREATE_COMPLETE', createdByThisRun: false },
    { stackName: 'green', status: green, createdByThisRun: green !== null },
  ],
});

describe("recover's decision on a blue/green run", () => {
  it('is never a recovery: the double clone\'s assessment refuses any blue/green run', () => {
    expect(assessRecovery(failed({}))).toMatchObject({ verdict: 'REFUSED' });
  });

  it('(a) failed before the switch, the idle slot this run made still there: refuses naming the live slot and the copy to delete', () => {
    const m = failed({ compensation: { deleteTemporaryStack: failedAction, exitStandby: done } }, { outcome: 'FAILED_AND_COMPENSATED', survivor: 'blue', failedState: 'Clone the live slot into the idle slot' });
    const a = assessBlueGreen(m, blueGreenHistoryOf(m), observed('blue'));
    expect(a).toMatchObject({ verdict: 'REFUSED', situation: 'FAILED_BEFORE_SWITCH', serving: 'blue' });
    expect(a.reason).toMatch(/^nothing to recover: blue serves \(the record orders\.example\.com points at it\); the idle slot green still exists \(CREATE_COMPLETE\), created by this run: its deletion failed \(InvalidChangeBatch: the record changed\)/);
    expect(a.leftToDo[0]).toContain('delete green');
  });

  it('(b) switched back, every compensation done: refuses naming the previous slot serving and the new slot to inspect', () => {
    const m = failed({ switch: { changeId: 'C1' }, switchBack: { changeId: 'C2' }, switchPlan: { switchedAt: '2026-12-05T03:00:00Z' }, compensation: { switchBack: done, closeSwitchRecord: done, exitStandby: done, standbyNewSlot: done } });
    const a = assessBlueGreen(m, blueGreenHistoryOf(m), { ...observed('blue'), change: { id: 'C2', status: 'INSYNC', of: 'switch back' } });
    expect(a).toMatchObject({ verdict: 'REFUSED', situation: 'SWITCHED_BACK', serving: 'blue' });
    expect(a.reason).toMatch(/^nothing to recover: blue serves again/);
    expect(a.leftToDo[0]).toContain('inspect green');
    expect(a.state.at(-1)).toContain('marked by this run');
  });

  it('(b) but the switch back is still PENDING on Route 53: not complete, says so', () => {
    const m = failed({ switch: { changeId: 'C1' }, switchBack: { changeId: 'C2' }, switchPlan: {}, compensation: { switchBack: done, closeSwitchRecord: done, exitStandby: done, standbyNewSlot: done } });
    const a = assessBlueGreen(m, blueGreenHistoryOf(m), { ...observed('blue'), change: { id: 'C2', status: 'PENDING', of: 'switch back' } });
    expect(a.situation).toBe('COMPENSATION_INCOMPLETE');
    expect(a.reason).toContain('change C2 is PENDING: not yet on every Route 53 server');
  });

  it('(c) the switch back failed, the record still at the new slot, the switch record open: names env-migrator rollback', () => {
    const m = failed({ switch: { changeId: 'C1' }, switchPlan: {}, compensation: { switchBack: failedAction, exitStandby: done, standbyNewSlot: done } });
    const a = assessBlueGreen(m, blueGreenHistoryOf(m), observed('green'));
    expect(a).toMatchObject({ verdict: 'REFUSED', situation: 'COMPENSATION_INCOMPLETE', serving: 'green' });
    expect(a.leftToDo[0]).toMatch(/^switch back with env-migrator rollback --environment orders\.example\.com: the switch record is open/);
    expect(a.state.at(-1)).toContain('OPEN');
  });

  it('(c) the record points at neither slot: refuses, naming it, and acts on nothing', () => {
    const m = failed({ switch: { changeId: 'C1' }, switchPlan: {}, compensation: { switchBack: done, closeSwitchRecord: done, exitStandby: done, standbyNewSlot: done } });
    const a = assessBlueGreen(m, blueGreenHistoryOf(m), observed(null));
    expect(a.situation).toBe('COMPENSATION_INCOMPLETE');
    expect(a.reason).toContain('neither the switch nor the switch back of this run left it there');
  });

  it('a success is nothing to recover, naming the live slot and the rollback command', () => {
    const m: FailedMigration = { executionArn: ARN, status: 'SUCCEEDED', strategy: 'blue-green', output: { stackName: 'green', blueGreen: { liveSlot: 'green', previousSlot: 'blue', entryPoint: ENTRY, retireAt: '2026-12-06T03:00:00Z', rollbackCommand: 'env-migrator rollback --environment orders.example.com' } } };
    expect(assessBlueGreen(m, undefined, undefined)).toMatchObject({ verdict: 'NOTHING_TO_RECOVER', serving: 'green', reason: expect.stringContaining('blue is in standby as the rollback point until 2026-12-06T03:00:00Z') as string });
  });
});

describe('what recover reads for a blue/green run', () => {
  const route53 = mockClient(Route53Client);
  const cfn = mockClient(CloudFormationClient);
  beforeEach(() => {
    route53.reset();
    cfn.reset();
  });
  const stack = (name: string, host: string, tag?: string): Stack => ({
    StackName: name,
    StackId: `arn:aws:cloudformation:us-east-1:123456789012:stack/${name}/1`,
    StackStatus: 'CREATE_COMPLETE',
    CreationTime: new Date(),
    Outputs: [{ OutputKey: 'ServiceUrl', OutputValue: `http://${host}/` }],
    Tags: tag ? [{ Key: 'env-migrator:execution', Value: tag }] : [],
  });

  it('tells the slot the record points at from the slots\' ServiceUrl, which slot this run created, and the last change\'s status (ListResourceRecordSets, DescribeStacks, GetChange)', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'blue' }).resolves({ Stacks: [stack('blue', 'blue-lb.example')] });
    cfn.on(DescribeStacksCommand, { StackName: 'green' }).resolves({ Stacks: [stack('green', 'green-lb.example', ARN)] });
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [{ Name: 'orders.example.com.', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'green-lb.example' }] }], IsTruncated: false });
    route53.on(GetChangeCommand, { Id: 'C1' }).resolves({ ChangeInfo: { Id: 'C1', Status: 'INSYNC', SubmittedAt: new Date() } });
    const h = { entryPoint: ENTRY, previousSlot: 'blue', newSlot: 'green', switchRecordWritten: true, switchChangeId: 'C1', switchMarkedNotMade: false } satisfies BlueGreenHistory;
    const o = await observeEntryPoint({ route53: new Route53Client({ region: 'us-east-1' }), cloudformation: new CloudFormationClient({ region: 'us-east-1' }) }, h, ARN);
    expect(o).toMatchObject({ pointsAt: 'green', change: { id: 'C1', status: 'INSYNC', of: 'switch' } });
    expect(o.slots).toEqual([
      expect.objectContaining({ stackName: 'blue', createdByThisRun: false }),
      expect.objectContaining({ stackName: 'green', createdByThisRun: true }),
    ]);
    expect(route53.commandCalls(ListResourceRecordSetsCommand)[0]!.args[0].input).toMatchObject({ HostedZoneId: 'ZONE1', StartRecordName: 'orders.example.com' });
  });

  it('a slot that does not exist has no status; a missing record is described, not thrown', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'blue' }).resolves({ Stacks: [stack('blue', 'blue-lb.example')] });
    cfn.on(DescribeStacksCommand, { StackName: 'green' }).rejects(Object.assign(new Error('Stack with id green does not exist'), { name: 'ValidationError' }));
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [], IsTruncated: false });
    const h = { entryPoint: ENTRY, previousSlot: 'blue', newSlot: 'green', switchRecordWritten: false, switchMarkedNotMade: false } satisfies BlueGreenHistory;
    const o = await observeEntryPoint({ route53: new Route53Client({ region: 'us-east-1' }), cloudformation: new CloudFormationClient({ region: 'us-east-1' }) }, h, ARN);
    expect(o.pointsAt).toBeNull();
    expect(o.record).toContain('there is no A or CNAME record orders.example.com');
    expect(o.slots[1]).toMatchObject({ stackName: 'green', status: null });
    expect(route53.commandCalls(GetChangeCommand)).toHaveLength(0);
  });
});
