import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, Route53Client, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { EntryRecord, SwitchEntryPointEvent } from '../../lambdas/shared/contracts';
import { classifyAwsError, EntryPointChanged, EntryPointInvalid, RETRYABLE_ERRORS } from '../../lambdas/shared/errors';
import { switchEntryPoint } from '../../lambdas/switch-entry-point/core';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const ZONE = 'Z0HOSTED';
const ELB_ZONE = 'Z32O12XQLNTSW2';
const BLUE_ELB = 'orders-blue-alb-111.eu-west-1.elb.amazonaws.com';
const GREEN_ELB = 'orders-green-alb-222.eu-west-1.elb.amazonaws.com';
const NOW = new Date('2030-01-01T12:00:00Z');

const r53Mock = mockClient(Route53Client);
const route53 = new Route53Client({});

const BLUE_ALIAS: EntryRecord = { Name: 'app.example.com.', Type: 'A', AliasTarget: { HostedZoneId: ELB_ZONE, DNSName: `dualstack.${BLUE_ELB}.`, EvaluateTargetHealth: true } };
const BLUE_CNAME: EntryRecord = { Name: 'app.example.com.', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: BLUE_ELB }] };

function event(record: EntryRecord, extra: Partial<SwitchEntryPointEvent> = {}): SwitchEntryPointEvent {
  return {
    entryPoint: { hostedZoneId: ZONE, recordName: 'app.example.com' },
    record,
    target: { dnsName: GREEN_ELB, hostedZoneId: ELB_ZONE },
    execution: EXECUTION,
    comment: 'env-migrator run-1: orders-blue -> orders-green',
    ...extra,
  };
}

/**
 * A hosted zone in memory that answers like Route 53 where the switch depends on it: a batch is all
 * or nothing, a DELETE must match the record's values, a CREATE of an existing record fails.
 */
function zone(initial: ResourceRecordSet[]) {
  let sets = structuredClone(initial);
  let changes = 0;
  const same = (a: ResourceRecordSet, b: ResourceRecordSet) => JSON.stringify(a) === JSON.stringify(b);
  r53Mock.on(ListResourceRecordSetsCommand).callsFake(() => ({ ResourceRecordSets: structuredClone(sets), IsTruncated: false, MaxItems: 100 }));
  r53Mock.on(ChangeResourceRecordSetsCommand).callsFake((input: { ChangeBatch: { Changes: { Action: string; ResourceRecordSet: ResourceRecordSet }[] } }) => {
    let next = structuredClone(sets);
    for (const c of input.ChangeBatch.Changes) {
      const rr = structuredClone(c.ResourceRecordSet);
      if (c.Action === 'DELETE') {
        if (!next.some((s) => same(s, rr))) throw Object.assign(new Error(`Tried to delete resource record set [name='${rr.Name}', type='${rr.Type}'] but the values provided do not match the current values`), { name: 'InvalidChangeBatch', $metadata: { httpStatusCode: 400 } });
        next = next.filter((s) => !same(s, rr));
      } else {
        if (next.some((s) => s.Name === rr.Name && s.Type === rr.Type)) throw Object.assign(new Error('already exists'), { name: 'InvalidChangeBatch', $metadata: { httpStatusCode: 400 } });
        next.push(rr);
      }
    }
    sets = next;
    changes += 1;
    return { ChangeInfo: { Id: `/change/C0000${changes}`, Status: 'PENDING', SubmittedAt: new Date('2030-01-01T12:00:01Z') } };
  });
  return { records: () => sets, changes: () => changes, set: (s: ResourceRecordSet[]) => (sets = structuredClone(s)) };
}

beforeEach(() => r53Mock.reset());

describe('switch-entry-point', () => {
  it('sends one batch: DELETE of the record exactly as read, CREATE of the alias to the target (its zone, the same EvaluateTargetHealth)', async () => {
    const z = zone([BLUE_ALIAS]);
    const result = await switchEntryPoint(route53, event(BLUE_ALIAS), NOW);
    const calls = r53Mock.commandCalls(ChangeResourceRecordSetsCommand);
    expect(calls).toHaveLength(1);
    const green: EntryRecord = { Name: 'app.example.com.', Type: 'A', AliasTarget: { HostedZoneId: ELB_ZONE, DNSName: GREEN_ELB, EvaluateTargetHealth: true } };
    expect(calls[0]!.args[0].input).toEqual({
      HostedZoneId: ZONE,
      ChangeBatch: {
        Comment: 'env-migrator run-1: orders-blue -> orders-green',
        Changes: [
          { Action: 'DELETE', ResourceRecordSet: BLUE_ALIAS },
          { Action: 'CREATE', ResourceRecordSet: green },
        ],
      },
    });
    expect(result).toEqual({ changeId: 'C00001', submittedAt: '2030-01-01T12:00:01.000Z', record: green, alreadyApplied: false });
    expect(z.records()).toEqual([green]);
  });

  it('keeps a CNAME\'s TTL and gives it the target as its one value', async () => {
    zone([BLUE_CNAME]);
    const result = await switchEntryPoint(route53, event(BLUE_CNAME, { target: { dnsName: GREEN_ELB } }), NOW);
    const [, create] = r53Mock.commandCalls(ChangeResourceRecordSetsCommand)[0]!.args[0].input.ChangeBatch!.Changes!;
    expect(create).toEqual({ Action: 'CREATE', ResourceRecordSet: { Name: 'app.example.com.', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: GREEN_ELB }] } });
    expect(result.record).toEqual(create!.ResourceRecordSet);
  });

  it('on a retry after a lost answer (the first batch applied) makes no second change: changeId null, the record as it now is', async () => {
    const z = zone([BLUE_ALIAS]);
    const first = await switchEntryPoint(route53, event(BLUE_ALIAS), NOW);
    // Step Functions retries the same event: the first answer never arrived.
    const retry = await switchEntryPoint(route53, event(BLUE_ALIAS), new Date('2030-01-01T12:00:05Z'));
    expect(z.changes()).toBe(1);
    expect(r53Mock.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(1);
    expect(retry).toEqual({ changeId: null, submittedAt: '2030-01-01T12:00:05.000Z', record: first.record, alreadyApplied: true });
  });

  it("within one invocation, the SDK's retry of a batch whose answer was lost (refused: its DELETE no longer matches) is this switch applied once, not someone else's change", async () => {
    const z = zone([BLUE_ALIAS]);
    const green: EntryRecord = { Name: 'app.example.com.', Type: 'A', AliasTarget: { HostedZoneId: ELB_ZONE, DNSName: GREEN_ELB, EvaluateTargetHealth: true } };
    // Route 53 applied the batch; the SDK saw a reset and sent it again, which Route 53 refuses.
    r53Mock.on(ChangeResourceRecordSetsCommand).callsFakeOnce(() => {
      z.set([green]);
      throw Object.assign(new Error("Tried to delete resource record set [name='app.example.com.', type='A'] but the values provided do not match the current values"), {
        name: 'InvalidChangeBatch',
        $metadata: { httpStatusCode: 400 },
      });
    });
    const result = await switchEntryPoint(route53, event(BLUE_ALIAS), NOW);
    expect(result).toEqual({ changeId: null, submittedAt: NOW.toISOString(), record: green, alreadyApplied: true });
    expect(z.records()).toEqual([green]);
  });

  it('refuses, sending nothing, when the record read is no longer the one given: someone else changed it', async () => {
    zone([{ ...BLUE_ALIAS, AliasTarget: { ...BLUE_ALIAS.AliasTarget!, DNSName: 'dualstack.someone-else.elb.amazonaws.com.' } }]);
    const err = await switchEntryPoint(route53, event(BLUE_ALIAS), NOW).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EntryPointChanged);
    expect((err as Error).name).toBe('EntryPointChanged');
    expect((err as Error).message).toMatch(/changed by someone else since it was read: it was an A alias to dualstack\.orders-blue.*it is now an A alias to dualstack\.someone-else/);
    expect(r53Mock.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
  });

  it('refuses when the record was deleted since it was read', async () => {
    zone([]);
    await expect(switchEntryPoint(route53, event(BLUE_ALIAS), NOW)).rejects.toThrow(EntryPointChanged);
    expect(r53Mock.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
  });

  it('turns InvalidChangeBatch into EntryPointChanged when the record changed between the read and the batch, which is never retried', async () => {
    const z = zone([BLUE_ALIAS]);
    const someoneElse: ResourceRecordSet = { ...BLUE_ALIAS, AliasTarget: { ...BLUE_ALIAS.AliasTarget!, EvaluateTargetHealth: false } };
    // The race: another writer's change lands after our read, before our batch.
    r53Mock.on(ChangeResourceRecordSetsCommand).callsFakeOnce(() => {
      z.set([someoneElse]);
      throw Object.assign(new Error("Tried to delete resource record set [name='app.example.com.', type='A'] but the values provided do not match the current values"), {
        name: 'InvalidChangeBatch',
        $metadata: { httpStatusCode: 400 },
      });
    });
    const err = await switchEntryPoint(route53, event(BLUE_ALIAS), NOW).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EntryPointChanged);
    expect((err as Error).message).toMatch(/evaluate target health false.*InvalidChangeBatch: Tried to delete/);
    expect(classifyAwsError(err)).toBe(err);
    expect(RETRYABLE_ERRORS).not.toContain((err as Error).name);
    expect(z.records()).toEqual([someoneElse]);
  });

  it('turns InvalidChangeBatch for the new record itself (the record unchanged) into EntryPointInvalid', async () => {
    zone([BLUE_ALIAS]);
    r53Mock.on(ChangeResourceRecordSetsCommand).rejectsOnce(
      Object.assign(new Error('Tried to create an alias that targets x., type A in zone Z, but the alias target name does not lie within the target zone'), { name: 'InvalidChangeBatch', $metadata: { httpStatusCode: 400 } }),
    );
    const err = await switchEntryPoint(route53, event(BLUE_ALIAS), NOW).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EntryPointInvalid);
    expect((err as Error).message).toMatch(/Route 53 refused the record pointing app\.example\.com\. at orders-green.*does not lie within the target zone/);
  });

  it('refuses an alias switch to a target without a hosted zone id before any call', async () => {
    zone([BLUE_ALIAS]);
    await expect(switchEntryPoint(route53, event(BLUE_ALIAS, { target: { dnsName: GREEN_ELB } }), NOW)).rejects.toThrow(/is an alias, and the target .* has no hosted zone id/);
    expect(r53Mock.calls()).toHaveLength(0);
  });

  it('switches back from the record it wrote even when Route 53 lists it in its own spelling (lowercase, trailing dot)', async () => {
    const z = zone([BLUE_ALIAS]);
    const there = await switchEntryPoint(route53, event(BLUE_ALIAS), NOW);
    const listed: ResourceRecordSet = { ...there.record, AliasTarget: { ...there.record.AliasTarget!, DNSName: `${GREEN_ELB.toUpperCase()}.` } };
    z.set([listed]);
    const back = await switchEntryPoint(route53, event(there.record, { target: { dnsName: BLUE_ELB, hostedZoneId: ELB_ZONE } }), NOW);
    expect(back.alreadyApplied).toBe(false);
    // The DELETE repeats the record as Route 53 lists it, so its values match exactly.
    expect(r53Mock.commandCalls(ChangeResourceRecordSetsCommand)[1]!.args[0].input.ChangeBatch!.Changes![0]).toEqual({ Action: 'DELETE', ResourceRecordSet: listed });
    expect(z.records()).toEqual([{ ...BLUE_ALIAS, AliasTarget: { ...BLUE_ALIAS.AliasTarget!, DNSName: BLUE_ELB } }]);
  });
});
