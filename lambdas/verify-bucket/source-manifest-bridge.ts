/**
 * BRIDGE until H2's verify-bucket lands (drop this file and its call in handler.ts at the merge):
 * records the source bucket's listing (every version and delete marker, in listing order) as the
 * verified pair's `sourceManifest`, so the recheck of the original and delete-stack have a manifest
 * to compare with. H2's verify-bucket writes the manifest it actually verified.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { ExecutionRef, ManifestRef } from '../shared/contracts';
import { documentKey, workflowBucket } from '../shared/documents';
import { ManifestWriter } from '../shared/manifest';
import { listVersionsPage, type VersionPage } from '../shared/version-listing';

export async function recordSourceManifest(s3: S3Client, bucket: string, execution: ExecutionRef): Promise<ManifestRef> {
  const writer = new ManifestWriter(s3, { listedBucket: bucket, bucket: workflowBucket(), prefix: documentKey(execution, 'manifests', bucket) });
  let from: VersionPage['next'];
  do {
    const page = await listVersionsPage(s3, bucket, from);
    for (const e of page.entries) writer.add(e);
    await writer.flush();
    from = page.next;
  } while (from);
  return writer.state();
}
