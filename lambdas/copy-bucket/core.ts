import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type DeleteObjectCommandInput,
  type HeadObjectCommandOutput,
  type ListObjectVersionsCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { type AdaptiveLimiter, createAdaptiveLimiter, mapConcurrent } from '../shared/concurrency';
import type { CopyBucketEvent, CopyBucketResult, CopyContinuation, CopyTotals } from '../shared/contracts';
import { AwsThrottled, classifyAwsError, CopyFailed, VersionHistoryNotCarried } from '../shared/errors';
import type { RemainingTime } from '../shared/handler';
import { bucketUsesKms, commonChecksum, compareKeys, copySource, isMultipartEtag } from '../shared/s3-objects';
import { HistoryCursor, HistoryReader, type KeyHistory, type ListedEntry, hasHistory, versionSuffix, wantedEntries } from '../shared/versions';

const MIB = 1024 * 1024;
/** CopyObject copies up to 5 GB; larger objects need UploadPartCopy
 *  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/CopyingObjctsMPUapi.html). */
export const MAX_SINGLE_COPY_BYTES = 5 * 1024 * MIB;
export const PART_BYTES = 512 * MIB;
/** Multipart limits: at most 10,000 parts of at most 5 GiB each, all but the last at least 5 MiB. */
const MAX_PARTS = 10_000;

export interface CopyOptions {
  /** Copy requests in flight at most (COPY_CONCURRENCY); fewer while S3 pushes back. */
  concurrency: number;
  /** No new page is started with less than this left of the invocation (COPY_SAFETY_MARGIN_MS). */
  safetyMarginMs: number;
}

const ZERO_TOTALS: CopyTotals = {
  objectsCopied: 0,
  objectsSkipped: 0,
  bytesCopied: 0,
  multipartObjects: 0,
  deleteMarkersCopied: 0,
  versionsCleared: 0,
  requests: 0,
};

/** A single-part copy that S3 throttled beyond the SDK's retries is tried again this many times, at a lower concurrency. */
const THROTTLED_COPY_RETRIES = 3;

/**
 * Clone, "copy buckets": copies one source bucket into its destination partner server-side, as much
 * as one invocation's time budget allows. With objectVersions "all" (the default) every key's whole
 * history is recreated, oldest first: each version by CopyObject of that version (metadata and tags
 * carried, a CRC64NVME asked for), each delete marker by DeleteObject, which in a versioned bucket
 * writes a marker. With "current", only current objects. Keys run in parallel (a key's versions in
 * order), at up to `concurrency` requests in flight, fewer while S3 answers SlowDown.
 *
 * Resumable and idempotent: the destination's histories are walked alongside the source's (a merge
 * join, no request per identical version); a key whose destination history equals the source's is
 * skipped, a strict prefix is completed, anything else is cleared and copied again. Invocations
 * end at key boundaries. With `mirror` (live sync's delta pass, the source frozen), the keys the
 * destination has and the source no longer has are removed from it, version by version, within
 * this invocation's key range (those the walk passes over, and once the source is exhausted every
 * one after its last key), counted in versionsRemoved; without it nothing of the destination is
 * removed but what copyKey clears. With `range` (split-bucket's key ranges, copied in parallel by
 * other invocations) only the keys after range.after up to range.upTo are copied, and mirror removes
 * none outside them: DONE means the range is done. Returns CONTINUE with the continuation for the next invocation, or DONE.
 * Throws VersionHistoryNotCarried when a key has a history and the destination is not versioned, the
 * raw SDK error of a failed request (the handler classifies it), or CopyFailed naming the object.
 */
export async function copyBucket(s3: S3Client, event: CopyBucketEvent, remainingMs: RemainingTime, options: CopyOptions): Promise<CopyBucketResult> {
  const { pair } = event;
  const objectVersions = event.objectVersions ?? 'all';
  const prior = event.continuation;
  const totals: CopyTotals = { ...ZERO_TOTALS, ...prior?.totals };
  const invocations = (prior?.invocations ?? 0) + 1;

  const limit = createAdaptiveLimiter(options.concurrency);
  const send = counted(s3, totals, limit);
  const [sourceKms, destinationKms, destinationVersioned] = await Promise.all([
    send.track(bucketUsesKms(s3, pair.sourceBucket)),
    send.track(bucketUsesKms(s3, pair.destinationBucket)),
    send.track(s3.send(new GetBucketVersioningCommand({ Bucket: pair.destinationBucket }))).then((v) => v.Status === 'Enabled'),
  ]);
  const copier = new ObjectCopier(send, limit, pair.sourceBucket, pair.destinationBucket, !sourceKms && !destinationKms, options.concurrency, totals);
  // Mirror (live sync's delta pass): destination keys the source no longer has, met by the merge
  // walk between two source keys, are removed before the invocation ends.
  const passed: KeyHistory[] = [];
  const mirror = event.mirror === true;
  if (mirror) totals.versionsRemoved ??= 0;
  // Everything up to lastKey was handled by earlier invocations: both walks start after it, or
  // after the range's start (keys up to range.after are another range's).
  const range = event.range ?? {};
  const startAfter = range.after !== undefined && (prior?.lastKey === undefined || compareKeys(range.after, prior.lastKey) > 0) ? range.after : prior?.lastKey;
  /** A key after the range's end: another range's, neither copied nor removed here. */
  const beyond = (key: string) => range.upTo !== undefined && compareKeys(key, range.upTo) > 0;
  const source = new HistoryReader(send.listVersions, pair.sourceBucket, startAfter);
  const destination = new HistoryCursor(new HistoryReader(send.listVersions, pair.destinationBucket, startAfter), mirror ? (h) => passed.push(h) : undefined);

  let inFlight = 0;
  // Resolved by the next key that finishes: how the stream waits for a free place, and for the end.
  let freed: (() => void) | undefined;
  let failure: { error: unknown } | undefined;
  let started = 0;
  let lastKey = prior?.lastKey;
  let exhausted = false;
  // A key's copies may take a while (a multipart copy of a large version): no new key is started
  // with less than a third of the margin left. Whatever the budget, every invocation makes progress.
  const hardStopMs = options.safetyMarginMs / 3;
  const slot = async () => {
    while (inFlight >= limit.limit) await new Promise<void>((resolve) => (freed = resolve));
  };
  /** Runs one key's work in a free place; every started key finishes before the invocation returns. */
  const launch = (work: Promise<void>) => {
    inFlight++;
    void work
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => {
        inFlight--;
        const wake = freed;
        freed = undefined;
        wake?.();
      });
  };
  for (;;) {
    await slot();
    // Checked once a slot is free: waiting for one may have used up the time left.
    if (failure || (started > 0 && remainingMs() < hardStopMs)) break;
    const history = await source.next();
    // The first key past the range's end: the range is exhausted.
    if (!history || beyond(history.key)) {
      exhausted = true;
      break;
    }
    const wanted = wantedEntries(history, objectVersions);
    if (objectVersions === 'all' && !destinationVersioned && hasHistory(history)) {
      failure ??= {
        error: new VersionHistoryNotCarried(
          `s3://${pair.sourceBucket}/${history.key} has ${history.entries.length} versions and delete markers, but the destination bucket ${pair.destinationBucket} (${pair.logicalId}) has no versioning: its history cannot be carried. Enable versioning on ${pair.logicalId} in the template, or start the migration with objectVersions "current" to copy current objects only`,
        ),
      };
      break;
    }
    const found = await destination.find(history.key);
    // Keys walked past are before this one: removed within this invocation, whose resume point is at least this key.
    while (passed.length) {
      const gone = passed.shift() as KeyHistory;
      launch(copier.remove(gone.key, gone.entries));
      await slot();
    }
    started++;
    // Every started key finishes before the invocation returns, so the last one started is the resume point.
    lastKey = history.key;
    launch(copier.copyKey(history.key, wanted, found?.entries ?? []));
  }
  // The source is exhausted: every destination key after its last one is the source's no more. Each
  // removal is a key started, so a removal cut short by the time budget resumes after the last one.
  if (exhausted && mirror && !failure) {
    for await (const gone of destination.rest()) {
      if (beyond(gone.key)) break;
      await slot();
      if (failure || (started > 0 && remainingMs() < hardStopMs)) {
        exhausted = false;
        break;
      }
      started++;
      lastKey = gone.key;
      launch(copier.remove(gone.key, gone.entries));
    }
  }
  // Copies in flight finish (a multipart copy aborts its upload on failure) before anything is reported.
  while (inFlight > 0) await new Promise<void>((resolve) => (freed = resolve));
  if (failure) throw failure.error;
  const continuation: CopyContinuation = { totals, invocations };
  if (lastKey !== undefined) continuation.lastKey = lastKey;
  return { status: exhausted ? 'DONE' : 'CONTINUE', pair, continuation, ...(event.range ? { range: event.range } : {}) };
}

/**
 * Every S3 request of the copy goes through here, so `requests` counts them all, and so the limiter
 * hears of every push-back: a request the SDK had to retry ($metadata.attempts > 1, the SDK retries
 * SlowDown and 5xx answers with backoff) or one that failed with throttling after its retries.
 */
function counted(s3: S3Client, totals: CopyTotals, limit: AdaptiveLimiter) {
  const once = <T>(request: Promise<T>): Promise<T> => {
    totals.requests++;
    return Promise.resolve(request).then(
      (out) => {
        const attempts = (out as { $metadata?: { attempts?: number } } | undefined)?.$metadata?.attempts ?? 1;
        if (attempts > 1) limit.pushedBack();
        else limit.succeeded();
        return out;
      },
      (err: unknown) => {
        if (classifyAwsError(err) instanceof AwsThrottled) limit.pushedBack();
        throw err;
      },
    );
  };
  return {
    track: once,
    listVersions: (input: ListObjectVersionsCommandInput) => once(s3.send(new ListObjectVersionsCommand(input))),
    head: (bucket: string, key: string, versionId?: string) =>
      once(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED', ...(versionId ? { VersionId: versionId } : {}) }))),
    deleteObject: (input: DeleteObjectCommandInput) => once(s3.send(new DeleteObjectCommand(input))),
    copy: (input: ConstructorParameters<typeof CopyObjectCommand>[0]) => once(s3.send(new CopyObjectCommand(input))),
    tagging: (bucket: string, key: string, versionId?: string) =>
      once(s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }))),
    create: (input: ConstructorParameters<typeof CreateMultipartUploadCommand>[0]) => once(s3.send(new CreateMultipartUploadCommand(input))),
    part: (input: ConstructorParameters<typeof UploadPartCopyCommand>[0]) => once(s3.send(new UploadPartCopyCommand(input))),
    complete: (input: ConstructorParameters<typeof CompleteMultipartUploadCommand>[0]) => once(s3.send(new CompleteMultipartUploadCommand(input))),
    abort: (input: ConstructorParameters<typeof AbortMultipartUploadCommand>[0]) => once(s3.send(new AbortMultipartUploadCommand(input))),
  };
}
type Requests = ReturnType<typeof counted>;

class ObjectCopier {
  constructor(
    private readonly requests: Requests,
    private readonly limit: <T>(task: () => Promise<T>) => Promise<T>,
    private readonly sourceBucket: string,
    private readonly destinationBucket: string,
    /** Neither bucket encrypts with KMS, so single-part ETags are MD5s of the content. */
    private readonly etagsAreMd5: boolean,
    private readonly partConcurrency: number,
    private readonly totals: CopyTotals,
  ) {}

  /**
   * Makes the destination history of `key` equal to `wanted` (oldest first). The destination bucket
   * belongs to the stack this execution created (it carries this execution's tag), so what it holds
   * under this key was written by an earlier attempt of this very copy: clearing it deletes no data
   * of anyone's, only a copy that went differently (a source changed between attempts, a version
   * written twice by a retried request). The source is never written to.
   */
  async copyKey(key: string, wanted: ListedEntry[], existing: ListedEntry[]): Promise<void> {
    try {
      let same = 0;
      while (same < existing.length && same < wanted.length && (await this.identical(wanted[same] as ListedEntry, existing[same] as ListedEntry))) same++;
      if (same < existing.length) {
        await this.clear(key, existing);
        same = 0;
      }
      this.totals.objectsSkipped += wanted.slice(0, same).filter((e) => !e.deleteMarker).length;
      // In order: each write becomes the key's newest version.
      for (const entry of wanted.slice(same)) await this.copyEntry(entry);
    } catch (err) {
      // AWS errors stay raw for the handler to classify (throttling is retried, access denied is not).
      if (err instanceof CopyFailed || classifyAwsError(err) !== err) throw err;
      throw new CopyFailed(`Copy of s3://${this.sourceBucket}/${key} to s3://${this.destinationBucket} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async copyEntry(entry: ListedEntry): Promise<void> {
    if (entry.deleteMarker) {
      // DeleteObject without a version ID writes a delete marker in a versioned bucket (S3 user guide,
      // "Working with delete markers"); only ever reached for a versioned destination.
      await this.limit(() => this.requests.deleteObject({ Bucket: this.destinationBucket, Key: entry.key }));
      this.totals.deleteMarkersCopied++;
      return;
    }
    if (entry.size > MAX_SINGLE_COPY_BYTES) await this.copyMultipart(entry);
    else await this.copySingleRetryingThrottled(entry);
    this.totals.objectsCopied++;
    this.totals.bytesCopied += entry.size;
  }

  /**
   * Mirror only: removes the destination history of a key the source no longer has, version by
   * version (DeleteObject with VersionId deletes that version for good; never a delete marker over
   * it), counted in versionsRemoved. The destination is this run's own new bucket (see copyKey).
   */
  async remove(key: string, existing: ListedEntry[]): Promise<void> {
    try {
      for (const e of [...existing].reverse()) {
        await this.limit(() => this.requests.deleteObject({ Bucket: this.destinationBucket, Key: key, VersionId: e.versionId }));
        this.totals.versionsRemoved = (this.totals.versionsRemoved ?? 0) + 1;
      }
    } catch (err) {
      if (classifyAwsError(err) !== err) throw err;
      throw new CopyFailed(`Removal of s3://${this.destinationBucket}/${key}, which the source no longer has, failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Removes every entry of the key's destination history, version by version (never a marker over it). */
  private async clear(key: string, existing: ListedEntry[]): Promise<void> {
    for (const e of [...existing].reverse()) {
      await this.limit(() => this.requests.deleteObject({ Bucket: this.destinationBucket, Key: key, VersionId: e.versionId }));
      this.totals.versionsCleared++;
    }
  }

  /**
   * Same kind of entry; for versions the same size and same MD5 ETag, or where ETags are not MD5s
   * (multipart, KMS) the same full-object checksum. Anything unproven counts as different (copied again).
   */
  private async identical(source: ListedEntry, destination: ListedEntry): Promise<boolean> {
    if (source.deleteMarker || destination.deleteMarker) return source.deleteMarker === destination.deleteMarker;
    if (destination.size !== source.size) return false;
    if (this.etagsAreMd5 && !isMultipartEtag(source.etag) && !isMultipartEtag(destination.etag)) return source.etag === destination.etag;
    const [a, b] = await Promise.all([
      this.limit(() => this.requests.head(this.sourceBucket, source.key, source.versionId)),
      this.limit(() => this.requests.head(this.destinationBucket, destination.key, destination.versionId)),
    ]);
    const common = commonChecksum(a, b);
    return common !== undefined && common.source === common.destination;
  }

  /**
   * A copy S3 still throttled after the SDK's retries is tried again (the limiter has lowered the
   * concurrency meanwhile) rather than failing the invocation; a multipart copy is not, its parts
   * are retried by the SDK and a failure aborts the upload.
   */
  private async copySingleRetryingThrottled(source: ListedEntry): Promise<void> {
    for (let retry = 0; ; retry++) {
      try {
        await this.copySingle(source);
        return;
      } catch (err) {
        if (retry >= THROTTLED_COPY_RETRIES || !(classifyAwsError(err) instanceof AwsThrottled)) throw err;
      }
    }
  }

  private async copySingle(source: ListedEntry): Promise<void> {
    await this.limit(() =>
      this.requests.copy({
        Bucket: this.destinationBucket,
        Key: source.key,
        CopySource: versionSource(this.sourceBucket, source),
        // COPY (the defaults, stated for the reader) keeps content type, user metadata and tags.
        MetadataDirective: 'COPY',
        TaggingDirective: 'COPY',
        // A full-object checksum on the destination lets verification compare it with the source.
        ChecksumAlgorithm: 'CRC64NVME',
      }),
    );
  }

  /**
   * Objects over 5 GiB: a multipart upload whose parts are server-side copies of byte ranges. The
   * metadata and tags that CopyObject would carry over are read from the source and set explicitly.
   * The upload is aborted on any failure, so no invisible half-copy keeps costing storage.
   */
  private async copyMultipart(source: ListedEntry): Promise<void> {
    const versionId = source.versionId === 'null' && source.isLatest ? undefined : source.versionId;
    const head = await this.limit(() => this.requests.head(this.sourceBucket, source.key, versionId));
    const tags = await this.limit(() => this.requests.tagging(this.sourceBucket, source.key, versionId));
    const tagging = (tags.TagSet ?? []).map((t) => `${encodeURIComponent(t.Key ?? '')}=${encodeURIComponent(t.Value ?? '')}`).join('&');
    const created = await this.requests.create({
      Bucket: this.destinationBucket,
      Key: source.key,
      ...contentHeaders(head),
      Metadata: head.Metadata,
      ...(tagging ? { Tagging: tagging } : {}),
      ChecksumAlgorithm: 'CRC64NVME',
      ChecksumType: 'FULL_OBJECT',
    });
    const uploadId = created.UploadId;
    if (!uploadId) throw new CopyFailed(`CreateMultipartUpload for s3://${this.destinationBucket}/${source.key} returned no UploadId`);
    const size = head.ContentLength ?? source.size;
    try {
      const ranges = partRanges(size);
      const { results } = await mapConcurrent(ranges, this.partConcurrency, (range, i) =>
        this.limit(async (): Promise<CompletedPart> => {
          const out = await this.requests.part({
            Bucket: this.destinationBucket,
            Key: source.key,
            UploadId: uploadId,
            PartNumber: i + 1,
            CopySource: versionSource(this.sourceBucket, source),
            CopySourceRange: `bytes=${range.start}-${range.end}`,
            // Every part from the same version of the source, even if it is overwritten meanwhile.
            ...(head.ETag ? { CopySourceIfMatch: head.ETag } : {}),
          });
          const etag = out.CopyPartResult?.ETag;
          if (!etag) throw new CopyFailed(`UploadPartCopy part ${i + 1} of s3://${this.destinationBucket}/${source.key} returned no ETag`);
          const checksum = out.CopyPartResult?.ChecksumCRC64NVME;
          return { ETag: etag, PartNumber: i + 1, ...(checksum ? { ChecksumCRC64NVME: checksum } : {}) };
        }),
      );
      // With the source's own CRC64NVME, S3 checks the assembled object against it before completing.
      const sourceCrc = head.ChecksumCRC64NVME;
      await this.requests.complete({
        Bucket: this.destinationBucket,
        Key: source.key,
        UploadId: uploadId,
        MultipartUpload: { Parts: results as CompletedPart[] },
        ChecksumType: 'FULL_OBJECT',
        MpuObjectSize: size,
        ...(sourceCrc ? { ChecksumCRC64NVME: sourceCrc } : {}),
      });
      this.totals.multipartObjects++;
    } catch (err) {
      try {
        await this.requests.abort({ Bucket: this.destinationBucket, Key: source.key, UploadId: uploadId });
      } catch {
        // The copy's own failure is the one to report; a lifecycle rule can still clean up the upload.
      }
      throw err;
    }
  }
}

/**
 * The copy source of one version: `bucket/key?versionId=<id>` (CopyObject reference, CopySource: "To
 * copy a specific version of an object, append ?versionId=<version-id>"). The `null` version of an
 * unversioned bucket is its only one, named without a version ID as before.
 */
function versionSource(bucket: string, entry: ListedEntry): string {
  return entry.versionId === 'null' && entry.isLatest ? copySource(bucket, entry.key) : `${copySource(bucket, entry.key)}${versionSuffix(entry.versionId)}`;
}

function contentHeaders(head: HeadObjectCommandOutput) {
  return {
    ...(head.ContentType ? { ContentType: head.ContentType } : {}),
    ...(head.CacheControl ? { CacheControl: head.CacheControl } : {}),
    ...(head.ContentDisposition ? { ContentDisposition: head.ContentDisposition } : {}),
    ...(head.ContentEncoding ? { ContentEncoding: head.ContentEncoding } : {}),
    ...(head.ContentLanguage ? { ContentLanguage: head.ContentLanguage } : {}),
    ...(head.WebsiteRedirectLocation ? { WebsiteRedirectLocation: head.WebsiteRedirectLocation } : {}),
    ...(head.Expires ? { Expires: head.Expires } : {}),
  };
}

/** Inclusive byte ranges of 512 MiB parts, larger (whole MiB) when 10,000 parts would not cover the object. */
export function partRanges(size: number): { start: number; end: number }[] {
  const partBytes = Math.max(PART_BYTES, Math.ceil(size / MAX_PARTS / MIB) * MIB);
  const ranges: { start: number; end: number }[] = [];
  for (let start = 0; start < size; start += partBytes) ranges.push({ start, end: Math.min(start + partBytes, size) - 1 });
  return ranges;
}
