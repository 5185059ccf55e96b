import { createHash } from 'node:crypto';
import { GetObjectTaggingCommand, HeadObjectCommand, type HeadObjectCommandOutput, ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';
import { createLimiter, mapConcurrent } from '../shared/concurrency';
import { manifestLine, PartitionedLines, type PartitionIndex, partitionLines, proofPartitions, readPartitionIndex } from '../shared/checksum-job';
import { StreamedObject } from '../shared/streamed-object';
import { chooseContentProof } from '../shared/content-proof';
import { sumCopyTotals } from '../shared/copy-totals';
import type {
  BucketSide,
  ChecksumJobStatusResult,
  ComparedBy,
  DifferenceProblem,
  DocumentRef,
  ObjectDifference,
  ProofRequest,
  VerifyBucketEvent,
  VerifyBucketResult,
  VerifyContinuation,
} from '../shared/contracts';
import { checksumJobKey, documentKey, getDocument, putDocument, workflowBucket } from '../shared/documents';
import type { RemainingTime } from '../shared/handler';
import { EMPTY_SET_DIGEST, ManifestWriter, SetDigester, sameSetDigest } from '../shared/manifest';
import { bucketUsesKms, commonChecksum, compareKeys, fullObjectChecksums, isMultipartEtag } from '../shared/s3-objects';
import { HistoryReader, type ListedEntry, wantedEntries } from '../shared/versions';
import { computeChecksum } from '../shared/object-hash';

/** Differences kept in the state (Step Functions payloads are limited); all are counted and stored in the workflow's bucket. */
export const MAX_DIFFERENCES = 20;
/** Keys are shortened to this many characters in the state. */
const MAX_KEY_CHARS = 100;
/** Manifest entries, differences and pending pairs are stored in parts of this many (bounded memory). */
export const PART_ENTRIES = 10_000;
/** Versions of one key compared at once. */
const VERSIONS_AT_ONCE = 8;

export interface VerifyOptions {
  /** Requests in flight at once (VERIFY_CONCURRENCY). */
  concurrency: number;
  /** No new key is started with less than this left of the invocation (VERIFY_SAFETY_MARGIN_MS). */
  safetyMarginMs: number;
  /**
   * Largest version read and hashed in the step (VERIFY_HASH_MAX_BYTES). A larger one that nothing
   * else can prove is NOT_COMPARABLE, for S3 Batch Operations' Compute checksum to prove instead.
   */
  hashMaxBytes: number;
  /** Entries per stored part (default PART_ENTRIES): the memory bound; smaller in tests. */
  partEntries?: number;
}

type Rule = keyof ComparedBy;

const EMPTY_SIDE: BucketSide = { objects: 0, versions: 0, deleteMarkers: 0, bytes: 0, digest: EMPTY_SET_DIGEST };
const EMPTY_COMPARED: ComparedBy = { etag: 0, checksum: 0, hashed: 0, batch: 0, notComparable: 0 };

/**
 * A version pair no rule of the step could prove, kept for the checksum jobs (one NDJSON line): the
 * key, its position, the size, each side's version ID as the job's manifest addresses it ('' for an
 * unversioned bucket's object), each side's listed ETag (the job's report must name the same) and
 * each side's metadata-and-tags digest (for the digest lines written once the content is proven).
 */
interface PendingPair {
  k: string;
  p: number;
  size: number;
  sv: string;
  dv: string;
  se: string;
  de: string;
  sm: string;
  dm: string;
}

/** What one version pair's comparison found. */
interface VersionVerdict {
  rule?: Rule;
  sourceLine: string;
  destinationLine: string;
  problems: { problem: DifferenceProblem; detail?: string }[];
  /** Content left to the checksum jobs: no rule, no digest lines yet. */
  pending?: PendingPair;
}

/** One side's running counts and digest. */
class SideTally {
  objects: number;
  versions: number;
  deleteMarkers: number;
  bytes: number;
  readonly digest: SetDigester;
  constructor(from: BucketSide) {
    ({ objects: this.objects, versions: this.versions, deleteMarkers: this.deleteMarkers, bytes: this.bytes } = from);
    this.digest = new SetDigester(from.digest);
  }
  count(entries: ListedEntry[]): void {
    if (entries.length) this.objects++;
    for (const e of entries) {
      if (e.deleteMarker) this.deleteMarkers++;
      else {
        this.versions++;
        this.bytes += e.size;
      }
    }
  }
  value(): BucketSide {
    return { objects: this.objects, versions: this.versions, deleteMarkers: this.deleteMarkers, bytes: this.bytes, digest: this.digest.value() };
  }
}

/**
 * Clone, "verify buckets", after the copy: compares the two buckets of a pair key by key, each key's
 * whole history in order (with objectVersions "current", the source's current object only). Both
 * listings are streamed in merge order and nothing but the key at hand is held; an invocation ends at
 * a key boundary when its time runs short (CONTINUE, the continuation carries counts, digests and the
 * manifest so far). Each version pair is compared by size, by content under one rule counted in
 * `comparedBy` (MD5 ETags; a common full-object checksum; the source read and its CRC64NVME computed
 * against the destination's; or not comparable, which is a difference), by its metadata (HeadObject)
 * and by its tags. The source's every version and delete marker is written to its manifest
 * (`sourceManifest`), in listing order. Returns EQUAL only when nothing differs and both sides'
 * digests are equal; otherwise MISMATCH with the first 20 differences, their count and the full list
 * as a document. Throws only raw SDK errors.
 */
export async function verifyBucket(s3: S3Client, event: VerifyBucketEvent, remainingMs: RemainingTime, options: VerifyOptions): Promise<VerifyBucketResult> {
  const { pair, execution } = event;
  const objectVersions = event.objectVersions ?? 'all';
  const prior = event.continuation;
  const limit = createLimiter(options.concurrency);
  const partEntries = options.partEntries ?? PART_ENTRIES;
  // The second pass (the checksum jobs' results) lists nothing: the first pass compared everything else.
  const list = (input: ConstructorParameters<typeof ListObjectVersionsCommand>[0]) =>
    event.proofResults ? Promise.resolve({ $metadata: {} }) : limit(() => s3.send(new ListObjectVersionsCommand(input)));
  const [sourceKms, destinationKms] = await Promise.all([bucketUsesKms(s3, pair.sourceBucket), bucketUsesKms(s3, pair.destinationBucket)]);

  const store = workflowBucket();
  const phase = event.phase ? [event.phase] : [];
  const manifest = new ManifestWriter(
    s3,
    prior?.manifest ?? { listedBucket: pair.sourceBucket, bucket: store, prefix: documentKey(execution, 'manifests', ...phase, pair.sourceBucket) },
    prior?.manifest,
  );
  const source = new SideTally(prior?.source ?? EMPTY_SIDE);
  const destination = new SideTally(prior?.destination ?? EMPTY_SIDE);
  const comparedBy: ComparedBy = { ...EMPTY_COMPARED, ...prior?.comparedBy };
  const differences: ObjectDifference[] = [...(prior?.differences ?? [])];
  let differenceCount = prior?.differenceCount ?? 0;
  const differenceParts: DocumentRef[] = [...(prior?.differenceParts ?? [])];
  let pending: ObjectDifference[] = [];
  const invocations = (prior?.invocations ?? 0) + 1;
  const differ = (d: ObjectDifference) => {
    differenceCount++;
    pending.push(d);
  };
  const pendingParts: DocumentRef[] = [...(prior?.pendingProof?.parts ?? [])];
  let pendingVersions = prior?.pendingProof?.versions ?? 0;
  let pendingBytes = prior?.pendingProof?.bytes ?? 0;
  let pendingLines: string[] = [];
  const flushPending = async () => {
    if (!pendingLines.length) return;
    const n = pendingParts.length + 1;
    const key = documentKey(execution, 'proofs', ...phase, pair.sourceBucket, `part-${String(n).padStart(6, '0')}.ndjson`);
    pendingParts.push(await putDocument(s3, store, key, `${pendingLines.join('\n')}\n`, 'application/x-ndjson'));
    pendingLines = [];
  };
  const pendingState = () => (pendingVersions > 0 ? { pendingProof: { parts: pendingParts, versions: pendingVersions, bytes: pendingBytes } } : {});
  const flushDifferences = async () => {
    if (!pending.length) return;
    pending.sort((a, b) => compareKeys(a.key, b.key) || (a.version ?? 0) - (b.version ?? 0));
    // The first differences in key order stay in the state; earlier invocations had the smaller keys.
    differences.push(...pending.slice(0, MAX_DIFFERENCES - differences.length).map(shortened));
    const n = differenceParts.length + 1;
    const key = documentKey(execution, 'differences', ...phase, pair.sourceBucket, `part-${String(n).padStart(6, '0')}.ndjson`);
    differenceParts.push(await putDocument(s3, store, key, `${pending.map((d) => JSON.stringify(d)).join('\n')}\n`, 'application/x-ndjson'));
    pending = [];
  };

  // The bucket's size decides whether reading versions in the step or a Compute checksum job is the
  // faster proof (lambdas/shared/content-proof.ts); a version over the hash bound always goes to a job.
  const totals = sumCopyTotals(event.bucketTotals);
  const engine = totals ? chooseContentProof({ objects: totals.objectsCopied + totals.objectsSkipped, bytes: totals.bytesCopied }) : 'hash';
  const judge = new VersionJudge(s3, limit, pair.sourceBucket, pair.destinationBucket, !sourceKms && !destinationKms, options.hashMaxBytes, engine);
  const sourceReader = new HistoryReader(list, pair.sourceBucket, prior?.lastKey);
  const destinationReader = new HistoryReader(list, pair.destinationBucket, prior?.lastKey);
  let s = await sourceReader.next();
  let d = await destinationReader.next();

  let lastKey = prior?.lastKey;
  let started = 0;
  let inFlight = 0;
  let freed: (() => void) | undefined;
  let failure: { error: unknown } | undefined;
  let buffered = 0;
  while ((s || d) && !failure) {
    if (started > 0 && remainingMs() < options.safetyMarginMs) break;
    while (inFlight >= options.concurrency) await new Promise<void>((resolve) => (freed = resolve));
    const order = s && d ? compareKeys(s.key, d.key) : s ? -1 : 1;
    const sourceHistory = order <= 0 ? s : undefined;
    const destinationHistory = order >= 0 ? d : undefined;
    const key = (sourceHistory ?? destinationHistory)!.key;
    if (order <= 0) s = await sourceReader.next();
    if (order >= 0) d = await destinationReader.next();

    // The manifest names what the source holds, all of it whatever objectVersions says (what the
    // original holds is what its emptying may delete), in listing order: newest first per key.
    for (const e of [...(sourceHistory?.entries ?? [])].reverse()) {
      manifest.add({ key: e.key, versionId: e.versionId, ...(e.deleteMarker ? { deleteMarker: true as const } : { size: e.size, etag: e.etag }) });
      buffered++;
    }
    if (buffered >= partEntries) {
      await manifest.flush();
      buffered = 0;
    }
    const wanted = sourceHistory ? wantedEntries(sourceHistory, objectVersions) : [];
    const found = destinationHistory?.entries ?? [];
    source.count(wanted);
    destination.count(found);
    started++;
    inFlight++;
    lastKey = key;
    void judge
      .compareKey(key, wanted, found)
      .then((verdicts) => {
        for (const v of verdicts) {
          if (v.pending) {
            pendingLines.push(JSON.stringify(v.pending));
            pendingVersions++;
            pendingBytes += v.pending.size;
          }
          if (v.rule) comparedBy[v.rule] = (comparedBy[v.rule] ?? 0) + 1;
          if (v.sourceLine) source.digest.add(v.sourceLine);
          if (v.destinationLine) destination.digest.add(v.destinationLine);
        }
        for (const d of keyDifferences(key, wanted, found, verdicts)) differ(d);
      })
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => {
        inFlight--;
        const wake = freed;
        freed = undefined;
        wake?.();
      });
    if (pending.length >= partEntries) await flushDifferences();
    if (pendingLines.length >= partEntries) await flushPending();
  }
  while (inFlight > 0) await new Promise<void>((resolve) => (freed = resolve));
  if (failure) throw failure.error;
  await manifest.flush();
  await flushDifferences();
  await flushPending();

  /** What the next invocation resumes from: both sides as read so far, and everything counted. */
  const continuationOf = (at: Pick<VerifyContinuation, 'source' | 'destination' | 'lastKey'>): VerifyContinuation => ({
    ...at,
    comparedBy,
    differences,
    differenceCount,
    differenceParts,
    manifest: manifest.state(),
    invocations,
    ...pendingState(),
  });

  if (!s && !d && pendingVersions > 0) {
    if (!event.proofResults && differenceCount === 0) {
      const { proof, partitioned } = await writeJobManifests(s3, event, pendingParts, pendingVersions, pendingBytes);
      const continuation = continuationOf({ source: source.value(), destination: destination.value() });
      if (continuation.pendingProof) continuation.pendingProof.partitioned = partitioned;
      return { status: 'PROOF_NEEDED', pair, source: continuation.source, destination: continuation.destination, comparedBy, differences, differenceCount, continuation, proof };
    }
    // The jobs' results; or, when the copy differs already, no job (it could not make the bucket
    // equal): every pending version is then not comparable, as it would be without Batch Operations.
    const notRun: ChecksumJobStatusResult = { status: 'FAILED', reason: 'no checksum job was run: the copy differs already', wait: { label: 'no checksum job', startedAt: new Date(0).toISOString(), timeoutSeconds: 0, elapsedSeconds: 0, nextDelaySeconds: 0, attempt: 0 } };
    const results = event.proofResults ?? { source: notRun, destination: notRun };
    await provePending(s3, pair, { parts: pendingParts, versions: pendingVersions, bytes: pendingBytes, ...(prior?.pendingProof?.partitioned ? { partitioned: prior.pendingProof.partitioned } : {}) }, results, (p, rule, found) => {
      const { fingerprints, problems } = contentProblems(rule, found);
      comparedBy[rule] = (comparedBy[rule] ?? 0) + 1;
      source.digest.add(JSON.stringify([p.k, p.p, 'V', p.size, fingerprints[0], p.sm]));
      destination.digest.add(JSON.stringify([p.k, p.p, 'V', p.size, fingerprints[1], p.dm]));
      for (const problem of problems) differ({ key: p.k, version: p.p, ...problem });
    });
    await flushDifferences();
  }

  const finished = !s && !d;
  const sides = { source: source.value(), destination: destination.value() };
  if (!finished) {
    const continuation = continuationOf({ ...sides, ...(lastKey !== undefined ? { lastKey } : {}) });
    return { status: 'CONTINUE', pair, ...sides, comparedBy, differences, differenceCount, continuation };
  }
  const equal = differenceCount === 0 && sameSetDigest(sides.source.digest, sides.destination.digest);
  let differencesDocument: DocumentRef | undefined;
  if (differenceCount > differences.length) {
    differencesDocument = await putDocument(
      s3,
      store,
      documentKey(execution, 'differences', ...phase, pair.sourceBucket, 'index.json'),
      JSON.stringify({ pair, differenceCount, parts: differenceParts }),
    );
  }
  return {
    status: equal ? 'EQUAL' : 'MISMATCH',
    pair,
    ...sides,
    comparedBy,
    differences,
    differenceCount,
    ...(differencesDocument ? { differencesDocument } : {}),
    sourceManifest: manifest.state(),
    ...(totals ? { copyTotals: totals } : {}),
  };
}

/** The differences of one key: missing or extra entries by position, and each version pair's problems. */
function keyDifferences(key: string, wanted: ListedEntry[], found: ListedEntry[], verdicts: VersionVerdict[]): ObjectDifference[] {
  if (found.length === 0 && wanted.length > 0) return [{ key, problem: 'MISSING_AT_DESTINATION', detail: `${wanted.length} version(s) and marker(s)` }];
  if (wanted.length === 0 && found.length > 0) return [{ key, problem: 'EXTRA_AT_DESTINATION', detail: `${found.length} version(s) and marker(s)` }];
  const out: ObjectDifference[] = [];
  for (let i = 0; i < Math.max(wanted.length, found.length); i++) {
    if (i >= found.length) out.push({ key, version: i + 1, problem: 'VERSION_MISSING', detail: `${found.length} of ${wanted.length} at the destination` });
    else if (i >= wanted.length) out.push({ key, version: i + 1, problem: 'EXTRA_AT_DESTINATION', detail: `${found.length} at the destination, ${wanted.length} expected` });
    // compareKey answers a verdict for every position present on both sides.
    else for (const p of (verdicts[i] as VersionVerdict).problems) out.push({ key, version: i + 1, ...p });
  }
  return out;
}

function shortened(d: ObjectDifference): ObjectDifference {
  const out = { ...d };
  if (d.key.length > MAX_KEY_CHARS) out.key = `${d.key.slice(0, MAX_KEY_CHARS - 1)}…`;
  if (d.detail && d.detail.length > 80) out.detail = `${d.detail.slice(0, 79)}…`;
  return out;
}

/** The metadata a copy must carry, as HeadObject reports it (user metadata keys are lower-case). */
function metadataOf(head: HeadObjectCommandOutput): Record<string, string> {
  const fields: Record<string, string | undefined> = {
    ContentType: head.ContentType,
    CacheControl: head.CacheControl,
    ContentDisposition: head.ContentDisposition,
    ContentEncoding: head.ContentEncoding,
    ContentLanguage: head.ContentLanguage,
    WebsiteRedirectLocation: head.WebsiteRedirectLocation,
  };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== '') out[k] = v;
  const user = head.Metadata ?? {};
  for (const k of Object.keys(user).sort()) out[`x-amz-meta-${k.toLowerCase()}`] = user[k];
  return out;
}

const sortedJson = (o: Record<string, string>) => JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k]]));
const sha = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);

/** Compares version pairs: HeadObject on both sides, tags where there are any, content by the first rule that can. */
class VersionJudge {
  constructor(
    private readonly s3: S3Client,
    private readonly limit: <T>(task: () => Promise<T>) => Promise<T>,
    private readonly sourceBucket: string,
    private readonly destinationBucket: string,
    /** Neither bucket's default encryption is KMS (an object's own encryption is checked too). */
    private readonly bucketsMd5: boolean,
    private readonly hashMaxBytes: number,
    /** Whether versions that need reading are hashed here or left to the checksum jobs (chooseContentProof). */
    private readonly engine: 'hash' | 'batch',
  ) {}

  /** One verdict per position present on both sides (fewer when one side is longer). */
  async compareKey(key: string, wanted: ListedEntry[], found: ListedEntry[]): Promise<VersionVerdict[]> {
    const both = Math.min(wanted.length, found.length);
    const pairs = Array.from({ length: both }, (_, i) => [wanted[i] as ListedEntry, found[i] as ListedEntry] as const);
    const { results } = await mapConcurrent(pairs, VERSIONS_AT_ONCE, ([s, d], i) => this.compareVersion(key, i + 1, s, d));
    const verdicts = results as VersionVerdict[];
    // Entries on one side only still go into that side's digest, so the digests differ.
    for (let i = both; i < wanted.length; i++) verdicts.push({ sourceLine: listedLine(key, i + 1, wanted[i] as ListedEntry), destinationLine: '', problems: [] });
    for (let i = both; i < found.length; i++) verdicts.push({ sourceLine: '', destinationLine: listedLine(key, i + 1, found[i] as ListedEntry), problems: [] });
    return verdicts;
  }

  private async compareVersion(key: string, position: number, s: ListedEntry, d: ListedEntry): Promise<VersionVerdict> {
    if (s.deleteMarker || d.deleteMarker) {
      const problems = s.deleteMarker === d.deleteMarker ? [] : [{ problem: 'DELETE_MARKER_DIFFERS' as const, detail: s.deleteMarker ? 'a delete marker became a version' : 'a version became a delete marker' }];
      return { sourceLine: listedLine(key, position, s), destinationLine: listedLine(key, position, d), problems };
    }
    const [a, b] = await Promise.all([this.head(this.sourceBucket, s), this.head(this.destinationBucket, d)]);
    const [tagsA, tagsB] = await Promise.all([this.tags(this.sourceBucket, s, a), this.tags(this.destinationBucket, d, b)]);
    const problems: VersionVerdict['problems'] = [];
    let proven: { rule: Rule; fingerprints: [string, string] } | 'pending';
    if (s.size !== d.size) {
      problems.push({ problem: 'SIZE_DIFFERS', detail: `${s.size} → ${d.size} bytes` });
      proven = { rule: 'etag', fingerprints: [s.etag, d.etag] };
    } else {
      const content = await this.content(s, d, a, b);
      proven = content === 'pending' ? content : contentProblems(content.rule, content.fingerprints, problems);
    }
    const metaA = metadataOf(a);
    const metaB = metadataOf(b);
    if (sortedJson(metaA) !== sortedJson(metaB)) {
      const fields = [...new Set([...Object.keys(metaA), ...Object.keys(metaB)])].filter((k) => metaA[k] !== metaB[k]);
      problems.push({ problem: 'METADATA_DIFFERS', detail: fields.join(', ') });
    }
    if (sortedJson(tagsA) !== sortedJson(tagsB)) problems.push({ problem: 'TAGS_DIFFERS', detail: `${Object.keys(tagsA).length} → ${Object.keys(tagsB).length} tags` });
    const metaDigest = (meta: Record<string, string>, tags: Record<string, string>) => sha(`${sortedJson(meta)}\n${sortedJson(tags)}`);
    if (proven === 'pending') {
      // Counted and put in the digests once the checksum jobs have proven (or failed to prove) the content.
      const pending: PendingPair = { k: key, p: position, size: s.size, sv: versionOf(s).VersionId ?? '', dv: versionOf(d).VersionId ?? '', se: s.etag, de: d.etag, sm: metaDigest(metaA, tagsA), dm: metaDigest(metaB, tagsB) };
      return { sourceLine: '', destinationLine: '', problems, pending };
    }
    const { rule, fingerprints } = proven;
    const line = (e: ListedEntry, fingerprint: string, metaAndTags: string) => JSON.stringify([key, position, 'V', e.size, fingerprint, metaAndTags]);
    return { rule, sourceLine: line(s, fingerprints[0], metaDigest(metaA, tagsA)), destinationLine: line(d, fingerprints[1], metaDigest(metaB, tagsB)), problems };
  }

  /**
   * The first rule that can compare the two contents, and each side's fingerprint under it; 'pending'
   * for a pair only the checksum jobs can prove (no comparable ETag or checksum, and either no
   * CRC64NVME on the copy, a version over the hash bound, or a bucket the jobs prove faster).
   */
  private async content(s: ListedEntry, d: ListedEntry, a: HeadObjectCommandOutput, b: HeadObjectCommandOutput): Promise<{ rule: Rule; fingerprints: [string, string] } | 'pending'> {
    const kms = (h: HeadObjectCommandOutput) => h.ServerSideEncryption === 'aws:kms' || h.ServerSideEncryption === 'aws:kms:dsse';
    if (this.bucketsMd5 && !kms(a) && !kms(b) && !isMultipartEtag(s.etag) && !isMultipartEtag(d.etag)) return { rule: 'etag', fingerprints: [s.etag, d.etag] };
    const common = commonChecksum(a, b);
    if (common) return { rule: 'checksum', fingerprints: [`${common.algorithm}:${common.source}`, `${common.algorithm}:${common.destination}`] };
    // The copy asked S3 for a CRC64NVME over the bytes it wrote: the same algorithm over the source's bytes proves them equal.
    const written = fullObjectChecksums(b).get('CRC64NVME');
    if (written && s.size <= this.hashMaxBytes && this.engine === 'hash') {
      const { value: computed } = await this.limit(() => computeChecksum(this.s3, this.sourceBucket, s.key, versionOf(s).VersionId, 'CRC64NVME'));
      return { rule: 'hashed', fingerprints: [`CRC64NVME:${computed}`, `CRC64NVME:${written}`] };
    }
    return 'pending';
  }

  private head(bucket: string, e: ListedEntry): Promise<HeadObjectCommandOutput> {
    return this.limit(() =>
      this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: e.key, ChecksumMode: 'ENABLED', ...versionOf(e) })),
    );
  }

  /** The version's tags; read only when HeadObject counts some (TagCount is absent for none). */
  private async tags(bucket: string, e: ListedEntry, head: HeadObjectCommandOutput): Promise<Record<string, string>> {
    if (!head.TagCount) return {};
    const out = await this.limit(() =>
      this.s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: e.key, ...versionOf(e) })),
    );
    return Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  }
}

/** A digest line for an entry compared with nothing (its partner is missing). */
function listedLine(key: string, position: number, e: ListedEntry): string {
  return JSON.stringify(e.deleteMarker ? [key, position, 'D'] : [key, position, 'V', e.size, `listed:${e.etag}`, '']);
}

/**
 * The VersionId to address an entry by: the `null` version of an unversioned bucket is its current
 * object and is addressed without one; a `null` version among others by "null" (S3 user guide,
 * "Working with objects in a versioning-suspended bucket").
 */
function versionOf(e: ListedEntry): { VersionId?: string } {
  return e.versionId === 'null' && e.isLatest ? {} : { VersionId: e.versionId };
}

/**
 * The content problem of one version pair under the rule that compared it, in either pass: not
 * comparable is a difference (never a pass), and so are fingerprints that differ.
 */
function contentProblems(rule: Rule, found: [string, string], problems: VersionVerdict['problems'] = []): { rule: Rule; fingerprints: [string, string]; problems: VersionVerdict['problems'] } {
  let fingerprints = found;
  if (rule === 'notComparable') problems.push({ problem: 'NOT_COMPARABLE', detail: fingerprints[0].slice('not-comparable:'.length) });
  else if (fingerprints[0] !== fingerprints[1]) problems.push({ problem: 'CONTENT_DIFFERS', detail: `by ${rule}` });
  return { rule, fingerprints, problems };
}

/** Reads the NDJSON parts of the pending pairs, one pair at a time. */
async function* pendingPairs(s3: S3Client, parts: DocumentRef[]): AsyncGenerator<PendingPair> {
  for (const part of parts) {
    for (const line of (await getDocument(s3, part)).toString('utf8').split('\n')) if (line.trim()) yield JSON.parse(line) as PendingPair;
  }
}

/**
 * One CSV manifest per side for the checksum jobs (bucket,key,versionId rows, keys URL-encoded), in
 * the workflow bucket under checksum-jobs/, and where each job's report goes; and the pending pairs
 * again, split by key into the partitions the jobs' results will be split into (checksum-job-status),
 * so that the second pass joins one partition at a time. Everything streams: a million pending
 * versions are read part by part and written in multipart uploads, never held at once.
 */
async function writeJobManifests(
  s3: S3Client,
  event: VerifyBucketEvent,
  parts: DocumentRef[],
  versions: number,
  bytes: number,
): Promise<{ proof: ProofRequest; partitioned: DocumentRef }> {
  const { pair, execution } = event;
  const store = workflowBucket();
  const at = (...rest: string[]) => checksumJobKey(execution, ...(event.phase ? [event.phase] : []), pair.sourceBucket, ...rest);
  const sourceCsv = new StreamedObject(s3, store, at('source.csv'), 'text/csv');
  const destinationCsv = new StreamedObject(s3, store, at('destination.csv'), 'text/csv');
  const partitionPrefix = documentKey(execution, 'proofs', ...(event.phase ? [event.phase] : []), pair.sourceBucket, 'partitioned');
  const partitioned = new PartitionedLines(s3, store, partitionPrefix, proofPartitions(versions));
  try {
    for await (const p of pendingPairs(s3, parts)) {
      await sourceCsv.write(`${manifestLine({ bucket: pair.sourceBucket, key: p.k, versionId: p.sv })}\n`);
      await destinationCsv.write(`${manifestLine({ bucket: pair.destinationBucket, key: p.k, versionId: p.dv })}\n`);
      await partitioned.add(p.k, JSON.stringify(p));
    }
    const [source, destination] = [await sourceCsv.end(), await destinationCsv.end()];
    return {
      proof: {
        versions,
        bytes,
        manifests: { source: { bucket: source.bucket, key: source.key }, destination: { bucket: destination.bucket, key: destination.key } },
        reportPrefixes: { source: at('source-report'), destination: at('destination-report') },
      },
      partitioned: await partitioned.end(),
    };
  } catch (err) {
    await Promise.all([sourceCsv.abort(), destinationCsv.abort()]);
    throw err;
  }
}

/** One row of a checksum job's result document (checksum-job-status). */
interface JobRow {
  bucket: string;
  key: string;
  versionId: string;
  checksum?: string;
  algorithm?: string;
  type?: string;
  etag?: string;
  error?: string;
  httpStatus?: number;
}

const rowKey = (bucket: string, key: string, versionId: string) => `${bucket}\n${key}\n${versionId}`;
const unquoted = (etag: string | undefined) => (etag ?? '').replace(/^"|"$/g, '');

/** A side's job result, ready to be read partition by partition, or why the whole side proves nothing (a failed job). */
async function jobResult(s3: S3Client, side: string, status: ChecksumJobStatusResult, partitions: number): Promise<PartitionIndex | string> {
  if (status.status !== 'READY' || !status.result) return `${side} checksum job ${status.status === 'FAILED' ? 'failed' : 'has no result'}: ${status.reason ?? 'no reason given'}`;
  const index = await readPartitionIndex(s3, status.result.index);
  // Both sides and the pending pairs are split by the same count (the job's task count is the manifest's row count).
  if (index.partitions !== partitions) return `${side} checksum job's result is split into ${index.partitions} partitions, the pending versions into ${partitions}`;
  return index;
}

/** One partition of a side's job rows by version (or the side's reason, unchanged). */
async function jobRows(s3: S3Client, result: PartitionIndex | string, partition: number): Promise<Map<string, JobRow> | string> {
  if (typeof result === 'string') return result;
  const rows = new Map<string, JobRow>();
  for await (const line of partitionLines(s3, result, partition)) {
    const row = JSON.parse(line) as JobRow;
    rows.set(rowKey(row.bucket, row.key, row.versionId ?? ''), row);
  }
  return rows;
}

/** A version's CRC64NVME from its side's job, or why there is none. */
function provenChecksum(side: string, rows: Map<string, JobRow> | string, bucket: string, key: string, versionId: string, listedEtag: string): { value: string } | { why: string } {
  if (typeof rows === 'string') return { why: rows };
  const row = rows.get(rowKey(bucket, key, versionId));
  if (!row) return { why: `${side}: no row for this version in the checksum job's report` };
  if (row.error !== undefined || !row.checksum) return { why: `${side}: the checksum job's task failed (${row.error ?? 'no checksum'}${row.httpStatus ? `, HTTP ${row.httpStatus}` : ''})` };
  if ((row.algorithm ?? 'CRC64NVME') !== 'CRC64NVME' || (row.type ?? 'FULL_OBJECT') !== 'FULL_OBJECT') return { why: `${side}: the job computed ${row.algorithm} ${row.type}, not CRC64NVME FULL_OBJECT` };
  // An unversioned key written again after the listing would be another object than the one verified.
  if (row.etag !== undefined && unquoted(row.etag) !== unquoted(listedEtag)) return { why: `${side}: the object changed after it was listed (ETag ${row.etag})` };
  return { value: row.checksum };
}

/**
 * The second pass: every pending pair proven by both sides' job results (rule `batch`), or not
 * comparable with the reason (a failed job, a failed task, a missing row, another object). One
 * partition at a time: its pending pairs and each side's rows for them, never the whole bucket.
 */
async function provePending(
  s3: S3Client,
  pair: VerifyBucketEvent['pair'],
  pendingProof: NonNullable<VerifyContinuation['pendingProof']>,
  results: { source: ChecksumJobStatusResult; destination: ChecksumJobStatusResult },
  judged: (p: PendingPair, rule: Rule, fingerprints: [string, string]) => void,
): Promise<void> {
  if (!pendingProof.partitioned) {
    // No job was run (the copy differs already), or its partitions are gone: nothing is proven.
    const why =
      results.source.status === 'READY'
        ? 'the pending versions were not split for the checksum jobs'
        : `source checksum job ${results.source.status === 'FAILED' ? 'failed' : 'has no result'}: ${results.source.reason ?? 'no reason given'}`;
    for await (const p of pendingPairs(s3, pendingProof.parts)) judged(p, 'notComparable', [`not-comparable:${why}`, `not-comparable:destination:${p.de}`]);
    return;
  }
  const pending = await readPartitionIndex(s3, pendingProof.partitioned);
  const [sourceResult, destinationResult] = await Promise.all([
    jobResult(s3, 'source', results.source, pending.partitions),
    jobResult(s3, 'destination', results.destination, pending.partitions),
  ]);
  for (let partition = 0; partition < pending.partitions; partition++) {
    const [sourceRows, destinationRows] = await Promise.all([jobRows(s3, sourceResult, partition), jobRows(s3, destinationResult, partition)]);
    for await (const line of partitionLines(s3, pending, partition)) {
      const p = JSON.parse(line) as PendingPair;
      const a = provenChecksum('source', sourceRows, pair.sourceBucket, p.k, p.sv, p.se);
      const b = provenChecksum('destination', destinationRows, pair.destinationBucket, p.k, p.dv, p.de);
      if ('value' in a && 'value' in b) judged(p, 'batch', [`CRC64NVME:${a.value}`, `CRC64NVME:${b.value}`]);
      // Marked per side so that even equal ETags never make the two digests equal by accident.
      else judged(p, 'notComparable', [`not-comparable:${'why' in a ? a.why : (b as { why: string }).why}`, `not-comparable:destination:${p.de}`]);
    }
  }
}
