/**
 * Migrate, "Count the bucket's objects" (preflight, before the standby; docs/design.md invariants 8 and 9):
 * one bucket of the current stack listed in full (ListObjectVersions), as many invocations as it
 * needs (CONTINUE with the continuation). Counts current objects, noncurrent versions, delete
 * markers and bytes; reads the versioning status; and finds what cannot be copied at all.
 *
 * Archive storage classes: a version in GLACIER (Flexible Retrieval) or DEEP_ARCHIVE cannot be read
 * nor copied before it is restored ("you must first restore a copy", S3 user guide, "Restoring an
 * archived object"; CopyObject answers InvalidObjectState). GLACIER_IR is read like STANDARD and is
 * fine. An INTELLIGENT_TIERING object may sit in the opt-in Archive Access or Deep Archive Access
 * tier, which ListObjectVersions does not show: HeadObject's ArchiveStatus does ("x-amz-archive-status",
 * S3 API reference, HeadObject). Every carried INTELLIGENT_TIERING version is therefore HEADed: the
 * bucket's Intelligent-Tiering configuration would not do, because objects archived under a
 * configuration stay archived after it is removed. One HEAD per such object (about $0.0004 per 1,000).
 */
import { GetBucketVersioningCommand, HeadObjectCommand, ListObjectVersionsCommand, type ObjectVersion, type S3Client } from '@aws-sdk/client-s3';
import { mapConcurrent } from '../shared/concurrency';
import type { InventoryBucketEvent, InventoryBucketResult, InventoryContinuation } from '../shared/contracts';
import { AwsRequestFailed, PreflightFailed } from '../shared/errors';
import type { RemainingTime } from '../shared/handler';

export interface InventoryOptions {
  /** Stop listing (CONTINUE) when less than this remains of the invocation. */
  safetyMarginMs: number;
  /** HeadObject requests in flight at once (INTELLIGENT_TIERING objects). */
  concurrency: number;
}

/** Storage classes whose objects must be restored before they can be copied. */
export const ARCHIVE_STORAGE_CLASSES = new Set(['GLACIER', 'DEEP_ARCHIVE']);
/** Archived keys named in the refusal. */
export const MAX_ARCHIVED_KEYS = 10;

/**
 * Lists one bucket as far as this invocation's time allows. Returns CONTINUE with the continuation
 * while versions remain, DONE with the counts (and, with objectVersions `current`, how many
 * noncurrent versions and delete markers will not be carried). Throws PreflightFailed, once the
 * bucket is listed, naming the bucket, how many versions that would be carried are archived and up
 * to MAX_ARCHIVED_KEYS of their keys. Raw SDK errors otherwise.
 */
export async function inventoryBucket(s3: S3Client, event: InventoryBucketEvent, remainingMs: RemainingTime, options: InventoryOptions): Promise<InventoryBucketResult> {
  const { bucket } = event;
  const onlyCurrent = event.objectVersions === 'current';
  const c: InventoryContinuation = event.continuation ?? {
    counts: { currentObjects: 0, noncurrentVersions: 0, deleteMarkers: 0, bytes: 0, archived: 0 },
    archivedKeys: [],
    invocations: 0,
  };
  c.invocations++;
  const versioningStatus = (await s3.send(new GetBucketVersioningCommand({ Bucket: bucket.bucketName }))).Status;
  const versioning = versioningStatus === 'Enabled' || versioningStatus === 'Suspended' ? versioningStatus : 'Never';

  let pages = 0;
  for (;;) {
    if (pages > 0 && remainingMs() < options.safetyMarginMs) return result('CONTINUE');
    const page = await s3.send(
      new ListObjectVersionsCommand({ Bucket: bucket.bucketName, KeyMarker: c.keyMarker, VersionIdMarker: c.keyMarker !== undefined ? c.versionIdMarker : undefined }),
    );
    pages++;
    const tiered: ObjectVersion[] = [];
    for (const v of page.Versions ?? []) {
      if (v.IsLatest) c.counts.currentObjects++;
      else c.counts.noncurrentVersions++;
      c.counts.bytes += v.Size ?? 0;
      if (onlyCurrent && !v.IsLatest) continue;
      if (ARCHIVE_STORAGE_CLASSES.has((v.StorageClass as string | undefined) ?? '')) archived(v.Key);
      else if ((v.StorageClass as string | undefined) === 'INTELLIGENT_TIERING') tiered.push(v);
    }
    c.counts.deleteMarkers += page.DeleteMarkers?.length ?? 0;
    const { results } = await mapConcurrent(tiered, options.concurrency, async (v) => {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket.bucketName, Key: v.Key, VersionId: v.VersionId === 'null' ? undefined : v.VersionId }));
      return head.ArchiveStatus === 'ARCHIVE_ACCESS' || head.ArchiveStatus === 'DEEP_ARCHIVE_ACCESS';
    });
    tiered.forEach((v, i) => results[i] && archived(v.Key));

    if (!page.IsTruncated) break;
    if (page.NextKeyMarker === undefined && page.NextVersionIdMarker === undefined) {
      throw new AwsRequestFailed(`ListObjectVersions of ${bucket.bucketName} is truncated but gave no marker to continue from`);
    }
    c.keyMarker = page.NextKeyMarker;
    c.versionIdMarker = page.NextVersionIdMarker;
  }

  if (c.counts.archived > 0) {
    const more = c.counts.archived - c.archivedKeys.length;
    throw new PreflightFailed([
      `bucket ${bucket.bucketName} (${bucket.logicalId}) holds ${c.counts.archived} object version(s) in an archive storage class (GLACIER, DEEP_ARCHIVE or an Intelligent-Tiering archive tier), which cannot be copied without a restore: ${c.archivedKeys.map((k) => JSON.stringify(k)).join(', ')}${more > 0 ? ` and ${more} more` : ''}. Restore them and copy them to a non-archive storage class (or delete them) before migrating; nothing was touched`,
    ]);
  }
  delete c.keyMarker;
  delete c.versionIdMarker;
  return result('DONE');

  function archived(key: string | undefined): void {
    c.counts.archived++;
    if (key !== undefined && c.archivedKeys.length < MAX_ARCHIVED_KEYS) c.archivedKeys.push(key.length > 200 ? `${key.slice(0, 200)}…` : key);
  }

  function result(status: InventoryBucketResult['status']): InventoryBucketResult {
    return {
      status,
      bucket,
      versioning,
      counts: c.counts,
      notCarried: onlyCurrent ? c.counts.noncurrentVersions + c.counts.deleteMarkers : 0,
      continuation: c,
    };
  }
}
