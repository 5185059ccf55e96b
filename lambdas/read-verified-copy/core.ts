import type { S3Client } from '@aws-sdk/client-s3';
import type { CloneOutput, ReadVerifiedCopyEvent, ReadVerifiedCopyResult } from '../shared/contracts';
import { getJsonDocument } from '../shared/documents';
import { RetireRefused } from '../shared/errors';

/**
 * Retire, before the deletion: reads the clone output the migration kept in the workflow bucket
 * (RetireInput.cloneOutput; its SHA-256 is checked, so a changed document is never trusted) and
 * checks it is the verified copy of exactly this switch: outcome EQUAL, made from `previous`, into
 * `live` (name and stack id). Returns it without `copies`, as delete-stack's `verifiedCopy`, which
 * checks the rest itself (statistics and every bucket EQUAL, a manifest per bucket, the copy's stack
 * complete). Throws RetireRefused naming what does not match; DocumentCorrupt when the document is
 * gone (expired with the bucket's retention) or changed.
 */
export async function readVerifiedCopy(s3: S3Client, event: ReadVerifiedCopyEvent): Promise<ReadVerifiedCopyResult> {
  const copy = await getJsonDocument<CloneOutput>(s3, event.cloneOutput);
  const problems = [
    copy.outcome === 'EQUAL' ? '' : `its outcome is ${copy.outcome}, not EQUAL`,
    copy.sourceStackName === event.previous.stackName ? '' : `it was made from ${copy.sourceStackName}, not from ${event.previous.stackName}`,
    copy.destinationStackName === event.live.stackName ? '' : `it was made into ${copy.destinationStackName}, not into the live slot ${event.live.stackName}`,
    copy.destinationStackId === event.live.stackId ? '' : `its stack is ${copy.destinationStackId}, not the live slot's ${event.live.stackId}`,
  ].filter(Boolean);
  if (problems.length) throw new RetireRefused(`Refusing to retire ${event.previous.stackName}: the clone output kept by the migration is not its verified copy in ${event.live.stackName}: ${problems.join('; ')}`);
  const { copies: _copies, ...rest } = copy;
  return rest;
}
