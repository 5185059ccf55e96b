/**
 * Simulated Amazon S3: buckets (versioning, default encryption, tags) holding objects with the
 * identity a migration has to preserve (size, ETag, checksum, metadata, tags), the copy APIs the copy
 * step uses (CopyObject, multipart UploadPartCopy) and the rules that make copies go wrong in real
 * life: CopySource must be URL-encoded, copies over 5 GiB need multipart, parts under 5 MiB are
 * refused, ETags are not MD5s for multipart and SSE-KMS objects, a bucket with any version left cannot
 * be deleted, a deleted bucket's name is not free at once, a hot prefix answers SlowDown.
 *
 * Large objects can be MODELLED: seeded with a size and no bytes, they carry a content identity
 * (a hash) that copies propagate, so a 50 GiB bucket costs nothing to simulate.
 *
 * Reference: Amazon S3 API Reference (https://docs.aws.amazon.com/AmazonS3/latest/API/) and the user
 * guide pages cited next to each rule.
 */
import { createHash } from 'node:crypto';
import type {
  AbortMultipartUploadCommandInput,
  AbortMultipartUploadCommandOutput,
  ChecksumAlgorithm,
  ChecksumType,
  CommonPrefix,
  CompleteMultipartUploadCommandInput,
  CompleteMultipartUploadCommandOutput,
  CopyObjectCommandInput,
  CopyObjectCommandOutput,
  CreateBucketCommandInput,
  CreateBucketCommandOutput,
  CreateMultipartUploadCommandInput,
  CreateMultipartUploadCommandOutput,
  DeleteBucketCommandInput,
  DeleteMarkerEntry,
  DeleteObjectCommandInput,
  DeleteObjectCommandOutput,
  DeleteObjectsCommandInput,
  DeleteObjectsCommandOutput,
  DeletedObject,
  GetBucketEncryptionCommandInput,
  GetBucketEncryptionCommandOutput,
  GetBucketTaggingCommandInput,
  GetBucketTaggingCommandOutput,
  GetBucketVersioningCommandInput,
  GetBucketVersioningCommandOutput,
  GetObjectCommandInput,
  GetObjectCommandOutput,
  GetObjectTaggingCommandInput,
  GetObjectTaggingCommandOutput,
  HeadBucketCommandInput,
  HeadBucketCommandOutput,
  HeadObjectCommandInput,
  HeadObjectCommandOutput,
  ListMultipartUploadsCommandInput,
  ListMultipartUploadsCommandOutput,
  ListObjectVersionsCommandInput,
  ListObjectVersionsCommandOutput,
  ListObjectsV2CommandInput,
  ListObjectsV2CommandOutput,
  MultipartUpload,
  ObjectVersion,
  PutBucketEncryptionCommandInput,
  PutBucketTaggingCommandInput,
  PutBucketVersioningCommandInput,
  PutObjectCommandInput,
  PutObjectCommandOutput,
  PutObjectTaggingCommandInput,
  PutObjectTaggingCommandOutput,
  StorageClass,
  Tag,
  UploadPartCommandInput,
  UploadPartCommandOutput,
  UploadPartCopyCommandInput,
  UploadPartCopyCommandOutput,
  _Error,
  _Object,
} from '@aws-sdk/client-s3';
import type { SimAccount } from './account';
import { type OpHandler, type OpInput, SimServiceError, type SimService, sleep } from './core';
import { IdSource, LOWER_ALNUM, MIXED_ALNUM } from './ids';
import { memoDigest } from './digest-memo';
import { compositeValue, fullObjectValue } from './s3-checksums';
import { sdkBody } from './sdk-body';

// Limits from "Amazon S3 multipart upload limits" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html)
// and the CopyObject reference ("you can store individual objects of up to 5 TB ... copy up to 5 GB in a single atomic action").
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const MAX_SINGLE_PUT_BYTES = 5 * GiB;
const MAX_COPY_SOURCE_BYTES = 5 * GiB;
const MIN_PART_BYTES = 5 * MiB;
const MAX_PART_BYTES = 5 * GiB;
const MAX_PART_NUMBER = 10_000;
const MAX_PAGE = 1000;
const MAX_OBJECT_TAGS = 10;
const MAX_BUCKET_TAGS = 50;
/** How long a deleted bucket's name stays unavailable here (S3 gives no number; "it might take some time"). */
const NAME_REUSE_DELAY_MS = 3600 * 1000;
/** The Content-Type S3 stores when the request has none. */
const DEFAULT_CONTENT_TYPE = 'binary/octet-stream';

const CHECKSUM_BYTES: Record<ChecksumAlgorithm, number> = {
  CRC32: 4,
  CRC32C: 4,
  CRC64NVME: 8,
  MD5: 16,
  SHA1: 20,
  SHA256: 32,
  SHA512: 64,
  XXHASH64: 8,
  XXHASH3: 8,
  XXHASH128: 16,
};
const FULL_OBJECT_ALGORITHMS: ReadonlySet<ChecksumAlgorithm> = new Set<ChecksumAlgorithm>(['CRC32', 'CRC32C', 'CRC64NVME']);

type Out<T> = Omit<T, '$metadata'>;
type ChecksumField = `Checksum${ChecksumAlgorithm}`;
type ChecksumFields = Partial<Record<ChecksumField, string>> & { ChecksumType?: ChecksumType };

export interface ObjectChecksum {
  algorithm: ChecksumAlgorithm;
  type: ChecksumType;
  /** Base64 value as S3 returns it (COMPOSITE values end in `-<part count>`). */
  value: string;
}

export type SseAlgorithm = 'AES256' | 'aws:kms' | 'aws:kms:dsse';

export interface ObjectEncryption {
  algorithm: SseAlgorithm;
  kmsKeyId?: string;
}

/**
 * Storage classes whose objects cannot be read or copied until restored: "If the object you are
 * retrieving is stored in the S3 Glacier Flexible Retrieval storage class, the S3 Glacier Deep
 * Archive storage class, [...] before you can retrieve the object you must first restore a copy
 * using RestoreObject. Otherwise, this operation returns an InvalidObjectState error" (API reference,
 * GetObject, InvalidObjectState; CopyObject says the same of its source). GLACIER_IR is instant access.
 */
export const ARCHIVE_STORAGE_CLASSES: ReadonlySet<string> = new Set(['GLACIER', 'DEEP_ARCHIVE']);

/**
 * The CloudWatch StorageType (AWS/S3 BucketSizeBytes dimension) of each storage class, as the S3 user
 * guide's "Metrics and dimensions" names them. The simulator keeps Intelligent-Tiering objects in the
 * frequent access tier.
 */
export const CLOUDWATCH_STORAGE_TYPE: Readonly<Record<string, string>> = {
  STANDARD: 'StandardStorage',
  INTELLIGENT_TIERING: 'IntelligentTieringFAStorage',
  STANDARD_IA: 'StandardIAStorage',
  ONEZONE_IA: 'OneZoneIAStorage',
  REDUCED_REDUNDANCY: 'ReducedRedundancyStorage',
  GLACIER_IR: 'GlacierInstantRetrievalStorage',
  GLACIER: 'GlacierStorage',
  DEEP_ARCHIVE: 'DeepArchiveStorage',
};

/** One stored object version, as the other simulated services and the tests read it. */
export interface S3ObjectRecord {
  readonly key: string;
  readonly size: number;
  /** Quoted, as S3 returns it. */
  readonly etag: string;
  readonly lastModified: Date;
  readonly contentType: string;
  readonly metadata: Record<string, string>;
  tags: Record<string, string>;
  /** "null" in a bucket that never had versioning enabled (what ListObjectVersions reports there). */
  readonly versionId: string;
  /** Content identity: sha256 of the bytes, or for a modelled object a hash of (seed id, size). */
  readonly contentHash: string;
  /** Absent for modelled objects. */
  readonly body?: Buffer;
  /**
   * Absent for an object uploaded before S3 gave every new object a checksum (December 2024, "Amazon
   * S3 adds new default data integrity protections"): HeadObject with ChecksumMode ENABLED then
   * returns no checksum at all. For an object with bytes the value is the real one (./s3-checksums.ts);
   * for a modelled object it is a stand-in (equal content ⇒ equal value) that no hash of the bytes
   * GetObject streams for it will ever equal: never compare a modelled object's hash with its checksum.
   */
  readonly checksum?: ObjectChecksum;
  /** STANDARD unless seeded otherwise; see ARCHIVE_STORAGE_CLASSES. */
  readonly storageClass: StorageClass;
  /** An archived object with a restored copy (readable and copyable). */
  readonly restored?: boolean;
  /** Size of each part, for objects written by a multipart upload. */
  readonly partSizes?: number[];
  readonly encryption: ObjectEncryption;
}

export interface SeedObjectOptions {
  body?: Buffer | string;
  /** Size-only ⇒ a modelled object (no bytes are allocated). */
  size?: number;
  /** Identity of a modelled object's content (default `<bucket>/<key>`); equal seed ids and sizes ⇒ equal content. */
  seedId?: string;
  contentType?: string;
  metadata?: Record<string, string>;
  tags?: Record<string, string>;
  /** Write it as a multipart upload of this many equal parts would (multipart-style ETag). */
  multipartParts?: number;
  /**
   * Default CRC64NVME (what S3 gives every new object since December 2024). `null`: an object
   * uploaded before that without a checksum: it has none, and HeadObject/GetObject with ChecksumMode
   * ENABLED return none.
   */
  checksumAlgorithm?: ChecksumAlgorithm | null;
  checksumType?: ChecksumType;
  /** Default STANDARD. GLACIER and DEEP_ARCHIVE objects answer InvalidObjectState to GET and COPY unless `restored`. */
  storageClass?: StorageClass;
  restored?: boolean;
  /** Server-side encryption of this object (default: the bucket's default encryption). */
  serverSideEncryption?: SseAlgorithm;
  kmsKeyId?: string;
}

interface VersionEntry {
  versionId: string;
  deleteMarker: boolean;
  lastModified: Date;
  object?: S3ObjectRecord;
}

interface BucketState {
  name: string;
  createdAt: Date;
  tags?: Record<string, string>;
  versioning?: 'Enabled' | 'Suspended';
  /** MFA delete on: permanently deleting a version needs the x-amz-mfa header (never sent by the workflow). */
  mfaDelete?: boolean;
  /** Object Lock enabled (only at creation); versions written while a default retention applies are locked until it ends. */
  objectLock?: { defaultRetention?: { mode: 'GOVERNANCE' | 'COMPLIANCE'; days: number } };
  encryption: ObjectEncryption & { bucketKeyEnabled: boolean };
  /** Versions of each key, oldest first; the last entry is the current version. */
  keys: Map<string, VersionEntry[]>;
  /**
   * Keys in UTF-8 byte order, rebuilt lazily after a key is added. A removed key stays in it (the
   * listings skip keys without versions) until the removed ones outnumber the rest: emptying a
   * bucket page by page must not re-sort it once per page.
   */
  sorted?: { keys: string[]; removed: number };
  uploads: Map<string, UploadState>;
}

/** A byte range of some object's content: what a copied part is made of. */
interface Segment {
  contentHash: string;
  sourceSize: number;
  start: number;
  /** Exclusive. */
  end: number;
  bytes?: Buffer;
}

interface PartState {
  partNumber: number;
  size: number;
  segment: Segment;
  md5: Buffer;
  etag: string;
  checksum: string;
  lastModified: Date;
}

interface UploadState {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: Date;
  contentType: string;
  metadata: Record<string, string>;
  tags: Record<string, string>;
  checksumAlgorithm: ChecksumAlgorithm;
  checksumType: ChecksumType;
  checksumRequested: boolean;
  encryption: ObjectEncryption;
  parts: Map<number, PartState>;
}

interface ObjectDraft {
  size: number;
  contentHash: string;
  body?: Buffer;
  contentType: string;
  metadata: Record<string, string>;
  tags: Record<string, string>;
  checksum?: ObjectChecksum;
  encryption: ObjectEncryption;
  parts?: { size: number; md5: Buffer }[];
  storageClass?: StorageClass;
  restored?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Errors (codes and messages as S3 returns them: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html)
// ---------------------------------------------------------------------------------------------

const err = (code: string, message: string, status = 400) => new SimServiceError(code, message, status);
const noSuchBucket = () => err('NoSuchBucket', 'The specified bucket does not exist', 404);
const noSuchKey = () => err('NoSuchKey', 'The specified key does not exist.', 404);
const noSuchVersion = () => err('NoSuchVersion', 'The specified version does not exist.', 404);
// A HEAD response has no body, so the SDK can only name the error after the status code.
const headNotFound = () => err('NotFound', 'Not Found', 404);
const noSuchUpload = () =>
  err('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', 404);
const malformedXml = () =>
  err('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400);
const preconditionFailed = () => err('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412);
const invalidRange = () => err('InvalidRange', 'The requested range is not satisfiable', 416);

function required<T>(value: T | undefined | null, name: string): T {
  if (value === undefined || value === null || value === '') {
    throw err('InvalidRequest', `Missing required parameter: ${name}`, 400);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Hashing and content helpers
// ---------------------------------------------------------------------------------------------

// Large contents are hashed once per content (./digest-memo.ts): the fault runs copy the same megabytes again and again.
const sha256hex = (data: Buffer | string) =>
  (typeof data === 'string' ? createHash('sha256').update(data).digest() : memoDigest('sha256', data, (d) => createHash('sha256').update(d).digest())).toString('hex');
const md5 = (data: Buffer | string) => (typeof data === 'string' ? createHash('md5').update(data).digest() : memoDigest('md5', data, (d) => createHash('md5').update(d).digest()));
const quote = (hex: string) => `"${hex}"`;
const unquote = (etag: string) => etag.replace(/^W\//, '').replace(/^"|"$/g, '');

/**
 * Stand-in for a checksum value where there are no bytes to compute it over (a modelled object, or
 * an algorithm ./s3-checksums.ts does not implement): a deterministic value of the algorithm's width
 * derived from the content identity, which keeps what the workflow relies on — equal content ⇒ equal
 * checksum, however the object was written. Objects with bytes get real values.
 */
function checksumStandIn(algorithm: ChecksumAlgorithm, identity: string): string {
  const bytes = createHash('sha512').update(`${algorithm}:${identity}`).digest().subarray(0, CHECKSUM_BYTES[algorithm]);
  return bytes.toString('base64');
}

function checksumValue(algorithm: ChecksumAlgorithm, identity: string, bytes: Buffer | undefined): string {
  return (bytes ? fullObjectValue(algorithm, bytes) : undefined) ?? checksumStandIn(algorithm, identity);
}

function fullObjectChecksum(algorithm: ChecksumAlgorithm, contentHash: string, body: Buffer | undefined): ObjectChecksum {
  return { algorithm, type: 'FULL_OBJECT', value: checksumValue(algorithm, contentHash, body) };
}

/** COMPOSITE checksum over parts' checksums (real when every part had bytes, a stand-in otherwise). */
function compositeChecksum(algorithm: ChecksumAlgorithm, partValues: string[], allReal: boolean): ObjectChecksum {
  const value = (allReal ? compositeValue(algorithm, partValues) : undefined) ?? `${checksumStandIn(algorithm, `composite:${partValues.join(',')}`)}-${partValues.length}`;
  return { algorithm, type: 'COMPOSITE', value };
}

function checksumFields(checksum: ObjectChecksum | undefined): ChecksumFields {
  if (!checksum) return {};
  const fields: ChecksumFields = { ChecksumType: checksum.type };
  fields[`Checksum${checksum.algorithm}`] = checksum.value;
  return fields;
}

/** The first checksum value a request carries explicitly (x-amz-checksum-*), if any. */
function providedChecksum(input: Partial<Record<ChecksumField, string | undefined>>): { algorithm: ChecksumAlgorithm; value: string } | undefined {
  for (const algorithm of Object.keys(CHECKSUM_BYTES) as ChecksumAlgorithm[]) {
    const value = input[`Checksum${algorithm}`];
    if (value) return { algorithm, value };
  }
  return undefined;
}

const isFull = (s: Segment) => s.start === 0 && s.end === s.sourceSize;

/** MD5 of a range, as S3 computes a part's ETag; a modelled range gets a deterministic stand-in. */
function segmentMd5(s: Segment): Buffer {
  if (s.bytes) return md5(s.bytes);
  return md5(isFull(s) ? s.contentHash : `${s.contentHash}:${s.start}-${s.end}`);
}

function segmentIdentity(s: Segment): string {
  if (isFull(s)) return s.contentHash;
  return s.bytes ? sha256hex(s.bytes) : sha256hex(`${s.contentHash}:${s.start}-${s.end}`);
}

/** Content of an object assembled from parts: the source's identity when the parts are exactly the whole source, in order. */
function combineSegments(segments: Segment[]): { contentHash: string; body?: Buffer } {
  const bodies = segments.map((s) => s.bytes);
  if (bodies.every((b): b is Buffer => b !== undefined)) {
    const body = Buffer.concat(bodies);
    return { contentHash: sha256hex(body), body };
  }
  const first = segments[0];
  const last = segments[segments.length - 1];
  const wholeSource =
    first !== undefined &&
    last !== undefined &&
    first.start === 0 &&
    last.end === first.sourceSize &&
    segments.every((s, i) => s.contentHash === first.contentHash && (i === 0 || s.start === segments[i - 1]?.end));
  if (wholeSource) return { contentHash: first.contentHash };
  return { contentHash: sha256hex(JSON.stringify(segments.map((s) => [s.contentHash, s.start, s.end]))) };
}

/** A part number S3 accepts (1 to 10,000), or InvalidArgument as S3 answers. */
function validPartNumber(partNumber: number | undefined): number {
  if (partNumber === undefined || !Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw err('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`, 400);
  }
  return partNumber;
}

function segmentOf(record: S3ObjectRecord, start: number, end: number): Segment {
  return { contentHash: record.contentHash, sourceSize: record.size, start, end, bytes: record.body?.subarray(start, end) };
}

/** Deterministic bytes standing in for a modelled object's content, produced lazily. */
function* modelledBytes(contentHash: string, start: number, end: number): Generator<Buffer> {
  const chunk = 64 * 1024;
  const pattern = Buffer.alloc(chunk);
  let block = createHash('sha256').update(contentHash).digest();
  for (let off = 0; off < chunk; off += block.length) {
    block.copy(pattern, off);
    block = createHash('sha256').update(block).digest();
  }
  for (let pos = start; pos < end; ) {
    const off = pos % chunk;
    const n = Math.min(chunk - off, end - pos);
    yield pattern.subarray(off, off + n);
    pos += n;
  }
}

/** Bytes of a PutObject Body in any form the SDK accepts. */
async function readBody(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (Buffer.isBuffer(body)) return body;
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (body instanceof Blob) return Buffer.from(await body.arrayBuffer());
  if (typeof body === 'object' && Symbol.asyncIterator in body) {
    const parts: Buffer[] = [];
    for await (const c of body as AsyncIterable<unknown>) {
      if (typeof c === 'string') parts.push(Buffer.from(c));
      else if (c instanceof Uint8Array) parts.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
    }
    return Buffer.concat(parts);
  }
  throw err('InvalidRequest', 'The simulated S3 cannot read this kind of request body', 400);
}

// ---------------------------------------------------------------------------------------------
// Ordering and markers
// ---------------------------------------------------------------------------------------------

/**
 * Two keys in UTF-8 byte order, the order S3 lists keys in ("List results are always returned in
 * UTF-8 binary order", ListObjectsV2 API reference), without encoding them: UTF-8 byte order is code
 * point order, and UTF-16 code units sort the same way except that a surrogate (half of a code point
 * above U+FFFF) must sort after U+E000–U+FFFF. Keeping no encoded copy of every key spares the heap
 * an object per stored key (a million-object bucket is millions of them).
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) return surrogateLast(x) - surrogateLast(y);
    return x - y;
  }
  return a.length - b.length;
}

/** For a code unit ≥ U+D800: surrogates after U+E000–U+FFFF. */
const surrogateLast = (c: number) => (c >= 0xe000 ? c - 0x800 : c + 0x2000);

/** First index whose key is > target (strict) or ≥ target, in UTF-8 byte order (how S3 lists keys). */
function bound(sorted: string[], target: string, strict: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareUtf8(sorted[mid] as string, target);
    if (c < 0 || (strict && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const encodeToken = (key: string) => Buffer.from(key, 'utf8').toString('base64');
function decodeToken(token: string): string {
  const key = Buffer.from(token, 'base64').toString('utf8');
  if (token === '' || encodeToken(key) !== token) throw err('InvalidArgument', 'The continuation token provided is incorrect', 400);
  return key;
}

function pageSize(maxKeys: number | undefined): number {
  if (maxKeys === undefined) return MAX_PAGE;
  if (!Number.isInteger(maxKeys) || maxKeys < 0) throw err('InvalidArgument', 'Provided max-keys not an integer or within integer range', 400);
  return Math.min(maxKeys, MAX_PAGE);
}

function parseTagging(tagging: string | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  if (!tagging) return tags;
  for (const [k, v] of new URLSearchParams(tagging)) tags[k] = v;
  return tags;
}

const tagSet = (tags: Record<string, string>): Tag[] => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

function tagsFromSet(set: Tag[] | undefined, max: number, what: 'Object' | 'Bucket'): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const t of set ?? []) {
    const key = required(t.Key, 'Tag.Key');
    if (key.startsWith('aws:')) throw err('InvalidTag', 'System tags cannot be added/updated by requester', 400);
    if (key in tags) throw err('InvalidTag', 'Cannot provide multiple Tags with the same key', 400);
    tags[key] = t.Value ?? '';
  }
  if (Object.keys(tags).length > max) {
    throw err(what === 'Object' ? 'BadRequest' : 'InvalidTag', `${what} tags cannot be greater than ${max}`, 400);
  }
  return tags;
}

// S3 stores user metadata under lower-cased names (they travel as x-amz-meta-* headers).
function lowerKeys(metadata: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata ?? {})) out[k.toLowerCase()] = v;
  return out;
}

/** Bucket naming rules (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html). */
function validBucketName(name: string): boolean {
  return (
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !name.includes('.-') &&
    !name.includes('-.') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name) &&
    !name.startsWith('xn--') &&
    !name.endsWith('-s3alias')
  );
}

// ---------------------------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------------------------

export class S3Sim implements SimService {
  readonly serviceName = 'S3';
  readonly operations: Record<string, OpHandler>;

  private readonly buckets = new Map<string, BucketState>();
  /** Names owned by other accounts (CreateBucket answers BucketAlreadyExists). */
  private readonly foreignBuckets = new Set<string>();
  private readonly deletedAt = new Map<string, number>();
  private readonly writeWindows = new Map<string, { second: number; count: number }>();
  private readonly readWindows = new Map<string, { second: number; count: number }>();
  private readonly ids = new IdSource('s3');
  private kmsWrites = 0;

  constructor(private readonly account: SimAccount) {
    this.operations = {
      CreateBucket: (i) => this.opCreateBucket(i),
      DeleteBucket: (i) => this.opDeleteBucket(i),
      HeadBucket: (i) => this.opHeadBucket(i),
      ListObjectsV2: (i) => this.opListObjectsV2(i),
      ListObjectVersions: (i) => this.opListObjectVersions(i),
      HeadObject: (i) => this.opHeadObject(i),
      GetObject: (i) => this.opGetObject(i),
      PutObject: (i) => this.opPutObject(i),
      CopyObject: (i) => this.opCopyObject(i),
      DeleteObject: (i) => this.opDeleteObject(i),
      DeleteObjects: (i) => this.opDeleteObjects(i),
      GetObjectTagging: (i) => this.opGetObjectTagging(i),
      PutObjectTagging: (i) => this.opPutObjectTagging(i),
      CreateMultipartUpload: (i) => this.opCreateMultipartUpload(i),
      UploadPart: (i) => this.opUploadPart(i),
      UploadPartCopy: (i) => this.opUploadPartCopy(i),
      CompleteMultipartUpload: (i) => this.opCompleteMultipartUpload(i),
      AbortMultipartUpload: (i) => this.opAbortMultipartUpload(i),
      ListMultipartUploads: (i) => this.opListMultipartUploads(i),
      GetBucketEncryption: (i) => this.opGetBucketEncryption(i),
      PutBucketEncryption: (i) => this.opPutBucketEncryption(i),
      GetBucketVersioning: (i) => this.opGetBucketVersioning(i),
      GetObjectLockConfiguration: (i) => this.opGetObjectLockConfiguration(i),
      PutBucketVersioning: (i) => this.opPutBucketVersioning(i),
      GetBucketTagging: (i) => this.opGetBucketTagging(i),
      PutBucketTagging: (i) => this.opPutBucketTagging(i),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Internal API (CloudFormation, seeding, tests)
  // -------------------------------------------------------------------------------------------

  /**
   * Creates a bucket, failing like CreateBucket: BucketAlreadyOwnedByYou / BucketAlreadyExists for a
   * taken name, OperationAborted for a name deleted less than an hour ago, InvalidBucketName.
   */
  createBucket(
    name: string,
    opts: { tags?: Record<string, string>; versioning?: boolean; kmsKeyId?: string; objectLock?: { defaultRetention?: { mode: 'GOVERNANCE' | 'COMPLIANCE'; days: number } } } = {},
  ): void {
    if (!validBucketName(name)) throw err('InvalidBucketName', 'The specified bucket is not valid.', 400);
    if (this.buckets.has(name)) {
      throw err('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', 409);
    }
    if (this.foreignBuckets.has(name)) {
      throw err(
        'BucketAlreadyExists',
        'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
        409,
      );
    }
    // After DeleteBucket the name is released asynchronously ("it might take some time before the name
    // can be reused", DeleteBucket reference); recreating it meanwhile fails with OperationAborted.
    const deletedAt = this.deletedAt.get(name);
    if (deletedAt !== undefined && this.account.now() - deletedAt < NAME_REUSE_DELAY_MS) {
      throw err('OperationAborted', 'A conflicting conditional operation is currently in progress against this resource. Please try again.', 409);
    }
    this.buckets.set(name, {
      name,
      createdAt: new Date(this.account.now()),
      tags: opts.tags && Object.keys(opts.tags).length > 0 ? { ...opts.tags } : undefined,
      // "When you create a bucket with S3 Object Lock enabled, Amazon S3 automatically enables versioning
      // for the bucket" (S3 user guide, "Configuring S3 Object Lock").
      versioning: opts.versioning || opts.objectLock ? 'Enabled' : undefined,
      ...(opts.objectLock ? { objectLock: { ...opts.objectLock } } : {}),
      // Every bucket has SSE-S3 default encryption since January 2023 (S3 user guide, "Setting default server-side encryption behavior").
      encryption: opts.kmsKeyId
        ? { algorithm: 'aws:kms', kmsKeyId: opts.kmsKeyId, bucketKeyEnabled: false }
        : { algorithm: 'AES256', bucketKeyEnabled: false },
      keys: new Map(),
      uploads: new Map(),
    });
  }

  /** Deletes a bucket; BucketNotEmpty while any object version or delete marker remains. */
  deleteBucket(name: string): void {
    const bucket = this.bucket(name);
    if (bucket.keys.size > 0) throw err('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409);
    this.buckets.delete(name);
    this.deletedAt.set(name, this.account.now());
  }

  bucketExists(name: string): boolean {
    return this.buckets.has(name);
  }

  bucketNames(): string[] {
    return [...this.buckets.keys()];
  }

  /** Current (not deleted) objects in the bucket. */
  objectCount(name: string): number {
    let n = 0;
    for (const versions of this.bucket(name).keys.values()) if (versions[versions.length - 1]?.deleteMarker === false) n += 1;
    return n;
  }

  /** Object versions and delete markers in the bucket (what keeps DeleteBucket from succeeding). */
  versionCount(name: string): number {
    let n = 0;
    for (const versions of this.bucket(name).keys.values()) n += versions.length;
    return n;
  }

  /** When the bucket was created (CloudWatch's daily storage metrics exist only for buckets older than a day). */
  bucketCreatedAt(name: string): Date {
    return this.bucket(name).createdAt;
  }

  /**
   * Seeding: the bucket was created at `createdAt`, before the simulated account's history began (a
   * bucket an environment has had for days, with CloudWatch's daily storage metrics about it).
   */
  backdateBucket(name: string, createdAt: Date): void {
    this.bucket(name).createdAt = createdAt;
  }

  /**
   * What S3's daily storage measurement counts in the bucket now (./cloudwatch.ts publishes it): every
   * object version, current and noncurrent, and every part of an unfinished multipart upload, bytes per
   * CloudWatch StorageType. Delete markers are not counted: the metric's definition names "current and
   * noncurrent objects" and the parts of incomplete multipart uploads, not delete markers (S3 user
   * guide, "Metrics and dimensions", NumberOfObjects and BucketSizeBytes).
   */
  storageMeasurement(name: string): { numberOfObjects: number; bytesByStorageType: Record<string, number> } {
    const bucket = this.bucket(name);
    const bytesByStorageType: Record<string, number> = {};
    let numberOfObjects = 0;
    const add = (type: string, bytes: number) => {
      bytesByStorageType[type] = (bytesByStorageType[type] ?? 0) + bytes;
    };
    for (const versions of bucket.keys.values()) {
      for (const v of versions) {
        if (v.deleteMarker || !v.object) continue;
        numberOfObjects += 1;
        add(CLOUDWATCH_STORAGE_TYPE[v.object.storageClass] ?? 'StandardStorage', v.object.size);
      }
    }
    for (const upload of bucket.uploads.values()) {
      for (const part of upload.parts.values()) {
        numberOfObjects += 1;
        add('StandardStorage', part.size);
      }
    }
    return { numberOfObjects, bytesByStorageType };
  }

  /** Marks a name as owned by another account (CreateBucket then answers BucketAlreadyExists). */
  addForeignBucket(name: string): void {
    this.foreignBuckets.add(name);
  }

  /**
   * The name CloudFormation gives an AWS::S3::Bucket without BucketName: `<stack>-<logicalid>-<12 random>`,
   * lower-cased, at most 63 characters (the stack and logical-ID part is shortened, the random suffix kept).
   */
  bucketNameFor(stackName: string, logicalId: string): string {
    const suffix = this.ids.next(12, LOWER_ALNUM);
    const base = `${stackName}-${logicalId}`.toLowerCase().replace(/[^a-z0-9-]/g, '').slice(0, 63 - suffix.length - 1);
    return `${base}-${suffix}`;
  }

  /** Seeds an object without any API call (no latency, rate limit or faults). */
  putObjectDirect(bucketName: string, key: string, opts: SeedObjectOptions): S3ObjectRecord {
    const bucket = this.bucket(bucketName);
    const body = opts.body === undefined ? undefined : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body, 'utf8');
    const size = body ? body.length : (opts.size ?? 0);
    const contentHash = body ? sha256hex(body) : sha256hex(`modelled:${opts.seedId ?? `${bucketName}/${key}`}:${size}`);
    const algorithm = opts.checksumAlgorithm === null ? undefined : (opts.checksumAlgorithm ?? 'CRC64NVME');
    const draft: ObjectDraft = {
      size,
      contentHash,
      body,
      contentType: opts.contentType ?? DEFAULT_CONTENT_TYPE,
      metadata: lowerKeys(opts.metadata),
      tags: { ...(opts.tags ?? {}) },
      checksum: algorithm ? fullObjectChecksum(algorithm, contentHash, body) : undefined,
      encryption: this.encryptionFor(bucket, opts.serverSideEncryption, opts.kmsKeyId),
      storageClass: opts.storageClass,
      restored: opts.restored,
    };
    const partCount = opts.multipartParts ?? 0;
    if (partCount > 0) {
      const partSize = Math.max(1, Math.ceil(size / partCount));
      const segments: Segment[] = [];
      for (let start = 0; start < size || segments.length === 0; start += partSize) {
        const end = Math.min(size, start + partSize);
        segments.push({ contentHash, sourceSize: size, start, end, bytes: body?.subarray(start, end) });
      }
      draft.parts = segments.map((s) => ({ size: s.end - s.start, md5: segmentMd5(s) }));
      const type = opts.checksumType ?? (algorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE');
      if (algorithm && type === 'COMPOSITE') {
        const partSums = segments.map((s) => checksumValue(algorithm, segmentIdentity(s), s.bytes));
        draft.checksum = compositeChecksum(algorithm, partSums, body !== undefined);
      }
    }
    const record = this.store(bucket, key, draft);
    return record;
  }

  /**
   * The checksum S3 computes at rest for one object version (S3 Batch Operations "Compute checksum",
   * ./s3-control.ts): FULL_OBJECT over the whole content, or COMPOSITE over the parts a multipart
   * object was written in (a single-part object's COMPOSITE is its FULL_OBJECT value). The stored
   * checksum when it is the one asked for; otherwise real values for objects with bytes and stand-ins
   * for modelled ones, like every other checksum here. No restore needed: the operation "is
   * compatible with all S3 storage classes" (S3 user guide, "Compute checksums"). Throws NoSuchKey /
   * NoSuchVersion (404) like a read.
   */
  checksumAtRest(bucketName: string, key: string, versionId: string | undefined, algorithm: ChecksumAlgorithm, type: ChecksumType): { value: string; etag: string; size: number } {
    const bucket = this.bucket(bucketName);
    const record = versionId === undefined || versionId === '' ? this.current(bucket, key) : bucket.keys.get(key)?.find((e) => e.versionId === versionId)?.object;
    if (!record) throw versionId ? noSuchVersion() : noSuchKey();
    const stored = record.checksum;
    const done = (value: string) => ({ value, etag: record.etag, size: record.size });
    if (stored && stored.algorithm === algorithm && stored.type === type) return done(stored.value);
    if (type === 'COMPOSITE' && record.partSizes && record.partSizes.length > 0) {
      let start = 0;
      const partSums = record.partSizes.map((size) => {
        const segment = segmentOf(record, start, start + size);
        start += size;
        return checksumValue(algorithm, segmentIdentity(segment), segment.bytes);
      });
      return done(compositeChecksum(algorithm, partSums, record.body !== undefined).value);
    }
    return done(checksumValue(algorithm, record.contentHash, record.body));
  }

  /**
   * Deletes without any API call, as DeleteObject does: a versioned bucket gets a delete marker (or
   * loses `versionId` for good when given), an unversioned one loses the object. Seeding and tests.
   */
  deleteObjectDirect(bucketName: string, key: string, versionId?: string): { versionId?: string; deleteMarker?: boolean } {
    return this.deleteEntry(this.bucket(bucketName), key, versionId);
  }

  /** Current objects of a bucket in key order. */
  listAll(bucketName: string): S3ObjectRecord[] {
    const bucket = this.bucket(bucketName);
    const out: S3ObjectRecord[] = [];
    for (const key of this.sorted(bucket).keys) {
      const obj = this.current(bucket, key);
      if (obj) out.push(obj);
    }
    return out;
  }

  /** The current version of an object, or undefined when absent or deleted. */
  getObjectRecord(bucketName: string, key: string): S3ObjectRecord | undefined {
    return this.current(this.bucket(bucketName), key);
  }

  bucketTags(bucketName: string): Record<string, string> {
    return { ...(this.bucket(bucketName).tags ?? {}) };
  }

  // -------------------------------------------------------------------------------------------
  // Buckets
  // -------------------------------------------------------------------------------------------

  private opCreateBucket(i: OpInput): Out<CreateBucketCommandOutput> {
    const input = i as unknown as CreateBucketCommandInput;
    const name = required(input.Bucket, 'Bucket');
    // CreateBucket reference, BucketAlreadyOwnedByYou: "Amazon S3 returns this error in all AWS Regions
    // except in the North Virginia Region. For legacy compatibility, if you re-create an existing bucket
    // that you already own in the North Virginia Region, Amazon S3 returns 200 OK".
    if (this.buckets.has(name) && this.account.region === 'us-east-1') return { Location: `/${name}` };
    this.createBucket(name);
    return { Location: this.account.region === 'us-east-1' ? `/${name}` : `http://${name}.s3.amazonaws.com/` };
  }

  private opDeleteBucket(i: OpInput): Record<string, never> {
    const input = i as unknown as DeleteBucketCommandInput;
    this.deleteBucket(required(input.Bucket, 'Bucket'));
    return {};
  }

  private opHeadBucket(i: OpInput): Out<HeadBucketCommandOutput> {
    const input = i as unknown as HeadBucketCommandInput;
    const name = required(input.Bucket, 'Bucket');
    if (this.foreignBuckets.has(name)) throw err('Forbidden', 'Forbidden', 403);
    if (!this.buckets.has(name)) throw headNotFound();
    return { BucketRegion: this.account.region };
  }

  private opGetBucketEncryption(i: OpInput): Out<GetBucketEncryptionCommandOutput> {
    const bucket = this.bucket((i as unknown as GetBucketEncryptionCommandInput).Bucket);
    const e = bucket.encryption;
    return {
      ServerSideEncryptionConfiguration: {
        Rules: [
          {
            ApplyServerSideEncryptionByDefault: { SSEAlgorithm: e.algorithm, ...(e.kmsKeyId ? { KMSMasterKeyID: e.kmsKeyId } : {}) },
            BucketKeyEnabled: e.bucketKeyEnabled,
          },
        ],
      },
    };
  }

  private opPutBucketEncryption(i: OpInput): Record<string, never> {
    const input = i as unknown as PutBucketEncryptionCommandInput;
    const bucket = this.bucket(input.Bucket);
    const rule = input.ServerSideEncryptionConfiguration?.Rules?.[0];
    const algorithm = rule?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm;
    if (algorithm !== 'AES256' && algorithm !== 'aws:kms') throw malformedXml();
    bucket.encryption = {
      algorithm,
      kmsKeyId: algorithm === 'aws:kms' ? (rule?.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID ?? this.awsManagedS3Key()) : undefined,
      bucketKeyEnabled: rule?.BucketKeyEnabled ?? false,
    };
    return {};
  }

  private opGetBucketVersioning(i: OpInput): Out<GetBucketVersioningCommandOutput> {
    const bucket = this.bucket((i as unknown as GetBucketVersioningCommandInput).Bucket);
    // A bucket that never had versioning enabled has no Status at all; MFADelete is reported once configured.
    return { ...(bucket.versioning ? { Status: bucket.versioning } : {}), ...(bucket.mfaDelete ? { MFADelete: 'Enabled' as const } : {}) };
  }

  /**
   * GetObjectLockConfiguration: the bucket's Object Lock setting and default retention;
   * ObjectLockConfigurationNotFoundError (404) for a bucket created without Object Lock.
   */
  private opGetObjectLockConfiguration(i: OpInput): { ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled'; Rule?: { DefaultRetention: { Mode: 'GOVERNANCE' | 'COMPLIANCE'; Days: number } } } } {
    const bucket = this.bucket((i as unknown as { Bucket?: string }).Bucket);
    if (!bucket.objectLock) throw err('ObjectLockConfigurationNotFoundError', 'Object Lock configuration does not exist for this bucket', 404);
    const retention = bucket.objectLock.defaultRetention;
    return { ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', ...(retention ? { Rule: { DefaultRetention: { Mode: retention.mode, Days: retention.days } } } : {}) } };
  }

  /**
   * Object Lock on an existing versioned bucket with a default retention, as PutObjectLockConfiguration
   * allows (S3 user guide, "Configuring S3 Object Lock"); the retention applies to versions already
   * there from their last-modified time here (in S3 only to new versions: stricter, never kinder).
   */
  setObjectLock(name: string, defaultRetention: { mode: 'GOVERNANCE' | 'COMPLIANCE'; days: number }): void {
    const bucket = this.bucket(name);
    if (bucket.versioning !== 'Enabled') throw err('InvalidBucketState', 'Versioning must be Enabled on the bucket to apply a Object Lock configuration', 409);
    bucket.objectLock = { defaultRetention };
  }

  /** MFA delete on or off, as the root user's PutBucketVersioning with MFADelete does (seeding scenarios). */
  setMfaDelete(name: string, enabled: boolean): void {
    this.bucket(name).mfaDelete = enabled;
  }

  /**
   * Why deleting this version permanently is refused, or undefined. MFA delete: "If a bucket's
   * versioning configuration is MFA delete enabled, the bucket owner must include the x-amz-mfa request
   * header in requests to permanently delete an object version ... If you don't include this request
   * header, the request fails" (S3 user guide, "Deleting an object from an MFA delete-enabled bucket").
   * Object Lock: a version inside its retention period cannot be deleted (S3 user guide, "Locking
   * objects with Object Lock"); S3 answers AccessDenied, "Access Denied because object protected by
   * object lock." Delete markers are never locked. The workflow sends neither MFA nor a governance bypass.
   */
  private deletionRefusal(bucket: BucketState, key: string, versionId: string | undefined): { code: string; message: string } | undefined {
    if (versionId === undefined) return undefined;
    if (bucket.mfaDelete) return { code: 'AccessDenied', message: 'Mfa Authentication must be used for this request' };
    const retention = bucket.objectLock?.defaultRetention;
    if (!retention) return undefined;
    const entry = bucket.keys.get(key)?.find((e) => e.versionId === versionId);
    if (!entry || entry.deleteMarker) return undefined;
    if (entry.lastModified.getTime() + retention.days * 86_400_000 > this.account.now()) return { code: 'AccessDenied', message: 'Access Denied because object protected by object lock.' };
    return undefined;
  }

  private opPutBucketVersioning(i: OpInput): Record<string, never> {
    const input = i as unknown as PutBucketVersioningCommandInput;
    const bucket = this.bucket(input.Bucket);
    const status = input.VersioningConfiguration?.Status;
    if (status !== 'Enabled' && status !== 'Suspended') throw malformedXml();
    bucket.versioning = status;
    return {};
  }

  private opGetBucketTagging(i: OpInput): Out<GetBucketTaggingCommandOutput> {
    const bucket = this.bucket((i as unknown as GetBucketTaggingCommandInput).Bucket);
    if (!bucket.tags) throw err('NoSuchTagSet', 'The TagSet does not exist', 404);
    return { TagSet: tagSet(bucket.tags) };
  }

  private opPutBucketTagging(i: OpInput): Record<string, never> {
    const input = i as unknown as PutBucketTaggingCommandInput;
    const bucket = this.bucket(input.Bucket);
    const tags = tagsFromSet(input.Tagging?.TagSet, MAX_BUCKET_TAGS, 'Bucket');
    bucket.tags = Object.keys(tags).length > 0 ? tags : undefined;
    return {};
  }

  // -------------------------------------------------------------------------------------------
  // Listing
  // -------------------------------------------------------------------------------------------

  /** ListObjectsV2: current versions only, UTF-8 byte order, at most 1000 per page. */
  private opListObjectsV2(i: OpInput): Out<ListObjectsV2CommandOutput> {
    const input = i as unknown as ListObjectsV2CommandInput;
    const bucket = this.bucket(input.Bucket);
    const maxKeys = pageSize(input.MaxKeys);
    const prefix = input.Prefix ?? '';
    const delimiter = input.Delimiter || undefined;
    const { keys } = this.sorted(bucket);

    let idx = bound(keys, prefix, false);
    for (const after of [input.StartAfter, input.ContinuationToken === undefined ? undefined : decodeToken(input.ContinuationToken)]) {
      if (after !== undefined) idx = Math.max(idx, bound(keys, after, true));
    }

    const contents: _Object[] = [];
    const commonPrefixes: CommonPrefix[] = [];
    let lastConsumed: string | undefined;
    let truncated = false;
    for (; idx < keys.length; idx++) {
      const key = keys[idx] as string;
      if (!key.startsWith(prefix)) break;
      const obj = this.current(bucket, key);
      if (!obj) continue;
      if (contents.length + commonPrefixes.length >= maxKeys) {
        truncated = maxKeys > 0;
        break;
      }
      const d = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      if (delimiter && d >= 0) {
        const cp = key.slice(0, d + delimiter.length);
        commonPrefixes.push({ Prefix: cp });
        // The whole group is one entry: resume after its last key.
        while (idx + 1 < keys.length && (keys[idx + 1] as string).startsWith(cp)) idx++;
        lastConsumed = keys[idx];
        continue;
      }
      contents.push({
        Key: key,
        LastModified: obj.lastModified,
        ETag: obj.etag,
        Size: obj.size,
        StorageClass: obj.storageClass,
        ChecksumAlgorithm: obj.checksum ? [obj.checksum.algorithm] : undefined,
        ChecksumType: obj.checksum?.type,
      });
      lastConsumed = key;
    }
    return {
      Name: bucket.name,
      Prefix: input.Prefix,
      Delimiter: input.Delimiter,
      StartAfter: input.StartAfter,
      ContinuationToken: input.ContinuationToken,
      MaxKeys: maxKeys,
      KeyCount: contents.length + commonPrefixes.length,
      IsTruncated: truncated,
      NextContinuationToken: truncated && lastConsumed !== undefined ? encodeToken(lastConsumed) : undefined,
      Contents: contents.length > 0 ? contents : undefined,
      CommonPrefixes: commonPrefixes.length > 0 ? commonPrefixes : undefined,
    };
  }

  /** ListObjectVersions: every version and delete marker, by key, newest first within a key. */
  private opListObjectVersions(i: OpInput): Out<ListObjectVersionsCommandOutput> {
    const input = i as unknown as ListObjectVersionsCommandInput;
    const bucket = this.bucket(input.Bucket);
    if (input.Delimiter) throw err('NotImplemented', 'The simulated S3 does not model Delimiter on ListObjectVersions', 501);
    if (input.VersionIdMarker && input.KeyMarker === undefined) {
      throw err('InvalidArgument', 'A version-id marker cannot be specified without a key marker.', 400);
    }
    const maxKeys = pageSize(input.MaxKeys);
    const prefix = input.Prefix ?? '';
    const { keys } = this.sorted(bucket);

    let idx = bound(keys, prefix, false);
    let skipThroughVersion: string | undefined;
    if (input.KeyMarker !== undefined) {
      if (input.VersionIdMarker) {
        idx = Math.max(idx, bound(keys, input.KeyMarker, false));
        skipThroughVersion = input.VersionIdMarker;
      } else {
        idx = Math.max(idx, bound(keys, input.KeyMarker, true));
      }
    }

    const versions: ObjectVersion[] = [];
    const markers: DeleteMarkerEntry[] = [];
    let last: { key: string; versionId: string } | undefined;
    let truncated = false;
    outer: for (; idx < keys.length; idx++) {
      const key = keys[idx] as string;
      if (!key.startsWith(prefix)) break;
      const entries = [...(bucket.keys.get(key) ?? [])].reverse();
      let start = 0;
      if (skipThroughVersion !== undefined && key === input.KeyMarker) {
        const at = entries.findIndex((e) => e.versionId === skipThroughVersion);
        start = at >= 0 ? at + 1 : entries.length;
      }
      for (let n = start; n < entries.length; n++) {
        const e = entries[n] as VersionEntry;
        if (versions.length + markers.length >= maxKeys) {
          truncated = maxKeys > 0;
          break outer;
        }
        if (e.deleteMarker) {
          markers.push({ Key: key, VersionId: e.versionId, IsLatest: n === 0, LastModified: e.lastModified });
        } else if (e.object) {
          versions.push({
            Key: key,
            VersionId: e.versionId,
            IsLatest: n === 0,
            LastModified: e.lastModified,
            ETag: e.object.etag,
            Size: e.object.size,
            // The SDK's enum for versions lists only STANDARD, but S3 reports the version's class (GLACIER, ...).
            StorageClass: e.object.storageClass as ObjectVersion['StorageClass'],
            ChecksumAlgorithm: e.object.checksum ? [e.object.checksum.algorithm] : undefined,
            ChecksumType: e.object.checksum?.type,
          });
        }
        last = { key, versionId: e.versionId };
      }
    }
    return {
      Name: bucket.name,
      Prefix: input.Prefix,
      KeyMarker: input.KeyMarker,
      VersionIdMarker: input.VersionIdMarker,
      MaxKeys: maxKeys,
      IsTruncated: truncated,
      NextKeyMarker: truncated ? last?.key : undefined,
      NextVersionIdMarker: truncated ? last?.versionId : undefined,
      Versions: versions.length > 0 ? versions : undefined,
      DeleteMarkers: markers.length > 0 ? markers : undefined,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Objects
  // -------------------------------------------------------------------------------------------

  private opHeadObject(i: OpInput): Out<HeadObjectCommandOutput> {
    const input = i as unknown as HeadObjectCommandInput;
    const bucket = this.bucket(input.Bucket);
    const key = required(input.Key, 'Key');
    this.checkReadRate(bucket.name, key);
    const record = this.readable(bucket, key, input.VersionId, true);
    if (input.IfMatch && unquote(input.IfMatch) !== unquote(record.etag)) throw preconditionFailed();
    const range = this.byteRange(record, input.Range, input.PartNumber);
    return {
      ...this.objectHeaders(bucket, record, input.ChecksumMode === 'ENABLED' && !range.partial),
      ContentLength: range.end - range.start,
      ContentRange: range.contentRange,
      PartsCount: input.PartNumber !== undefined ? (record.partSizes?.length ?? 1) : undefined,
      // HeadObject reference, x-amz-tagging-count: "The number of tags, if any, on the object, when you
      // have the relevant permission to read object tags" (absent for none, as GetObject answers).
      TagCount: Object.keys(record.tags).length || undefined,
    };
  }

  private opGetObject(i: OpInput): Out<GetObjectCommandOutput> {
    const input = i as unknown as GetObjectCommandInput;
    const bucket = this.bucket(input.Bucket);
    const key = required(input.Key, 'Key');
    this.checkReadRate(bucket.name, key);
    const record = this.readable(bucket, key, input.VersionId, false);
    this.checkNotArchived(record);
    if (input.IfMatch && unquote(input.IfMatch) !== unquote(record.etag)) throw preconditionFailed();
    const range = this.byteRange(record, input.Range, input.PartNumber);
    const chunks = record.body ? [record.body.subarray(range.start, range.end)] : modelledBytes(record.contentHash, range.start, range.end);
    return {
      ...this.objectHeaders(bucket, record, input.ChecksumMode === 'ENABLED' && !range.partial),
      ContentLength: range.end - range.start,
      ContentRange: range.contentRange,
      PartsCount: input.PartNumber !== undefined ? (record.partSizes?.length ?? 1) : undefined,
      TagCount: Object.keys(record.tags).length || undefined,
      Body: sdkBody(chunks) as unknown as GetObjectCommandOutput['Body'],
    };
  }

  private async opPutObject(i: OpInput): Promise<Out<PutObjectCommandOutput>> {
    const input = i as unknown as PutObjectCommandInput;
    const bucket = this.bucket(input.Bucket);
    const key = required(input.Key, 'Key');
    const body = await readBody(input.Body);
    if (body.length > MAX_SINGLE_PUT_BYTES) throw err('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', 400);
    // Conditional writes (S3 user guide, "Add preconditions to S3 operations with conditional requests").
    const existing = this.current(bucket, key);
    if (input.IfNoneMatch === '*' && existing) throw preconditionFailed();
    if (input.IfMatch !== undefined) {
      if (!existing) throw noSuchKey();
      if (unquote(input.IfMatch) !== unquote(existing.etag)) throw preconditionFailed();
    }
    if (Object.keys(parseTagging(input.Tagging)).length > MAX_OBJECT_TAGS) {
      throw err('BadRequest', `Object tags cannot be greater than ${MAX_OBJECT_TAGS}`, 400);
    }
    this.checkWriteRate(bucket.name, key);
    const contentHash = sha256hex(body);
    const provided = providedChecksum(input);
    const algorithm = input.ChecksumAlgorithm ?? provided?.algorithm ?? 'CRC64NVME';
    const checksum = fullObjectChecksum(algorithm, contentHash, body);
    // S3 checks a checksum the request carries against the bytes it received ("Checking object
    // integrity": a mismatch fails the upload with BadDigest).
    if (provided && fullObjectValue(provided.algorithm, body) !== undefined && fullObjectValue(provided.algorithm, body) !== provided.value) {
      throw err('BadDigest', `The ${provided.algorithm} you specified did not match the calculated checksum.`, 400);
    }
    const record = this.store(bucket, key, {
      size: body.length,
      contentHash,
      body,
      contentType: input.ContentType ?? DEFAULT_CONTENT_TYPE,
      metadata: lowerKeys(input.Metadata),
      tags: parseTagging(input.Tagging),
      checksum,
      encryption: this.encryptionFor(bucket, input.ServerSideEncryption, input.SSEKMSKeyId),
      storageClass: input.StorageClass,
    });
    return {
      ETag: record.etag,
      VersionId: bucket.versioning ? record.versionId : undefined,
      Size: record.size,
      ...this.encryptionHeaders(record.encryption),
      ...checksumFields(record.checksum),
    };
  }

  /**
   * CopyObject: the source is read when the request arrives, the destination appears when the copy
   * finishes (copy latency on the simulated clock). Destination metadata, tags and checksum algorithm
   * follow the directives; encryption follows the request or the destination bucket's default.
   */
  private async opCopyObject(i: OpInput): Promise<Out<CopyObjectCommandOutput>> {
    const input = i as unknown as CopyObjectCommandInput;
    const dest = this.bucket(input.Bucket);
    const key = required(input.Key, 'Key');
    const src = this.resolveCopySource(required(input.CopySource, 'CopySource'));
    const record = src.record;
    this.checkNotArchived(record);
    this.checkCopyConditions(input.CopySourceIfMatch, input.CopySourceIfNoneMatch, record);
    if (record.size > MAX_COPY_SOURCE_BYTES) {
      throw err('InvalidRequest', `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_COPY_SOURCE_BYTES}`, 400);
    }
    const replaceMetadata = input.MetadataDirective === 'REPLACE';
    if (src.bucket === dest && src.key === key && !replaceMetadata && !input.ServerSideEncryption && !input.StorageClass && !input.ChecksumAlgorithm) {
      throw err(
        'InvalidRequest',
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        400,
      );
    }
    if (input.TaggingDirective === 'REPLACE' && Object.keys(parseTagging(input.Tagging)).length > MAX_OBJECT_TAGS) {
      throw err('BadRequest', `Object tags cannot be greater than ${MAX_OBJECT_TAGS}`, 400);
    }
    this.checkWriteRate(dest.name, key);
    await this.copyLatency(record.size);

    // CopyObject reference, x-amz-checksum-algorithm: "If the CopyObject request does not include this
    // x-amz-checksum-algorithm header, the checksum algorithm will be copied from the source object to
    // the destination object (if it's present on the source object)". So a source without a checksum
    // gives a copy without one unless the request names an algorithm; with one, S3 computes it over
    // the content. The copy is single-part, so its checksum is FULL_OBJECT of the whole content
    // (a COMPOSITE source's value does not carry over). (Since December 2024 S3 may add a CRC64NVME to
    // such a copy; modelling none is the stricter reading and never kinder to a verification.)
    const copyAlgorithm = input.ChecksumAlgorithm ?? record.checksum?.algorithm;
    const draft: ObjectDraft = {
      size: record.size,
      contentHash: record.contentHash,
      body: record.body,
      contentType: replaceMetadata ? (input.ContentType ?? DEFAULT_CONTENT_TYPE) : record.contentType,
      metadata: replaceMetadata ? lowerKeys(input.Metadata) : { ...record.metadata },
      tags: input.TaggingDirective === 'REPLACE' ? parseTagging(input.Tagging) : { ...record.tags },
      checksum: copyAlgorithm ? fullObjectChecksum(copyAlgorithm, record.contentHash, record.body) : undefined,
      encryption: this.encryptionFor(dest, input.ServerSideEncryption, input.SSEKMSKeyId),
      // CopyObject reference, x-amz-storage-class: the copy is STANDARD unless the request names a class.
      storageClass: input.StorageClass,
    };
    const silentlySkipped = this.account.faults.silent.copySkipsKey?.(key) === true;
    // A copy is written as a single part even when the source was multipart (CopyObject reference,
    // CopySource: "the object copy will be a single part object"), so its ETag is the content's MD5.
    const written = silentlySkipped ? this.preview(draft) : this.store(dest, key, draft);
    return {
      CopyObjectResult: { ETag: written.etag, LastModified: written.lastModified, ...checksumFields(written.checksum) },
      VersionId: dest.versioning ? written.versionId : undefined,
      CopySourceVersionId: src.bucket.versioning ? record.versionId : undefined,
      ...this.encryptionHeaders(written.encryption),
    };
  }

  private opDeleteObject(i: OpInput): Out<DeleteObjectCommandOutput> {
    const input = i as unknown as DeleteObjectCommandInput;
    const bucket = this.bucket(input.Bucket);
    const refusal = this.deletionRefusal(bucket, required(input.Key, 'Key'), input.VersionId);
    if (refusal) throw err(refusal.code, refusal.message, 403);
    const result = this.deleteEntry(bucket, required(input.Key, 'Key'), input.VersionId);
    return { VersionId: result.versionId, DeleteMarker: result.deleteMarker };
  }

  private opDeleteObjects(i: OpInput): Out<DeleteObjectsCommandOutput> {
    const input = i as unknown as DeleteObjectsCommandInput;
    const bucket = this.bucket(input.Bucket);
    const objects = input.Delete?.Objects ?? [];
    // DeleteObjects reference: "The request can contain a list of up to 1,000 keys".
    if (objects.length === 0 || objects.length > MAX_PAGE) throw malformedXml();
    // MFA delete fails the whole request: "If you do not provide one, the entire request will fail, even
    // if there are non-versioned objects you are trying to delete" (S3 API reference, DeleteObjects).
    if (bucket.mfaDelete && objects.some((o) => o.VersionId !== undefined)) throw err('AccessDenied', 'Mfa Authentication must be used for this request', 403);
    const deleted: DeletedObject[] = [];
    const errors: _Error[] = [];
    for (const o of objects) {
      if (!o.Key) {
        errors.push({ Key: o.Key, VersionId: o.VersionId, Code: 'InvalidArgument', Message: 'Invalid key' });
        continue;
      }
      const refusal = this.deletionRefusal(bucket, o.Key, o.VersionId);
      if (refusal) {
        errors.push({ Key: o.Key, VersionId: o.VersionId, Code: refusal.code, Message: refusal.message });
        continue;
      }
      const r = this.deleteEntry(bucket, o.Key, o.VersionId);
      deleted.push({
        Key: o.Key,
        VersionId: o.VersionId,
        DeleteMarker: r.deleteMarker,
        DeleteMarkerVersionId: o.VersionId === undefined && r.deleteMarker ? r.versionId : undefined,
      });
    }
    return {
      Deleted: input.Delete?.Quiet || deleted.length === 0 ? undefined : deleted,
      Errors: errors.length > 0 ? errors : undefined,
    };
  }

  private opGetObjectTagging(i: OpInput): Out<GetObjectTaggingCommandOutput> {
    const input = i as unknown as GetObjectTaggingCommandInput;
    const bucket = this.bucket(input.Bucket);
    const record = this.readable(bucket, required(input.Key, 'Key'), input.VersionId, false);
    return { TagSet: tagSet(record.tags), VersionId: bucket.versioning ? record.versionId : undefined };
  }

  private opPutObjectTagging(i: OpInput): Out<PutObjectTaggingCommandOutput> {
    const input = i as unknown as PutObjectTaggingCommandInput;
    const bucket = this.bucket(input.Bucket);
    const record = this.readable(bucket, required(input.Key, 'Key'), input.VersionId, false);
    record.tags = tagsFromSet(input.Tagging?.TagSet, MAX_OBJECT_TAGS, 'Object');
    return { VersionId: bucket.versioning ? record.versionId : undefined };
  }

  // -------------------------------------------------------------------------------------------
  // Multipart
  // -------------------------------------------------------------------------------------------

  private opCreateMultipartUpload(i: OpInput): Out<CreateMultipartUploadCommandOutput> {
    const input = i as unknown as CreateMultipartUploadCommandInput;
    const bucket = this.bucket(input.Bucket);
    const key = required(input.Key, 'Key');
    if (input.ChecksumType && !input.ChecksumAlgorithm) {
      throw err('InvalidRequest', 'The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.', 400);
    }
    // Without an algorithm S3 gives new objects a full-object CRC64NVME (S3 user guide, "Checking object
    // integrity"); CRC64NVME only exists as FULL_OBJECT, SHA and MD5 only as COMPOSITE.
    const algorithm = input.ChecksumAlgorithm ?? 'CRC64NVME';
    const type = input.ChecksumType ?? (algorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE');
    if (type === 'FULL_OBJECT' && !FULL_OBJECT_ALGORITHMS.has(algorithm)) {
      throw err('InvalidRequest', `The FULL_OBJECT checksum type cannot be used with the ${algorithm.toLowerCase()} checksum algorithm.`, 400);
    }
    if (type === 'COMPOSITE' && algorithm === 'CRC64NVME') {
      throw err('InvalidRequest', 'The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.', 400);
    }
    const tags = parseTagging(input.Tagging);
    if (Object.keys(tags).length > MAX_OBJECT_TAGS) throw err('BadRequest', `Object tags cannot be greater than ${MAX_OBJECT_TAGS}`, 400);
    const upload: UploadState = {
      uploadId: this.ids.next(64, MIXED_ALNUM),
      bucket: bucket.name,
      key,
      initiated: new Date(this.account.now()),
      contentType: input.ContentType ?? DEFAULT_CONTENT_TYPE,
      metadata: lowerKeys(input.Metadata),
      tags,
      checksumAlgorithm: algorithm,
      checksumType: type,
      checksumRequested: input.ChecksumAlgorithm !== undefined,
      encryption: this.encryptionFor(bucket, input.ServerSideEncryption, input.SSEKMSKeyId),
      parts: new Map(),
    };
    bucket.uploads.set(upload.uploadId, upload);
    return {
      Bucket: bucket.name,
      Key: key,
      UploadId: upload.uploadId,
      ChecksumAlgorithm: upload.checksumRequested ? algorithm : undefined,
      ChecksumType: upload.checksumRequested ? type : undefined,
      ...this.encryptionHeaders(upload.encryption),
    };
  }

  /**
   * UploadPart: a part of the upload from the request's bytes (API reference, UploadPart): part numbers
   * 1 to 10,000, at most 5 GiB; the same number again replaces the part. Its ETag is the MD5 of its
   * bytes (not under SSE-KMS: "Object ETag" in the API reference), its checksum is computed with the
   * upload's algorithm, and a checksum the request carries must match the bytes (BadDigest). The
   * 5 MiB minimum of all but the last part is checked by CompleteMultipartUpload, as S3 does.
   */
  private async opUploadPart(i: OpInput): Promise<Out<UploadPartCommandOutput>> {
    const input = i as unknown as UploadPartCommandInput;
    const bucket = this.bucket(input.Bucket);
    const upload = this.upload(bucket, required(input.Key, 'Key'), input.UploadId);
    const partNumber = validPartNumber(input.PartNumber);
    const body = await readBody(input.Body);
    if (body.length > MAX_PART_BYTES) throw err('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', 400);
    const provided = providedChecksum(input);
    if (provided && fullObjectValue(provided.algorithm, body) !== undefined && fullObjectValue(provided.algorithm, body) !== provided.value) {
      throw err('BadDigest', `The ${provided.algorithm} you specified did not match the calculated checksum.`, 400);
    }
    this.checkWriteRate(bucket.name, upload.key);
    const segment: Segment = { contentHash: sha256hex(body), sourceSize: body.length, start: 0, end: body.length, bytes: body };
    const md5sum = upload.encryption.algorithm !== 'AES256' ? md5(`kms-part:${segment.contentHash}:${++this.kmsWrites}`) : md5(body);
    const part: PartState = {
      partNumber,
      size: body.length,
      segment,
      md5: md5sum,
      etag: quote(md5sum.toString('hex')),
      checksum: checksumValue(upload.checksumAlgorithm, segment.contentHash, body),
      lastModified: new Date(this.account.now()),
    };
    upload.parts.set(partNumber, part);
    return { ETag: part.etag, [`Checksum${upload.checksumAlgorithm}`]: part.checksum, ...this.encryptionHeaders(upload.encryption) };
  }

  private async opUploadPartCopy(i: OpInput): Promise<Out<UploadPartCopyCommandOutput>> {
    const input = i as unknown as UploadPartCopyCommandInput;
    const bucket = this.bucket(input.Bucket);
    const upload = this.upload(bucket, required(input.Key, 'Key'), input.UploadId);
    const partNumber = validPartNumber(input.PartNumber);
    const src = this.resolveCopySource(required(input.CopySource, 'CopySource'));
    const record = src.record;
    this.checkNotArchived(record);
    this.checkCopyConditions(input.CopySourceIfMatch, input.CopySourceIfNoneMatch, record);
    let start = 0;
    let end = record.size;
    if (input.CopySourceRange !== undefined) {
      const m = /^bytes=(\d+)-(\d+)$/.exec(input.CopySourceRange);
      if (!m) {
        throw err(
          'InvalidArgument',
          'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
          400,
        );
      }
      start = Number(m[1]);
      end = Number(m[2]) + 1;
      if (start >= end || end > record.size) {
        throw err('InvalidArgument', `Range specified is not valid for source object of size: ${record.size}`, 400);
      }
    } else if (record.size > MAX_COPY_SOURCE_BYTES) {
      throw err('InvalidRequest', `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_COPY_SOURCE_BYTES}`, 400);
    }
    if (end - start > MAX_PART_BYTES) throw err('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', 400);
    this.checkWriteRate(bucket.name, upload.key);
    await this.copyLatency(end - start);
    // The upload may have been completed or aborted while the part was being copied.
    if (bucket.uploads.get(upload.uploadId) !== upload) throw noSuchUpload();

    const segment = segmentOf(record, start, end);
    // An SSE-KMS part's ETag is not the MD5 of its data (S3 API reference, Object ETag).
    const md5sum = upload.encryption.algorithm !== 'AES256' ? md5(`kms-part:${segmentIdentity(segment)}:${++this.kmsWrites}`) : segmentMd5(segment);
    const part: PartState = {
      partNumber,
      size: end - start,
      segment,
      md5: md5sum,
      etag: quote(md5sum.toString('hex')),
      checksum: checksumValue(upload.checksumAlgorithm, segmentIdentity(segment), segment.bytes),
      lastModified: new Date(this.account.now()),
    };
    upload.parts.set(partNumber, part);
    return {
      CopyPartResult: { ETag: part.etag, LastModified: part.lastModified, [`Checksum${upload.checksumAlgorithm}`]: part.checksum },
      CopySourceVersionId: src.bucket.versioning ? record.versionId : undefined,
      ...this.encryptionHeaders(upload.encryption),
    };
  }

  /**
   * CompleteMultipartUpload: checks the part list (ascending, uploaded, ETags match, all but the last
   * ≥ 5 MiB) and writes the object. A FULL_OBJECT checksum is a checksum of the whole content, so a
   * copy assembled from the exact source ranges carries the source's value whatever its part layout.
   */
  private opCompleteMultipartUpload(i: OpInput): Out<CompleteMultipartUploadCommandOutput> {
    const input = i as unknown as CompleteMultipartUploadCommandInput;
    const bucket = this.bucket(input.Bucket);
    const key = required(input.Key, 'Key');
    const upload = this.upload(bucket, key, input.UploadId);
    const requested = input.MultipartUpload?.Parts ?? [];
    if (requested.length === 0) throw malformedXml();

    const parts: PartState[] = [];
    let previous = 0;
    for (const p of requested) {
      const n = p.PartNumber ?? 0;
      if (n <= previous) {
        throw err('InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.', 400);
      }
      previous = n;
      const part = upload.parts.get(n);
      const requestedSum = p[`Checksum${upload.checksumAlgorithm}`];
      if (!part || !p.ETag || unquote(p.ETag) !== unquote(part.etag) || (requestedSum !== undefined && requestedSum !== part.checksum)) {
        throw err(
          'InvalidPart',
          "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
          400,
        );
      }
      parts.push(part);
    }
    if (parts.slice(0, -1).some((p) => p.size < MIN_PART_BYTES)) {
      throw err('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', 400);
    }
    const size = parts.reduce((sum, p) => sum + p.size, 0);
    if (input.MpuObjectSize !== undefined && input.MpuObjectSize !== size) {
      throw err('InvalidRequest', 'The provided MpuObjectSize does not match the size of the object.', 400);
    }

    const content = combineSegments(parts.map((p) => p.segment));
    const algorithm = upload.checksumAlgorithm;
    const checksum: ObjectChecksum =
      upload.checksumType === 'FULL_OBJECT'
        ? fullObjectChecksum(algorithm, content.contentHash, content.body)
        : compositeChecksum(
            algorithm,
            parts.map((p) => p.checksum),
            parts.every((p) => p.segment.bytes !== undefined),
          );
    const claimed = input[`Checksum${algorithm}`];
    if (claimed !== undefined && claimed !== checksum.value) {
      throw err('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`, 400);
    }

    bucket.uploads.delete(upload.uploadId);
    const draft: ObjectDraft = {
      size,
      contentHash: content.contentHash,
      body: content.body,
      contentType: upload.contentType,
      metadata: upload.metadata,
      tags: upload.tags,
      checksum,
      encryption: upload.encryption,
      parts: parts.map((p) => ({ size: p.size, md5: p.md5 })),
    };
    const silentlySkipped = this.account.faults.silent.copySkipsKey?.(key) === true;
    const written = silentlySkipped ? this.preview(draft) : this.store(bucket, key, draft);
    return {
      Location: `https://${bucket.name}.s3.${this.account.region}.amazonaws.com/${encodeURIComponent(key)}`,
      Bucket: bucket.name,
      Key: key,
      ETag: written.etag,
      VersionId: bucket.versioning ? written.versionId : undefined,
      ...checksumFields(written.checksum),
      ...this.encryptionHeaders(written.encryption),
    };
  }

  private opAbortMultipartUpload(i: OpInput): Out<AbortMultipartUploadCommandOutput> {
    const input = i as unknown as AbortMultipartUploadCommandInput;
    const bucket = this.bucket(input.Bucket);
    const upload = this.upload(bucket, required(input.Key, 'Key'), input.UploadId);
    bucket.uploads.delete(upload.uploadId);
    return {};
  }

  private opListMultipartUploads(i: OpInput): Out<ListMultipartUploadsCommandOutput> {
    const input = i as unknown as ListMultipartUploadsCommandInput;
    const bucket = this.bucket(input.Bucket);
    const max = pageSize(input.MaxUploads);
    const prefix = input.Prefix ?? '';
    const all = [...bucket.uploads.values()]
      .filter((u) => u.key.startsWith(prefix))
      .sort((a, b) => compareUtf8(a.key, b.key) || a.initiated.getTime() - b.initiated.getTime());
    let startAt = 0;
    if (input.KeyMarker !== undefined) {
      const marker = input.KeyMarker;
      startAt = all.findIndex((u) => {
        const c = compareUtf8(u.key, marker);
        return c > 0 || (c === 0 && input.UploadIdMarker !== undefined && u.uploadId > input.UploadIdMarker);
      });
      if (startAt < 0) startAt = all.length;
    }
    const page = all.slice(startAt, startAt + max);
    const truncated = startAt + max < all.length;
    const last = page[page.length - 1];
    const uploads: MultipartUpload[] = page.map((u) => ({
      Key: u.key,
      UploadId: u.uploadId,
      Initiated: u.initiated,
      StorageClass: 'STANDARD',
      ChecksumAlgorithm: u.checksumRequested ? u.checksumAlgorithm : undefined,
      ChecksumType: u.checksumRequested ? u.checksumType : undefined,
    }));
    return {
      Bucket: bucket.name,
      Prefix: input.Prefix,
      KeyMarker: input.KeyMarker,
      UploadIdMarker: input.UploadIdMarker,
      MaxUploads: max,
      IsTruncated: truncated,
      NextKeyMarker: truncated ? last?.key : undefined,
      NextUploadIdMarker: truncated ? last?.uploadId : undefined,
      Uploads: uploads.length > 0 ? uploads : undefined,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Helpers
  // -------------------------------------------------------------------------------------------

  /** Keys stored in every bucket, in constant time per bucket (the benchmark's heap measure takes the account's own growth out by it). */
  storedKeyCount(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.keys.size;
    return n;
  }

  private bucket(name: string | undefined): BucketState {
    const bucket = this.buckets.get(required(name, 'Bucket'));
    // Another account's bucket exists but is not ours to read or write.
    if (!bucket && this.foreignBuckets.has(name ?? '')) throw err('AccessDenied', 'Access Denied', 403);
    if (!bucket) throw noSuchBucket();
    return bucket;
  }

  private sorted(bucket: BucketState): { keys: string[] } {
    if (!bucket.sorted) bucket.sorted = { keys: [...bucket.keys.keys()].sort(compareUtf8), removed: 0 };
    return bucket.sorted;
  }

  private current(bucket: BucketState, key: string): S3ObjectRecord | undefined {
    const versions = bucket.keys.get(key);
    const latest = versions?.[versions.length - 1];
    return latest && !latest.deleteMarker ? latest.object : undefined;
  }

  /** The object a read addresses (current or a given version), failing as GET or HEAD would. */
  private readable(bucket: BucketState, key: string, versionId: string | undefined, head: boolean): S3ObjectRecord {
    if (versionId === undefined) {
      const obj = this.current(bucket, key);
      if (!obj) throw head ? headNotFound() : noSuchKey();
      return obj;
    }
    const entry = bucket.keys.get(key)?.find((e) => e.versionId === versionId);
    if (!entry) throw head ? headNotFound() : noSuchVersion();
    if (entry.deleteMarker || !entry.object) throw err('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405);
    return entry.object;
  }

  /** The byte range a GET/HEAD asks for (Range header or PartNumber), whole object by default. */
  private byteRange(
    record: S3ObjectRecord,
    range: string | undefined,
    partNumber: number | undefined,
  ): { start: number; end: number; partial: boolean; contentRange?: string } {
    const size = record.size;
    const within = (start: number, end: number) => ({ start, end, partial: true, contentRange: `bytes ${start}-${end - 1}/${size}` });
    if (partNumber !== undefined) {
      const parts = record.partSizes ?? [size];
      if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > parts.length) {
        throw err('InvalidPartNumber', 'The requested partnumber is not satisfiable', 416);
      }
      if (!record.partSizes) return { start: 0, end: size, partial: false };
      const start = parts.slice(0, partNumber - 1).reduce((a, b) => a + b, 0);
      return within(start, start + (parts[partNumber - 1] ?? 0));
    }
    if (range === undefined) return { start: 0, end: size, partial: false };
    const m = /^bytes=(\d*)-(\d*)$/.exec(range);
    // S3 ignores a Range header it cannot parse and returns the whole object (RFC 9110 §14.2).
    if (!m || (m[1] === '' && m[2] === '')) return { start: 0, end: size, partial: false };
    if (m[1] === '') {
      const n = Math.min(Number(m[2]), size);
      if (n === 0) throw invalidRange();
      return within(size - n, size);
    }
    const start = Number(m[1]);
    const end = m[2] === '' ? size : Math.min(Number(m[2]) + 1, size);
    if (start >= size || start >= end) throw invalidRange();
    return within(start, end);
  }

  private objectHeaders(bucket: BucketState, record: S3ObjectRecord, withChecksum: boolean) {
    return {
      AcceptRanges: 'bytes',
      ETag: record.etag,
      LastModified: record.lastModified,
      ContentType: record.contentType,
      Metadata: { ...record.metadata },
      VersionId: bucket.versioning ? record.versionId : undefined,
      // HeadObject reference, x-amz-storage-class: "Amazon S3 returns this header for all objects except for S3 Standard storage class objects."
      StorageClass: record.storageClass === 'STANDARD' ? undefined : record.storageClass,
      Restore: ARCHIVE_STORAGE_CLASSES.has(record.storageClass) && record.restored ? 'ongoing-request="false", expiry-date="Fri, 01 Jan 2100 00:00:00 GMT"' : undefined,
      ...this.encryptionHeaders(record.encryption),
      ...(withChecksum ? checksumFields(record.checksum) : {}),
    };
  }

  /** GetObject, CopyObject and UploadPartCopy of an archived object that has no restored copy fail (ARCHIVE_STORAGE_CLASSES). */
  private checkNotArchived(record: S3ObjectRecord): void {
    if (ARCHIVE_STORAGE_CLASSES.has(record.storageClass) && !record.restored) {
      throw err('InvalidObjectState', 'The operation is not valid for the object\'s storage class', 403);
    }
  }

  private encryptionHeaders(e: ObjectEncryption): { ServerSideEncryption: SseAlgorithm; SSEKMSKeyId?: string } {
    return e.algorithm === 'AES256' ? { ServerSideEncryption: 'AES256' } : { ServerSideEncryption: e.algorithm, SSEKMSKeyId: e.kmsKeyId };
  }

  private awsManagedS3Key(): string {
    return this.account.arn('kms', 'alias/aws/s3');
  }

  private encryptionFor(bucket: BucketState, requested: string | undefined, kmsKeyId: string | undefined): ObjectEncryption {
    if (requested === 'aws:kms' || requested === 'aws:kms:dsse') {
      return { algorithm: requested, kmsKeyId: kmsKeyId ?? bucket.encryption.kmsKeyId ?? this.awsManagedS3Key() };
    }
    if (requested === 'AES256') return { algorithm: 'AES256' };
    if (requested !== undefined) throw err('InvalidArgument', 'The encryption method specified is not supported', 400);
    return bucket.encryption.algorithm === 'aws:kms' ? { algorithm: 'aws:kms', kmsKeyId: bucket.encryption.kmsKeyId } : { algorithm: 'AES256' };
  }

  /**
   * ETag rules (S3 user guide, "Checking object integrity", and the Object reference): a single PUT or
   * copy of an SSE-S3 object has the MD5 of its content; a multipart upload has the MD5 of the
   * concatenated binary part MD5s plus "-<part count>"; an SSE-KMS or DSSE-KMS object's ETag is not an
   * MD5 of its data (API reference, Object: "Objects created by [...] and are encrypted by SSE-C,
   * SSE-KMS or DSSE-KMS, have ETags that are not an MD5 digest of their object data").
   */
  private etagFor(draft: ObjectDraft): string {
    const multipartSuffix = draft.parts ? `-${draft.parts.length}` : '';
    if (draft.encryption.algorithm !== 'AES256') return quote(md5(`kms:${draft.contentHash}:${++this.kmsWrites}`).toString('hex') + multipartSuffix);
    if (draft.parts) return quote(md5(Buffer.concat(draft.parts.map((p) => p.md5))).toString('hex') + multipartSuffix);
    return quote((draft.body ? md5(draft.body) : md5(draft.contentHash)).toString('hex'));
  }

  /** What a write would produce, without writing it (a copy that answers success but never lands). */
  private preview(draft: ObjectDraft): S3ObjectRecord {
    return this.record('', 'null', draft);
  }

  private record(key: string, versionId: string, draft: ObjectDraft): S3ObjectRecord {
    return {
      key,
      size: draft.size,
      etag: this.etagFor(draft),
      lastModified: new Date(this.account.now()),
      contentType: draft.contentType,
      metadata: draft.metadata,
      tags: draft.tags,
      versionId,
      contentHash: draft.contentHash,
      body: draft.body,
      checksum: draft.checksum,
      partSizes: draft.parts?.map((p) => p.size),
      encryption: draft.encryption,
      storageClass: draft.storageClass ?? 'STANDARD',
      restored: draft.restored,
    };
  }

  /** Writes a new current version following the bucket's versioning state. */
  private store(bucket: BucketState, key: string, draft: ObjectDraft): S3ObjectRecord {
    // Versioning enabled: every write is a new version. Unversioned or suspended: the write replaces
    // the version whose ID is "null" (S3 user guide, "Working with objects in a versioning-suspended bucket").
    const versionId = bucket.versioning === 'Enabled' ? this.ids.next(32, MIXED_ALNUM) : 'null';
    const record = this.record(key, versionId, draft);
    const versions = this.versionsFor(bucket, key);
    if (versionId === 'null') this.removeNullVersion(versions);
    versions.push({ versionId, deleteMarker: false, lastModified: record.lastModified, object: record });
    return record;
  }

  private versionsFor(bucket: BucketState, key: string): VersionEntry[] {
    let versions = bucket.keys.get(key);
    if (!versions) {
      versions = [];
      bucket.keys.set(key, versions);
      bucket.sorted = undefined;
    }
    return versions;
  }

  private removeNullVersion(versions: VersionEntry[]): void {
    const at = versions.findIndex((e) => e.versionId === 'null');
    if (at >= 0) versions.splice(at, 1);
  }

  /**
   * DeleteObject semantics (S3 user guide, "Deleting object versions"): without a version ID an
   * unversioned bucket removes the object and a versioned one adds a delete marker; with a version ID
   * that version (or marker) is removed for good. Deleting something absent succeeds.
   */
  private deleteEntry(bucket: BucketState, key: string, versionId: string | undefined): { versionId?: string; deleteMarker?: boolean } {
    if (versionId === undefined) {
      if (!bucket.versioning) {
        if (bucket.keys.delete(key)) this.keyRemoved(bucket);
        return {};
      }
      const markerId = bucket.versioning === 'Enabled' ? this.ids.next(32, MIXED_ALNUM) : 'null';
      const versions = this.versionsFor(bucket, key);
      if (markerId === 'null') this.removeNullVersion(versions);
      versions.push({ versionId: markerId, deleteMarker: true, lastModified: new Date(this.account.now()) });
      return { versionId: markerId, deleteMarker: true };
    }
    const versions = bucket.keys.get(key);
    const at = versions?.findIndex((e) => e.versionId === versionId) ?? -1;
    if (!versions || at < 0) return { versionId };
    const [removed] = versions.splice(at, 1);
    if (versions.length === 0) {
      bucket.keys.delete(key);
      this.keyRemoved(bucket);
    }
    return { versionId, deleteMarker: removed?.deleteMarker ? true : undefined };
  }

  private keyRemoved(bucket: BucketState): void {
    if (bucket.sorted && ++bucket.sorted.removed > bucket.keys.size) bucket.sorted = undefined;
  }

  /**
   * CopySource is `bucket/key[?versionId=id]` with the key URL-encoded (CopyObject reference: "The value
   * must be URL-encoded"). S3 URL-decodes it, so a key sent raw that contains '%' sequences decodes to a
   * different key; '+' is not a space here.
   */
  private resolveCopySource(raw: string): { bucket: BucketState; key: string; record: S3ObjectRecord } {
    let source = raw.startsWith('/') ? raw.slice(1) : raw;
    let versionId: string | undefined;
    const q = source.indexOf('?versionId=');
    if (q >= 0) {
      versionId = source.slice(q + '?versionId='.length);
      source = source.slice(0, q);
    }
    const slash = source.indexOf('/');
    if (slash <= 0 || slash === source.length - 1) throw err('InvalidArgument', 'Invalid copy source object key', 400);
    const bucket = this.bucket(source.slice(0, slash));
    let key: string;
    try {
      key = decodeURIComponent(source.slice(slash + 1));
    } catch {
      throw err('InvalidArgument', 'Invalid copy source encoding', 400);
    }
    if (versionId === undefined) {
      const record = this.current(bucket, key);
      if (!record) throw noSuchKey();
      return { bucket, key, record };
    }
    const entry = bucket.keys.get(key)?.find((e) => e.versionId === versionId);
    if (!entry) throw noSuchVersion();
    if (entry.deleteMarker || !entry.object) {
      throw err('InvalidRequest', 'The source of a copy request may not specifically refer to a delete marker by version id.', 400);
    }
    return { bucket, key, record: entry.object };
  }

  private checkCopyConditions(ifMatch: string | undefined, ifNoneMatch: string | undefined, record: S3ObjectRecord): void {
    if (ifMatch !== undefined && unquote(ifMatch) !== unquote(record.etag)) throw preconditionFailed();
    if (ifNoneMatch !== undefined && unquote(ifNoneMatch) === unquote(record.etag)) throw preconditionFailed();
  }

  private upload(bucket: BucketState, key: string, uploadId: string | undefined): UploadState {
    const upload = bucket.uploads.get(required(uploadId, 'UploadId'));
    if (!upload || upload.key !== key) throw noSuchUpload();
    return upload;
  }

  private async copyLatency(bytes: number): Promise<void> {
    const t = this.account.timing;
    const transfer = t.copyBytesPerSecond > 0 ? (bytes / t.copyBytesPerSecond) * 1000 : 0;
    await sleep(t.copyFixedMs + transfer);
  }

  /**
   * S3 supports "at least 3,500 PUT/COPY/POST/DELETE or 5,500 GET/HEAD requests per second per
   * partitioned prefix" and answers 503 SlowDown beyond it (S3 user guide, "Best practices design
   * patterns: optimizing Amazon S3 performance"). The prefix here is the key's first path segment.
   */
  private checkWriteRate(bucket: string, key: string): void {
    this.checkRate(this.writeWindows, this.account.timing.s3WritesPerSecondPerPrefix, bucket, key);
  }

  private checkReadRate(bucket: string, key: string): void {
    this.checkRate(this.readWindows, this.account.timing.s3ReadsPerSecondPerPrefix, bucket, key);
  }

  private checkRate(windows: Map<string, { second: number; count: number }>, limit: number, bucket: string, key: string): void {
    if (!(limit > 0)) return;
    const slash = key.indexOf('/');
    const prefix = `${bucket}/${slash >= 0 ? key.slice(0, slash + 1) : ''}`;
    const second = Math.floor(this.account.now() / 1000);
    const window = windows.get(prefix);
    if (!window || window.second !== second) {
      windows.set(prefix, { second, count: 1 });
      return;
    }
    if (window.count >= limit) throw err('SlowDown', 'Please reduce your request rate.', 503);
    window.count += 1;
  }
}
