/**
 * The simulated Route 53 (local/sim/route53.ts) through the real SDK: change batches all or nothing,
 * a DELETE that must match the record exactly (the blue/green switch's optimistic concurrency),
 * PENDING → INSYNC on the simulated clock, and a client reaching the new target only once the change
 * is INSYNC and the previous answer's TTL has passed. Two environments of the sample template stand
 * for the blue and green slots; /health says which version answered.
 */
import { readFileSync } from 'node:fs';
import {
  ChangeResourceRecordSetsCommand,
  type ChangeResourceRecordSetsCommandInput,
  CreateHostedZoneCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { beforeEach, describe, expect, it } from 'vitest';
import { SAMPLE_RECORD_NAME, SAMPLE_STACK, seedEntryPoint, seedSampleEnvironment } from '../../local/sample-environment';
import { SimAccount } from '../../local/sim/account';
import { ALB_CANONICAL_HOSTED_ZONE_ID } from '../../local/sim/cloudformation';
import { type TimingProfile, ZERO_TIMING } from '../../local/sim/core';
import { errorOf, errorWithStatusOf, simulatedAccountPerTest } from '../fixtures/sim-account';

const V1_3 = readFileSync(new URL('../../examples/environment.yaml', import.meta.url), 'utf8');
const V1_4 = readFileSync(new URL('../../examples/environment-v1.4.0.yaml', import.meta.url), 'utf8');
const TIMED: TimingProfile = { ...ZERO_TIMING, route53PropagationSeconds: 60 };
const RECORD = 'orders.example.internal.';

let account: SimAccount;
let r53: Route53Client;
let zoneId: string;
let blue: string;
let green: string;

const sim = simulatedAccountPerTest();

/** The host of a stack's ServiceUrl: its load balancer's DNS name. */
function endpointOf(stack: string): string {
  return new URL(account.cloudformation.stackByName(stack)!.outputs.ServiceUrl!).hostname;
}

function alias(target: string, evaluateTargetHealth = false): ResourceRecordSet {
  return { Name: RECORD, Type: 'A', AliasTarget: { HostedZoneId: ALB_CANONICAL_HOSTED_ZONE_ID, DNSName: `dualstack.${target}.`, EvaluateTargetHealth: evaluateTargetHealth } };
}

/** The switch as blue/green makes it: DELETE of the record as read + CREATE towards the other slot. */
function switchBatch(read: ResourceRecordSet, to: ResourceRecordSet): ChangeResourceRecordSetsCommandInput {
  return { HostedZoneId: zoneId, ChangeBatch: { Changes: [{ Action: 'DELETE', ResourceRecordSet: read }, { Action: 'CREATE', ResourceRecordSet: to }] } };
}

async function records(): Promise<ResourceRecordSet[]> {
  return (await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? [];
}

async function liveRecord(): Promise<ResourceRecordSet> {
  const found = (await records()).find((r) => r.Name === RECORD && r.Type === 'A');
  if (!found) throw new Error('no record');
  return found;
}

/** The version of the environment that answers through the record now. */
async function versionThroughRecord(): Promise<string> {
  const response = await fetch(`http://${RECORD.replace(/\.$/, '')}/health`);
  return ((await response.json()) as { version: string }).version;
}

function setUp(timing: TimingProfile = ZERO_TIMING): void {
  account = sim.setUp(timing);
  r53 = new Route53Client({ maxAttempts: 1 });
  const parameters = { VpcId: 'vpc-0123', SubnetIds: 'subnet-a,subnet-b' };
  account.cloudformation.createStackNow('orders-blue', V1_3, { ...parameters, EnvironmentVersion: '1.3.0' });
  account.cloudformation.createStackNow('orders-green', V1_4, { ...parameters, EnvironmentVersion: '1.4.0' });
  blue = endpointOf('orders-blue');
  green = endpointOf('orders-green');
  zoneId = account.route53.createHostedZone('example.internal', { privateZone: true });
  account.route53.seedRecord(zoneId, alias(blue));
}

describe('simulated Route 53: zones and listings', () => {
  beforeEach(() => setUp());

  it('lists a zone sorted by reversed labels then type, names lowercase with the trailing dot, an ELB alias as stored', async () => {
    await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [
            { Action: 'CREATE', ResourceRecordSet: { Name: 'API.Example.Internal', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: blue }] } },
            { Action: 'CREATE', ResourceRecordSet: { Name: 'a.orders.example.internal', Type: 'TXT', TTL: 60, ResourceRecords: [{ Value: '"x"' }] } },
          ],
        },
      }),
    );
    const listed = await records();
    expect(listed.map((r) => `${r.Name} ${r.Type}`)).toEqual([
      'example.internal. NS',
      'example.internal. SOA',
      'api.example.internal. CNAME',
      'orders.example.internal. A',
      'a.orders.example.internal. TXT',
    ]);
    expect(listed.find((r) => r.Type === 'A')).toEqual(alias(blue));
  });

  it('pages from StartRecordName and StartRecordType, MaxItems at a time, and refuses a type without a name', async () => {
    const first = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, MaxItems: 2 }));
    expect(first.ResourceRecordSets?.map((r) => r.Type)).toEqual(['NS', 'SOA']);
    expect(first).toMatchObject({ IsTruncated: true, NextRecordName: RECORD, NextRecordType: 'A' });
    const next = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: first.NextRecordName, StartRecordType: first.NextRecordType }));
    expect(next.ResourceRecordSets?.map((r) => r.Name)).toEqual([RECORD]);
    expect(next.IsTruncated).toBe(false);
    expect((await errorOf(r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordType: 'A' })))).name).toBe('InvalidInput');
  });

  it('answers NoSuchHostedZone (404) for a zone that does not exist, with or without the /hostedzone/ prefix', async () => {
    for (const id of ['Z0NOSUCHZONE0000000000', '/hostedzone/Z0NOSUCHZONE0000000000']) {
      const e = await errorWithStatusOf(r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: id })));
      expect(e).toMatchObject({ name: 'NoSuchHostedZone', status: 404 });
    }
  });

  it('creates a zone once per caller reference, with its SOA and NS records', async () => {
    const created = await r53.send(new CreateHostedZoneCommand({ Name: 'Shop.Example.com', CallerReference: 'ref-1' }));
    expect(created.HostedZone).toMatchObject({ Name: 'shop.example.com.', Config: { PrivateZone: false }, ResourceRecordSetCount: 2 });
    expect(created.ChangeInfo?.Id).toMatch(/^\/change\/C[A-Z0-9]+$/);
    const got = await r53.send(new GetHostedZoneCommand({ Id: created.HostedZone!.Id }));
    expect(got.HostedZone?.Id).toBe(created.HostedZone?.Id);
    expect(got.DelegationSet?.NameServers).toHaveLength(4);
    expect((await errorOf(r53.send(new CreateHostedZoneCommand({ Name: 'other.example.com', CallerReference: 'ref-1' })))).name).toBe('HostedZoneAlreadyExists');
  });
});

describe('simulated Route 53: change batches', () => {
  beforeEach(() => setUp());

  it('applies a batch with one invalid change not at all: the valid DELETE and CREATE before it stay undone', async () => {
    const before = await records();
    const batch = switchBatch(await liveRecord(), alias(green));
    batch.ChangeBatch!.Changes!.push({ Action: 'CREATE', ResourceRecordSet: { Name: 'example.internal', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: green }] } });
    const e = await errorOf(r53.send(new ChangeResourceRecordSetsCommand(batch)));
    expect(e).toEqual({ name: 'InvalidChangeBatch', message: 'RRSet of type CNAME with DNS name example.internal. is not permitted at apex in zone example.internal.' });
    expect(await records()).toEqual(before);
    expect(await versionThroughRecord()).toBe('1.3.0');
  });

  it('switches with DELETE as read + CREATE in one batch (a DELETE before a CREATE of the same name is valid)', async () => {
    const out = await r53.send(new ChangeResourceRecordSetsCommand(switchBatch(await liveRecord(), alias(green))));
    expect(out.ChangeInfo).toMatchObject({ Status: 'INSYNC' });
    expect(await liveRecord()).toEqual(alias(green));
  });

  it('refuses a DELETE whose values differ from the record (someone switched it since it was read), changing nothing', async () => {
    const read = await liveRecord();
    // Another operator points the record elsewhere meanwhile.
    await r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: alias(blue, true) }] } }));
    const e = await errorOf(r53.send(new ChangeResourceRecordSetsCommand(switchBatch(read, alias(green)))));
    expect(e.name).toBe('InvalidChangeBatch');
    // The CREATE then meets the record the DELETE did not remove: both are reported.
    expect(e.message).toContain(`Tried to delete resource record set [name='${RECORD}', type='A'] but the values provided do not match the current values`);
    expect(await liveRecord()).toEqual(alias(blue, true));
  });

  it('refuses a DELETE of a record that is not there and a CREATE of one that is', async () => {
    const missing = { Name: 'gone.example.internal', Type: 'CNAME' as const, TTL: 60, ResourceRecords: [{ Value: blue }] };
    const e = await errorOf(
      r53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: { Changes: [{ Action: 'DELETE', ResourceRecordSet: missing }, { Action: 'CREATE', ResourceRecordSet: alias(green) }] },
        }),
      ),
    );
    expect(e.name).toBe('InvalidChangeBatch');
    expect(e.message).toBe(
      `[Tried to delete resource record set [name='gone.example.internal.', type='CNAME'] but it was not found, Tried to create resource record set [name='${RECORD}', type='A'] but it already exists]`,
    );
  });

  it('refuses a CNAME beside another record of its name, and another record beside a CNAME', async () => {
    const cname = (name: string) => ({ Name: name, Type: 'CNAME' as const, TTL: 60, ResourceRecords: [{ Value: green }] });
    expect((await errorOf(r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: [{ Action: 'CREATE', ResourceRecordSet: cname(RECORD) }] } })))).message).toBe(
      `RRSet of type CNAME with DNS name ${RECORD} is not permitted as it conflicts with other records with the same DNS name in zone example.internal.`,
    );
    await r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: [{ Action: 'CREATE', ResourceRecordSet: cname('www.example.internal') }] } }));
    const txt = { Name: 'www.example.internal', Type: 'TXT' as const, TTL: 60, ResourceRecords: [{ Value: '"v"' }] };
    expect((await errorOf(r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: [{ Action: 'CREATE', ResourceRecordSet: txt }] } })))).message).toBe(
      'RRSet of type TXT with DNS name www.example.internal. is not permitted because a conflicting RRSet of type  CNAME with the same DNS name already exists in zone example.internal.',
    );
  });

  it('refuses an alias to a load balancer that does not exist, or named with the wrong hosted zone', async () => {
    const create = (r: ResourceRecordSet) => errorOf(r53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: [{ Action: 'CREATE', ResourceRecordSet: r }] } })));
    const nowhere = { ...alias('orders-gone-1234.us-east-1.elb.amazonaws.com'), Name: 'x.example.internal' };
    expect((await create(nowhere)).message).toMatch(/but that target was not found$/);
    const wrongZone = { Name: 'y.example.internal', Type: 'A' as const, AliasTarget: { HostedZoneId: zoneId, DNSName: green, EvaluateTargetHealth: false } };
    expect((await create(wrongZone)).message).toMatch(/but that target was not found$/);
    const otherZone = { Name: 'z.example.internal', Type: 'A' as const, AliasTarget: { HostedZoneId: 'Z2FDTNDATAQYW2', DNSName: green, EvaluateTargetHealth: false } };
    expect((await create(otherZone)).message).toMatch(/but the alias target name does not lie within the target zone$/);
  });
});

describe('simulated Route 53: propagation and resolution', () => {
  beforeEach(() => setUp(TIMED));

  it('answers PENDING until the propagation time has passed, then INSYNC', async () => {
    const out = await r53.send(new ChangeResourceRecordSetsCommand(switchBatch(await liveRecord(), alias(green))));
    expect(out.ChangeInfo).toMatchObject({ Status: 'PENDING', Id: expect.stringMatching(/^\/change\/C/) });
    sim.advance(59);
    expect((await r53.send(new GetChangeCommand({ Id: out.ChangeInfo!.Id }))).ChangeInfo?.Status).toBe('PENDING');
    sim.advance(1);
    expect((await r53.send(new GetChangeCommand({ Id: out.ChangeInfo!.Id }))).ChangeInfo?.Status).toBe('INSYNC');
    expect((await errorWithStatusOf(r53.send(new GetChangeCommand({ Id: '/change/CNOSUCHCHANGE' }))))).toMatchObject({ name: 'NoSuchChange', status: 404 });
  });

  it('lists the new record at once, but a client reaches the new slot only after INSYNC + the alias TTL (60 s)', async () => {
    await r53.send(new ChangeResourceRecordSetsCommand(switchBatch(await liveRecord(), alias(green))));
    expect(await liveRecord()).toEqual(alias(green));
    expect(await versionThroughRecord()).toBe('1.3.0');
    sim.advance(60); // INSYNC: resolvers still hold the old answer
    expect(await versionThroughRecord()).toBe('1.3.0');
    sim.advance(59);
    expect(await versionThroughRecord()).toBe('1.3.0');
    sim.advance(1);
    expect(await versionThroughRecord()).toBe('1.4.0');
  });

  it('keeps a CNAME answer for its own TTL, and fails a request to a record whose target answers nothing as fetch does', async () => {
    const cname = (value: string, ttl: number): ResourceRecordSet => ({ Name: 'legacy.example.internal.', Type: 'CNAME', TTL: ttl, ResourceRecords: [{ Value: value }] });
    account.route53.seedRecord(zoneId, cname(blue, 300));
    await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: { Changes: [{ Action: 'DELETE', ResourceRecordSet: cname(blue, 300) }, { Action: 'CREATE', ResourceRecordSet: cname('retired.example.net', 300) }] },
      }),
    );
    sim.advance(60 + 299);
    expect((await fetch('http://legacy.example.internal/health')).status).toBe(200);
    sim.advance(1);
    await expect(fetch('http://legacy.example.internal/health')).rejects.toThrow(TypeError);
    await expect(fetch('http://nothing-here.example.internal/health')).rejects.toThrow(TypeError);
  });
});

describe('the sample entry point', () => {
  it.each(['alias', 'cname'] as const)('reaches the sample stack through orders.example.internal (%s record)', async (recordType) => {
    account = sim.setUp();
    r53 = new Route53Client({ maxAttempts: 1 });
    seedSampleEnvironment(account, { objects: 0, rows: 1, largeObject: false, instances: 1, specialKeys: 0 });
    const entry = seedEntryPoint(account, { recordType });
    expect(entry.recordName).toBe(SAMPLE_RECORD_NAME);
    const outputs = account.cloudformation.stackByName(SAMPLE_STACK)!.outputs;
    expect(outputs.ServiceHostedZoneId).toBe(ALB_CANONICAL_HOSTED_ZONE_ID);
    const listed = (await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: entry.hostedZoneId, StartRecordName: SAMPLE_RECORD_NAME }))).ResourceRecordSets?.[0];
    const host = new URL(outputs.ServiceUrl!).hostname;
    expect(listed).toEqual(
      recordType === 'alias'
        ? { Name: `${SAMPLE_RECORD_NAME}.`, Type: 'A', AliasTarget: { HostedZoneId: ALB_CANONICAL_HOSTED_ZONE_ID, DNSName: `dualstack.${host}.`, EvaluateTargetHealth: true } }
        : { Name: `${SAMPLE_RECORD_NAME}.`, Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: host }] },
    );
    const health = (await (await fetch(`http://${SAMPLE_RECORD_NAME}/health`)).json()) as { version: string };
    expect(health.version).toBe('1.3.0');
  });
});
