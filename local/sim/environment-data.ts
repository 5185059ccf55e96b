/**
 * Reading an environment's data straight from the simulated account, for assertions: "every row and
 * every object of the original is in the survivor". Goes around the APIs on purpose, so a test checks
 * the data itself rather than what the workflow's own steps report about it.
 */
import type { SimAccount } from './account';
import type { Row, Tables } from './rds';
import type { S3ObjectRecord } from './s3';

export interface ObjectFingerprint {
  size: number;
  /** As S3 returns it; differs between a single-part and a multipart copy of the same bytes. */
  etag: string;
  /** Identity of the bytes: what two copies of the same content share. */
  contentHash: string;
}

/** One entry of a key's history: a delete marker, or a version with what a copy must carry. */
export type VersionFingerprint =
  | { deleteMarker: true }
  | { deleteMarker: false; size: number; contentHash: string; contentType: string; metadata: Record<string, string>; tags: Record<string, string> };

export interface EnvironmentData {
  /** Database logical ID → its tables. */
  databases: Record<string, Tables>;
  /** Bucket logical ID → key → fingerprint of the current version. */
  buckets: Record<string, Record<string, ObjectFingerprint>>;
  /**
   * Bucket logical ID → key → every version and delete marker, oldest first (docs/design.md invariant 8:
   * all of the data means every version, in order, with metadata and tags).
   */
  histories: Record<string, Record<string, VersionFingerprint[]>>;
}

interface SimVersionEntry {
  deleteMarker: boolean;
  object?: S3ObjectRecord;
}

/**
 * Every key's versions, oldest first, read from the simulated S3's own state. S3Sim keeps them
 * private (its public API lists current objects only); until it exposes them, they are read here
 * the way its listing does. Keys in UTF-8 byte order.
 */
function historiesOf(account: SimAccount, bucket: string): Record<string, VersionFingerprint[]> {
  const state = (account.s3 as unknown as { buckets: Map<string, { keys: Map<string, SimVersionEntry[]> }> }).buckets.get(bucket);
  const out: Record<string, VersionFingerprint[]> = {};
  const keys = [...(state?.keys.keys() ?? [])].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const key of keys) {
    const entries = state?.keys.get(key) ?? [];
    if (!entries.length) continue;
    out[key] = entries.map((e): VersionFingerprint => {
      if (e.deleteMarker || !e.object) return { deleteMarker: true };
      const o = e.object;
      return { deleteMarker: false, size: o.size, contentHash: o.contentHash, contentType: o.contentType, metadata: { ...o.metadata }, tags: { ...o.tags } };
    });
  }
  return out;
}

/** The data of the live stack `stackName`. Throws when there is no such stack or a resource is gone. */
export function environmentData(account: SimAccount, stackName: string): EnvironmentData {
  if (!account.cloudformation.stackByName(stackName)) throw new Error(`no live stack named ${stackName}`);
  const data: EnvironmentData = { databases: {}, buckets: {}, histories: {} };
  for (const r of account.cloudformation.resourcesOf(stackName)) {
    if (r.type === 'AWS::RDS::DBInstance') {
      const db = account.rds.instance(r.physicalId);
      if (!db) throw new Error(`database ${r.logicalId} (${r.physicalId}) of ${stackName} does not exist`);
      data.databases[r.logicalId] = db.tables;
    } else if (r.type === 'AWS::S3::Bucket') {
      if (!account.s3.bucketExists(r.physicalId)) throw new Error(`bucket ${r.logicalId} (${r.physicalId}) of ${stackName} does not exist`);
      data.buckets[r.logicalId] = Object.fromEntries(
        account.s3.listAll(r.physicalId).map((o) => [o.key, { size: o.size, etag: o.etag, contentHash: o.contentHash }]),
      );
      data.histories[r.logicalId] = historiesOf(account, r.physicalId);
    }
  }
  return data;
}

/**
 * Records in `data` (a baseline) one key of a bucket as the account holds it now, current object and
 * whole history: a write the original received on purpose during a scenario is part of its data.
 */
export function recordKey(account: SimAccount, data: EnvironmentData, bucketLogicalId: string, bucketName: string, key: string): void {
  const current = account.s3.getObjectRecord(bucketName, key);
  const buckets = { ...data.buckets[bucketLogicalId] };
  if (current) buckets[key] = { size: current.size, etag: current.etag, contentHash: current.contentHash };
  else delete buckets[key];
  data.buckets[bucketLogicalId] = buckets;
  const history = historiesOf(account, bucketName)[key];
  const histories = { ...data.histories[bucketLogicalId] };
  if (history) histories[key] = history;
  data.histories[bucketLogicalId] = histories;
}

/** JSON with object keys sorted, so equal rows compare equal whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

function countRows(rows: ReadonlyArray<Row>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const row of rows) {
    const key = canonical(row);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

export interface DataComparison {
  equal: boolean;
  /** One line per difference: `databases.OrdersDb.customers: 2 row(s) missing, e.g. {...}`. */
  differences: string[];
}

/**
 * Compares two environments' data, matched by logical ID. Rows compare as multisets of canonical
 * JSON; objects by key, size and content identity (not ETag: a multipart copy of the same bytes has a
 * different ETag). With `allowExtra`, data only in `survivor` is not a difference (containment:
 * everything of `original` is in `survivor`).
 */
export function sameData(original: EnvironmentData, survivor: EnvironmentData, options: { allowExtra?: boolean } = {}): DataComparison {
  const differences: string[] = [];
  const extra = (what: string) => {
    if (!options.allowExtra) differences.push(what);
  };

  for (const [db, tables] of Object.entries(original.databases)) {
    const other = survivor.databases[db];
    if (!other) {
      differences.push(`databases.${db}: missing`);
      continue;
    }
    for (const [table, rows] of Object.entries(tables)) {
      const theirs = other[table];
      if (!theirs) {
        differences.push(`databases.${db}.${table}: table missing (${rows.length} row(s))`);
        continue;
      }
      const mine = countRows(rows);
      const found = countRows(theirs);
      let missing = 0;
      let example: string | undefined;
      for (const [row, n] of mine) {
        const lack = n - (found.get(row) ?? 0);
        if (lack > 0) {
          missing += lack;
          example ??= row;
        }
      }
      if (missing) differences.push(`databases.${db}.${table}: ${missing} row(s) missing, e.g. ${example}`);
      const surplus = theirs.length - (rows.length - missing);
      if (surplus > 0) extra(`databases.${db}.${table}: ${surplus} extra row(s)`);
    }
    for (const table of Object.keys(other)) if (!(table in tables)) extra(`databases.${db}.${table}: extra table`);
  }
  for (const db of Object.keys(survivor.databases)) if (!(db in original.databases)) extra(`databases.${db}: extra database`);

  for (const [bucket, objects] of Object.entries(original.buckets)) {
    const other = survivor.buckets[bucket];
    if (!other) {
      differences.push(`buckets.${bucket}: missing`);
      continue;
    }
    for (const [key, o] of Object.entries(objects)) {
      const theirs = other[key];
      if (!theirs) differences.push(`buckets.${bucket}/${key}: missing`);
      else if (theirs.size !== o.size) differences.push(`buckets.${bucket}/${key}: size ${o.size} vs ${theirs.size}`);
      else if (theirs.contentHash !== o.contentHash) differences.push(`buckets.${bucket}/${key}: content differs`);
    }
    for (const key of Object.keys(other)) if (!(key in objects)) extra(`buckets.${bucket}/${key}: extra object`);
  }
  for (const bucket of Object.keys(survivor.buckets)) if (!(bucket in original.buckets)) extra(`buckets.${bucket}: extra bucket`);

  // Every key's history, in order: versions by size, content, content type, metadata and tags;
  // delete markers as such. A history that is a strict prefix of the original's lost its newest entries.
  for (const [bucket, keys] of Object.entries(original.histories ?? {})) {
    const other = survivor.histories?.[bucket];
    if (!other) continue; // a missing bucket is reported above
    for (const [key, history] of Object.entries(keys)) {
      const theirs = other[key] ?? [];
      const problem = historyDifference(history, theirs);
      if (problem) differences.push(`buckets.${bucket}/${key}: ${problem}`);
    }
    for (const key of Object.keys(other)) if (!(key in keys)) extra(`buckets.${bucket}/${key}: extra history (${other[key]?.length ?? 0} version(s))`);
  }

  return { equal: differences.length === 0, differences };
}

const describeEntry = (v: VersionFingerprint | undefined) =>
  v === undefined ? 'nothing' : v.deleteMarker ? 'a delete marker' : `a version of ${v.size} bytes`;

/** How `theirs` differs from the history `mine` (oldest first), in words; undefined when equal. */
function historyDifference(mine: VersionFingerprint[], theirs: VersionFingerprint[]): string | undefined {
  for (let i = 0; i < Math.max(mine.length, theirs.length); i++) {
    const a = mine[i];
    const b = theirs[i];
    const at = i < mine.length ? `version ${i + 1} of ${mine.length}` : `version ${i + 1}`;
    if (!a || !b || a.deleteMarker !== b.deleteMarker) return `${at}: ${describeEntry(a)} became ${describeEntry(b)} (history of ${mine.length} became ${theirs.length})`;
    if (a.deleteMarker || b.deleteMarker) continue;
    if (a.size !== b.size) return `${at}: size ${a.size} vs ${b.size}`;
    if (a.contentHash !== b.contentHash) return `${at}: content differs`;
    if (a.contentType !== b.contentType) return `${at}: content type ${a.contentType} vs ${b.contentType}`;
    if (canonical(a.metadata) !== canonical(b.metadata)) return `${at}: metadata ${canonical(a.metadata)} vs ${canonical(b.metadata)}`;
    if (canonical(a.tags) !== canonical(b.tags)) return `${at}: tags ${canonical(a.tags)} vs ${canonical(b.tags)}`;
  }
  return undefined;
}
