import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  UploadPartCopyCommand,
  type CompletedPart,
  type HeadObjectCommandOutput,
  type ListObjectsV2CommandOutput,
  type S3Client,
  type _Object,
} from '@aws-sdk/client-s3';
import { type AdaptiveLimiter, createAdaptiveLimiter, mapConcurrent } from '../shared/concurrency';
import type { CopyBucketEvent, CopyBucketResult, CopyContinuation, CopyTotals } from '../shared/contracts';
import { AwsThrottled, classifyAwsError, CopyFailed } from '../shared/errors';
import type { RemainingTime } from '../shared/handler';
import { bucketUsesKms, commonChecksum, compareKeys, copySource, isMultipartEtag } from '../shared/s3-objects';

const MIB = 1024 * 1024;
/** CopyObject copies up to 5 GB; larger objects need UploadPartCopy
 *  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/CopyingObjctsMPUapi.html). */
export const MAX_SINGLE_COPY_BYTES = 5 * 1024 * MIB;
export const PART_BYTES = 512 * MIB;
/** Multipart limits: at most 10,000 parts of at most 5 GiB each, all but the last at least 5 MiB. */
const MAX_PARTS = 10_000;
const PAGE_SIZE = 1000;
/** Copy requests in flight at once unless COPY_CONCURRENCY says otherwise. */
export const DEFAULT_COPY_CONCURRENCY = 64;

export interface CopyOptions {
  /** Copy requests in flight at most (COPY_CONCURRENCY); fewer while S3 pushes back. */
  concurrency: number;
  /** No new page is started with less than this left of the invocation (COPY_SAFETY_MARGIN_MS). */
  safetyMarginMs: number;
}

const ZERO_TOTALS: CopyTotals = { objectsCopied: 0, objectsSkipped: 0, bytesCopied: 0, multipartObjects: 0, requests: 0 };

/** A single-part copy that S3 throttled beyond the SDK's retries is tried again this many times, at a lower concurrency. */
const THROTTLED_COPY_RETRIES = 3;

/** One source page, tracked until every object of it is handled (the resume point is the last such page). */
interface Page {
  /** The ContinuationToken that lists this page (undefined: the listing's start). */
  listedWith: string | undefined;
  lastKey: string | undefined;
  nextToken: string | undefined;
  pending: number;
  allStarted: boolean;
}

/**
 * Clone, "copy buckets": copies one source bucket into its destination partner server-side, as much
 * as one invocation's time budget allows. Objects already identical at the destination are skipped
 * without a request each, by walking the destination listing alongside the source listing, so a
 * retried or resumed copy redoes nothing. The copies run as one continuous stream across listing
 * pages (the next page is listed while the current one is copied, and no page waits for its slowest
 * object), at up to `concurrency` requests in flight, fewer while S3 answers SlowDown. Returns
 * CONTINUE with the continuation to pass to the next invocation, or DONE once the source listing is
 * exhausted. Throws the raw SDK error of a failed request (the handler classifies it) or CopyFailed
 * naming the object for anything else.
 */
export async function copyBucket(s3: S3Client, event: CopyBucketEvent, remainingMs: RemainingTime, options: CopyOptions): Promise<CopyBucketResult> {
  const { pair } = event;
  const prior = event.continuation;
  const totals: CopyTotals = { ...ZERO_TOTALS, ...prior?.totals };
  const invocations = (prior?.invocations ?? 0) + 1;

  const limit = createAdaptiveLimiter(options.concurrency);
  const send = counted(s3, totals, limit);
  const [sourceKms, destinationKms] = await Promise.all([
    send.track(bucketUsesKms(s3, pair.sourceBucket)),
    send.track(bucketUsesKms(s3, pair.destinationBucket)),
  ]);
  const copier = new ObjectCopier(send, limit, pair.sourceBucket, pair.destinationBucket, !sourceKms && !destinationKms, options.concurrency, totals);
  // Everything up to lastKey was handled by earlier invocations: the destination walk starts after it.
  const destination = new ListingCursor(send, pair.destinationBucket, prior?.lastKey);

  const pages: Page[] = [];
  let inFlight = 0;
  // Resolved by the next copy that finishes: how the stream waits for a free place, and for the end.
  let freed: (() => void) | undefined;
  let failure: { error: unknown } | undefined;
  let started = 0;
  // A page's copies may take a while, so a new page is checked against the safety margin and each
  // new copy against a third of it. Whatever the budget, every invocation makes progress.
  const hardStopMs = options.safetyMarginMs / 3;
  const list = (token: string | undefined) => send.list({ Bucket: pair.sourceBucket, MaxKeys: PAGE_SIZE, ContinuationToken: token });

  let listing: Promise<ListObjectsV2CommandOutput> | undefined = list(prior?.continuationToken);
  let listedWith = prior?.continuationToken;
  stream: while (listing) {
    if (pages.length > 0 && remainingMs() < options.safetyMarginMs) break;
    const out = await listing;
    const truncated = out.IsTruncated === true && out.NextContinuationToken !== undefined;
    const objects = (out.Contents ?? []).filter((o): o is _Object & { Key: string } => o.Key !== undefined);
    const page: Page = { listedWith, lastKey: objects.at(-1)?.Key, nextToken: truncated ? out.NextContinuationToken : undefined, pending: 0, allStarted: false };
    pages.push(page);
    // Listed while this page is copied; a listing nobody reads fails quietly (its error, if any, is
    // not this invocation's: the next one lists the page again).
    listing = page.nextToken !== undefined ? list(page.nextToken) : undefined;
    listing?.catch(() => undefined);
    listedWith = page.nextToken;

    for (const o of objects) {
      if (failure) break stream;
      while (inFlight >= limit.limit) await new Promise<void>((resolve) => (freed = resolve));
      // Checked once a slot is free: waiting for one may have used up the time left.
      if (failure || (started > 0 && remainingMs() < hardStopMs)) break stream;
      const source: SourceObject = { key: o.Key, size: o.Size ?? 0, etag: o.ETag };
      const found = await destination.find(o.Key);
      started++;
      page.pending++;
      inFlight++;
      void copier
        .copyUnlessIdentical(source, found)
        .then(
          () => {
            page.pending--;
          },
          (error: unknown) => {
            failure ??= { error };
          },
        )
        .finally(() => {
          inFlight--;
          const wake = freed;
          freed = undefined;
          wake?.();
        });
    }
    page.allStarted = true;
  }
  // Copies in flight finish (a multipart copy aborts its upload on failure) before anything is reported.
  while (inFlight > 0) await new Promise<void>((resolve) => (freed = resolve));
  await listing?.catch(() => undefined);
  if (failure) throw failure.error;
  return checkpoint(pair, pages, prior, totals, invocations);
}

/**
 * Where the next invocation resumes: after the last page whose objects were all handled, in order.
 * A page cut short is listed again, and its objects already copied are then skipped as identical.
 */
function checkpoint(pair: CopyBucketEvent['pair'], pages: Page[], prior: CopyContinuation | undefined, totals: CopyTotals, invocations: number): CopyBucketResult {
  let lastKey = prior?.lastKey;
  const open = pages.findIndex((p) => !p.allStarted || p.pending > 0);
  const done = open < 0 ? pages : pages.slice(0, open);
  for (const p of done) if (p.lastKey !== undefined) lastKey = p.lastKey;
  const continuation: CopyContinuation = { totals, invocations };
  if (lastKey !== undefined) continuation.lastKey = lastKey;
  const resumeWith = open >= 0 ? pages[open]?.listedWith : pages.at(-1)?.nextToken;
  const finished = open < 0 && (pages.length === 0 || pages.at(-1)?.nextToken === undefined);
  if (finished) return { status: 'DONE', pair, continuation };
  if (resumeWith !== undefined) continuation.continuationToken = resumeWith;
  return { status: 'CONTINUE', pair, continuation };
}

interface SourceObject {
  key: string;
  size: number;
  etag: string | undefined;
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
    list: (input: ConstructorParameters<typeof ListObjectsV2Command>[0]) => once(s3.send(new ListObjectsV2Command(input))),
    head: (bucket: string, key: string) => once(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }))),
    copy: (input: ConstructorParameters<typeof CopyObjectCommand>[0]) => once(s3.send(new CopyObjectCommand(input))),
    tagging: (bucket: string, key: string) => once(s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }))),
    create: (input: ConstructorParameters<typeof CreateMultipartUploadCommand>[0]) => once(s3.send(new CreateMultipartUploadCommand(input))),
    part: (input: ConstructorParameters<typeof UploadPartCopyCommand>[0]) => once(s3.send(new UploadPartCopyCommand(input))),
    complete: (input: ConstructorParameters<typeof CompleteMultipartUploadCommand>[0]) => once(s3.send(new CompleteMultipartUploadCommand(input))),
    abort: (input: ConstructorParameters<typeof AbortMultipartUploadCommand>[0]) => once(s3.send(new AbortMultipartUploadCommand(input))),
  };
}
type Requests = ReturnType<typeof counted>;

/**
 * The destination listing, walked forward in step with the source keys (a merge join): one
 * ListObjectsV2 per 1,000 destination keys instead of one HeadObject per source key.
 */
class ListingCursor {
  private page: _Object[] = [];
  private index = 0;
  private token: string | undefined;
  private exhausted = false;
  private started = false;

  constructor(
    private readonly requests: Requests,
    private readonly bucket: string,
    private readonly startAfter: string | undefined,
  ) {}

  /** The destination object with exactly `key`, if any. Keys must be asked for in ascending order. */
  async find(key: string): Promise<_Object | undefined> {
    for (;;) {
      while (this.index < this.page.length) {
        const candidate = this.page[this.index] as _Object;
        const order = compareKeys(candidate.Key ?? '', key);
        if (order < 0) {
          this.index++;
          continue;
        }
        return order === 0 ? candidate : undefined;
      }
      if (this.exhausted) return undefined;
      await this.next();
    }
  }

  private async next(): Promise<void> {
    const listing: ListObjectsV2CommandOutput = await this.requests.list({
      Bucket: this.bucket,
      MaxKeys: PAGE_SIZE,
      ...(this.started ? { ContinuationToken: this.token } : this.startAfter !== undefined ? { StartAfter: this.startAfter } : {}),
    });
    this.started = true;
    this.page = listing.Contents ?? [];
    this.index = 0;
    this.token = listing.NextContinuationToken;
    this.exhausted = !listing.IsTruncated || !this.token;
  }
}

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

  async copyUnlessIdentical(source: SourceObject, destination: _Object | undefined): Promise<void> {
    try {
      if (destination && (await this.identical(source, destination))) {
        this.totals.objectsSkipped++;
        return;
      }
      if (source.size > MAX_SINGLE_COPY_BYTES) await this.copyMultipart(source);
      else await this.copySingleRetryingThrottled(source);
      this.totals.objectsCopied++;
      this.totals.bytesCopied += source.size;
    } catch (err) {
      // AWS errors stay raw for the handler to classify (throttling is retried, access denied is not).
      if (err instanceof CopyFailed || classifyAwsError(err) !== err) throw err;
      throw new CopyFailed(`Copy of s3://${this.sourceBucket}/${source.key} to s3://${this.destinationBucket} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Same size and same MD5 ETag; where ETags are not MD5s (multipart, KMS), the same full-object checksum. */
  private async identical(source: SourceObject, destination: _Object): Promise<boolean> {
    if ((destination.Size ?? 0) !== source.size) return false;
    if (this.etagsAreMd5 && !isMultipartEtag(source.etag) && !isMultipartEtag(destination.ETag)) return source.etag === destination.ETag;
    const [a, b] = await Promise.all([
      this.limit(() => this.requests.head(this.sourceBucket, source.key)),
      this.limit(() => this.requests.head(this.destinationBucket, source.key)),
    ]);
    const common = commonChecksum(a, b);
    return common !== undefined && common.source === common.destination;
  }

  /**
   * A copy S3 still throttled after the SDK's retries is tried again (the limiter has lowered the
   * concurrency meanwhile) rather than failing the invocation; a multipart copy is not, its parts
   * are retried by the SDK and a failure aborts the upload.
   */
  private async copySingleRetryingThrottled(source: SourceObject): Promise<void> {
    for (let retry = 0; ; retry++) {
      try {
        await this.copySingle(source);
        return;
      } catch (err) {
        if (retry >= THROTTLED_COPY_RETRIES || !(classifyAwsError(err) instanceof AwsThrottled)) throw err;
      }
    }
  }

  private async copySingle(source: SourceObject): Promise<void> {
    await this.limit(() =>
      this.requests.copy({
        Bucket: this.destinationBucket,
        Key: source.key,
        CopySource: copySource(this.sourceBucket, source.key),
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
  private async copyMultipart(source: SourceObject): Promise<void> {
    const head = await this.limit(() => this.requests.head(this.sourceBucket, source.key));
    const tags = await this.limit(() => this.requests.tagging(this.sourceBucket, source.key));
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
            CopySource: copySource(this.sourceBucket, source.key),
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

function contentHeaders(head: HeadObjectCommandOutput) {
  return {
    ...(head.ContentType ? { ContentType: head.ContentType } : {}),
    ...(head.CacheControl ? { CacheControl: head.CacheControl } : {}),
    ...(head.ContentDisposition ? { ContentDisposition: head.ContentDisposition } : {}),
    ...(head.ContentEncoding ? { ContentEncoding: head.ContentEncoding } : {}),
    ...(head.ContentLanguage ? { ContentLanguage: head.ContentLanguage } : {}),
  };
}

/** Inclusive byte ranges of 512 MiB parts, larger (whole MiB) when 10,000 parts would not cover the object. */
export function partRanges(size: number): { start: number; end: number }[] {
  const partBytes = Math.max(PART_BYTES, Math.ceil(size / MAX_PARTS / MIB) * MIB);
  const ranges: { start: number; end: number }[] = [];
  for (let start = 0; start < size; start += partBytes) ranges.push({ start, end: Math.min(start + partBytes, size) - 1 });
  return ranges;
}
