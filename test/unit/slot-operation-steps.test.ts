/**
 * The steps of the Retire and Rollback machines (blue/green, issue 11), each core with mocked clients:
 * what each refuses (named), and what the rollback's check of the writes since the switch counts as
 * "no write" (only a reading now whose digest equals the one at the switch).
 */
import { createHash } from 'node:crypto';
import { CloudFormationClient, DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeSwitchRecord } from '../../lambdas/close-switch-record/core';
import { probeEntryPoint, throughRecord } from '../../lambdas/probe-entry-point/core';
import { readSwitchRecord } from '../../lambdas/read-switch-record/core';
import { readVerifiedCopy } from '../../lambdas/read-verified-copy/core';
import { RETIRE_SCHEDULE_GROUP_ENV } from '../../lambdas/schedule-retire/core';
import { statisticsDigest } from '../../lambdas/shared/canonical-json';
import { type CloneOutput, StatisticsConfigSchema, type SwitchRecord } from '../../lambdas/shared/contracts';
import { WORKFLOW_BUCKET_ENV } from '../../lambdas/shared/documents';
import { InputInvalid, RetireRefused, RollbackRefused } from '../../lambdas/shared/errors';
import type { FetchLike } from '../../lambdas/shared/http';
import { entryPointLockKey } from '../../lambdas/shared/naming';
import { validateSlotOperation } from '../../lambdas/validate-slot-operation/core';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Rollback:rb-1', name: 'rb-1' };
const ENTRY = { hostedZoneId: 'Z0HOSTED', recordName: 'Orders.Example.com.' };
const stackId = (name: string) => `arn:aws:cloudformation:eu-west-1:123456789012:stack/${name}/0000-${name}`;
const A = { stackName: 'orders-a', stackId: stackId('orders-a') };
const B = { stackName: 'orders-b', stackId: stackId('orders-b') };
const DATA_AT_SWITCH = { orders: { count: 57 } };
const STATISTICS = StatisticsConfigSchema.parse({});

const s3Mock = mockClient(S3Client);
const cfnMock = mockClient(CloudFormationClient);
const schedulerMock = mockClient(SchedulerClient);
const body = (text: string) => ({ transformToString: async () => text, transformToByteArray: async () => new Uint8Array(Buffer.from(text)) });

function switchRecord(extra: Partial<SwitchRecord> = {}): SwitchRecord {
  const reading = { url: 'http://b/statistics', ok: true, dataSha256: statisticsDigest(DATA_AT_SWITCH), values: 1, document: { bucket: 'wf', key: 'runs/m/statistics/b.json', bytes: 1, sha256: '' } };
  return {
    runId: 'r1',
    executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:m-1',
    entryPoint: { hostedZoneId: 'Z0HOSTED', recordName: 'orders.example.com' },
    switchedAt: '2030-01-01T12:00:00.000Z',
    retireAt: '2030-01-02T12:00:00Z',
    scheduleName: 'em-retire-r1',
    record: { Name: 'orders.example.com.', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'b.elb' }] },
    live: { ...B, endpoint: { dnsName: 'b.elb' }, version: '1.4.0', statistics: reading },
    previous: { ...A, endpoint: { dnsName: 'a.elb' }, version: '1.3.0', statistics: { ...reading, url: 'http://a/statistics' }, standby: { groups: [] } },
    ...extra,
  };
}

beforeEach(() => {
  s3Mock.reset();
  cfnMock.reset();
  schedulerMock.reset();
  process.env[WORKFLOW_BUCKET_ENV] = 'wf';
  process.env[RETIRE_SCHEDULE_GROUP_ENV] = 'env-migrator';
});
afterEach(() => {
  delete process.env[WORKFLOW_BUCKET_ENV];
  delete process.env[RETIRE_SCHEDULE_GROUP_ENV];
});

describe('validate-slot-operation', () => {
  const retire = { runId: 'r1', entryPoint: ENTRY, slots: ['orders-a', 'orders-b'], previous: A, live: B, cloneOutput: { bucket: 'wf-bucket', key: 'runs/m/clone.json', bytes: 10, sha256: 'a'.repeat(64) } };
  const now = new Date('2030-01-02T12:00:30Z');

  it('takes the record lock first, then the slot retired; refuses a retire started before its retention ends, naming retireAt', () => {
    const ok = validateSlotOperation({ operation: 'RETIRE', input: { ...retire, retireAt: '2030-01-02T12:00:00Z' }, execution: EXECUTION }, now);
    expect(ok.lockKeys).toEqual(['route53:Z0HOSTED/orders.example.com', 'orders-a']);
    expect(entryPointLockKey({ hostedZoneId: '/hostedzone/Z0HOSTED', recordName: 'orders.example.com' })).toBe(ok.lockKeys[0]);
    const early = () => validateSlotOperation({ operation: 'RETIRE', input: { ...retire, retireAt: '2030-01-02T13:00:00Z' }, execution: EXECUTION }, now);
    expect(early).toThrow(InputInvalid);
    expect(early).toThrow(/retireAt.*has not come yet/);
  });

  it('refuses a retire whose previous or live slot is not exactly one of the slots, or both the same', () => {
    expect(() => validateSlotOperation({ operation: 'RETIRE', input: { ...retire, previous: { ...A, stackName: 'Orders-a' } }, execution: EXECUTION }, now)).toThrow(/previous\.stackName/);
    expect(() => validateSlotOperation({ operation: 'RETIRE', input: { ...retire, live: A }, execution: EXECUTION }, now)).toThrow(/live\.stackName.*names the slot to retire/);
  });

  it('gives the rollback its defaults (no discarding) and locks the record and both slots', () => {
    const ok = validateSlotOperation({ operation: 'ROLLBACK', input: { entryPoint: ENTRY, slots: ['orders-a', 'orders-b'] }, execution: EXECUTION }, now);
    expect(ok.input).toMatchObject({ acceptDiscardingWrites: false, statistics: STATISTICS });
    expect(ok.lockKeys).toEqual(['route53:Z0HOSTED/orders.example.com', 'orders-a', 'orders-b']);
    expect(() => validateSlotOperation({ operation: 'ROLLBACK', input: { entryPoint: ENTRY, slots: ['orders-a', 'orders-a'] }, execution: EXECUTION }, now)).toThrow(/slots/);
  });
});

describe('read-verified-copy', () => {
  const copy: CloneOutput = {
    outcome: 'EQUAL', sourceStackName: 'orders-a', destinationStackName: 'orders-b', destinationStackId: B.stackId, destinationDbInstances: [], version: '1.4.0', snapshots: [], copies: [{ bucketName: 'x' } as never], verification: [],
    statistics: { status: 'EQUAL' } as CloneOutput['statistics'],
  };
  const ref = (text: string) => ({ bucket: 'wf', key: 'runs/m/clone-output.json', bytes: text.length, sha256: createHash('sha256').update(text).digest('hex') });

  it('returns the clone output without its copies when it is previous → live, EQUAL', async () => {
    const text = JSON.stringify(copy);
    s3Mock.on(GetObjectCommand).resolves({ Body: body(text) as never });
    const out = await readVerifiedCopy(new S3Client({}), { cloneOutput: ref(text), previous: A, live: B, execution: EXECUTION });
    expect(out).not.toHaveProperty('copies');
    expect(out.destinationStackId).toBe(B.stackId);
  });

  it('refuses a copy of another stack or into a later stack of the live name, naming each', async () => {
    const text = JSON.stringify({ ...copy, sourceStackName: 'orders-c', destinationStackId: stackId('orders-b-later') });
    s3Mock.on(GetObjectCommand).resolves({ Body: body(text) as never });
    const read = readVerifiedCopy(new S3Client({}), { cloneOutput: ref(text), previous: A, live: B, execution: EXECUTION });
    await expect(read).rejects.toThrow(RetireRefused);
    await expect(readVerifiedCopy(new S3Client({}), { cloneOutput: ref(text), previous: A, live: B, execution: EXECUTION })).rejects.toThrow(/made from orders-c, not from orders-a.*not the live slot's/);
  });
});

describe('read-switch-record', () => {
  const statisticsOutput = (name: string) => [{ OutputKey: 'StatisticsUrl', OutputValue: `http://${name}/statistics` }];
  const stacks = (ids: Record<string, string> = { 'orders-a': A.stackId, 'orders-b': B.stackId }) =>
    cfnMock.on(DescribeStacksCommand).callsFake((i: { StackName: string }) => ({ Stacks: ids[i.StackName] ? [{ StackName: i.StackName, StackId: ids[i.StackName], StackStatus: 'UPDATE_COMPLETE', Outputs: statisticsOutput(i.StackName), CreationTime: new Date() }] : [] }));
  const answering = (data: unknown): FetchLike => async () => ({ status: 200, text: async () => JSON.stringify({ data }), headers: { get: () => null } }) as never;
  const deps = (fetch: FetchLike) => ({ s3: new S3Client({}), cfn: new CloudFormationClient({}), secrets: new SecretsManagerClient({}), fetch });
  const event = { entryPoint: ENTRY, slots: ['orders-a', 'orders-b'] as [string, string], statistics: STATISTICS, execution: EXECUTION };

  beforeEach(() => {
    cfnMock.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: [{ ResourceType: 'AWS::AutoScaling::AutoScalingGroup', LogicalResourceId: 'Asg', PhysicalResourceId: 'orders-b-Asg-1', ResourceStatus: 'CREATE_COMPLETE', LastUpdatedTimestamp: new Date() }] });
  });

  it('UNCHANGED only when the live slot answers now with the digest of the switch; its groups and the standby owner returned', async () => {
    s3Mock.on(GetObjectCommand, { Key: 'entry-points/Z0HOSTED/orders.example.com/switch.json' }).resolves({ Body: body(JSON.stringify(switchRecord())) as never });
    stacks();
    const out = await readSwitchRecord(deps(answering({ orders: { count: 57 } })), event);
    expect(out.writes).toMatchObject({ status: 'UNCHANGED', differences: [] });
    expect(out.liveGroups).toEqual([{ logicalId: 'Asg', autoScalingGroupName: 'orders-b-Asg-1' }]);
    expect(out.standbyOwner).toEqual({ id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:m-1', name: 'm-1' });
  });

  it('CHANGED, naming every differing path from the document of the switch; an endpoint that cannot be read is CHANGED too, never "no write"', async () => {
    const atSwitch = JSON.stringify({ data: DATA_AT_SWITCH });
    const record = switchRecord();
    record.live.statistics.document = { bucket: 'wf', key: 'runs/m/statistics/b.json', bytes: atSwitch.length, sha256: createHash('sha256').update(atSwitch).digest('hex') };
    s3Mock.on(GetObjectCommand, { Key: 'entry-points/Z0HOSTED/orders.example.com/switch.json' }).resolves({ Body: body(JSON.stringify(record)) as never });
    s3Mock.on(GetObjectCommand, { Key: 'runs/m/statistics/b.json' }).resolves({ Body: body(atSwitch) as never });
    stacks();
    const changed = await readSwitchRecord(deps(answering({ orders: { count: 59 }, refunds: { count: 1 } })), event);
    expect(changed.writes.status).toBe('CHANGED');
    expect(changed.writes.differences).toEqual(['data.orders.count: 57 → 59', 'data.refunds.count: (absent) → 1']);
    const down = await readSwitchRecord(deps(async () => ({ status: 503, text: async () => 'no', headers: { get: () => null } }) as never), event);
    expect(down.writes).toMatchObject({ status: 'CHANGED', summary: expect.stringContaining('cannot be ruled out') });
  });

  it('refuses when nothing was switched, when it was rolled back already, or when a slot is no longer the stack the switch left', async () => {
    s3Mock.on(GetObjectCommand).rejects(Object.assign(new Error('no key'), { name: 'NoSuchKey' }));
    await expect(readSwitchRecord(deps(answering({})), event)).rejects.toThrow(/no blue\/green switch of orders.example.com is recorded/);
    s3Mock.on(GetObjectCommand).resolves({ Body: body(JSON.stringify(switchRecord({ rolledBack: { at: '2030-01-01T13:00:00Z', executionArn: 'x', discardedWrites: false } }))) as never });
    await expect(readSwitchRecord(deps(answering({})), event)).rejects.toThrow(/already rolled back/);
    s3Mock.on(GetObjectCommand).resolves({ Body: body(JSON.stringify(switchRecord())) as never });
    stacks({ 'orders-a': stackId('orders-a-new'), 'orders-b': B.stackId });
    await expect(readSwitchRecord(deps(answering({})), event)).rejects.toThrow(RollbackRefused);
    await expect(readSwitchRecord(deps(answering({})), event)).rejects.toThrow(/previous slot orders-a is now stack .*orders-a-new/);
  });
});

describe('probe-entry-point', () => {
  it('asks through the record name and is READY only when the expected stack says it answered', async () => {
    cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'orders-a', StackId: A.stackId, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Outputs: [{ OutputKey: 'StatisticsUrl', OutputValue: 'http://a.elb.amazonaws.com/statistics' }] }] });
    const asked: string[] = [];
    const answeredBy = (id: string): FetchLike => async (url) => {
      asked.push(url);
      return { status: 200, text: async () => JSON.stringify({ environment: { stackId: id }, data: { orders: { count: 1 } } }), headers: { get: () => null } } as never;
    };
    const event = { entryPoint: ENTRY, expected: A, statistics: STATISTICS, execution: EXECUTION, timeoutSeconds: 600 };
    const deps = (fetch: FetchLike) => ({ cfn: new CloudFormationClient({}), secrets: new SecretsManagerClient({}), fetch });
    const pending = await probeEntryPoint(deps(answeredBy(B.stackId)), event);
    expect(pending).toMatchObject({ status: 'PENDING', probe: { answeredBy: B.stackId, error: `answered by ${B.stackId}, not orders-a` } });
    expect(asked).toEqual(['http://orders.example.com/statistics']);
    expect((await probeEntryPoint(deps(answeredBy(A.stackId)), event)).status).toBe('READY');
    expect(throughRecord('https://x.elb:8443/a?b=1', 'App.Example.com.')).toBe('https://app.example.com:8443/a?b=1');
  });
});

describe('close-switch-record', () => {
  it('deletes the retire schedule (already gone counts as done) and marks the record rolled back, keeping a first marking', async () => {
    s3Mock.on(GetObjectCommand).resolves({ Body: body(JSON.stringify(switchRecord())) as never });
    s3Mock.on(PutObjectCommand).resolves({});
    schedulerMock.on(DeleteScheduleCommand).rejects(Object.assign(new Error('gone'), { name: 'ResourceNotFoundException' }));
    const out = await closeSwitchRecord({ s3: new S3Client({}), scheduler: new SchedulerClient({}) }, { entryPoint: ENTRY, runId: 'r1', discardedWrites: true, execution: EXECUTION }, new Date('2030-01-01T13:00:00Z'));
    expect(out).toEqual({ scheduleName: 'em-retire-r1', scheduleDeleted: false, rolledBack: { at: '2030-01-01T13:00:00.000Z', executionArn: EXECUTION.id, discardedWrites: true } });
    expect(schedulerMock.commandCalls(DeleteScheduleCommand)[0]!.args[0].input).toEqual({ Name: 'em-retire-r1', GroupName: 'env-migrator' });
    const written = JSON.parse(String(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input.Body)) as SwitchRecord;
    expect(written.rolledBack).toEqual(out.rolledBack);
    await expect(closeSwitchRecord({ s3: new S3Client({}), scheduler: new SchedulerClient({}) }, { entryPoint: ENTRY, runId: 'r0', discardedWrites: false, execution: EXECUTION })).rejects.toThrow(/now run r1's, not r0's/);
  });
});
