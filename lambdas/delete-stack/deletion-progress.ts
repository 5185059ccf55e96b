/**
 * How far a deletion got when it failed (issue 10, item 2). Migrate routes a failure of "Delete the
 * current environment" by it: a failure before anything of the original was deleted returns the
 * original to service (phase A, the temporary copy deleted); a failure once its emptying or its
 * DeleteStack may have started keeps the temporary copy (phase B: it may hold the only complete copy). Routing a partial
 * deletion to phase A would delete that copy, so "nothing was deleted" is asserted only on proof.
 */
import { DeleteStackCommand, paginateListStackResources, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { DeleteStackEvent, DeleteStackResult, ManifestRef } from '../shared/contracts';
import { AwsThrottled, AwsUnavailable, DeletionNotStarted, DeletionNotStartedTransient, DeletionRefused, classifyAwsError } from '../shared/errors';
import { readManifest } from '../shared/manifest';
import { describeStack } from '../shared/stacks';
import { diffListings, listVersions } from '../shared/version-listing';
import type { DeleteStackDeps } from './core';

/**
 * Runs `deleteStack` (delete-stack's core) and, when it fails, says in the error how far it got.
 * Only a deletion of a stack this execution did not create (the original: `expectedStackId` given)
 * is told apart; every other failure is thrown as it came.
 *
 * Nothing of the original was deleted when both hold: this invocation sent no DeleteStack (watched on
 * the client: a request whose answer was lost may have been accepted), and the stack is not being
 * deleted and every one of its buckets still lists every version its verified manifest names. The
 * listing, not the requests sent, decides for the emptying: a DeleteObjects refused as a whole (MFA
 * delete) deleted nothing, one refused key by key may have deleted the rest, and an earlier attempt,
 * retried after a throttle or a crash, may have emptied part of a bucket before failing. Then the failure is thrown as DeletionRefused (kept),
 * DeletionNotStartedTransient (a throttle or an outage: retried by the state machine) or
 * DeletionNotStarted (anything else), each saying that nothing was deleted. Otherwise, or when the
 * proof itself cannot be read, the error is thrown as it came, its message saying that the deletion
 * had started or may have started.
 */
export async function deleteReportingProgress(
  deleteStack: (deps: DeleteStackDeps, event: DeleteStackEvent) => Promise<DeleteStackResult>,
  deps: DeleteStackDeps,
  event: DeleteStackEvent,
): Promise<DeleteStackResult> {
  const sent = { deleteStack: false };
  try {
    return await deleteStack({ ...deps, cfn: watched(deps.cfn, sent) }, event);
  } catch (err) {
    const named = classifyAwsError(err);
    if (event.expectedStackId === undefined) throw named;
    if (sent.deleteStack) throw annotated(named, `DeleteStack of ${event.stackName} was requested: its deletion may have started`);
    const unproven = await whyNotProvenIntact(deps, event).catch((e: unknown) => `its buckets could not be compared with their verified manifests (${classifyAwsError(e).message})`);
    if (unproven !== undefined) throw annotated(named, `the deletion of ${event.stackName} may have started: ${unproven}`);
    const nothing = `nothing of stack ${event.stackName} was deleted (DeleteStack was not requested, and its buckets still hold every version their verified manifests name)`;
    if (named instanceof DeletionRefused) throw annotated(named, nothing);
    const message = `${nothing}: ${named.name}: ${named.message}`;
    if (named instanceof AwsThrottled || named instanceof AwsUnavailable) throw new DeletionNotStartedTransient(message);
    throw new DeletionNotStarted(message);
  }
}

/** The client, with every DeleteStack it sends recorded before it leaves. */
function watched(client: CloudFormationClient, sent: { deleteStack: boolean }): CloudFormationClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver) as unknown;
      return (command: unknown, ...rest: unknown[]) => {
        // Recorded before sending: a request whose answer is lost may still have been accepted.
        if (command instanceof DeleteStackCommand) sent.deleteStack = true;
        return (target.send as (c: unknown, ...r: unknown[]) => Promise<unknown>)(command, ...rest);
      };
    },
  });
}

function annotated(err: Error, note: string): Error {
  err.message = `${err.message} [${note}]`;
  return err;
}

/**
 * Why the original cannot be proven whole, or undefined when it is: the stack (by ID) is not being
 * deleted, and no version of any verified manifest is missing from its bucket now.
 */
async function whyNotProvenIntact(deps: DeleteStackDeps, event: DeleteStackEvent): Promise<string | undefined> {
  const stack = await describeStack(deps.cfn, event.expectedStackId ?? event.stackName);
  if (!stack?.StackId) return 'the stack can no longer be read';
  if (stack.StackStatus?.startsWith('DELETE_')) return `the stack is ${stack.StackStatus}`;
  const manifests = new Map<string, ManifestRef>();
  for (const v of Array.isArray(event.verifiedCopy?.verification) ? event.verifiedCopy.verification : []) {
    const m = v.sourceManifest;
    if (v.status === 'EQUAL' && m && m.listedBucket === v.pair?.sourceBucket) manifests.set(m.listedBucket, m);
  }
  for await (const page of paginateListStackResources({ client: deps.cfn }, { StackName: stack.StackId })) {
    for (const r of page.StackResourceSummaries ?? []) {
      if (r.ResourceType !== 'AWS::S3::Bucket' || !r.PhysicalResourceId) continue;
      if (r.ResourceStatus === 'DELETE_COMPLETE' || r.ResourceStatus === 'DELETE_SKIPPED') return `bucket ${r.LogicalResourceId} is ${r.ResourceStatus}`;
      const manifest = manifests.get(r.PhysicalResourceId);
      // delete-stack empties only buckets with a verified manifest: one without was never touched.
      if (!manifest) continue;
      for await (const change of diffListings(readManifest(deps.s3, manifest), listVersions(deps.s3, r.PhysicalResourceId), r.PhysicalResourceId)) {
        if (change.change === 'REMOVED') return `bucket ${r.PhysicalResourceId} no longer holds ${change.entry.key} (version ${change.entry.versionId}) of its verified manifest`;
      }
    }
  }
  return undefined;
}
