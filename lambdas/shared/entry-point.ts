/**
 * The blue/green entry point as the steps read and write it (issue 11; docs in /work/briefs/bg-design.md):
 * one Route 53 record, a simple A alias or a CNAME, whose value is the endpoint of the live slot.
 * Everything here is pure except readEntryRecords (ListResourceRecordSets).
 */
import type { Stack } from '@aws-sdk/client-cloudformation';
import { ListResourceRecordSetsCommand, type ResourceRecordSet, type Route53Client } from '@aws-sdk/client-route-53';
import type { EntryPointRef, EntryRecord, SlotEndpoint } from './contracts';

/** The template contract: where a slot's service answers (its host is the slot's endpoint). */
export const SERVICE_URL_OUTPUT = 'ServiceUrl';
/** The template contract: the endpoint's own hosted zone (an ALB's CanonicalHostedZoneID), required for an alias record. */
export const SERVICE_ZONE_OUTPUT = 'ServiceHostedZoneId';

/** Record sets listed per page: a name holds a handful of types; more pages are read while the name lasts. */
const PAGE_SIZE = 100;
const MAX_PAGES = 10;

/**
 * A record or domain name as Route 53 compares them: letters lowercase ("Route 53 stores alphabetic
 * characters as lowercase letters"), `\ddd` octal escapes decoded (ListResourceRecordSets returns
 * characters other than a-z, 0-9, - and _ that way, `\052` for `*`), the trailing dot removed (Route 53
 * treats `www.example.com` and `www.example.com.` as identical). Route 53 Developer Guide, "DNS domain
 * name format"; API Reference, ResourceRecordSet.Name.
 */
export function normaliseRecordName(name: string): string {
  return name
    .replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))
    .toLowerCase()
    .replace(/\.$/, '');
}

/**
 * An endpoint's DNS name for comparison: normalised as a record name, and without a leading
 * `dualstack.` (Route 53 shows an alias to a load balancer as `dualstack.<load balancer DNS name>.`,
 * while the stack's ServiceUrl holds the load balancer's DNS name).
 */
export function normaliseEndpoint(name: string): string {
  return normaliseRecordName(name).replace(/^dualstack\./, '');
}

/** A hosted zone id without the `/hostedzone/` prefix some APIs return. */
export function bareZoneId(id: string): string {
  return id.replace(/^\/hostedzone\//, '');
}

/**
 * Every record set named `entryPoint.recordName` in its hosted zone (ListResourceRecordSets from that
 * name: results are sorted by name, so the name's record sets come first and together; pages are read
 * while they last). Empty when there is none. Throws what Route 53 throws (NoSuchHostedZone...).
 */
export async function readEntryRecords(route53: Route53Client, entryPoint: EntryPointRef): Promise<ResourceRecordSet[]> {
  const wanted = normaliseRecordName(entryPoint.recordName);
  const found: ResourceRecordSet[] = [];
  let start: { name?: string; type?: ResourceRecordSet['Type']; identifier?: string } = { name: entryPoint.recordName };
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await route53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: entryPoint.hostedZoneId,
        StartRecordName: start.name,
        ...(start.type ? { StartRecordType: start.type } : {}),
        ...(start.identifier ? { StartRecordIdentifier: start.identifier } : {}),
        MaxItems: PAGE_SIZE,
      }),
    );
    for (const r of out.ResourceRecordSets ?? []) {
      if (normaliseRecordName(r.Name ?? '') !== wanted) return found;
      found.push(r);
    }
    if (!out.IsTruncated || !out.NextRecordName) return found;
    start = { name: out.NextRecordName, type: out.NextRecordType, identifier: out.NextRecordIdentifier };
  }
  return found;
}

/** The routing policy a record set with a SetIdentifier uses, in words. */
function routingPolicyOf(r: ResourceRecordSet): string {
  if (r.Weight !== undefined) return 'weighted';
  if (r.Region !== undefined) return 'latency';
  if (r.Failover !== undefined) return 'failover';
  if (r.GeoLocation !== undefined) return 'geolocation';
  if (r.GeoProximityLocation !== undefined) return 'geoproximity';
  if (r.CidrRoutingConfig !== undefined) return 'IP-based';
  if (r.MultiValueAnswer !== undefined) return 'multivalue answer';
  return 'non-simple';
}

/**
 * The one record set the switch may change among those of the entry point's name: a simple A alias
 * or a simple CNAME, as an EntryRecord holding every value Route 53 gave (a DELETE must repeat them
 * all). Otherwise the problems, each naming why: no record; a routing policy (several record sets
 * share the name: switching one would leave the others sending traffic to the previous slot); an A
 * record of addresses (no slot endpoint is an address); an AAAA record (alone it cannot be switched
 * here; beside the A record it would keep IPv6 clients on the previous slot); a traffic policy's record.
 * Pure.
 */
export function pickEntryRecord(records: ResourceRecordSet[], entryPoint: EntryPointRef): { record: EntryRecord } | { problems: string[] } {
  const name = entryPoint.recordName;
  const where = `in hosted zone ${entryPoint.hostedZoneId}`;
  const relevant = records.filter((r) => r.Type === 'A' || r.Type === 'AAAA' || r.Type === 'CNAME');
  if (relevant.length === 0) {
    const others = [...new Set(records.map((r) => r.Type))].join(', ');
    return { problems: [`there is no A or CNAME record ${name} ${where}${others ? ` (only ${others})` : ''}: the entry point must exist and point at the live slot`] };
  }
  const problems: string[] = [];
  const routed = relevant.filter((r) => r.SetIdentifier !== undefined);
  for (const r of routed) {
    problems.push(
      `record ${name} (${r.Type}) uses a ${routingPolicyOf(r)} routing policy (set identifier ${r.SetIdentifier}): blue/green switches one simple record, and the other record sets of the name would keep sending traffic where they point`,
    );
  }
  if (routed.length) return { problems };
  const a = relevant.find((r) => r.Type === 'A');
  const cname = relevant.find((r) => r.Type === 'CNAME');
  const aaaa = relevant.find((r) => r.Type === 'AAAA');
  if (aaaa && a) {
    problems.push(`record ${name} has an AAAA record besides its A record: switching the A record alone would leave IPv6 clients on the previous slot`);
  } else if (aaaa) {
    problems.push(`record ${name} is an AAAA record only: the entry point must be an A alias or a CNAME`);
  }
  const chosen = cname ?? a;
  if (!chosen) return { problems };
  if (chosen.TrafficPolicyInstanceId) problems.push(`record ${name} was created by traffic policy instance ${chosen.TrafficPolicyInstanceId}: change it through the traffic policy, not here`);
  if (chosen.Type === 'A' && !chosen.AliasTarget) {
    const values = (chosen.ResourceRecords ?? []).map((v) => v.Value).join(', ');
    problems.push(`record ${name} is an A record of addresses (${values}), not an alias: it cannot point at a slot's endpoint, which is a DNS name`);
  }
  if (chosen.Type === 'CNAME' && (chosen.ResourceRecords ?? []).length !== 1) {
    problems.push(`CNAME record ${name} has ${(chosen.ResourceRecords ?? []).length} values, not one`);
  }
  if (problems.length) return { problems };
  return { record: entryRecordOf(chosen) };
}

/** The SDK's record set as an EntryRecord: the fields a simple A alias or CNAME holds, none added, none dropped. */
function entryRecordOf(r: ResourceRecordSet): EntryRecord {
  return {
    Name: r.Name ?? '',
    Type: r.Type as EntryRecord['Type'],
    ...(r.TTL !== undefined ? { TTL: r.TTL } : {}),
    ...(r.ResourceRecords ? { ResourceRecords: r.ResourceRecords.map((v) => ({ Value: v.Value ?? '' })) } : {}),
    ...(r.AliasTarget
      ? { AliasTarget: { HostedZoneId: r.AliasTarget.HostedZoneId ?? '', DNSName: r.AliasTarget.DNSName ?? '', EvaluateTargetHealth: r.AliasTarget.EvaluateTargetHealth ?? false } }
      : {}),
    ...(r.HealthCheckId !== undefined ? { HealthCheckId: r.HealthCheckId } : {}),
  };
}

/** The DNS name the record sends clients to (alias target or CNAME value), normalised as an endpoint. */
export function recordTarget(record: EntryRecord): string {
  return normaliseEndpoint(record.AliasTarget?.DNSName ?? record.ResourceRecords?.[0]?.Value ?? '');
}

/** Whether the record points at the endpoint: same DNS name, and for an alias the same hosted zone. */
export function pointsAt(record: EntryRecord, endpoint: SlotEndpoint): boolean {
  if (recordTarget(record) !== normaliseEndpoint(endpoint.dnsName)) return false;
  if (!record.AliasTarget) return true;
  return endpoint.hostedZoneId !== undefined && bareZoneId(record.AliasTarget.HostedZoneId) === bareZoneId(endpoint.hostedZoneId);
}

/**
 * Whether two EntryRecords are the same record with the same values, up to the spelling Route 53
 * does not distinguish (letter case, trailing dot, octal escapes, `dualstack.`, a `/hostedzone/`
 * prefix). Pure.
 */
export function sameRecord(a: EntryRecord, b: EntryRecord): boolean {
  const canonical = (r: EntryRecord) =>
    JSON.stringify([
      normaliseRecordName(r.Name),
      r.Type,
      r.TTL ?? null,
      r.HealthCheckId ?? null,
      (r.ResourceRecords ?? []).map((v) => normaliseEndpoint(v.Value)).sort(),
      r.AliasTarget ? [bareZoneId(r.AliasTarget.HostedZoneId), normaliseEndpoint(r.AliasTarget.DNSName), r.AliasTarget.EvaluateTargetHealth] : null,
    ]);
  return canonical(a) === canonical(b);
}

/**
 * The record pointing at `target`, everything else kept: an alias keeps its EvaluateTargetHealth and
 * takes the target's hosted zone; a CNAME keeps its TTL. Returns a problem instead when the record is
 * an alias and the target has no hosted zone id (Route 53 requires one for an alias target). Pure.
 */
export function retargeted(record: EntryRecord, target: SlotEndpoint): EntryRecord | string {
  if (record.AliasTarget) {
    if (!target.hostedZoneId) {
      return `record ${record.Name} is an alias, and the target ${target.dnsName} has no hosted zone id (stack output ${SERVICE_ZONE_OUTPUT})`;
    }
    return { ...record, AliasTarget: { HostedZoneId: target.hostedZoneId, DNSName: target.dnsName, EvaluateTargetHealth: record.AliasTarget.EvaluateTargetHealth } };
  }
  return { ...record, ResourceRecords: [{ Value: target.dnsName }] };
}

/**
 * Where a slot's stack answers, from its outputs: the host of `ServiceUrl` and, when present,
 * `ServiceHostedZoneId`. A problem naming the stack when ServiceUrl is missing or not a URL. Pure.
 */
export function slotEndpoint(stack: Stack): SlotEndpoint | string {
  const outputs = new Map((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  const name = stack.StackName ?? '?';
  const url = outputs.get(SERVICE_URL_OUTPUT);
  if (url === undefined || url === '') {
    return `slot ${name} (${stack.StackStatus ?? 'status unknown'}) has no ${SERVICE_URL_OUTPUT} output: where it answers cannot be known (template contract)`;
  }
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return `slot ${name}: output ${SERVICE_URL_OUTPUT} "${url}" is not a URL`;
  }
  if (!host) return `slot ${name}: output ${SERVICE_URL_OUTPUT} "${url}" has no host`;
  const zone = outputs.get(SERVICE_ZONE_OUTPUT);
  return { dnsName: host, ...(zone ? { hostedZoneId: zone } : {}) };
}
