/**
 * Migrate, "Prove the original unchanged": the last check before anything of the original is
 * deleted (docs/design.md invariant 1). Standby takes the instances out of the load balancer, but
 * background jobs, presigned uploads, S3-triggered functions and log delivery may still write. A
 * write after clone 1's verification would be in no copy and would go with the original's buckets.
 *
 * Every bucket of the original is listed again in full (ListObjectVersions: every version and delete
 * marker) and its listing digest compared with the one its verified manifest was written with; the
 * original's statistics are read once and their canonical digest compared with the one compared at
 * clone 1. Only the digest of the listing so far is kept (bounded memory), and a large bucket takes
 * as many invocations as it needs (CONTINUE with the continuation, like the copy).
 */
import { paginateListStackResources, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { S3Client } from '@aws-sdk/client-s3';
import { statisticsDigest } from '../shared/canonical-json';
import { getJsonDocument } from '../shared/documents';
import type { DocumentRef, ManifestRef, RecheckContinuation, RecheckOriginalEvent, RecheckOriginalResult, RecheckedBucket } from '../shared/contracts';
import { OriginalChangedAfterVerification } from '../shared/errors';
import type { RemainingTime } from '../shared/handler';
import { httpGet, type FetchLike } from '../shared/http';
import { listingLine, readManifest, sameSetDigest, SetDigester } from '../shared/manifest';
import { describeStack } from '../shared/stacks';
import { describeChange, diffListings, listVersions, listVersionsPage } from '../shared/version-listing';

export interface RecheckOriginalDeps {
  cfn: CloudFormationClient;
  s3: S3Client;
  secrets: SecretsManagerClient;
  fetch: FetchLike;
}

export interface RecheckOptions {
  /** Stop listing (CONTINUE) when less than this remains of the invocation. */
  safetyMarginMs: number;
}

/** Added, removed or changed versions named in the refusal, over all buckets. */
export const MAX_NAMED_CHANGES = 20;
/** Statistics values named in the refusal. */
const MAX_NAMED_VALUES = 5;

/**
 * Lists the original again, as much as this invocation's time allows. Returns UNCHANGED when every
 * bucket of the stack lists exactly what its verified manifest names and the statistics are those
 * compared at clone 1; CONTINUE (call again with `continuation`) while buckets remain. Throws
 * OriginalChangedAfterVerification, naming what changed (per bucket: versions verified and listed
 * now, up to MAX_NAMED_CHANGES added, removed or changed versions; the statistics), when anything
 * differs, when a bucket of the stack has no verified manifest, when the statistics cannot be read,
 * or when the stack is no longer the one discovered. Raw SDK errors otherwise.
 */
export async function recheckOriginal(deps: RecheckOriginalDeps, event: RecheckOriginalEvent, remainingMs: RemainingTime, options: RecheckOptions): Promise<RecheckOriginalResult> {
  const { stackName } = event;
  const stack = await describeStack(deps.cfn, stackName);
  if (!stack?.StackId || stack.StackId !== event.expectedStackId) {
    throw refusal(stackName, [`the stack ${stackName} is ${stack?.StackId ? `now ${stack.StackId}` : 'gone'}, not the discovered ${event.expectedStackId}`]);
  }
  const buckets = await stackBucketNames(deps.cfn, stack.StackId);
  const manifests = verifiedManifests(event);
  const unproven = buckets.filter((b) => !manifests.has(b));
  if (unproven.length) {
    throw refusal(stackName, unproven.map((b) => `bucket ${b} has no verified manifest in the copy: it cannot be proven unchanged`));
  }

  const c: RecheckContinuation = event.continuation ?? { bucketIndex: 0, done: [], invocations: 0 };
  c.invocations++;
  // Read once, on the first invocation: one reading of an endpoint is what clone 1 compared too.
  c.statistics ??= await statisticsUnchanged(deps, event);

  let pages = 0;
  while (c.bucketIndex < buckets.length) {
    if (pages > 0 && remainingMs() < options.safetyMarginMs) return { status: 'CONTINUE', buckets: c.done, continuation: c };
    const bucket = buckets[c.bucketIndex] as string;
    const manifest = manifests.get(bucket) as ManifestRef;
    const digest = new SetDigester(c.listing);
    const page = await listVersionsPage(deps.s3, bucket, c.keyMarker !== undefined || c.versionIdMarker !== undefined ? { keyMarker: c.keyMarker, versionIdMarker: c.versionIdMarker } : undefined);
    pages++;
    for (const e of page.entries) digest.add(listingLine(e));
    if (page.next) {
      c.keyMarker = page.next.keyMarker;
      c.versionIdMarker = page.next.versionIdMarker;
      c.listing = digest.value();
      continue;
    }
    const listing = digest.value();
    c.done.push({ bucketName: bucket, verified: manifest.listing.count, listed: listing.count, unchanged: sameSetDigest(listing, manifest.listing) });
    c.bucketIndex++;
    delete c.keyMarker;
    delete c.versionIdMarker;
    delete c.listing;
  }

  const changed = c.done.filter((b) => !b.unchanged);
  if (changed.length === 0 && c.statistics.unchanged) return { status: 'UNCHANGED', buckets: c.done, continuation: c };
  throw refusal(stackName, [...(await nameChanges(deps.s3, changed, manifests, remainingMs, options)), ...(c.statistics.unchanged ? [] : [`statistics: ${c.statistics.reason}`])]);
}

function refusal(stackName: string, what: string[]): OriginalChangedAfterVerification {
  return new OriginalChangedAfterVerification(
    `${stackName} changed after its copy was verified, so it was not deleted: the original keeps the data and the migration is undone (its instances return to service, the temporary copy is deleted). What changed: ${what.join('; ')}`,
  );
}

/** The stack's S3 buckets that still exist, by name (the physical ID), sorted: the order the continuation counts in. */
async function stackBucketNames(cfn: CloudFormationClient, stackId: string): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateListStackResources({ client: cfn }, { StackName: stackId })) {
    for (const r of page.StackResourceSummaries ?? []) {
      if (r.ResourceType !== 'AWS::S3::Bucket' || !r.PhysicalResourceId) continue;
      if (r.ResourceStatus === 'DELETE_COMPLETE' || r.ResourceStatus === 'DELETE_SKIPPED') continue;
      names.push(r.PhysicalResourceId);
    }
  }
  return names.sort();
}

/** Source bucket → the manifest of its EQUAL verification. A verification without one proves nothing here. */
function verifiedManifests(event: RecheckOriginalEvent): Map<string, ManifestRef> {
  const out = new Map<string, ManifestRef>();
  const copy = event.verifiedCopy;
  if (copy?.outcome !== 'EQUAL' || copy.sourceStackName !== event.stackName) return out;
  for (const v of Array.isArray(copy.verification) ? copy.verification : []) {
    const m = v.sourceManifest;
    if (v.status === 'EQUAL' && m && m.listedBucket === v.pair?.sourceBucket) out.set(m.listedBucket, m);
  }
  return out;
}

/**
 * The differences of each changed bucket, read again in merge order (the digests say that something
 * changed, not what): up to MAX_NAMED_CHANGES over all buckets, within the invocation's time.
 */
async function nameChanges(s3: S3Client, changed: RecheckedBucket[], manifests: Map<string, ManifestRef>, remainingMs: RemainingTime, options: RecheckOptions): Promise<string[]> {
  const lines: string[] = [];
  let named = 0;
  for (const b of changed) {
    const found: string[] = [];
    let note = '';
    if (named < MAX_NAMED_CHANGES) {
      try {
        for await (const change of diffListings(readManifest(s3, manifests.get(b.bucketName) as ManifestRef), listVersions(s3, b.bucketName), b.bucketName)) {
          found.push(describeChange(change));
          if (++named >= MAX_NAMED_CHANGES) break;
          if (remainingMs() < options.safetyMarginMs / 2) {
            note = ' (naming stopped: out of time)';
            break;
          }
        }
      } catch (err) {
        note = ` (the changes could not be named: ${err instanceof Error ? err.message : String(err)})`;
      }
    }
    lines.push(`bucket ${b.bucketName}: ${b.verified} versions and delete markers verified, ${b.listed} listed now${found.length ? `: ${found.join(', ')}` : ''}${note}`);
  }
  return lines;
}

/** Reads the original's statistics once and compares their canonical digest with clone 1's reading. */
async function statisticsUnchanged(deps: RecheckOriginalDeps, event: RecheckOriginalEvent): Promise<{ unchanged: boolean; reason?: string }> {
  const before = event.verifiedCopy?.statistics?.source;
  const expected = before?.dataSha256;
  if (!expected) return { unchanged: false, reason: 'clone 1 recorded no statistics of the original to compare with' };
  const now = await readStatistics(deps, event);
  if ('reason' in now) return { unchanged: false, reason: `the original's statistics could not be read (${now.reason}): they cannot be proven unchanged` };
  const digest = statisticsDigest(now.data);
  if (digest === expected) return { unchanged: true };
  const beforeData = await documentData(deps, before.document);
  const values = beforeData ? leafDifferences(beforeData, now.data, 'data').slice(0, MAX_NAMED_VALUES) : [];
  return {
    unchanged: false,
    reason: `changed since clone 1 compared them (digest ${expected.slice(0, 12)}… then, ${digest.slice(0, 12)}… now)${values.length ? `: ${values.join(', ')}` : ''}`,
  };
}

/** The `data` of the statistics document clone 1 kept in the workflow bucket; undefined when it cannot be read (the values are then not named, the refusal stands). */
async function documentData(deps: RecheckOriginalDeps, ref: DocumentRef | undefined): Promise<Record<string, unknown> | undefined> {
  if (!ref) return undefined;
  try {
    const stored = await getJsonDocument<unknown>(deps.s3, ref);
    // compare-statistics keeps the endpoint's answer as it came (a JSON text) or parsed.
    const body = (typeof stored === 'string' ? JSON.parse(stored) : stored) as { data?: unknown } | null;
    return body && typeof body.data === 'object' && body.data !== null ? (body.data as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

type Reading = { data: Record<string, unknown> } | { reason: string };

/** GETs the statistics URL of the stack's output once (the same request compare-statistics makes). */
async function readStatistics(deps: RecheckOriginalDeps, event: RecheckOriginalEvent): Promise<Reading> {
  const { statistics } = event;
  const stack = await describeStack(deps.cfn, event.stackName);
  const url = stack?.Outputs?.find((o) => o.OutputKey === statistics.outputKey)?.OutputValue;
  if (!url) return { reason: `stack ${event.stackName} has no output ${statistics.outputKey}` };
  const headers: Record<string, string> = { accept: 'application/json' };
  if (statistics.header) {
    const secret = await deps.secrets.send(new GetSecretValueCommand({ SecretId: statistics.header.secretArn }));
    if (secret.SecretString === undefined) return { reason: `secret ${statistics.header.secretArn} holds no SecretString` };
    headers[statistics.header.name] = secret.SecretString;
  }
  const answer = await httpGet(deps.fetch, url, { timeoutMs: statistics.timeoutSeconds * 1000, headers });
  if (answer.reason !== undefined) return { reason: answer.reason };
  if (answer.status < 200 || answer.status > 299) return { reason: `HTTP ${answer.status}` };
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    return { reason: 'response is not JSON' };
  }
  const data = isRecord(body) ? body.data : undefined;
  if (!isRecord(data) || Object.keys(data).length === 0) return { reason: 'response has no "data" object, or an empty one' };
  return { data };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `path before → after` for differing leaves, in key order (a few are enough to say what moved). */
function leafDifferences(a: unknown, b: unknown, path: string, out: string[] = []): string[] {
  if (out.length >= MAX_NAMED_VALUES) return out;
  if (isRecord(a) && isRecord(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) leafDifferences(a[k], b[k], `${path}.${k}`, out);
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) leafDifferences(a[i], b[i], `${path}[${i}]`, out);
    return out;
  }
  const show = (v: unknown) => (v === undefined ? '(absent)' : (JSON.stringify(v) ?? String(v)).slice(0, 60));
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${path} ${show(a)} → ${show(b)}`);
  return out;
}
