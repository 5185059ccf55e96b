import { createHash } from 'node:crypto';
import { HeadObjectCommand, ListObjectsV2Command, type S3Client, type _Object } from '@aws-sdk/client-s3';
import { mapConcurrent } from '../shared/concurrency';
import type { BucketManifest, ObjectDifference, VerifyBucketEvent, VerifyBucketResult } from '../shared/contracts';
import { bucketUsesKms, commonChecksum, compareKeys, isMultipartEtag, plainEtag } from '../shared/s3-objects';

/** Differences listed in the result (Step Functions payloads are limited); all are counted. */
export const MAX_DIFFERENCES = 100;

export interface VerifyOptions {
  /** HeadObject requests in flight at once (VERIFY_CONCURRENCY). */
  concurrency: number;
}

interface Listed {
  key: string;
  size: number;
  etag: string;
}

type Rule = 'etag' | 'checksum' | 'notComparable';

interface Verdict {
  rule: Rule;
  sourceFingerprint: string;
  destinationFingerprint: string;
  problem?: ObjectDifference['problem'];
}

/**
 * Clone, "verify buckets", after the copy: lists both buckets of a pair in full and compares every
 * object. Each object present on both sides is compared by one rule, counted in `comparedBy`: equal
 * MD5 ETags where both are MD5s (single-part, no KMS), else equal full-object checksums read with
 * HeadObject(ChecksumMode ENABLED), else not comparable — which is reported, never passed over.
 * Returns EQUAL only when counts, bytes and manifest digests match and nothing differs; otherwise
 * MISMATCH with the first 100 differences and their total. Throws only raw SDK errors.
 */
export async function verifyBucket(s3: S3Client, event: VerifyBucketEvent, options: VerifyOptions): Promise<VerifyBucketResult> {
  const { pair } = event;
  const [sourceKms, destinationKms, sourceObjects, destinationObjects] = await Promise.all([
    bucketUsesKms(s3, pair.sourceBucket),
    bucketUsesKms(s3, pair.destinationBucket),
    listAll(s3, pair.sourceBucket),
    listAll(s3, pair.destinationBucket),
  ]);
  const etagsAreMd5 = !sourceKms && !destinationKms;

  // Merge join over both sorted listings.
  const both: { source: Listed; destination: Listed }[] = [];
  const onlySource: Listed[] = [];
  const onlyDestination: Listed[] = [];
  for (let i = 0, j = 0; i < sourceObjects.length || j < destinationObjects.length; ) {
    const s = sourceObjects[i];
    const d = destinationObjects[j];
    const order = s && d ? compareKeys(s.key, d.key) : s ? -1 : 1;
    if (order === 0 && s && d) {
      both.push({ source: s, destination: d });
      i++;
      j++;
    } else if (order < 0 && s) {
      onlySource.push(s);
      i++;
    } else if (d) {
      onlyDestination.push(d);
      j++;
    }
  }

  const { results } = await mapConcurrent(both, options.concurrency, (p) => judge(s3, pair.sourceBucket, pair.destinationBucket, p.source, p.destination, etagsAreMd5));
  const verdicts = results as Verdict[];

  const comparedBy = { etag: 0, checksum: 0, notComparable: 0 };
  const sourceLines = new Map<string, string>();
  const destinationLines = new Map<string, string>();
  const differences: ObjectDifference[] = [];
  both.forEach(({ source, destination }, i) => {
    const verdict = verdicts[i] as Verdict;
    comparedBy[verdict.rule]++;
    sourceLines.set(source.key, line(source, verdict.sourceFingerprint));
    destinationLines.set(destination.key, line(destination, verdict.destinationFingerprint));
    if (verdict.problem) differences.push({ key: source.key, problem: verdict.problem, source: describe(source), destination: describe(destination) });
  });
  for (const o of onlySource) {
    sourceLines.set(o.key, line(o, o.etag));
    differences.push({ key: o.key, problem: 'MISSING_AT_DESTINATION', source: describe(o) });
  }
  for (const o of onlyDestination) {
    destinationLines.set(o.key, line(o, o.etag));
    differences.push({ key: o.key, problem: 'EXTRA_AT_DESTINATION', destination: describe(o) });
  }
  differences.sort((a, b) => compareKeys(a.key, b.key));

  const source = manifest(sourceObjects, sourceLines);
  const destination = manifest(destinationObjects, destinationLines);
  const equal =
    differences.length === 0 &&
    source.objectCount === destination.objectCount &&
    source.totalBytes === destination.totalBytes &&
    source.digest === destination.digest;
  return {
    status: equal ? 'EQUAL' : 'MISMATCH',
    pair,
    source,
    destination,
    comparedBy,
    differences: differences.slice(0, MAX_DIFFERENCES),
    differenceCount: differences.length,
  };
}

/** Compares one object present on both sides; HeadObject only where ETags cannot decide. */
async function judge(s3: S3Client, sourceBucket: string, destinationBucket: string, source: Listed, destination: Listed, etagsAreMd5: boolean): Promise<Verdict> {
  const sizeDiffers = source.size !== destination.size;
  if (etagsAreMd5 && !isMultipartEtag(source.etag) && !isMultipartEtag(destination.etag)) {
    return {
      rule: 'etag',
      sourceFingerprint: source.etag,
      destinationFingerprint: destination.etag,
      problem: sizeDiffers ? 'SIZE_DIFFERS' : source.etag !== destination.etag ? 'CONTENT_DIFFERS' : undefined,
    };
  }
  const [a, b] = await Promise.all([
    s3.send(new HeadObjectCommand({ Bucket: sourceBucket, Key: source.key, ChecksumMode: 'ENABLED' })),
    s3.send(new HeadObjectCommand({ Bucket: destinationBucket, Key: destination.key, ChecksumMode: 'ENABLED' })),
  ]);
  const common = commonChecksum(a, b);
  if (common) {
    return {
      rule: 'checksum',
      sourceFingerprint: `${common.algorithm}:${common.source}`,
      destinationFingerprint: `${common.algorithm}:${common.destination}`,
      problem: sizeDiffers ? 'SIZE_DIFFERS' : common.source !== common.destination ? 'CONTENT_DIFFERS' : undefined,
    };
  }
  // Marked so that even equal ETags here never make the two digests equal by accident.
  return {
    rule: 'notComparable',
    sourceFingerprint: `not-comparable:${source.etag}`,
    destinationFingerprint: `not-comparable:${destination.etag}`,
    problem: sizeDiffers ? 'SIZE_DIFFERS' : 'NOT_COMPARABLE',
  };
}

async function listAll(s3: S3Client, bucket: string): Promise<Listed[]> {
  const objects: Listed[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key !== undefined) objects.push(toListed(o as _Object & { Key: string }));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  // S3 already lists in this order; sorting again keeps the merge join correct against any endpoint.
  return objects.sort((a, b) => compareKeys(a.key, b.key));
}

function toListed(o: _Object & { Key: string }): Listed {
  return { key: o.Key, size: o.Size ?? 0, etag: plainEtag(o.ETag) };
}

function line(o: Listed, fingerprint: string): string {
  return `${o.key}\t${o.size}\t${fingerprint}`;
}

function describe(o: Listed): { size: number; etag: string } {
  return { size: o.size, etag: o.etag };
}

/** Count, bytes and SHA-256 over the key-sorted `key\tsize\tfingerprint` lines, so equal digests mean equal content. */
function manifest(objects: Listed[], lines: Map<string, string>): BucketManifest {
  const hash = createHash('sha256');
  let totalBytes = 0;
  for (const o of objects) {
    totalBytes += o.size;
    hash.update(`${lines.get(o.key) ?? line(o, o.etag)}\n`);
  }
  return { objectCount: objects.length, totalBytes, digest: hash.digest('hex') };
}
