import {
  DeleteStackCommand,
  GetTemplateCommand,
  paginateListStackResources,
  type CloudFormationClient,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import {
  DeleteObjectsCommand,
  ListObjectVersionsCommand,
  type _Error as S3Error,
  type ObjectIdentifier,
  type S3Client,
} from '@aws-sdk/client-s3';
import { parseTemplate } from '../shared/cfn-template';
import type { CloneOutput, DeleteStackEvent, DeleteStackResult, ManifestRef } from '../shared/contracts';
import { AwsAccessDenied, AwsRequestFailed, AwsThrottled, AwsUnavailable, DeletionRefused, OriginalReplaced } from '../shared/errors';
import { readManifest } from '../shared/manifest';
import { describeStack, requestToken, tagMap } from '../shared/stacks';
import { describeChange, diffListings, joinListings, listVersions } from '../shared/version-listing';
import { TAGS } from '../steps';

export interface DeleteStackDeps {
  cfn: CloudFormationClient;
  s3: S3Client;
  /** Service role CloudFormation assumes (env CFN_ROLE_ARN); absent: the caller's own credentials. */
  roleArn?: string;
}

/** DeleteObjects takes at most 1,000 keys per request (S3 API reference, DeleteObjects). */
export const DELETE_BATCH = 1000;
/** States a verified copy's stack may be in: complete, and not being replaced or rolled back. */
const COMPLETE = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE']);

interface StackBucket {
  logicalId: string;
  bucketName: string;
}

/**
 * Deletes one environment: the temporary stack after the second clone, the current stack after a
 * verified first clone, or a failed copy during compensation. Empties the stack's buckets, then
 * starts DeleteStack and returns without waiting (stack-status
 * polls). A stack that is gone returns `deleteStarted: false`; one already DELETE_IN_PROGRESS is left
 * alone. Buckets kept by DeletionPolicy Retain (or one we cannot read) are not emptied: CloudFormation
 * leaves them and their data in place.
 * A stack of this execution (a copy) loses every version and delete marker of its buckets. Any other
 * stack (the original) loses only what the verified manifest of each bucket names: every bucket is
 * first compared with its manifest (read-only), then only the manifest's versions still listed as
 * they were verified are deleted, so a write after the verification is never deleted.
 * Throws DeletionRefused, before anything is touched, when the stack is not this execution's and no
 * verified copy of exactly this stack exists (with a manifest for each bucket), when one of its
 * buckets holds a version its manifest does not name, or when termination protection is on;
 * OriginalReplaced instead when the stack under the name is not the expected one (the verified
 * original is gone: its copy must be kept);
 * DocumentCorrupt when a manifest does not add up; a named AWS error when S3 reports a key it could
 * not delete.
 */
export async function deleteStack(deps: DeleteStackDeps, event: DeleteStackEvent): Promise<DeleteStackResult> {
  const { stackName } = event;
  const stack = await describeStack(deps.cfn, stackName);
  if (!stack?.StackId || stack.StackStatus === 'DELETE_COMPLETE') return { stackName, bucketsEmptied: [], deleteStarted: false };
  if (stack.StackStatus === 'DELETE_IN_PROGRESS') return { stackName, bucketsEmptied: [], deleteStarted: true };

  const buckets = await stackBuckets(deps.cfn, stack.StackId);
  const ours = await assertDeletable(deps.cfn, event, stack, buckets);
  const retained = await retainedLogicalIds(deps.cfn, stack.StackId, buckets);
  const emptied = buckets.filter((b) => !retained.has(b.logicalId));

  // Not ours (the original): each bucket is emptied only of what its verified manifest names. Every
  // bucket is compared with its manifest before anything is deleted, so a refusal leaves all intact.
  const manifests = ours ? undefined : manifestsOf(event.verifiedCopy);
  if (manifests) {
    const problems: string[] = [];
    for (const b of emptied) problems.push(...(await unverifiedVersions(deps.s3, b.bucketName, manifests.get(b.bucketName) as ManifestRef)));
    if (problems.length) {
      throw new DeletionRefused(
        `Refusing to delete stack ${event.stackName} (${event.reason}): its buckets hold versions its verified copy does not (written after the verification; nothing was deleted): ${problems.join('; ')}`,
      );
    }
  }

  const bucketsEmptied: DeleteStackResult['bucketsEmptied'] = [];
  const bucketsRetained = buckets.filter((b) => retained.has(b.logicalId)).map((b) => b.bucketName);
  for (const bucket of emptied) {
    const deleted = manifests
      ? await emptyVerifiedVersions(deps.s3, bucket.bucketName, manifests.get(bucket.bucketName) as ManifestRef)
      : await emptyBucket(deps.s3, bucket.bucketName);
    bucketsEmptied.push({ bucketName: bucket.bucketName, objectVersionsDeleted: deleted });
  }

  await deps.cfn.send(
    new DeleteStackCommand({
      // By ID: exactly the stack that passed the checks above.
      StackName: stack.StackId,
      ...(deps.roleArn ? { RoleARN: deps.roleArn } : {}),
      // The status and times are part of the token so that deleting again after DELETE_FAILED is a new
      // request, not a duplicate CloudFormation would ignore.
      ClientRequestToken: requestToken(
        'delete',
        event.execution.id,
        stack.StackId,
        stack.StackStatus ?? '',
        isoTime(stack.DeletionTime),
        isoTime(stack.LastUpdatedTime),
      ),
    }),
  );
  return { stackName, bucketsEmptied, deleteStarted: true, ...(bucketsRetained.length ? { bucketsRetained } : {}) };
}

function isoTime(t: Date | string | undefined): string {
  return t ? new Date(t).toISOString() : '';
}

/** The stack's S3 buckets that still exist, by logical ID and bucket name (the physical ID). */
async function stackBuckets(cfn: CloudFormationClient, stackId: string): Promise<StackBucket[]> {
  const buckets: StackBucket[] = [];
  for await (const page of paginateListStackResources({ client: cfn }, { StackName: stackId })) {
    for (const r of page.StackResourceSummaries ?? []) {
      if (r.ResourceType !== 'AWS::S3::Bucket' || !r.PhysicalResourceId || !r.LogicalResourceId) continue;
      if (r.ResourceStatus === 'DELETE_COMPLETE' || r.ResourceStatus === 'DELETE_SKIPPED') continue;
      buckets.push({ logicalId: r.LogicalResourceId, bucketName: r.PhysicalResourceId });
    }
  }
  return buckets;
}

/**
 * Invariant 1, enforced here as well as in the state machine: a stack this execution did not create
 * is deleted only on proof that a complete, verified copy of exactly this stack exists. Every
 * reason to refuse is collected, so one refusal tells the whole story.
 */
async function assertDeletable(cfn: CloudFormationClient, event: DeleteStackEvent, stack: Stack, buckets: StackBucket[]): Promise<boolean> {
  const problems: string[] = [];
  let replaced = false;
  // DeleteStack would fail after the buckets were emptied: refuse while the data is still there.
  if (stack.EnableTerminationProtection) problems.push('termination protection is enabled on it');
  if (event.expectedStackId !== undefined && event.expectedStackId !== stack.StackId) {
    replaced = true;
    problems.push(`its stack ID is ${stack.StackId}, not the expected ${event.expectedStackId} (another stack has taken the name)`);
  }
  const ours = tagMap(stack.Tags)[TAGS.execution] === event.execution.id;
  if (!ours) {
    if (event.expectedStackId === undefined) problems.push('no expected stack ID was given');
    problems.push(...(await verifiedCopyProblems(cfn, event.stackName, stack, event.verifiedCopy, buckets)));
  }
  if (problems.length) {
    const whose = ours ? '' : `it was not created by this migration (${TAGS.execution} is not ${event.execution.id}) and `;
    const message = `Refusing to delete stack ${event.stackName} (${event.reason}): ${whose}${problems.join('; ')}`;
    // A name is taken only once its stack is DELETE_COMPLETE: the original verified was deleted by
    // someone else, and a refusal that undoes the migration would delete the copy that holds its data.
    if (replaced) throw new OriginalReplaced(`${message}. The stack verified no longer exists: its verified copy is kept`);
    throw new DeletionRefused(message);
  }
  return ours;
}

async function verifiedCopyProblems(
  cfn: CloudFormationClient,
  stackName: string,
  stack: Stack,
  copy: CloneOutput | undefined,
  buckets: StackBucket[],
): Promise<string[]> {
  if (!copy) return ['no verified copy was given'];
  const problems: string[] = [];
  if (copy.outcome !== 'EQUAL') problems.push(`the copy's outcome is ${copy.outcome}, not EQUAL`);
  if (copy.sourceStackName !== stackName) problems.push(`the copy was made from ${copy.sourceStackName}, not from ${stackName}`);
  if (copy.statistics?.status !== 'EQUAL') problems.push(`the copy's statistics are ${copy.statistics?.status ?? 'missing'}, not EQUAL`);

  const verification = Array.isArray(copy.verification) ? copy.verification : [];
  for (const v of verification) {
    if (v.status !== 'EQUAL') problems.push(`bucket ${v.pair?.sourceBucket} was verified ${v.status}, not EQUAL`);
  }
  const verified = new Set(verification.filter((v) => v.status === 'EQUAL').map((v) => v.pair?.sourceBucket));
  const manifests = manifestsOf(copy);
  for (const b of buckets) {
    if (!verified.has(b.bucketName)) problems.push(`bucket ${b.bucketName} (${b.logicalId}) has no EQUAL verification in the copy`);
    else if (!manifests.has(b.bucketName)) problems.push(`bucket ${b.bucketName} (${b.logicalId}) has no verified manifest in the copy: what it may be emptied of is unknown`);
  }

  if (copy.destinationStackId === stack.StackId) problems.push('the copy is this stack itself');
  const destination = await describeStack(cfn, copy.destinationStackName);
  if (!destination) {
    problems.push(`the copy's stack ${copy.destinationStackName} does not exist`);
  } else {
    if (!COMPLETE.has(destination.StackStatus ?? '')) {
      problems.push(`the copy's stack ${copy.destinationStackName} is ${destination.StackStatus}, not CREATE_COMPLETE or UPDATE_COMPLETE`);
    }
    if (destination.StackId !== copy.destinationStackId) {
      problems.push(`the copy's stack ${copy.destinationStackName} is ${destination.StackId}, not the verified ${copy.destinationStackId}`);
    }
  }
  return problems;
}

/** Source bucket → the manifest of its EQUAL verification (what emptying that bucket is limited to). */
function manifestsOf(copy: CloneOutput | undefined): Map<string, ManifestRef> {
  const out = new Map<string, ManifestRef>();
  for (const v of Array.isArray(copy?.verification) ? copy.verification : []) {
    const m = v.sourceManifest;
    if (v.status === 'EQUAL' && m && m.listedBucket === v.pair?.sourceBucket) out.set(m.listedBucket, m);
  }
  return out;
}

/** Versions named in a refusal, per bucket. */
const MAX_NAMED_UNVERIFIED = 10;

/**
 * The read-only pass: the bucket's live listing merge-joined with its verified manifest (both in
 * listing order, bounded memory). Returns one line per bucket holding anything the manifest does not
 * name (a version added, or one whose content changed under the same version ID), naming up to
 * MAX_NAMED_UNVERIFIED; versions of the manifest that are gone since are no reason to refuse (the
 * copy holds them). Reads the manifest to its end, so a manifest that does not add up to its digest
 * throws DocumentCorrupt here, before anything is deleted.
 */
async function unverifiedVersions(s3: S3Client, bucket: string, manifest: ManifestRef): Promise<string[]> {
  const named: string[] = [];
  let count = 0;
  try {
    for await (const c of diffListings(readManifest(s3, manifest), listVersions(s3, bucket), bucket)) {
      if (c.change === 'REMOVED') continue;
      if (++count <= MAX_NAMED_UNVERIFIED) named.push(describeChange(c));
    }
  } catch (err) {
    if (isNoSuchBucket(err)) return [];
    throw err;
  }
  return count ? [`bucket ${bucket}: ${count} version(s) not in its verified manifest: ${named.join(', ')}${count > named.length ? ', …' : ''}`] : [];
}

/**
 * Deletes the versions and delete markers the verified manifest names that are still listed with the
 * same identity (a second merge join): a version written since the read-only pass is never deleted,
 * and DeleteStack then fails on the non-empty bucket with that version kept. Returns how many were
 * deleted; a bucket that no longer exists counts as empty. Throws when S3 reports a key it did not
 * delete, or DocumentCorrupt when the manifest no longer adds up (read again here).
 */
async function emptyVerifiedVersions(s3: S3Client, bucket: string, manifest: ManifestRef): Promise<number> {
  let deleted = 0;
  let batch: ObjectIdentifier[] = [];
  const flush = async () => {
    if (!batch.length) return;
    await deleteBatch(s3, bucket, batch);
    deleted += batch.length;
    batch = [];
  };
  try {
    for await (const c of joinListings(readManifest(s3, manifest), listVersions(s3, bucket), bucket)) {
      if (c.change !== 'SAME') continue;
      batch.push({ Key: c.entry.key, VersionId: c.entry.versionId });
      if (batch.length >= DELETE_BATCH) await flush();
    }
    await flush();
  } catch (err) {
    if (isNoSuchBucket(err)) return deleted;
    throw err;
  }
  return deleted;
}

/**
 * Logical IDs of buckets CloudFormation will keep: DeletionPolicy Retain or RetainExceptOnCreate.
 * Emptying them would destroy data the template chose to keep. A policy given by an intrinsic
 * function cannot be resolved here, so it counts as kept: at worst DeleteStack fails on the
 * non-empty bucket (DELETE_FAILED, reported), never data lost.
 */
async function retainedLogicalIds(cfn: CloudFormationClient, stackId: string, buckets: StackBucket[]): Promise<Set<string>> {
  if (!buckets.length) return new Set();
  const out = await cfn.send(new GetTemplateCommand({ StackName: stackId }));
  const resources = parseTemplate(out.TemplateBody ?? '').Resources;
  const retained = new Set<string>();
  for (const b of buckets) {
    const policy: unknown = resources[b.logicalId]?.DeletionPolicy;
    if (policy === undefined || policy === 'Delete') continue;
    retained.add(b.logicalId);
  }
  return retained;
}

/**
 * Deletes every object version and delete marker of a bucket, so CloudFormation can delete it (it
 * cannot delete a non-empty bucket). Returns how many were deleted; a bucket that no longer exists
 * counts as empty. Throws when S3 reports any key it did not delete.
 */
export async function emptyBucket(s3: S3Client, bucket: string): Promise<number> {
  let deleted = 0;
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  for (;;) {
    let page;
    try {
      page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }));
    } catch (err) {
      if (isNoSuchBucket(err)) return deleted;
      throw err;
    }
    const ids: ObjectIdentifier[] = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].flatMap((v) =>
      v.Key === undefined ? [] : [{ Key: v.Key, VersionId: v.VersionId }],
    );
    for (let i = 0; i < ids.length; i += DELETE_BATCH) {
      const batch = ids.slice(i, i + DELETE_BATCH);
      try {
        await deleteBatch(s3, bucket, batch);
      } catch (err) {
        if (isNoSuchBucket(err)) return deleted;
        throw err;
      }
      deleted += batch.length;
    }
    if (!page.IsTruncated) return deleted;
    if (page.NextKeyMarker === undefined && page.NextVersionIdMarker === undefined) {
      throw new AwsRequestFailed(`ListObjectVersions of ${bucket} is truncated but gave no marker to continue from`);
    }
    keyMarker = page.NextKeyMarker;
    versionIdMarker = page.NextVersionIdMarker;
  }
}

/** One DeleteObjects request (at most DELETE_BATCH versions); throws when S3 reports any version it did not delete. */
async function deleteBatch(s3: S3Client, bucket: string, batch: ObjectIdentifier[]): Promise<void> {
  const out = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }));
  // HTTP 200 does not mean every key went: per-key failures come back in Errors.
  if (out.Errors?.length) throw deleteErrors(bucket, out.Errors);
}

function isNoSuchBucket(err: unknown): boolean {
  return !!err && typeof err === 'object' && (err as { name?: unknown }).name === 'NoSuchBucket';
}

/** One error for a DeleteObjects response with per-key failures, named so the state machine retries what is transient. */
function deleteErrors(bucket: string, errors: S3Error[]): Error {
  const shown = errors
    .slice(0, 10)
    .map((e) => `${e.Key}${e.VersionId ? ` (version ${e.VersionId})` : ''}: ${e.Code} ${e.Message ?? ''}`.trim())
    .join('; ');
  const message = `DeleteObjects left ${errors.length} object version(s) in ${bucket}: ${shown}`;
  const codes = new Set(errors.map((e) => e.Code));
  if (codes.has('AccessDenied')) return new AwsAccessDenied(message);
  if (codes.has('SlowDown')) return new AwsThrottled(message);
  if ([...codes].every((c) => c === 'InternalError' || c === 'ServiceUnavailable')) return new AwsUnavailable(message);
  return new AwsRequestFailed(message);
}
