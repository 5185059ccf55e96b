/**
 * Simulated Amazon Route 53: hosted zones and their record sets (simple routing only: A, AAAA,
 * CNAME, TXT..., alias A/AAAA records to a load balancer or to a record of the same zone), the
 * change batches that edit them, and the DNS answers a client gets for a name, which
 * SimAccount.fetch uses to reach the host a record points at. Blue/green (issue 11) switches its
 * entry point with one ChangeResourceRecordSets batch and waits for GetChange INSYNC.
 *
 * The rules modelled, each with its source (never kinder than Route 53 where the switch's safety
 * depends on it):
 * - "Change batches are considered transactional changes. Route 53 validates the changes in the
 *   request and then either makes all or none of the changes in the change batch request" and
 *   "To delete a resource record set, you must specify all the same values that you specified when
 *   you created it" (API reference, ChangeResourceRecordSets). Modelled: every change is validated in
 *   order against a working copy of the zone (so DELETE then CREATE of one name works), and the copy
 *   replaces the zone only when no change failed. A DELETE must match name, type, TTL, the set of
 *   values and the alias target exactly: the optimistic concurrency the switch relies on.
 * - Failure messages, as Route 53 words them (quoted in public bug reports: aws/aws-sdk-java#1996,
 *   boto/boto3#1475, kubernetes-sigs/external-dns#732, boto/boto#2887, aws/aws-cdk#19643):
 *   "Tried to create resource record set [name='x.', type='A'] but it already exists",
 *   "Tried to delete resource record set [name='x.', type='A'] but it was not found",
 *   "... but the values provided do not match the current values",
 *   "RRSet of type CNAME with DNS name x. is not permitted as it conflicts with other records with
 *   the same DNS name in zone z.", "RRSet of type A with DNS name x. is not permitted because a
 *   conflicting RRSet of type  CNAME with the same DNS name already exists in zone z." (sic, two
 *   spaces), "RRSet of type CNAME with DNS name z. is not permitted at apex in zone z.", and for
 *   alias targets "Tried to create an alias that targets t., type A in zone Z, but the alias target
 *   name does not lie within the target zone" / "... but that target was not found". The DNS rule
 *   behind the CNAME ones: no CNAME at the zone apex, nor beside another record of the same name
 *   (developer guide, "Supported DNS record types", CNAME).
 * - GetChange: "PENDING indicates that the changes in this request have not propagated to all
 *   Amazon Route 53 DNS servers managing the hosted zone. This is the initial status of all change
 *   batch requests. INSYNC indicates that the changes have propagated" (API reference, GetChange);
 *   "Changes generally propagate to all Route 53 name servers within 60 seconds" (developer guide,
 *   "Editing records"). Modelled: PENDING for TimingProfile.route53PropagationSeconds after the
 *   batch, then INSYNC; until then a DNS answer may still be the old value, so the simulated
 *   resolver answers the old one.
 * - Resolvers cache an answer for its TTL. An alias record's TTL is not set by the caller: "If an
 *   alias record points to an AWS resource, you can't set the time to live (TTL); Route 53 uses the
 *   default TTL for the resource" (developer guide, "Choosing between alias and non-alias records");
 *   for ELB it is 60 s ("ELB and S3 website endpoints ... alias records that have a fixed TTL of 60
 *   seconds", Route 53 FAQs, DNS failover). An alias to a record of the same zone takes that
 *   record's TTL. Modelled: a caller sees a new answer only once the change is INSYNC and the
 *   previous answer's TTL has passed since then (resolverAnswer).
 * - ListResourceRecordSets "sorts results first by DNS name with the labels reversed, for example:
 *   com.example.www." then by type, at most 300 per page, starting at the first record whose name
 *   is >= StartRecordName (and type >= StartRecordType); a type without a name is InvalidInput; it
 *   "returns the most current version of the records", PENDING ones included (API reference,
 *   ListResourceRecordSets).
 * - Names: Route 53 answers fully qualified names, lowercase, with the trailing dot; escapes
 *   (`\052` for `*`) are not modelled. A new zone holds its SOA and NS records at the apex.
 * - CreateHostedZone: CallerReference makes the request idempotent; a second zone with a used
 *   reference is HostedZoneAlreadyExists (API reference, CreateHostedZone). A missing zone is
 *   NoSuchHostedZone (404), a missing change NoSuchChange (404).
 *
 * Not modelled: routing policies (SetIdentifier), health checks, DNSSEC, the batch size limits,
 * negative caching (a name queried before it existed is answered as soon as it is INSYNC).
 */
import type {
  ChangeInfo,
  ChangeResourceRecordSetsCommandInput,
  CreateHostedZoneCommandInput,
  HostedZone,
  ListResourceRecordSetsCommandInput,
  ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import type { SimAccount } from './account';
import { ALB_CANONICAL_HOSTED_ZONE_ID } from './cloudformation';
import { type OpHandler, type OpInput, SimServiceError, type SimService } from './core';
import { IdSource } from './ids';

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** An alias to an ELB load balancer is cached for 60 s (Route 53 FAQs, see above). */
export const ELB_ALIAS_TTL_SECONDS = 60;
const LIST_PAGE = 300;
const MAX_CHAIN = 8;

/** A record set as Route 53 stores it: name normalised, values as given, alias DNSName normalised. */
export interface StoredRecordSet {
  Name: string;
  Type: string;
  TTL?: number;
  ResourceRecords?: { Value: string }[];
  AliasTarget?: { HostedZoneId: string; DNSName: string; EvaluateTargetHealth: boolean };
}

/** One state of a name's answer, from the change batch that set it. */
interface AnswerVersion {
  /** The record sets of the name after the batch (none: the name was deleted). */
  records: StoredRecordSet[];
  /** When the batch reached every Route 53 server (ms); seeded records: -Infinity. */
  insyncAt: number;
}

interface ZoneRecord {
  id: string;
  name: string;
  callerReference: string;
  privateZone: boolean;
  comment?: string;
  /** `name|type` → record set. */
  records: Map<string, StoredRecordSet>;
  /** name → its answers over time, oldest first. */
  history: Map<string, AnswerVersion[]>;
}

interface ChangeRecord {
  id: string;
  submittedAt: number;
  insyncAt: number;
  comment?: string;
}

/** What a client's resolver answers for a host name. */
export type Resolution =
  /** The name is in no simulated zone: not ours to answer. */
  | { kind: 'foreign' }
  /** No address (no such record, or not yet visible): a connection fails as for a dead endpoint. */
  | { kind: 'nxdomain' }
  /** The host the name leads to (a load balancer's DNS name, or an address). */
  | { kind: 'host'; host: string };

/** Lowercase, fully qualified with the trailing dot. */
export function normaliseName(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/** The host an alias or CNAME value names: lowercase, no trailing dot, no `dualstack.` (an ELB alias's prefix). */
export function hostOf(dnsName: string): string {
  return dnsName.trim().toLowerCase().replace(/\.$/, '').replace(/^dualstack\./, '');
}

const sortKey = (name: string) => `${name.replace(/\.$/, '').split('.').reverse().join('.')}.`;
const compareKeys = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const bareZoneId = (id: string) => id.replace(/^\/hostedzone\//, '');
const bareChangeId = (id: string) => id.replace(/^\/change\//, '');

function copyRecord(r: StoredRecordSet): StoredRecordSet {
  return {
    Name: r.Name,
    Type: r.Type,
    ...(r.TTL !== undefined ? { TTL: r.TTL } : {}),
    ...(r.ResourceRecords ? { ResourceRecords: r.ResourceRecords.map((v) => ({ Value: v.Value })) } : {}),
    ...(r.AliasTarget ? { AliasTarget: { ...r.AliasTarget } } : {}),
  };
}

function sameValues(a: StoredRecordSet, b: StoredRecordSet): boolean {
  if (a.TTL !== b.TTL) return false;
  const values = (r: StoredRecordSet) => (r.ResourceRecords ?? []).map((v) => v.Value).sort();
  const va = values(a);
  const vb = values(b);
  if (va.length !== vb.length || va.some((v, i) => v !== vb[i])) return false;
  if (!a.AliasTarget || !b.AliasTarget) return !a.AliasTarget && !b.AliasTarget;
  return (
    a.AliasTarget.HostedZoneId === b.AliasTarget.HostedZoneId &&
    a.AliasTarget.DNSName === b.AliasTarget.DNSName &&
    a.AliasTarget.EvaluateTargetHealth === b.AliasTarget.EvaluateTargetHealth
  );
}

const invalidInput = (message: string) => new SimServiceError('InvalidInput', message, 400);

/** InvalidChangeBatch carries the list of messages (`messages`) as the SDK's error class does. */
function invalidChangeBatch(messages: string[]): SimServiceError {
  const e = new SimServiceError('InvalidChangeBatch', messages.length === 1 ? messages[0]! : `[${messages.join(', ')}]`, 400);
  Object.assign(e, { messages });
  return e;
}

export class Route53Sim implements SimService {
  readonly serviceName = 'Route53';
  readonly operations: Record<string, OpHandler>;

  private readonly zones = new Map<string, ZoneRecord>();
  private readonly changes = new Map<string, ChangeRecord>();
  private readonly ids = new IdSource('route53');

  constructor(private readonly account: SimAccount) {
    this.operations = {
      CreateHostedZone: (i) => this.opCreateHostedZone(i),
      GetHostedZone: (i) => this.opGetHostedZone(i),
      ListResourceRecordSets: (i) => this.opListResourceRecordSets(i),
      ChangeResourceRecordSets: (i) => this.opChangeResourceRecordSets(i),
      GetChange: (i) => this.opGetChange(i),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Internal API (seeding, tests, SimAccount.fetch)
  // -------------------------------------------------------------------------------------------

  /** Creates a hosted zone (with its SOA and NS records) as if long ago; returns its bare ID ("Z0..."). */
  createHostedZone(name: string, options: { privateZone?: boolean; comment?: string; callerReference?: string } = {}): string {
    return this.newZone(normaliseName(name), options.callerReference ?? `seed-${name}`, options.privateZone ?? false, options.comment, -Infinity).id;
  }

  /** Puts a record set into a zone as if it had been there, in sync and cached everywhere, for long. */
  seedRecord(zoneId: string, record: ResourceRecordSet): void {
    const zone = this.zone(zoneId);
    const stored = this.stored(record);
    zone.records.set(`${stored.Name}|${stored.Type}`, stored);
    this.recordHistory(zone, [stored.Name], -Infinity);
  }

  /** The record sets of a zone as ListResourceRecordSets would list them. */
  recordSets(zoneId: string): StoredRecordSet[] {
    return this.sorted(this.zone(zoneId)).map(copyRecord);
  }

  /**
   * What a client resolving `host` now is answered: the chain of CNAME and alias records followed
   * through the simulated zones, each link as a resolver sees it (resolverAnswer).
   */
  resolve(host: string): Resolution {
    const now = this.account.now();
    let name = normaliseName(host);
    if (!this.zoneOf(name)) return { kind: 'foreign' };
    for (let hop = 0; hop < MAX_CHAIN; hop++) {
      const zone = this.zoneOf(name);
      if (!zone) return { kind: 'host', host: hostOf(name) };
      const records = this.resolverAnswer(zone, name, now);
      const cname = records.find((r) => r.Type === 'CNAME');
      const address = records.find((r) => r.Type === 'A' || r.Type === 'AAAA');
      const next = cname ? cname.ResourceRecords?.[0]?.Value : address?.AliasTarget ? address.AliasTarget.DNSName : undefined;
      if (next !== undefined) {
        name = normaliseName(hostOf(next));
        continue;
      }
      const ip = address?.ResourceRecords?.[0]?.Value;
      return ip ? { kind: 'host', host: ip } : { kind: 'nxdomain' };
    }
    return { kind: 'nxdomain' };
  }

  // -------------------------------------------------------------------------------------------
  // Model
  // -------------------------------------------------------------------------------------------

  private newZone(name: string, callerReference: string, privateZone: boolean, comment: string | undefined, since: number): ZoneRecord {
    const id = `Z0${this.ids.next(19, UPPER_ALNUM)}`;
    const zone: ZoneRecord = { id, name, callerReference, privateZone, comment, records: new Map(), history: new Map() };
    // Every zone starts with its SOA and NS records (developer guide, "NS and SOA records that
    // Amazon Route 53 creates for a public hosted zone"); their values here are illustrative.
    const ns = [1, 2, 3, 4].map((n) => `ns-${n}${this.ids.next(3, '0123456789')}.awsdns-${this.ids.next(2, '0123456789')}.${['com', 'net', 'org', 'co.uk'][n - 1]}.`);
    zone.records.set(`${name}|NS`, { Name: name, Type: 'NS', TTL: 172_800, ResourceRecords: ns.map((Value) => ({ Value })) });
    zone.records.set(`${name}|SOA`, { Name: name, Type: 'SOA', TTL: 900, ResourceRecords: [{ Value: `${ns[0]} awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400` }] });
    this.zones.set(id, zone);
    this.recordHistory(zone, [name], since);
    return zone;
  }

  private zone(id: unknown): ZoneRecord {
    const bare = typeof id === 'string' ? bareZoneId(id) : '';
    const zone = this.zones.get(bare);
    if (!zone) throw new SimServiceError('NoSuchHostedZone', `No hosted zone found with ID: ${bare}`, 404);
    return zone;
  }

  /** The most specific zone whose domain holds `name` (private and public zones alike: the caller is inside the VPC). */
  private zoneOf(name: string): ZoneRecord | undefined {
    let best: ZoneRecord | undefined;
    for (const zone of this.zones.values()) {
      if ((name === zone.name || name.endsWith(`.${zone.name}`)) && (!best || zone.name.length > best.name.length)) best = zone;
    }
    return best;
  }

  private sorted(zone: ZoneRecord): StoredRecordSet[] {
    return [...zone.records.values()].sort((a, b) => compareKeys(sortKey(a.Name), sortKey(b.Name)) || compareKeys(a.Type, b.Type));
  }

  /** A record set from a request, as Route 53 would store it; throws InvalidInput for what it refuses outright. */
  private stored(r: ResourceRecordSet | undefined): StoredRecordSet {
    if (!r?.Name || !r.Type) throw invalidInput('Invalid request: a ResourceRecordSet needs Name and Type');
    if (r.SetIdentifier !== undefined) throw invalidInput('The simulated account models simple routing only (no SetIdentifier)');
    const name = normaliseName(r.Name);
    if (r.AliasTarget) {
      if (r.TTL !== undefined || r.ResourceRecords?.length) throw invalidInput('Invalid request: an alias record set has neither TTL nor ResourceRecords');
      const a = r.AliasTarget;
      if (!a.HostedZoneId || !a.DNSName || a.EvaluateTargetHealth === undefined) throw invalidInput('Invalid request: AliasTarget needs HostedZoneId, DNSName and EvaluateTargetHealth');
      return { Name: name, Type: r.Type, AliasTarget: { HostedZoneId: bareZoneId(a.HostedZoneId), DNSName: normaliseName(a.DNSName), EvaluateTargetHealth: a.EvaluateTargetHealth } };
    }
    if (r.TTL === undefined || !r.ResourceRecords?.length) throw invalidInput('Invalid request: a non-alias record set needs TTL and at least one ResourceRecord');
    if (r.Type === 'CNAME' && r.ResourceRecords.length !== 1) throw invalidInput('Invalid request: a CNAME record set has exactly one value');
    return { Name: name, Type: r.Type, TTL: r.TTL, ResourceRecords: r.ResourceRecords.map((v) => ({ Value: v.Value ?? '' })) };
  }

  /** Why Route 53 would refuse to create or upsert `r` into the working copy, or undefined. */
  private refusal(zone: ZoneRecord, working: Map<string, StoredRecordSet>, r: StoredRecordSet): string | undefined {
    if (r.Name !== zone.name && !r.Name.endsWith(`.${zone.name}`)) return `RRSet with DNS name ${r.Name} is not permitted in zone ${zone.name}`;
    const others = [...working.values()].filter((x) => x.Name === r.Name && x.Type !== r.Type);
    if (r.Type === 'CNAME') {
      if (r.Name === zone.name) return `RRSet of type CNAME with DNS name ${r.Name} is not permitted at apex in zone ${zone.name}`;
      if (others.length) return `RRSet of type CNAME with DNS name ${r.Name} is not permitted as it conflicts with other records with the same DNS name in zone ${zone.name}`;
    } else if (others.some((x) => x.Type === 'CNAME')) {
      return `RRSet of type ${r.Type} with DNS name ${r.Name} is not permitted because a conflicting RRSet of type  CNAME with the same DNS name already exists in zone ${zone.name}`;
    }
    if (r.AliasTarget) {
      const target = r.AliasTarget;
      const prefix = `Tried to create an alias that targets ${target.DNSName}, type ${r.Type} in zone ${target.HostedZoneId}`;
      if (target.HostedZoneId === zone.id) {
        if (!working.has(`${target.DNSName}|${r.Type}`)) return `${prefix}, but that target was not found`;
      } else {
        const host = hostOf(target.DNSName);
        const lb = [...this.account.cloudformation.loadBalancers.values()].find((l) => l.dnsName.toLowerCase() === host);
        if (target.HostedZoneId !== ALB_CANONICAL_HOSTED_ZONE_ID || !host.endsWith('.elb.amazonaws.com')) return `${prefix}, but the alias target name does not lie within the target zone`;
        if (!lb) return `${prefix}, but that target was not found`;
      }
    }
    return undefined;
  }

  /** Records, for each name, its answer from now on (effective once in sync at `insyncAt`). */
  private recordHistory(zone: ZoneRecord, names: Iterable<string>, insyncAt: number): void {
    for (const name of new Set(names)) {
      const records = [...zone.records.values()].filter((r) => r.Name === name).map(copyRecord);
      const versions = zone.history.get(name) ?? [];
      versions.push({ records, insyncAt });
      zone.history.set(name, versions);
    }
  }

  /**
   * The record sets a client's resolver holds for `name` at `at`: the newest version that is in
   * sync and whose predecessor's answer has expired from caches since (its TTL after the newer one
   * was in sync). Before that the previous answer is still served.
   */
  private resolverAnswer(zone: ZoneRecord, name: string, at: number): StoredRecordSet[] {
    const versions = zone.history.get(name) ?? [];
    for (let i = versions.length - 1; i >= 0; i--) {
      const v = versions[i]!;
      const previous = i > 0 ? versions[i - 1]! : undefined;
      const cached = previous ? this.answerTtlSeconds(zone, previous.records) * 1000 : 0;
      if (v.insyncAt + cached <= at) return v.records;
    }
    return [];
  }

  /** How long a resolver keeps an answer: the record's TTL; an alias's is its target's. */
  private answerTtlSeconds(zone: ZoneRecord, records: StoredRecordSet[]): number {
    const r = records.find((x) => x.Type === 'CNAME') ?? records.find((x) => x.Type === 'A' || x.Type === 'AAAA');
    if (!r) return 0;
    if (!r.AliasTarget) return r.TTL ?? 0;
    if (r.AliasTarget.HostedZoneId === zone.id) {
      const target = zone.records.get(`${r.AliasTarget.DNSName}|${r.Type}`);
      return target?.TTL ?? ELB_ALIAS_TTL_SECONDS;
    }
    return ELB_ALIAS_TTL_SECONDS;
  }

  private hostedZoneOut(zone: ZoneRecord): HostedZone {
    return {
      Id: `/hostedzone/${zone.id}`,
      Name: zone.name,
      CallerReference: zone.callerReference,
      Config: { PrivateZone: zone.privateZone, ...(zone.comment ? { Comment: zone.comment } : {}) },
      ResourceRecordSetCount: zone.records.size,
    };
  }

  private changeInfo(change: ChangeRecord): ChangeInfo {
    return {
      Id: `/change/${change.id}`,
      Status: this.account.now() >= change.insyncAt ? 'INSYNC' : 'PENDING',
      SubmittedAt: new Date(change.submittedAt),
      ...(change.comment ? { Comment: change.comment } : {}),
    };
  }

  private newChange(comment: string | undefined): ChangeRecord {
    const submittedAt = this.account.now();
    const change: ChangeRecord = { id: `C${this.ids.next(20, UPPER_ALNUM)}`, submittedAt, insyncAt: submittedAt + this.account.timing.route53PropagationSeconds * 1000, comment };
    this.changes.set(change.id, change);
    return change;
  }

  // -------------------------------------------------------------------------------------------
  // Operations
  // -------------------------------------------------------------------------------------------

  private opCreateHostedZone(input: OpInput) {
    const i = input as unknown as CreateHostedZoneCommandInput;
    if (!i.Name || !i.CallerReference) throw invalidInput('Invalid request: Name and CallerReference are required');
    for (const z of this.zones.values()) {
      if (z.callerReference === i.CallerReference) {
        throw new SimServiceError('HostedZoneAlreadyExists', `A hosted zone has already been created with the specified caller reference: ${i.CallerReference}`, 409);
      }
    }
    const change = this.newChange(undefined);
    const zone = this.newZone(normaliseName(i.Name), i.CallerReference, i.VPC !== undefined || i.HostedZoneConfig?.PrivateZone === true, i.HostedZoneConfig?.Comment, change.insyncAt);
    const nameServers = zone.records.get(`${zone.name}|NS`)?.ResourceRecords?.map((v) => v.Value.replace(/\.$/, '')) ?? [];
    return {
      HostedZone: this.hostedZoneOut(zone),
      ChangeInfo: this.changeInfo(change),
      DelegationSet: { NameServers: nameServers },
      ...(i.VPC ? { VPC: i.VPC } : {}),
      Location: `https://route53.amazonaws.com/2013-04-01/hostedzone/${zone.id}`,
    };
  }

  private opGetHostedZone(input: OpInput) {
    const zone = this.zone(input.Id);
    const nameServers = zone.records.get(`${zone.name}|NS`)?.ResourceRecords?.map((v) => v.Value.replace(/\.$/, '')) ?? [];
    return { HostedZone: this.hostedZoneOut(zone), ...(zone.privateZone ? {} : { DelegationSet: { NameServers: nameServers } }) };
  }

  private opListResourceRecordSets(input: OpInput) {
    const i = input as unknown as ListResourceRecordSetsCommandInput;
    const zone = this.zone(i.HostedZoneId);
    if (i.StartRecordType && !i.StartRecordName) throw invalidInput('The input is not valid: StartRecordType requires StartRecordName');
    const max = Math.min(Math.max(Number(i.MaxItems ?? LIST_PAGE) || LIST_PAGE, 1), LIST_PAGE);
    const all = this.sorted(zone);
    let start = 0;
    if (i.StartRecordName) {
      const key = sortKey(normaliseName(i.StartRecordName));
      const type = i.StartRecordType;
      start = all.findIndex((r) => {
        const c = compareKeys(sortKey(r.Name), key);
        return c > 0 || (c === 0 && (!type || r.Type >= type));
      });
      if (start < 0) start = all.length;
    }
    const page = all.slice(start, start + max);
    const next = all[start + max];
    return {
      ResourceRecordSets: page.map(copyRecord),
      IsTruncated: next !== undefined,
      MaxItems: max,
      ...(next ? { NextRecordName: next.Name, NextRecordType: next.Type } : {}),
    };
  }

  private opChangeResourceRecordSets(input: OpInput) {
    const i = input as unknown as ChangeResourceRecordSetsCommandInput;
    const zone = this.zone(i.HostedZoneId);
    const changes = i.ChangeBatch?.Changes ?? [];
    if (!changes.length) throw invalidInput('Invalid request: the change batch has no changes');
    const working = new Map([...zone.records].map(([k, v]) => [k, copyRecord(v)]));
    const messages: string[] = [];
    const touched: string[] = [];
    for (const change of changes) {
      const r = this.stored(change.ResourceRecordSet);
      const key = `${r.Name}|${r.Type}`;
      const what = `[name='${r.Name}', type='${r.Type}']`;
      const existing = working.get(key);
      if (change.Action === 'DELETE') {
        if (!existing) messages.push(`Tried to delete resource record set ${what} but it was not found`);
        else if (!sameValues(existing, r)) messages.push(`Tried to delete resource record set ${what} but the values provided do not match the current values`);
        else {
          working.delete(key);
          touched.push(r.Name);
        }
        continue;
      }
      if (change.Action !== 'CREATE' && change.Action !== 'UPSERT') throw invalidInput(`Invalid request: unknown Action ${String(change.Action)}`);
      if (change.Action === 'CREATE' && existing) {
        messages.push(`Tried to create resource record set ${what} but it already exists`);
        continue;
      }
      const refused = this.refusal(zone, working, r);
      if (refused) {
        messages.push(refused);
        continue;
      }
      working.set(key, r);
      touched.push(r.Name);
    }
    // All or nothing: one failed change leaves the zone exactly as it was.
    if (messages.length) throw invalidChangeBatch(messages);
    zone.records.clear();
    for (const [k, v] of working) zone.records.set(k, v);
    const change = this.newChange(i.ChangeBatch?.Comment);
    this.recordHistory(zone, touched, change.insyncAt);
    return { ChangeInfo: this.changeInfo(change) };
  }

  private opGetChange(input: OpInput) {
    const id = typeof input.Id === 'string' ? bareChangeId(input.Id) : '';
    const change = this.changes.get(id);
    if (!change) throw new SimServiceError('NoSuchChange', `A change with the specified change ID does not exist: ${id}`, 404);
    return { ChangeInfo: this.changeInfo(change) };
  }
}
