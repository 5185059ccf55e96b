/**
 * A bucket's versions as ListObjectVersions reports them, as ManifestEntry lines, and the merge join
 * of a live listing with a verified manifest. Both are in listing order (keys in UTF-8 binary order;
 * within a key, newest first), so the join holds one key's versions at a time from each side:
 * bounded memory whatever the bucket's size.
 *
 * Readers: recheck-original (the original against its verified manifests before its deletion, to
 * name what changed) and delete-stack (the original's buckets are emptied only of what a manifest
 * names, after a read-only pass that refuses anything else).
 */
import { ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ManifestEntry } from './contracts';
import { AwsRequestFailed, DocumentCorrupt } from './errors';
import { listingLine } from './manifest';
import { compareKeys, plainEtag } from './s3-objects';

/** Listing order (UTF-8 binary), for the readers that merge a listing with a manifest. */
export { compareKeys };

export interface VersionPage {
  /** The page's versions and delete markers, in key order. */
  entries: ManifestEntry[];
  /** Where the next page starts; absent when this was the last. */
  next?: { keyMarker?: string; versionIdMarker?: string };
}

/**
 * One page of ListObjectVersions as manifest entries. S3 returns versions and delete markers in two
 * arrays; they are merged by key (a key's versions may then be in any order: the join compares
 * them as a set). Throws AwsRequestFailed when a truncated page gives no marker to resume from.
 */
export async function listVersionsPage(s3: S3Client, bucket: string, from?: { keyMarker?: string; versionIdMarker?: string }, maxKeys?: number): Promise<VersionPage> {
  const page = await s3.send(
    new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker: from?.keyMarker, VersionIdMarker: from?.versionIdMarker, ...(maxKeys ? { MaxKeys: maxKeys } : {}) }),
  );
  const entries: ManifestEntry[] = [];
  for (const v of page.Versions ?? []) {
    if (v.Key === undefined) continue;
    entries.push({ key: v.Key, versionId: v.VersionId ?? 'null', size: v.Size ?? 0, etag: plainEtag(v.ETag) });
  }
  for (const m of page.DeleteMarkers ?? []) {
    if (m.Key === undefined) continue;
    entries.push({ key: m.Key, versionId: m.VersionId ?? 'null', deleteMarker: true });
  }
  // Stable: Array.prototype.sort is stable, so each array's own order survives within a key.
  entries.sort((a, b) => compareKeys(a.key, b.key));
  if (!page.IsTruncated) return { entries };
  if (page.NextKeyMarker === undefined && page.NextVersionIdMarker === undefined) {
    throw new AwsRequestFailed(`ListObjectVersions of ${bucket} is truncated but gave no marker to continue from`);
  }
  return { entries, next: { keyMarker: page.NextKeyMarker, versionIdMarker: page.NextVersionIdMarker } };
}

/** Every version and delete marker of a bucket, page by page, in key order. */
export async function* listVersions(s3: S3Client, bucket: string): AsyncGenerator<ManifestEntry> {
  let from: VersionPage['next'];
  do {
    const page = await listVersionsPage(s3, bucket, from);
    yield* page.entries;
    from = page.next;
  } while (from);
}

/** One entry of the join of a verified manifest with a live listing. */
export interface ListingJoin {
  /**
   * SAME: in both, identical; ADDED: listed now, not in the manifest; REMOVED: in the manifest, not
   * listed now; CHANGED: same version ID, other content (the entry as listed now).
   */
  change: 'SAME' | 'ADDED' | 'REMOVED' | 'CHANGED';
  entry: ManifestEntry;
}

/** One difference between a verified manifest and a live listing. */
export interface ListingChange extends ListingJoin {
  change: 'ADDED' | 'REMOVED' | 'CHANGED';
}

interface KeyGroup {
  key: string;
  entries: ManifestEntry[];
}

/**
 * Consecutive entries of one key. A key that comes back after another key, or keys out of order,
 * mean the listing is not in listing order and a join over it would name differences that are not
 * there (or miss some): `outOfOrder` is thrown.
 */
async function* byKey(entries: AsyncIterable<ManifestEntry>, outOfOrder: (key: string, after: string) => Error): AsyncGenerator<KeyGroup> {
  let group: KeyGroup | undefined;
  for await (const e of entries) {
    if (group && e.key === group.key) {
      group.entries.push(e);
      continue;
    }
    if (group) {
      if (compareKeys(e.key, group.key) < 0) throw outOfOrder(e.key, group.key);
      yield group;
    }
    group = { key: e.key, entries: [e] };
  }
  if (group) yield group;
}

/**
 * Merge join of a verified manifest with a live listing, both in listing order: yields every
 * difference in key order. Throws DocumentCorrupt when the manifest is out of order (or, from
 * readManifest, does not add up to its digest: only known once it has been read to its end), and
 * AwsRequestFailed when the live listing is.
 */
export async function* diffListings(manifest: AsyncIterable<ManifestEntry>, live: AsyncIterable<ManifestEntry>, bucket: string): AsyncGenerator<ListingChange> {
  for await (const j of joinListings(manifest, live, bucket)) if (j.change !== 'SAME') yield j as ListingChange;
}

/** The whole join (diffListings, with the entries found identical on both sides as SAME). */
export async function* joinListings(manifest: AsyncIterable<ManifestEntry>, live: AsyncIterable<ManifestEntry>, bucket: string): AsyncGenerator<ListingJoin> {
  const verified = byKey(manifest, (k, after) => new DocumentCorrupt(`The manifest of ${bucket} is not in listing order (${JSON.stringify(k)} after ${JSON.stringify(after)})`));
  const listed = byKey(live, (k, after) => new AwsRequestFailed(`ListObjectVersions of ${bucket} returned ${JSON.stringify(k)} after ${JSON.stringify(after)}`));
  let v = await verified.next();
  let l = await listed.next();
  while (!v.done || !l.done) {
    const order = v.done ? 1 : l.done ? -1 : compareKeys(v.value.key, l.value.key);
    if (order < 0 && !v.done) {
      for (const entry of v.value.entries) yield { change: 'REMOVED', entry };
      v = await verified.next();
    } else if (order > 0 && !l.done) {
      for (const entry of l.value.entries) yield { change: 'ADDED', entry };
      l = await listed.next();
    } else if (!v.done && !l.done) {
      yield* compareGroup(v.value, l.value);
      v = await verified.next();
      l = await listed.next();
    }
  }
}

/** One key's versions, compared as sets by version ID (S3 never reuses one within a bucket; the unversioned `null` is told apart by its content). */
function* compareGroup(verified: KeyGroup, listed: KeyGroup): Generator<ListingJoin> {
  const now = new Map(listed.entries.map((e) => [e.versionId, e]));
  for (const e of verified.entries) {
    const seen = now.get(e.versionId);
    if (!seen) yield { change: 'REMOVED', entry: e };
    else if (listingLine(seen) !== listingLine(e)) yield { change: 'CHANGED', entry: seen };
    else yield { change: 'SAME', entry: seen };
    now.delete(e.versionId);
  }
  for (const e of now.values()) yield { change: 'ADDED', entry: e };
}

/** A change in words: `added "key" (version v, 12 bytes)`. */
export function describeChange(c: ListingChange): string {
  const what = c.entry.deleteMarker ? 'delete marker' : `${c.entry.size ?? 0} bytes`;
  const verb = c.change === 'ADDED' ? 'added' : c.change === 'REMOVED' ? 'removed' : 'changed';
  return `${verb} ${JSON.stringify(c.entry.key.length > 200 ? `${c.entry.key.slice(0, 200)}…` : c.entry.key)} (version ${c.entry.versionId}, ${what})`;
}
