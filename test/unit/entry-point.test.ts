import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { ListResourceRecordSetsCommand, Route53Client, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { entryPoint } from '../../lambdas/entry-point/core';
import type { EntryPointEvent } from '../../lambdas/shared/contracts';
import { EntryPointInvalid } from '../../lambdas/shared/errors';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const ZONE = 'Z0HOSTED';
const ELB_ZONE = 'Z32O12XQLNTSW2';
const BLUE_ELB = 'orders-blue-alb-111.eu-west-1.elb.amazonaws.com';
const GREEN_ELB = 'orders-green-alb-222.eu-west-1.elb.amazonaws.com';

const r53Mock = mockClient(Route53Client);
const cfnMock = mockClient(CloudFormationClient);
const clients = { route53: new Route53Client({}), cfn: new CloudFormationClient({}) };

function event(extra: Partial<EntryPointEvent> = {}): EntryPointEvent {
  return { entryPoint: { hostedZoneId: ZONE, recordName: 'app.example.com' }, slots: ['orders-blue', 'orders-green'], execution: EXECUTION, ...extra };
}

const aliasTo = (dnsName: string, zone = ELB_ZONE): ResourceRecordSet => ({
  Name: 'app.example.com.',
  Type: 'A',
  AliasTarget: { HostedZoneId: zone, DNSName: dnsName, EvaluateTargetHealth: true },
});
const cnameTo = (value: string): ResourceRecordSet => ({ Name: 'app.example.com.', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: value }] });

function records(...sets: ResourceRecordSet[]) {
  r53Mock.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: sets, IsTruncated: false, MaxItems: 100 });
}

function slot(name: string, outputs: Record<string, string> | undefined, status = 'UPDATE_COMPLETE') {
  const stack: Stack = {
    StackName: name,
    StackId: `arn:aws:cloudformation:eu-west-1:123456789012:stack/${name}/id`,
    StackStatus: status as Stack['StackStatus'],
    CreationTime: new Date(),
    Outputs: Object.entries(outputs ?? {}).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
  };
  cfnMock.on(DescribeStacksCommand, { StackName: name }).resolves({ Stacks: [stack] });
}
function noSlot(name: string) {
  cfnMock
    .on(DescribeStacksCommand, { StackName: name })
    .rejects(Object.assign(new Error(`Stack with id ${name} does not exist`), { name: 'ValidationError', $metadata: { httpStatusCode: 400 } }));
}
const outputs = (elb: string, zone: string | null = ELB_ZONE) => ({ ServiceUrl: `http://${elb}/`, ...(zone ? { ServiceHostedZoneId: zone } : {}) });

async function refusal(e: EntryPointEvent = event()): Promise<EntryPointInvalid> {
  const err = await entryPoint(clients, e).catch((x: unknown) => x);
  expect(err).toBeInstanceOf(EntryPointInvalid);
  expect((err as Error).name).toBe('EntryPointInvalid');
  return err as EntryPointInvalid;
}

beforeEach(() => {
  r53Mock.reset();
  cfnMock.reset();
});

describe('entry-point', () => {
  it('tells the live slot from an alias record spelled as Route 53 lists it (dualstack., trailing dot, capitals) and returns the record exactly as read', async () => {
    const listed = aliasTo(`dualstack.${BLUE_ELB.toUpperCase()}.`);
    records(listed, { Name: 'app.example.com.', Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: '"v=1"' }] });
    slot('orders-blue', outputs(BLUE_ELB));
    noSlot('orders-green');
    const result = await entryPoint(clients, event());
    expect(result).toEqual({
      record: { Name: 'app.example.com.', Type: 'A', AliasTarget: { HostedZoneId: ELB_ZONE, DNSName: `dualstack.${BLUE_ELB.toUpperCase()}.`, EvaluateTargetHealth: true } },
      liveSlot: 'orders-blue',
      idleSlot: 'orders-green',
      idleExists: false,
      liveEndpoint: { dnsName: BLUE_ELB, hostedZoneId: ELB_ZONE },
    });
    expect(r53Mock.commandCalls(ListResourceRecordSetsCommand)[0]!.args[0].input).toEqual({ HostedZoneId: ZONE, StartRecordName: 'app.example.com', MaxItems: 100 });
  });

  it('tells the live slot from a CNAME and reports an idle slot that exists, with its status', async () => {
    records(cnameTo(`${GREEN_ELB}.`));
    slot('orders-blue', outputs(BLUE_ELB, null), 'UPDATE_ROLLBACK_COMPLETE');
    slot('orders-green', outputs(GREEN_ELB, null));
    const result = await entryPoint(clients, event());
    expect(result).toMatchObject({ liveSlot: 'orders-green', idleSlot: 'orders-blue', idleExists: true, idleStackStatus: 'UPDATE_ROLLBACK_COMPLETE', liveEndpoint: { dnsName: GREEN_ELB } });
    expect(result.record).toEqual({ Name: 'app.example.com.', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: `${GREEN_ELB}.` }] });
  });

  it('reads further pages while they hold the name, and keeps a health check id the DELETE must repeat', async () => {
    r53Mock
      .on(ListResourceRecordSetsCommand, { StartRecordName: 'app.example.com' })
      .resolves({ ResourceRecordSets: [{ Name: 'app.example.com.', Type: 'MX', TTL: 300, ResourceRecords: [{ Value: '10 mx' }] }], IsTruncated: true, NextRecordName: 'app.example.com.', NextRecordType: 'TXT', MaxItems: 1 })
      .on(ListResourceRecordSetsCommand, { StartRecordName: 'app.example.com.', StartRecordType: 'TXT' })
      .resolves({ ResourceRecordSets: [{ ...aliasTo(BLUE_ELB), HealthCheckId: 'hc-1' }, { Name: 'b.example.com.', Type: 'A' }], IsTruncated: true, NextRecordName: 'c.example.com.', MaxItems: 1 });
    slot('orders-blue', outputs(BLUE_ELB));
    noSlot('orders-green');
    const result = await entryPoint(clients, event());
    expect(result.record.HealthCheckId).toBe('hc-1');
    expect(r53Mock.commandCalls(ListResourceRecordSetsCommand)).toHaveLength(2);
  });

  it('refuses a missing record, naming the types the name has', async () => {
    records({ Name: 'app.example.com.', Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: '"x"' }] });
    expect((await refusal()).message).toMatch(/no A or CNAME record app\.example\.com in hosted zone Z0HOSTED \(only TXT\)/);
    records({ Name: 'apq.example.com.', Type: 'A', AliasTarget: { HostedZoneId: ELB_ZONE, DNSName: BLUE_ELB, EvaluateTargetHealth: false } });
    expect((await refusal()).message).toMatch(/no A or CNAME record app\.example\.com/);
  });

  it('refuses a weighted or latency record, naming the routing policy', async () => {
    records({ ...aliasTo(BLUE_ELB), SetIdentifier: 'blue', Weight: 100 }, { ...aliasTo(GREEN_ELB), SetIdentifier: 'green', Weight: 0 });
    const err = await refusal();
    expect(err.problems).toHaveLength(2);
    expect(err.message).toMatch(/weighted routing policy \(set identifier blue\)/);
    records({ ...aliasTo(BLUE_ELB), SetIdentifier: 'eu', Region: 'eu-west-1' });
    expect((await refusal()).message).toMatch(/latency routing policy/);
  });

  it('refuses an AAAA-only record, and an AAAA beside the A record (IPv6 clients would stay behind)', async () => {
    records({ ...aliasTo(BLUE_ELB), Type: 'AAAA' });
    expect((await refusal()).message).toMatch(/AAAA record only/);
    records(aliasTo(BLUE_ELB), { ...aliasTo(BLUE_ELB), Type: 'AAAA' });
    expect((await refusal()).message).toMatch(/AAAA record besides its A record/);
  });

  it('refuses an A record of addresses: no slot endpoint is an address', async () => {
    records({ Name: 'app.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.1' }] });
    expect((await refusal()).message).toMatch(/A record of addresses \(192\.0\.2\.1\), not an alias/);
  });

  it('refuses a record that points at neither slot, naming what it points at and each slot\'s endpoint', async () => {
    records(aliasTo('dualstack.someone-else.elb.amazonaws.com.'));
    slot('orders-blue', outputs(BLUE_ELB));
    noSlot('orders-green');
    expect((await refusal()).message).toMatch(
      new RegExp(`points at someone-else\\.elb\\.amazonaws\\.com, which is neither slot's endpoint \\(orders-blue: ${BLUE_ELB.replace(/\./g, '\\.')}, orders-green: does not exist\\)`),
    );
  });

  it('refuses a record that points at both slots (the same endpoint)', async () => {
    records(cnameTo(BLUE_ELB));
    slot('orders-blue', outputs(BLUE_ELB));
    slot('orders-green', outputs(BLUE_ELB));
    expect((await refusal()).message).toMatch(/the endpoint of both slots/);
  });

  it('refuses an existing slot without a ServiceUrl output, naming it and its status', async () => {
    records(cnameTo(BLUE_ELB));
    slot('orders-blue', outputs(BLUE_ELB));
    slot('orders-green', undefined, 'ROLLBACK_COMPLETE');
    expect((await refusal()).message).toMatch(/slot orders-green \(ROLLBACK_COMPLETE\) has no ServiceUrl output/);
  });

  it('refuses an alias whose live slot has no ServiceHostedZoneId, or one that differs from the alias target zone (a switch back needs it)', async () => {
    records(aliasTo(BLUE_ELB));
    slot('orders-blue', outputs(BLUE_ELB, null));
    noSlot('orders-green');
    expect((await refusal()).message).toMatch(/live slot orders-blue has no ServiceHostedZoneId output/);
    cfnMock.reset();
    slot('orders-blue', outputs(BLUE_ELB, 'ZOTHER'));
    noSlot('orders-green');
    expect((await refusal()).message).toMatch(/gives ServiceHostedZoneId ZOTHER/);
  });

  it('refuses two slots naming the same stack before any call', async () => {
    expect((await refusal(event({ slots: ['orders-blue', 'orders-blue'] }))).message).toMatch(/both slots name stack orders-blue/);
    expect(r53Mock.calls()).toHaveLength(0);
  });
});
