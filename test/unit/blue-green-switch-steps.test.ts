/**
 * The two steps of Migrate's blue/green path around the switch: record-switch (what it writes before
 * the switch, and what it refuses) and probe-entry-point (the smoke test through the record: only the
 * new slot's own answer counts).
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CloneOutput, EntryRecord, ProbeEntryPointEvent, RecordSwitchEvent, SwitchRecord } from '../../lambdas/shared/contracts';
import { WORKFLOW_BUCKET_ENV } from '../../lambdas/shared/documents';
import { EntryPointInvalid, WaitTimedOut } from '../../lambdas/shared/errors';
import type { FetchLike } from '../../lambdas/shared/http';
import { probeEntryPoint } from '../../lambdas/probe-entry-point/core';
import { recordSwitch } from '../../lambdas/record-switch/core';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const NOW = new Date('2030-01-01T12:00:00.750Z');
const B_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orders-b/2222';
const cfnMock = mockClient(CloudFormationClient);
const s3Mock = mockClient(S3Client);
const cfn = new CloudFormationClient({});
const s3 = new S3Client({});

function slotB(outputs: Record<string, string>, stackId = B_ID) {
  cfnMock.on(DescribeStacksCommand, { StackName: 'orders-b' }).resolves({
    Stacks: [{ StackName: 'orders-b', StackId: stackId, StackStatus: 'CREATE_COMPLETE', CreationTime: NOW, Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) }],
  });
}

beforeEach(() => {
  cfnMock.reset();
  s3Mock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
  process.env[WORKFLOW_BUCKET_ENV] = 'workflow-bucket';
});
afterEach(() => {
  delete process.env[WORKFLOW_BUCKET_ENV];
});

describe('record-switch', () => {
  const alias: EntryRecord = { Name: 'orders.example.com.', Type: 'A', AliasTarget: { HostedZoneId: 'ZALB', DNSName: 'dualstack.a-lb.elb.amazonaws.com.', EvaluateTargetHealth: true } };
  const reading = (sha: string) => ({ url: 'https://x/statistics', ok: true, dataSha256: sha, values: 3 });
  const event: RecordSwitchEvent = {
    runId: '1a2b3c4d',
    execution: EXECUTION,
    entryPoint: { hostedZoneId: 'Z0123', recordName: 'Orders.Example.com' },
    record: alias,
    keepPreviousHours: 24,
    previous: { stackName: 'orders-a', stackId: 'arn:a', endpoint: { dnsName: 'a-lb.elb.amazonaws.com', hostedZoneId: 'ZALB' }, version: '1.3.0', standby: { groups: [] } },
    next: { stackName: 'orders-b', stackId: B_ID, version: '1.4.0' },
    cloneOutput: { statistics: { status: 'EQUAL', source: reading('aaa'), destination: reading('aaa'), differences: [], differenceCount: 0, summary: 'statistics equal (3 values)' } } as unknown as Omit<CloneOutput, 'copies'>,
    checks: { statistics: { outputKey: 'StatisticsUrl', timeoutSeconds: 5 }, smokeTest: { outputKey: 'ServiceUrl', path: '/health', expectedStatus: 200, timeoutSeconds: 5 } },
  };

  it("writes the switch record at the entry point's key (previous and live slots, the record it will write, the retire time) and the clone's output under the run", async () => {
    slotB({ ServiceUrl: 'https://b-lb.elb.amazonaws.com/', ServiceHostedZoneId: 'ZALB2' });
    const r = await recordSwitch({ cfn, s3 }, event, NOW);
    expect(r.target).toEqual({ dnsName: 'b-lb.elb.amazonaws.com', hostedZoneId: 'ZALB2' });
    expect(r.record.AliasTarget).toEqual({ HostedZoneId: 'ZALB2', DNSName: 'b-lb.elb.amazonaws.com', EvaluateTargetHealth: true });
    expect(r).toMatchObject({ switchedAt: '2030-01-01T12:00:00Z', retireAt: '2030-01-02T12:00:00Z', scheduleName: 'em-retire-1a2b3c4d' });
    const puts = s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => p.Key)).toEqual(['runs/run-1/blue-green/clone-output.json', 'entry-points/Z0123/orders.example.com/switch.json']);
    const written = JSON.parse(Buffer.from(puts[1]!.Body as Uint8Array).toString('utf8')) as SwitchRecord;
    // What Rollback and Retire read: the standby's owner, the readings at the switch, the migration's checks.
    expect(written).toMatchObject({
      executionArn: EXECUTION.id,
      retireAt: r.retireAt,
      scheduleName: 'em-retire-1a2b3c4d',
      record: r.record,
      live: { stackName: 'orders-b', stackId: B_ID, version: '1.4.0', statistics: reading('aaa') },
      previous: { stackName: 'orders-a', standby: { groups: [] }, statistics: reading('aaa') },
      checks: event.checks,
    });
    expect(r.switchRecord.key).toBe('entry-points/Z0123/orders.example.com/switch.json');
  });

  it('refuses, writing nothing, when the new slot is another stack than the verified one or cannot be pointed at', async () => {
    slotB({ ServiceUrl: 'https://b-lb.elb.amazonaws.com/', ServiceHostedZoneId: 'ZALB2' }, 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orders-b/9999');
    await expect(recordSwitch({ cfn, s3 }, event, NOW)).rejects.toThrow(/is now stack .*9999, not .*2222/);
    slotB({ ServiceUrl: 'https://b-lb.elb.amazonaws.com/' });
    await expect(recordSwitch({ cfn, s3 }, event, NOW)).rejects.toBeInstanceOf(EntryPointInvalid);
    expect(s3Mock.commandCalls(PutObjectCommand)).toEqual([]);
  });
});

describe('probe-entry-point', () => {
  let body: unknown;
  let urls: string[];
  const fetch: FetchLike = (url) => {
    urls.push(url);
    return Promise.resolve({ status: 200, text: async () => JSON.stringify(body) });
  };
  const event = (extra: Partial<ProbeEntryPointEvent> = {}): ProbeEntryPointEvent => ({
    entryPoint: { hostedZoneId: 'Z0123456789ABC', recordName: 'Orders.Example.com.' },
    expected: { stackName: 'orders-b', stackId: B_ID },
    statistics: { outputKey: 'StatisticsUrl', timeoutSeconds: 5 },
    execution: EXECUTION,
    timeoutSeconds: 600,
    ...extra,
  });
  const probe = (e = event(), now = NOW) => probeEntryPoint({ cfn, secrets: new SecretsManagerClient({}), fetch }, e, () => now);
  beforeEach(() => {
    urls = [];
    slotB({ StatisticsUrl: 'https://b-lb.elb.amazonaws.com:8443/statistics?full=1' });
  });

  it("requests the new slot's statistics path at the record's host, and is READY only when the new slot answers", async () => {
    body = { environment: { stackId: B_ID }, data: { n: 1 } };
    expect((await probe()).status).toBe('READY');
    expect(urls).toEqual(['https://orders.example.com:8443/statistics?full=1']);
  });

  it('stays PENDING while the previous slot answers (resolvers keep it for the TTL) or the answer names no stack, then times out quoting the last probe', async () => {
    body = { environment: { stackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orders-a/1111' }, data: { n: 1 } };
    const first = await probe();
    expect(first).toMatchObject({ status: 'PENDING', probe: { answeredBy: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orders-a/1111' } });
    body = { data: { n: 1 } };
    expect((await probe(event({ wait: first.wait }))).probe.error).toMatch(/does not say which environment answered/);
    const late = new Date(NOW.getTime() + 601_000);
    await expect(probe(event({ wait: first.wait }), late)).rejects.toThrow(WaitTimedOut);
    await expect(probe(event({ wait: first.wait }), late)).rejects.toThrow(/last probe: .*does not say which environment/);
  });

  it('never counts an answer from another stack of the same name: PENDING while the slot is not the stack the clone created', async () => {
    slotB({ StatisticsUrl: 'https://b-lb.elb.amazonaws.com:8443/statistics?full=1' }, 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orders-b/9999');
    body = { environment: { stackName: 'orders-b' }, data: { n: 1 } };
    expect(await probe()).toMatchObject({ status: 'PENDING', probe: { error: expect.stringMatching(/is not .*orders-b\/2222/) } });
    expect(urls).toEqual([]);
  });
});
