/**
 * The bucket passes of delete-stack, each resumable at a key boundary so that a bucket of millions of
 * versions takes as many invocations as it needs (bounded memory: one listing page, one manifest part
 * and the key at hand).
 *
 * - checkAgainstManifest: the original's bucket merge-joined with its verified manifest, read-only.
 * - deleteVerified: the same join, deleting the versions the manifest names that are still listed as
 *   they were verified.
 * - deleteEverything: a copy's bucket, every version and delete marker.
 *
 * A pass stops (returns a position) only at a key boundary and only once it has done something in
 * this invocation, so every invocation makes progress. A position says: every key up to `lastKey` is
 * done, in the live listing (resumed with KeyMarker alone, which lists the keys after it:
 * "KeyMarker: Specifies the key to start with when listing objects in a bucket", ListObjectVersions
 * API reference; lambdas/shared/versions.ts resumes the same way) and in the manifest (resumed at the
 * part and entry it had reached, that part read again and proven the same by its digest).
 */
import { DeleteObjectsCommand, GetObjectCommand, type _Error as S3Error, type ObjectIdentifier, type S3Client } from '@aws-sdk/client-s3';
import type { EmptyingPosition, ManifestEntry, ManifestPosition, ManifestRef } from '../shared/contracts';
import { AwsAccessDenied, AwsRequestFailed, AwsThrottled, AwsUnavailable, DocumentCorrupt } from '../shared/errors';
import { EMPTY_SET_DIGEST, listingLine, manifestPartKey, sameSetDigest, SetDigester } from '../shared/manifest';
import { compareKeys, describeChange, type ListingChange, type ListingJoin, listVersionsPage } from '../shared/version-listing';

/** DeleteObjects takes at most 1,000 keys per request (S3 API reference, DeleteObjects). */
export const DELETE_BATCH = 1000;
/** Versions named per bucket in a refusal. */
export const MAX_NAMED_UNVERIFIED = 10;

/** Says when a pass must stop at the next key boundary (the invocation's time is short). */
export type ShouldStop = () => boolean;

/** A pass either finished its bucket or stopped at `position`. */
export type PassOutcome = { finished: true } | { finished: false; position: EmptyingPosition };

/** Each pass's running total, carried across invocations by the caller. */
export interface Tally {
  count: number;
}

// ---------------------------------------------------------------------------------------------
// Cursors
// ---------------------------------------------------------------------------------------------

/** A live listing of a bucket, page by page, handed out one key at a time. */
class ListingCursor {
  private page: ManifestEntry[] = [];
  private at = 0;
  private next: { keyMarker?: string; versionIdMarker?: string } | undefined;
  private started = false;
  private previous: string | undefined;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    /** Resume after this key (every version of it is done). */
    private readonly afterKey: string | undefined,
  ) {
    this.previous = afterKey;
  }

  async peekKey(): Promise<string | undefined> {
    while (this.at >= this.page.length) {
      if (this.started && !this.next) return undefined;
      const from = this.started ? this.next : this.afterKey !== undefined ? { keyMarker: this.afterKey } : undefined;
      const page = await listVersionsPage(this.s3, this.bucket, from);
      this.started = true;
      this.page = page.entries;
      this.at = 0;
      this.next = page.next;
    }
    const key = (this.page[this.at] as ManifestEntry).key;
    if (this.previous !== undefined && compareKeys(key, this.previous) < 0) {
      throw new AwsRequestFailed(`ListObjectVersions of ${this.bucket} returned ${JSON.stringify(key)} after ${JSON.stringify(this.previous)}`);
    }
    return key;
  }

  /** Every entry of `key` (the key at the head), across pages. */
  async take(key: string): Promise<ManifestEntry[]> {
    const out: ManifestEntry[] = [];
    while ((await this.peekKey()) === key) out.push(this.page[this.at++] as ManifestEntry);
    this.previous = key;
    return out;
  }
}

/** A verified manifest, part by part, handed out one key at a time; its digest is checked at its end. */
class ManifestCursor {
  private entries: ManifestEntry[] = [];
  private part: number;
  private at: number;
  private before: SetDigester;
  private partDigest = EMPTY_SET_DIGEST;
  private loaded = false;
  private previous: string | undefined;

  constructor(
    private readonly s3: S3Client,
    private readonly ref: ManifestRef,
    private readonly from: ManifestPosition | undefined,
    afterKey: string | undefined,
  ) {
    this.part = from?.part ?? 1;
    this.at = from?.index ?? 0;
    this.before = new SetDigester(from?.before);
    this.previous = afterKey;
  }

  async peekKey(): Promise<string | undefined> {
    for (;;) {
      if (!this.loaded) {
        if (this.part > this.ref.parts) return undefined;
        await this.load();
      }
      if (this.at < this.entries.length) break;
      // This part is done: its digest joins the others', the next one is read.
      this.before.merge(this.partDigest);
      this.part++;
      this.at = 0;
      this.loaded = false;
      this.entries = [];
      if (this.part > this.ref.parts) {
        this.checkWhole();
        return undefined;
      }
    }
    const key = (this.entries[this.at] as ManifestEntry).key;
    if (this.previous !== undefined && compareKeys(key, this.previous) < 0) {
      throw new DocumentCorrupt(`The manifest of ${this.ref.listedBucket} is not in listing order (${JSON.stringify(key)} after ${JSON.stringify(this.previous)})`);
    }
    return key;
  }

  async take(key: string): Promise<ManifestEntry[]> {
    const out: ManifestEntry[] = [];
    while ((await this.peekKey()) === key) out.push(this.entries[this.at++] as ManifestEntry);
    this.previous = key;
    return out;
  }

  /** Where a later invocation resumes (call at a key boundary). */
  position(): ManifestPosition {
    return { part: this.part, index: this.at, before: this.before.value(), partDigest: this.partDigest };
  }

  private async load(): Promise<void> {
    const key = manifestPartKey(this.ref.prefix, this.part);
    let text: string;
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.ref.bucket, Key: key }));
      text = (await out.Body?.transformToString('utf8')) ?? '';
    } catch (err) {
      if ((err as { name?: unknown }).name === 'NoSuchKey') throw new DocumentCorrupt(`Manifest part s3://${this.ref.bucket}/${key} of ${this.ref.listedBucket} is missing`);
      throw err;
    }
    const digest = new SetDigester();
    this.entries = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      const entry = JSON.parse(line) as ManifestEntry;
      digest.add(listingLine(entry));
      this.entries.push(entry);
    }
    this.partDigest = digest.value();
    // The part an earlier invocation stopped in must be the part it read: the entries it skips now
    // are the ones it consumed then.
    if (this.from && this.from.index > 0 && this.part === this.from.part && !sameSetDigest(this.partDigest, this.from.partDigest)) {
      throw new DocumentCorrupt(`Manifest part s3://${this.ref.bucket}/${key} of ${this.ref.listedBucket} changed between two invocations of the deletion`);
    }
    if (this.at > this.entries.length) throw new DocumentCorrupt(`Manifest part s3://${this.ref.bucket}/${key} of ${this.ref.listedBucket} has fewer entries than were read from it`);
    this.loaded = true;
  }

  private checkWhole(): void {
    if (!sameSetDigest(this.before.value(), this.ref.listing)) {
      throw new DocumentCorrupt(`The manifest of ${this.ref.listedBucket} under s3://${this.ref.bucket}/${this.ref.prefix} does not add up to the digest it was written with`);
    }
  }

  /** Once exhausted: the parts read, in this invocation and earlier ones, add up to the manifest's digest (also for a manifest of no parts). */
  finish(): void {
    this.checkWhole();
  }
}

/** One key's versions, compared as sets by version ID (as lambdas/shared/version-listing.ts compareGroup does). */
function joinKey(verified: ManifestEntry[], listed: ManifestEntry[]): ListingJoin[] {
  const out: ListingJoin[] = [];
  const now = new Map(listed.map((e) => [e.versionId, e]));
  for (const e of verified) {
    const seen = now.get(e.versionId);
    if (!seen) out.push({ change: 'REMOVED', entry: e });
    else if (listingLine(seen) !== listingLine(e)) out.push({ change: 'CHANGED', entry: seen });
    else out.push({ change: 'SAME', entry: seen });
    now.delete(e.versionId);
  }
  for (const e of now.values()) out.push({ change: 'ADDED', entry: e });
  return out;
}

/**
 * The merge join of a bucket's live listing with its verified manifest, from `from`, one key at a
 * time through `onKey`, until both are exhausted or `shouldStop` says so (checked between keys, once
 * at least one key was joined). A manifest that does not add up to its digest throws DocumentCorrupt
 * once it has been read to its end.
 */
async function joinFrom(
  s3: S3Client,
  bucket: string,
  manifest: ManifestRef,
  from: EmptyingPosition | undefined,
  shouldStop: ShouldStop,
  onKey: (joined: ListingJoin[]) => Promise<void>,
  beforeStop: () => Promise<void>,
): Promise<PassOutcome> {
  const verified = new ManifestCursor(s3, manifest, from?.manifest, from?.lastKey);
  const listed = new ListingCursor(s3, bucket, from?.lastKey);
  let lastKey = from?.lastKey;
  let joined = 0;
  for (;;) {
    if (joined > 0 && shouldStop()) {
      await beforeStop();
      return { finished: false, position: { ...(lastKey !== undefined ? { lastKey } : {}), manifest: verified.position() } };
    }
    const [v, l] = await Promise.all([verified.peekKey(), listed.peekKey()]);
    if (v === undefined && l === undefined) break;
    const key = v === undefined ? (l as string) : l === undefined ? v : compareKeys(v, l) <= 0 ? v : l;
    const [mine, live] = await Promise.all([v === key ? verified.take(key) : [], l === key ? listed.take(key) : []]);
    await onKey(joinKey(mine, live));
    lastKey = key;
    joined++;
  }
  verified.finish();
  return { finished: true };
}

// ---------------------------------------------------------------------------------------------
// The passes
// ---------------------------------------------------------------------------------------------

/** What the read-only pass found so far in one bucket. */
export interface Unverified {
  count: number;
  named: string[];
}

/**
 * The read-only pass over one of the original's buckets: counts (and names up to
 * MAX_NAMED_UNVERIFIED) what is listed that the verified manifest does not name (a version added, or
 * one whose content changed under the same version ID). Versions of the manifest that are gone since
 * are no reason to refuse (the copy holds them). Deletes nothing.
 */
export async function checkAgainstManifest(
  s3: S3Client,
  bucket: string,
  manifest: ManifestRef,
  from: EmptyingPosition | undefined,
  found: Unverified,
  shouldStop: ShouldStop,
): Promise<PassOutcome> {
  return joinFrom(
    s3,
    bucket,
    manifest,
    from,
    shouldStop,
    async (joined) => {
      for (const c of joined) {
        if (c.change === 'SAME' || c.change === 'REMOVED') continue;
        if (++found.count <= MAX_NAMED_UNVERIFIED) found.named.push(describeChange(c as ListingChange));
      }
    },
    async () => undefined,
  );
}

/**
 * The deleting pass over one of the original's buckets: deletes the versions and delete markers the
 * verified manifest names that are still listed with the same identity, so a version written since
 * the read-only pass is never deleted (DeleteStack then fails on the non-empty bucket, that version
 * kept). Every batch is sent before the pass stops, so a position never hides a pending deletion.
 * Throws a named AWS error when S3 reports a version it did not delete.
 */
export async function deleteVerified(
  s3: S3Client,
  bucket: string,
  manifest: ManifestRef,
  from: EmptyingPosition | undefined,
  deleted: Tally,
  shouldStop: ShouldStop,
): Promise<PassOutcome> {
  let batch: ObjectIdentifier[] = [];
  const flush = async () => {
    if (!batch.length) return;
    await deleteBatch(s3, bucket, batch);
    deleted.count += batch.length;
    batch = [];
  };
  const outcome = await joinFrom(
    s3,
    bucket,
    manifest,
    from,
    shouldStop,
    async (joined) => {
      for (const c of joined) {
        if (c.change !== 'SAME') continue;
        batch.push({ Key: c.entry.key, VersionId: c.entry.versionId });
        if (batch.length >= DELETE_BATCH) await flush();
      }
    },
    flush,
  );
  await flush();
  return outcome;
}

/**
 * A copy's bucket: every version and delete marker, page by page (a copy of this execution, nothing
 * of it needs a manifest). Stops between pages. Throws a named AWS error when S3 reports a version it
 * did not delete.
 */
export async function deleteEverything(s3: S3Client, bucket: string, from: EmptyingPosition | undefined, deleted: Tally, shouldStop: ShouldStop): Promise<PassOutcome> {
  let next: { keyMarker?: string; versionIdMarker?: string } | undefined =
    from?.keyMarker !== undefined ? { keyMarker: from.keyMarker, ...(from.versionIdMarker !== undefined ? { versionIdMarker: from.versionIdMarker } : {}) } : undefined;
  let pages = 0;
  for (;;) {
    if (pages > 0 && shouldStop()) return { finished: false, position: { ...next } };
    const page = await listVersionsPage(s3, bucket, next);
    pages++;
    for (let i = 0; i < page.entries.length; i += DELETE_BATCH) {
      const batch = page.entries.slice(i, i + DELETE_BATCH).map((e) => ({ Key: e.key, VersionId: e.versionId }));
      await deleteBatch(s3, bucket, batch);
      deleted.count += batch.length;
    }
    if (!page.next) return { finished: true };
    next = page.next;
  }
}

/** One DeleteObjects request (at most DELETE_BATCH versions); throws when S3 reports any version it did not delete. */
async function deleteBatch(s3: S3Client, bucket: string, batch: ObjectIdentifier[]): Promise<void> {
  const out = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }));
  // HTTP 200 does not mean every key went: per-key failures come back in Errors.
  if (out.Errors?.length) throw deleteErrors(bucket, out.Errors);
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
