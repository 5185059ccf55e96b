/**
 * Bucket manifests: what verification saw of a bucket, version by version, kept in the workflow's
 * bucket as NDJSON parts, and the order-independent digest that lets a later listing prove the
 * bucket unchanged (late writes) without holding either listing in memory.
 *
 * Writer: verify-bucket (the source side of each verified pair). Readers: the recheck of the
 * original before its deletion, and delete-stack, which empties only what a manifest names.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ManifestEntry, ManifestRef, SetDigest } from './contracts';
import { putDocument } from './documents';
import { DocumentCorrupt } from './errors';

const MOD = 1n << 256n;

/** The empty set's digest. */
export const EMPTY_SET_DIGEST: SetDigest = { sum: '0'.repeat(64), count: 0 };

/**
 * Adds lines to a SetDigest: sum of SHA-256(line) modulo 2^256. Order-independent, so two listings
 * of the same versions agree however they were paged, split or resumed; built to notice accidental
 * change (a late write, a lost version), not an adversary.
 */
export class SetDigester {
  private sum: bigint;
  private count: number;

  constructor(from: SetDigest = EMPTY_SET_DIGEST) {
    this.sum = BigInt(`0x${from.sum}`);
    this.count = from.count;
  }

  add(line: string): void {
    this.sum = (this.sum + BigInt(`0x${createHash('sha256').update(line).digest('hex')}`)) % MOD;
    this.count++;
  }

  merge(other: SetDigest): void {
    this.sum = (this.sum + BigInt(`0x${other.sum}`)) % MOD;
    this.count += other.count;
  }

  value(): SetDigest {
    return { sum: this.sum.toString(16).padStart(64, '0'), count: this.count };
  }
}

export function sameSetDigest(a: SetDigest, b: SetDigest): boolean {
  return a.sum === b.sum && a.count === b.count;
}

/**
 * The identity of one listed version: key, version ID, delete marker or size and ETag. Two listings
 * whose lines are the same hold the same versions (S3 never reuses a version ID within a bucket; an
 * unversioned bucket's `null` version is told apart by its size and ETag). JSON keeps any key
 * (tabs, newlines) unambiguous.
 */
export function listingLine(e: ManifestEntry): string {
  return JSON.stringify(e.deleteMarker ? [e.key, e.versionId, 'D'] : [e.key, e.versionId, e.size ?? 0, e.etag ?? '']);
}

/** Key of part `n` (from 1) of a manifest. */
export function manifestPartKey(prefix: string, n: number): string {
  return `${prefix}/part-${String(n).padStart(6, '0')}.ndjson`;
}

/**
 * Accumulates a manifest across pages and invocations: entries are buffered and stored as one part
 * per flush (a step flushes before it returns, so each invocation adds whole parts), and the listing
 * digest grows with every entry. `state()` is what a continuation carries.
 */
export class ManifestWriter {
  private readonly digest: SetDigester;
  private buffered: string[] = [];
  private parts: number;

  constructor(
    private readonly s3: S3Client,
    private readonly ref: Omit<ManifestRef, 'parts' | 'listing'>,
    prior?: { parts: number; listing: SetDigest },
  ) {
    this.digest = new SetDigester(prior?.listing);
    this.parts = prior?.parts ?? 0;
  }

  add(entry: ManifestEntry): void {
    this.digest.add(listingLine(entry));
    this.buffered.push(JSON.stringify(entry));
  }

  /** Stores the buffered entries as the next part (nothing when none are buffered). */
  async flush(): Promise<void> {
    if (!this.buffered.length) return;
    const body = `${this.buffered.join('\n')}\n`;
    await putDocument(this.s3, this.ref.bucket, manifestPartKey(this.ref.prefix, this.parts + 1), body, 'application/x-ndjson');
    this.parts++;
    this.buffered = [];
  }

  /** The reference so far (after flush, it names every entry added). */
  state(): ManifestRef {
    return { ...this.ref, parts: this.parts, listing: this.digest.value() };
  }
}

/**
 * Every entry of a manifest, part by part, in the order written (bounded memory: one part at a
 * time). Throws DocumentCorrupt when a part is missing or the entries read do not add up to the
 * manifest's listing digest (a part changed or lost since it was written).
 */
export async function* readManifest(s3: S3Client, ref: ManifestRef): AsyncGenerator<ManifestEntry> {
  const digest = new SetDigester();
  for (let n = 1; n <= ref.parts; n++) {
    const key = manifestPartKey(ref.prefix, n);
    let text: string;
    try {
      const out = await s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: key }));
      text = (await out.Body?.transformToString('utf8')) ?? '';
    } catch (err) {
      if ((err as { name?: unknown }).name === 'NoSuchKey') throw new DocumentCorrupt(`Manifest part s3://${ref.bucket}/${key} of ${ref.listedBucket} is missing`);
      throw err;
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      const entry = JSON.parse(line) as ManifestEntry;
      digest.add(listingLine(entry));
      yield entry;
    }
  }
  if (!sameSetDigest(digest.value(), ref.listing)) {
    throw new DocumentCorrupt(`The manifest of ${ref.listedBucket} under s3://${ref.bucket}/${ref.prefix} does not add up to the digest it was written with`);
  }
}
