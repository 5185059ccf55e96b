/**
 * The blue/green gate of `env-migrator plan` (cli/plan-blue-green.ts, cli/plan-core.ts) with
 * aws-sdk-client-mock: which lock keys it reads and what "held" means there, and the decisions taken on
 * the entry-point step's result, before any discovery call.
 */
import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { RDSClient } from '@aws-sdk/client-rds';
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkEntryPoint, entryPointRefusal, lockKeysOf } from '../../cli/plan-blue-green';
import { PLAN_EXECUTION, type PlanClients, planClientsWith, planMigration } from '../../cli/plan-core';
import type { EntryPointResult, MigrationInput } from '../../lambdas/shared/contracts';
import { entryPointLockKey } from '../../lambdas/shared/naming';

const ZONE = 'Z0HOSTED';
const RECORD = 'app.example.com';
const BLUE_ELB = 'orders-blue-alb-111.eu-west-1.elb.amazonaws.com';
const GREEN_ELB = 'orders-green-alb-222.eu-west-1.elb.amazonaws.com';
const TABLE = 'locks';
const NOW = new Date('2026-12-05T04:00:00Z');
const HOLDER = 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:green-double-clone';

const ddb = mockClient(DynamoDBClient);
const r53 = mockClient(Route53Client);
const cfn = mockClient(CloudFormationClient);
const others = [mockClient(RDSClient), mockClient(S3Client), mockClient(KMSClient), mockClient(SecretsManagerClient), mockClient(CloudWatchClient)];
const clients: PlanClients = planClientsWith(new CloudFormationClient({}));

const input = (stackName: string) => ({
  stackName,
  targetVersion: '2.0.0',
  statistics: { outputKey: 'StatisticsUrl' },
  strategy: 'blue-green',
  entryPoint: { hostedZoneId: ZONE, recordName: RECORD },
  slots: ['orders-blue', 'orders-green'],
});

function slot(name: string, elb: string) {
  const stack: Stack = {
    StackName: name,
    StackId: `arn:aws:cloudformation:eu-west-1:123456789012:stack/${name}/id`,
    StackStatus: 'UPDATE_COMPLETE',
    CreationTime: new Date(),
    Outputs: [{ OutputKey: 'ServiceUrl', OutputValue: `http://${elb}/` }],
  };
  cfn.on(DescribeStacksCommand, { StackName: name }).resolves({ Stacks: [stack] });
}
const cname = (value: string, ttl: number) =>
  r53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [{ Name: `${RECORD}.`, Type: 'CNAME', TTL: ttl, ResourceRecords: [{ Value: value }] }], IsTruncated: false, MaxItems: 100 });

beforeEach(() => {
  for (const m of [ddb, r53, cfn, ...others]) m.reset();
  ddb.on(GetItemCommand).resolves({});
});

describe("plan's blue/green gate", () => {
  it("reads Migrate's three lock keys in its transaction's order: stackName, the idle slot, the record's key", () => {
    const keys = lockKeysOf({ stackName: 'orders-blue' }, { idleSlot: 'orders-green', recordLockKey: entryPointLockKey({ hostedZoneId: ZONE, recordName: RECORD }) });
    expect(keys.map((k) => k.key)).toEqual(['orders-blue', 'orders-green', `route53:${ZONE}/${RECORD}`]);
    expect(lockKeysOf({ stackName: 'orders-blue' }, undefined).map((k) => k.key)).toEqual(['orders-blue']);
  });

  it('refuses MigrationInProgress naming the idle slot when a double clone of it holds its lock, and an item without expiresAt as held forever; no Route 53 or CloudFormation call', async () => {
    ddb.on(GetItemCommand, { Key: { stackName: { S: 'orders-green' } } }).resolves({ Item: { stackName: { S: 'orders-green' }, owner: { S: HOLDER }, expiresAt: { N: String(NOW.getTime() / 1000 + 60) } } });
    ddb.on(GetItemCommand, { Key: { stackName: { S: `route53:${ZONE}/${RECORD}` } } }).resolves({ Item: { stackName: { S: `route53:${ZONE}/${RECORD}` }, owner: { S: 'by hand' } } });
    const outcome = await planMigration(clients, input('orders-blue'), { lockTable: async () => TABLE, now: () => NOW });
    expect(outcome).toMatchObject({ verdict: 'REFUSED', errorName: 'MigrationInProgress', lock: { stackName: 'orders-green', owner: HOLDER } });
    if (outcome.verdict !== 'REFUSED') throw new Error('unreachable');
    expect(outcome.locks!.map((l) => l.stackName)).toEqual(['orders-green', `route53:${ZONE}/${RECORD}`]);
    expect(outcome.refusals[0]).toMatch(/^the idle slot orders-green \(a double clone of that stack, or a retire of it\) is locked by execution /);
    expect(outcome.refusals[1]).toContain('the lock never expires');
    expect(ddb.commandCalls(GetItemCommand).map((c) => c.args[0].input.ConsistentRead)).toEqual([true, true, true]);
    expect(r53.calls()).toHaveLength(0);
    expect(cfn.calls()).toHaveLength(0);
  });

  it('takes over a lock whose expiresAt has passed, as LOCK_TAKE_CONDITION does, and refuses NotTheLiveSlot when the CNAME points at the other slot, with that slot as the survivor', async () => {
    ddb.on(GetItemCommand, { Key: { stackName: { S: 'orders-blue' } } }).resolves({ Item: { stackName: { S: 'orders-blue' }, owner: { S: HOLDER }, expiresAt: { N: String(NOW.getTime() / 1000 - 1) } } });
    cname(GREEN_ELB, 300);
    slot('orders-blue', BLUE_ELB);
    slot('orders-green', GREEN_ELB);
    const outcome = await planMigration(clients, input('orders-blue'), { lockTable: async () => TABLE, now: () => NOW });
    expect(outcome).toMatchObject({ verdict: 'REFUSED', errorName: 'NotTheLiveSlot', survivor: 'orders-green' });
    // Nothing of the discovery: Migrate stops at "Is the stack the live slot?".
    expect(cfn.calls().map((c) => (c.args[0].input as { StackName?: string }).StackName)).toEqual(['orders-blue', 'orders-green']);
    for (const m of others) expect(m.calls()).toHaveLength(0);
  });

  it("gives a CNAME's own TTL for the switch, as the record was read", async () => {
    cname(BLUE_ELB, 300);
    slot('orders-blue', BLUE_ELB);
    cfn.on(DescribeStacksCommand, { StackName: 'orders-green' }).rejects(Object.assign(new Error('Stack with id orders-green does not exist'), { name: 'ValidationError' }));
    const checked = await checkEntryPoint(clients, input('orders-blue') as MigrationInput, PLAN_EXECUTION);
    expect(checked).toMatchObject({ ttlSeconds: 300, entry: { liveSlot: 'orders-blue', idleSlot: 'orders-green', idleExists: false } });
  });

  it('decides as the Choices after "Read the entry point": the live slot first, then the idle slot free', () => {
    const entry = (over: Partial<EntryPointResult>): EntryPointResult => ({
      record: { Name: RECORD, Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: BLUE_ELB }] },
      liveSlot: 'orders-blue',
      idleSlot: 'orders-green',
      idleExists: false,
      liveEndpoint: { dnsName: BLUE_ELB },
      ...over,
    });
    const migration = { stackName: 'orders-blue', entryPoint: { hostedZoneId: ZONE, recordName: RECORD } };
    expect(entryPointRefusal(entry({}), migration)).toBeUndefined();
    expect(entryPointRefusal(entry({ idleExists: true, idleStackStatus: 'UPDATE_ROLLBACK_COMPLETE' }), migration)).toMatchObject({
      errorName: 'IdleSlotOccupied',
      refusals: [expect.stringMatching(/^slots: the idle slot orders-green exists \(UPDATE_ROLLBACK_COMPLETE\)/)],
    });
    // Both wrong: Migrate's first Choice is the live slot's.
    expect(entryPointRefusal(entry({ liveSlot: 'orders-green', idleSlot: 'orders-blue', idleExists: true }), migration)).toMatchObject({ errorName: 'NotTheLiveSlot', survivor: 'orders-green' });
  });
});
