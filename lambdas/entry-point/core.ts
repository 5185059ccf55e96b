import type { CloudFormationClient, Stack } from '@aws-sdk/client-cloudformation';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { EntryPointEvent, EntryPointResult, SlotEndpoint } from '../shared/contracts';
import { bareZoneId, normaliseEndpoint, pickEntryRecord, readEntryRecords, recordTarget, SERVICE_ZONE_OUTPUT, slotEndpoint } from '../shared/entry-point';
import { EntryPointInvalid } from '../shared/errors';
import { describeStack } from '../shared/stacks';

export interface EntryPointClients {
  route53: Route53Client;
  cfn: CloudFormationClient;
}

/**
 * The first step of a blue/green run, before anything changes: reads the entry point's record
 * (ListResourceRecordSets) and both slot stacks (DescribeStacks: the idle one may not exist), and
 * tells which slot the record points at by comparing its value with each existing slot's endpoint
 * (the host of its ServiceUrl output). Returns the record exactly as read (what the switch must
 * DELETE), the live and idle slots and the live slot's endpoint (where a switch back points).
 * Throws EntryPointInvalid naming why when the record is missing or not a simple A alias or CNAME,
 * when it points at no slot or at both, when an existing slot lacks ServiceUrl, or when the record is
 * an alias and the live slot lacks a ServiceHostedZoneId output that matches it (a switch back needs it).
 */
export async function entryPoint(clients: EntryPointClients, event: EntryPointEvent): Promise<EntryPointResult> {
  const [first, second] = event.slots;
  if (first === second) throw new EntryPointInvalid([`both slots name stack ${first}: blue/green needs two stacks`]);
  const picked = pickEntryRecord(await readEntryRecords(clients.route53, event.entryPoint), event.entryPoint);
  if ('problems' in picked) throw new EntryPointInvalid(picked.problems);
  const { record } = picked;

  const stacks = new Map<string, Stack | undefined>();
  for (const slot of event.slots) stacks.set(slot, await describeStack(clients.cfn, slot));
  const problems: string[] = [];
  const endpoints = new Map<string, SlotEndpoint>();
  for (const [slot, stack] of stacks) {
    if (!stack) continue;
    const endpoint = slotEndpoint(stack);
    if (typeof endpoint === 'string') problems.push(endpoint);
    else endpoints.set(slot, endpoint);
  }
  if (problems.length) throw new EntryPointInvalid(problems);

  const target = recordTarget(record);
  const pointed = [...endpoints].filter(([, endpoint]) => normaliseEndpoint(endpoint.dnsName) === target);
  const described = event.slots.map((slot) => `${slot}: ${endpoints.get(slot)?.dnsName ?? 'does not exist'}`).join(', ');
  if (pointed.length === 0) {
    throw new EntryPointInvalid([`record ${record.Name} points at ${target}, which is neither slot's endpoint (${described}): the live slot cannot be told`]);
  }
  if (pointed.length > 1) {
    throw new EntryPointInvalid([`record ${record.Name} points at ${target}, the endpoint of both slots (${described}): the slots must answer at endpoints of their own`]);
  }
  const [[liveSlot, liveEndpoint]] = pointed as [[string, SlotEndpoint]];
  if (record.AliasTarget) {
    // The record's own zone is what Route 53 accepted for this endpoint; a switch back writes the output's.
    if (!liveEndpoint.hostedZoneId) {
      throw new EntryPointInvalid([
        `record ${record.Name} is an alias and the live slot ${liveSlot} has no ${SERVICE_ZONE_OUTPUT} output: a switch back to it could not be written (template contract)`,
      ]);
    }
    if (bareZoneId(liveEndpoint.hostedZoneId) !== bareZoneId(record.AliasTarget.HostedZoneId)) {
      throw new EntryPointInvalid([
        `record ${record.Name} aliases ${target} in hosted zone ${record.AliasTarget.HostedZoneId}, but the live slot ${liveSlot} gives ${SERVICE_ZONE_OUTPUT} ${liveEndpoint.hostedZoneId}: a switch back would write a wrong alias`,
      ]);
    }
  }
  const idleSlot = liveSlot === first ? second : first;
  const idle = stacks.get(idleSlot);
  return {
    record,
    liveSlot,
    idleSlot,
    idleExists: idle !== undefined,
    ...(idle ? { idleStackStatus: idle.StackStatus ?? 'UNKNOWN' } : {}),
    liveEndpoint,
  };
}
