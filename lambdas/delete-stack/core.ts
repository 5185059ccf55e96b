import {
  DeleteStackCommand,
  GetTemplateCommand,
  paginateListStackResources,
  type CloudFormationClient,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import type { S3Client } from '@aws-sdk/client-s3';
import { parseTemplate } from '../shared/cfn-template';
import type { CloneOutput, DeleteStackContinuation, DeleteStackEvent, DeleteStackResult, ManifestRef } from '../shared/contracts';
import { DeletionInterrupted, DeletionRefused, OriginalReplaced } from '../shared/errors';
import type { RemainingTime } from '../shared/handler';
import { compareKeys } from '../shared/version-listing';
import { describeStack, requestToken, tagMap } from '../shared/stacks';
import { TAGS } from '../steps';
import { checkAgainstManifest, deleteEverything, deleteVerified, type PassOutcome } from './emptying';

export { DELETE_BATCH } from './emptying';

export interface DeleteStackDeps {
  cfn: CloudFormationClient;
  s3: S3Client;
  /** Service role CloudFormation assumes (env CFN_ROLE_ARN); absent: the caller's own credentials. */
  roleArn?: string;
}

/** States a verified copy's stack may be in: complete, and not being replaced or rolled back. */
const COMPLETE = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE']);

interface StackBucket {
  logicalId: string;
  bucketName: string;
}

export interface DeleteOptions {
  /** No new key or page is started with less than this left of the invocation (DELETE_SAFETY_MARGIN_MS). */
  safetyMarginMs: number;
}

const NO_DEADLINE: RemainingTime = () => Number.POSITIVE_INFINITY;

/**
 * Deletes one environment: the temporary stack after the second clone, the current stack after a
 * verified first clone, or a failed copy during compensation. Empties the stack's buckets, then
 * starts DeleteStack and returns DONE without waiting (stack-status polls). Emptying takes as many
 * invocations as the buckets need: CONTINUE with a continuation when the invocation's time runs short
 * (bounded memory: one listing page, one manifest part, the key at hand). A stack that is gone returns
 * `deleteStarted: false`; one already DELETE_IN_PROGRESS is left alone. Buckets kept by DeletionPolicy
 * Retain (or one we cannot read) are not emptied: CloudFormation leaves them and their data in place.
 * A stack of this execution (a copy) loses every version and delete marker of its buckets. Any other
 * stack (the original) loses only what the verified manifest of each bucket names: every bucket is
 * first compared with its manifest (read-only, phase CHECK, in as many invocations as it takes), then
 * only the manifest's versions still listed as they were verified are deleted (phase EMPTY), so a
 * write after the verification is never deleted. The checks of the proof are made again on every
 * invocation.
 * Throws DeletionRefused, before anything is touched, when the stack is not this execution's and no
 * verified copy of exactly this stack exists (with a manifest for each bucket), when one of its
 * buckets holds a version its manifest does not name, or when termination protection is on;
 * OriginalReplaced instead when the stack under the name is not the expected one (the verified
 * original is gone: its copy must be kept);
 * DeletionInterrupted when such a check fails once deleting has begun (some data may be gone);
 * DocumentCorrupt when a manifest does not add up; a named AWS error when S3 reports a key it could
 * not delete.
 */
export async function deleteStack(
  deps: DeleteStackDeps,
  event: DeleteStackEvent,
  remainingMs: RemainingTime = NO_DEADLINE,
  options: DeleteOptions = { safetyMarginMs: 0 },
): Promise<DeleteStackResult> {
  const { stackName } = event;
  const stack = await describeStack(deps.cfn, stackName);
  if (!stack?.StackId || stack.StackStatus === 'DELETE_COMPLETE') return { status: 'DONE', stackName, bucketsEmptied: event.continuation?.bucketsEmptied ?? [], deleteStarted: false };
  if (stack.StackStatus === 'DELETE_IN_PROGRESS') return { status: 'DONE', stackName, bucketsEmptied: event.continuation?.bucketsEmptied ?? [], deleteStarted: true };

  // Once an invocation has deleted something, a failed check no longer means "nothing was touched".
  const deleting = event.continuation?.phase === 'EMPTY';
  const buckets = await stackBuckets(deps.cfn, stack.StackId);
  const ours = await assertDeletable(deps.cfn, event, stack, buckets, deleting);
  const retained = await retainedLogicalIds(deps.cfn, stack.StackId, buckets);
  // Sorted by name (bucket names are lower-case ASCII, so S3's key order is plain byte order): the
  // order the continuation counts in.
  const emptied = buckets.filter((b) => !retained.has(b.logicalId)).sort((a, b) => compareKeys(a.bucketName, b.bucketName));
  const bucketsRetained = buckets.filter((b) => retained.has(b.logicalId)).map((b) => b.bucketName);

  // Not ours (the original): each bucket is emptied only of what its verified manifest names. Every
  // bucket is compared with its manifest before anything is deleted, so a refusal leaves all intact.
  const manifests = ours ? undefined : manifestsOf(event.verifiedCopy);
  const c = continuationFor(event, stack.StackId, ours, deleting);
  c.invocations++;
  const shouldStop = () => remainingMs() < options.safetyMarginMs;
  const more = (): DeleteStackResult => ({ status: 'CONTINUE', stackName, bucketsEmptied: c.bucketsEmptied, deleteStarted: false, continuation: c });
  // A bucket finished in this invocation is progress: the next one starts only with time left for it.
  let progressed = false;

  if (manifests && c.phase === 'CHECK') {
    while (c.bucketIndex < emptied.length) {
      if (progressed && shouldStop()) return more();
      const bucket = emptied[c.bucketIndex] as StackBucket;
      const known = c.unverified.find((u) => u.bucketName === bucket.bucketName);
      const found = { count: known?.count ?? 0, named: [...(known?.named ?? [])] };
      const outcome = await passOrGone(
        () => checkAgainstManifest(deps.s3, bucket.bucketName, manifests.get(bucket.bucketName) as ManifestRef, c.position, found, shouldStop),
      );
      if (found.count) c.unverified = [...c.unverified.filter((u) => u.bucketName !== bucket.bucketName), { bucketName: bucket.bucketName, ...found }];
      if (!outcome.finished) {
        c.position = outcome.position;
        return more();
      }
      c.checked.push(bucket.bucketName);
      c.bucketIndex++;
      delete c.position;
      progressed = true;
    }
    if (c.unverified.length) {
      const problems = c.unverified.map(
        (u) => `bucket ${u.bucketName}: ${u.count} version(s) not in its verified manifest: ${u.named.join(', ')}${u.count > u.named.length ? ', …' : ''}`,
      );
      throw new DeletionRefused(
        `Refusing to delete stack ${event.stackName} (${event.reason}): its buckets hold versions its verified copy does not (written after the verification; nothing was deleted): ${problems.join('; ')}`,
      );
    }
    Object.assign(c, { phase: 'EMPTY', bucketIndex: 0 });
  }
  if (manifests) {
    const unchecked = emptied.filter((b) => !c.checked.includes(b.bucketName));
    if (unchecked.length) {
      throw new DeletionInterrupted(`Stopped emptying stack ${event.stackName}: bucket(s) ${unchecked.map((b) => b.bucketName).join(', ')} were not compared with their verified manifests`);
    }
  }

  while (c.bucketIndex < emptied.length) {
    if (progressed && shouldStop()) return more();
    const bucket = emptied[c.bucketIndex] as StackBucket;
    const done = c.bucketsEmptied.find((b) => b.bucketName === bucket.bucketName);
    const deleted = { count: done?.objectVersionsDeleted ?? 0 };
    const outcome = await passOrGone(() =>
      manifests
        ? deleteVerified(deps.s3, bucket.bucketName, manifests.get(bucket.bucketName) as ManifestRef, c.position, deleted, shouldStop)
        : deleteEverything(deps.s3, bucket.bucketName, c.position, deleted, shouldStop),
    ).finally(() => {
      // Counted even when a batch failed: what was deleted is gone.
      c.bucketsEmptied = [...c.bucketsEmptied.filter((b) => b.bucketName !== bucket.bucketName), { bucketName: bucket.bucketName, objectVersionsDeleted: deleted.count }];
    });
    if (!outcome.finished) {
      c.position = outcome.position;
      return more();
    }
    c.bucketIndex++;
    delete c.position;
    progressed = true;
  }
  const bucketsEmptied = c.bucketsEmptied;

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
  return { status: 'DONE', stackName, bucketsEmptied, deleteStarted: true, ...(bucketsRetained.length ? { bucketsRetained } : {}) };
}

/**
 * The previous invocation's continuation, or a fresh one. A continuation of another stack (one that
 * took the name since) is never applied to this one.
 */
function continuationFor(event: DeleteStackEvent, stackId: string, ours: boolean, deleting: boolean): DeleteStackContinuation {
  const prior = event.continuation;
  if (!prior) return { stackId, phase: ours ? 'EMPTY' : 'CHECK', bucketIndex: 0, checked: [], unverified: [], bucketsEmptied: [], invocations: 0 };
  if (prior.stackId !== stackId) {
    const message = `Refusing to go on deleting stack ${event.stackName} (${event.reason}): it is now ${stackId}, not ${prior.stackId} whose deletion began`;
    throw deleting ? new DeletionInterrupted(message) : new DeletionRefused(message);
  }
  return structuredClone(prior);
}

/** A pass over a bucket that no longer exists: nothing left to do in it. */
async function passOrGone(pass: () => Promise<PassOutcome>): Promise<PassOutcome> {
  try {
    return await pass();
  } catch (err) {
    if (isNoSuchBucket(err)) return { finished: true };
    throw err;
  }
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
 * reason to refuse is collected, so one refusal tells the whole story. Checked on every invocation:
 * once deleting has begun (`deleting`), a failed check throws DeletionInterrupted instead.
 */
async function assertDeletable(cfn: CloudFormationClient, event: DeleteStackEvent, stack: Stack, buckets: StackBucket[], deleting: boolean): Promise<boolean> {
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
    const message = `Refusing to ${deleting ? 'go on deleting' : 'delete'} stack ${event.stackName} (${event.reason}): ${whose}${problems.join('; ')}`;
    // A name is taken only once its stack is DELETE_COMPLETE: the original verified was deleted by
    // someone else, and a refusal that undoes the migration would delete the copy that holds its data.
    if (replaced) throw new OriginalReplaced(`${message}. The stack verified no longer exists: its verified copy is kept`);
    throw deleting ? new DeletionInterrupted(message) : new DeletionRefused(message);
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

function isNoSuchBucket(err: unknown): boolean {
  return !!err && typeof err === 'object' && (err as { name?: unknown }).name === 'NoSuchBucket';
}
