/**
 * `npm run bench:copy`'s S3-compatible endpoint: an in-memory, unversioned object store on loopback
 * that answers every request after the same fixed latency, so that the tools compared, not the
 * server, set the pace. It runs as a process of its own (bench/copy/processes.ts starts it), so its
 * CPU is never counted as a client's and it never shares a client's event loop.
 *
 *   node --import tsx bench/copy/endpoint.ts [--latency-ms 15] [--port 0]
 *
 * prints `{"port": <port>}` as one line on stdout once it listens on 127.0.0.1.
 *
 * Path-style addressing only (`/bucket/key`). It answers what the copy step, `aws s3 sync` and
 * `rclone sync` call for a server-side copy: ListObjectsV2, ListObjectVersions, HeadObject,
 * CopyObject, the multipart copy (CreateMultipartUpload, UploadPartCopy, CompleteMultipartUpload,
 * AbortMultipartUpload), GetBucketVersioning, GetBucketEncryption, GetObjectTagging, DeleteObject, and
 * the copy step's one DynamoDB GetItem per invocation (its cancel lock: answered `{}`, no request).
 * Anything else is answered 501 NotImplemented and counted per operation (`refused` in the stats), so
 * a tool that needs more than a copy shows up instead of being silently helped or silently failed.
 *
 * Signatures are NOT verified: every tool signs with dummy credentials, and checking SigV4 would only
 * add server CPU that no tool is measured on. Nothing here is a model of S3's safety behaviour (that
 * is local/sim/, which the workflow's tests use); this is a load generator's other end.
 *
 * Response shapes follow the S3 API reference (Request/Response Syntax of each operation):
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html (CopyObjectResult),
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html (InitiateMultipartUploadResult),
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html (CopyPartResult),
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketVersioning.html,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketEncryption.html,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectTagging.html, and errors as
 * "The REST error response" (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
 *
 * Control path, outside S3's namespace (a bucket name cannot contain '_'), answered without latency:
 *   POST /__bench/seed {bucket, count, bytes, prefix}  keys `<prefix>000123.bin`, MD5 ETags of their content
 *   POST /__bench/clear {bucket}                       an empty bucket (created when absent)
 *   POST /__bench/reset-stats
 *   GET  /__bench/stats  → {requests: {Operation: n}, peakInFlight, refused: {Operation: n}, buckets: {name: objects}}
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { compareKeys } from '../../lambdas/shared/key-order';

interface StoredObject {
  size: number;
  /** With its quotes, as S3 sends it. */
  etag: string;
  lastModified: Date;
  contentType: string;
  metadata: Record<string, string>;
  tags: [string, string][];
  /** The seeded key whose deterministic content this object holds (copies keep their source's). */
  origin: string;
  /** Base64 CRC64NVME of the content: computed on the first copy that asks for one. */
  crc64?: string;
}

interface Upload {
  bucket: string;
  key: string;
  contentType: string;
  metadata: Record<string, string>;
  tags: [string, string][];
  parts: Map<number, { etag: string; size: number; origin: string }>;
}

export class Bucket {
  readonly objects = new Map<string, StoredObject>();
  private sorted: string[] | undefined;

  /** Keys in S3's listing order (UTF-8 binary), sorted again only after a key was added or removed. */
  keys(): string[] {
    this.sorted ??= [...this.objects.keys()].sort(compareKeys);
    return this.sorted;
  }

  put(key: string, object: StoredObject): void {
    if (!this.objects.has(key)) this.sorted = undefined;
    this.objects.set(key, object);
  }

  delete(key: string): void {
    if (this.objects.delete(key)) this.sorted = undefined;
  }
}

/** The deterministic content of a seeded key: the key's bytes repeated to `size`. */
function content(origin: string, size: number): Buffer {
  return size === 0 ? Buffer.alloc(0) : Buffer.alloc(size, origin);
}

/** A held CopyObject is answered after this at the latest: a client capped below holdCopies is seen, not hung. */
const HOLD_TIMEOUT_MS = 2_000;

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';

function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

/** encoding-type=url: the value URL-encoded; '/' kept as S3 keeps it (the tools URL-decode either). */
function urlEncodeKey(value: string): string {
  return encodeURIComponent(value).replace(/%2F/g, '/');
}

/** First index in sorted `keys` whose key is > `after` (or >= `from`). */
function firstAfter(keys: string[], after: string, inclusive: boolean): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareKeys(keys[mid] as string, after);
    if (c < 0 || (!inclusive && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface Listed {
  keys: string[];
  commonPrefixes: string[];
  truncated: boolean;
  /** The last key or common prefix returned: where the next page starts after. */
  last: string | undefined;
}

/**
 * One page of `bucket`'s keys after `after`, under `prefix`, grouped at `delimiter` (a common prefix
 * counts as one entry against max-keys and is returned once, on the page where it first appears).
 */
export function listPage(bucket: Bucket, prefix: string, after: string | undefined, delimiter: string, maxKeys: number): Listed {
  const all = bucket.keys();
  let i = Math.max(after !== undefined ? firstAfter(all, after, false) : 0, prefix ? firstAfter(all, prefix, true) : 0);
  const keys: string[] = [];
  const commonPrefixes: string[] = [];
  let last: string | undefined;
  // A resumed page skips the rest of a common prefix the previous page ended with.
  let group = after !== undefined && delimiter && after.endsWith(delimiter) ? after : undefined;
  let truncated = false;
  for (; i < all.length; i++) {
    const key = all[i] as string;
    if (!key.startsWith(prefix)) {
      if (compareKeys(key, prefix) > 0) break;
      continue;
    }
    if (group !== undefined && key.startsWith(group)) continue;
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const item = cut >= 0 ? key.slice(0, cut + delimiter.length) : key;
    if (keys.length + commonPrefixes.length >= maxKeys) {
      truncated = true;
      break;
    }
    if (cut >= 0) {
      commonPrefixes.push(item);
      group = item;
    } else keys.push(key);
    last = item;
  }
  return { keys, commonPrefixes, truncated, last };
}

/** What the endpoint answers one S3 request with. */
interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly resource = '',
  ) {
    super(message);
    this.name = 'S3Error';
  }
}

/** Names of the operations the endpoint refuses, for the stats (method + what the request addresses). */
function refusedName(method: string, bucket: string, key: string, query: URLSearchParams): string {
  const sub = [...query.keys()].find((k) => !['x-id', 'prefix', 'delimiter', 'encoding-type', 'max-keys', 'versionId', 'marker'].includes(k));
  const known: Record<string, string> = {
    'GET /': 'ListBuckets',
    'HEAD /b': 'HeadBucket',
    'PUT /b': 'CreateBucket',
    'DELETE /b': 'DeleteBucket',
    'GET /b': 'ListObjects',
    'GET /b?location': 'GetBucketLocation',
    'GET /b/k': 'GetObject',
    'PUT /b/k': 'PutObject',
    'PUT /b/k?partNumber': 'UploadPart',
    'PUT /b/k?tagging': 'PutObjectTagging',
    'POST /b?delete': 'DeleteObjects',
  };
  const shape = `${method} /${bucket ? 'b' : ''}${key ? '/k' : ''}${sub ? `?${sub}` : ''}`;
  return known[shape] ?? shape.replace('/b', '/{bucket}').replace('/k', '/{key}');
}

export class BenchEndpoint {
  private readonly buckets = new Map<string, Bucket>();
  private readonly uploads = new Map<string, Upload>();
  private requests: Record<string, number> = {};
  private refused: Record<string, number> = {};
  private inFlight = 0;
  private peakInFlight = 0;

  /** The CopyObject gate (holdCopies) while it is shut: its promise, how it opens, its timeout once a copy waits. */
  private gate: { shut: Promise<void>; open: () => void; timer?: NodeJS.Timeout } | undefined;

  /**
   * `holdCopies` N > 0: CopyObject answers are held until N requests are in flight at once (or
   * HOLD_TIMEOUT_MS after the first copy was held), then answered after the latency as usual. What a
   * client reaches then depends on its own limits only, not on how fast this machine lets it send its
   * first N requests (a client spending 1 ms of CPU per request cannot have 96 in flight against 50 ms
   * answers): the no-hidden-caps test's peak is exact on a busy machine too. Off (0) in `npm run bench:copy`.
   */
  constructor(
    private readonly latencyMs: number,
    private readonly holdCopies = 0,
  ) {
    if (holdCopies > 0) this.armGate();
  }

  private armGate(): void {
    let resolve: () => void = () => undefined;
    const shut = new Promise<void>((r) => (resolve = r));
    const gate = {
      shut,
      open: () => {
        clearTimeout(gate.timer);
        if (this.gate === gate) this.gate = undefined;
        resolve();
      },
    } as NonNullable<BenchEndpoint['gate']>;
    this.gate = gate;
  }

  /** Resolves when the gate opens; starts its timeout on the first copy held. */
  private held(): Promise<void> {
    const gate = this.gate;
    if (!gate) return Promise.resolve();
    gate.timer ??= setTimeout(gate.open, HOLD_TIMEOUT_MS);
    return gate.shut;
  }

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://endpoint');
    if (url.pathname.startsWith('/__bench/')) {
      this.control(req, res, url.pathname).catch((err: unknown) => this.dropped(res, err));
      return;
    }
    // Peak in flight: requests between their arrival and their answer.
    this.inFlight++;
    if (this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight;
    if (this.holdCopies > 0 && this.inFlight >= this.holdCopies) this.gate?.open();
    res.once('close', () => this.inFlight--);
    this.serve(req, res, url).catch((err: unknown) => this.dropped(res, err));
  };

  /** A request whose connection failed under it (a client gone mid-body): logged, its socket closed. */
  private dropped(res: ServerResponse, err: unknown): void {
    process.stderr.write(`bench endpoint: request dropped: ${err instanceof Error ? err.message : String(err)}\n`);
    res.destroy();
  }

  private async serve(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const body = await readBody(req);
    let answer: Answer;
    try {
      answer = await this.answer(req, url, body);
    } catch (err) {
      const e = err instanceof S3Error ? err : new S3Error(500, 'InternalError', err instanceof Error ? err.message : String(err));
      answer = errorAnswer(e, req.method === 'HEAD');
    }
    if (this.gate && req.method === 'PUT' && typeof req.headers['x-amz-copy-source'] === 'string' && !url.searchParams.has('uploadId')) await this.held();
    // The same fixed latency for every request, answered or refused.
    setTimeout(() => {
      // A client that gave up meanwhile (a timeout, a killed tool) gets nothing.
      if (res.destroyed) return;
      res.writeHead(answer.status, { 'x-amz-request-id': randomUUID(), 'content-length': String(Buffer.byteLength(answer.body ?? '')), ...answer.headers });
      res.end(req.method === 'HEAD' ? undefined : answer.body);
    }, this.latencyMs);
  }

  private count(operation: string): void {
    this.requests[operation] = (this.requests[operation] ?? 0) + 1;
  }

  private refuse(operation: string): Answer {
    this.refused[operation] = (this.refused[operation] ?? 0) + 1;
    process.stderr.write(`bench endpoint: refused ${operation} (501 NotImplemented)\n`);
    return errorAnswer(new S3Error(501, 'NotImplemented', `${operation} is not implemented by the benchmark endpoint`), false);
  }

  private bucket(name: string): Bucket {
    const b = this.buckets.get(name);
    if (!b) throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', `/${name}`);
    return b;
  }

  private async answer(req: IncomingMessage, url: URL, body: string): Promise<Answer> {
    const method = req.method ?? 'GET';
    const q = url.searchParams;
    // DynamoDB's JSON protocol: POST / with X-Amz-Target (the copy step's cancel-lock read).
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string') {
      if (target === 'DynamoDB_20120810.GetItem') {
        this.count('DynamoDB.GetItem');
        // No item: no cancel request (lambdas/shared/cancel-request.ts readCancelRequest).
        return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: '{}' };
      }
      return this.refuse(target);
    }
    const path = url.pathname.slice(1);
    const slash = path.indexOf('/');
    const bucketName = decodeURIComponent(slash < 0 ? path : path.slice(0, slash));
    const key = slash < 0 ? '' : decodeURIComponent(path.slice(slash + 1));
    if (!bucketName) return this.refuse(refusedName(method, '', '', q));
    if (!key) {
      if (method === 'GET' && q.has('versions')) return this.listObjectVersions(bucketName, q);
      if (method === 'GET' && q.has('versioning')) return this.getBucketVersioning(bucketName);
      if (method === 'GET' && q.has('encryption')) return this.getBucketEncryption(bucketName);
      if (method === 'GET' && q.get('list-type') === '2') return this.listObjectsV2(bucketName, q);
      return this.refuse(refusedName(method, bucketName, '', q));
    }
    const copySource = req.headers['x-amz-copy-source'];
    if (method === 'HEAD' && [...q.keys()].every((k) => k === 'versionId' || k === 'x-id' || k === 'partNumber')) return this.headObject(bucketName, key, q, req);
    if (method === 'GET' && q.has('tagging')) return this.getObjectTagging(bucketName, key, q);
    if (method === 'PUT' && q.has('uploadId') && q.has('partNumber') && typeof copySource === 'string') return this.uploadPartCopy(bucketName, key, q, req, copySource);
    if (method === 'PUT' && !q.has('uploadId') && !q.has('tagging') && typeof copySource === 'string') return this.copyObject(bucketName, key, req, copySource);
    if (method === 'POST' && q.has('uploads')) return this.createMultipartUpload(bucketName, key, req);
    if (method === 'POST' && q.has('uploadId')) return this.completeMultipartUpload(bucketName, key, q, body);
    if (method === 'DELETE' && q.has('uploadId')) return this.abortMultipartUpload(q);
    if (method === 'DELETE' && [...q.keys()].every((k) => k === 'versionId' || k === 'x-id')) return this.deleteObject(bucketName, key, q);
    return this.refuse(refusedName(method, bucketName, key, q));
  }

  private listObjectsV2(bucketName: string, q: URLSearchParams): Answer {
    this.count('ListObjectsV2');
    const bucket = this.bucket(bucketName);
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter') ?? '';
    const startAfter = q.get('start-after') ?? undefined;
    const token = q.get('continuation-token') ?? undefined;
    const maxKeys = Math.min(1000, Number(q.get('max-keys') ?? 1000));
    const url = q.get('encoding-type') === 'url';
    const enc = (s: string) => escapeXml(url ? urlEncodeKey(s) : s);
    const after = token !== undefined ? Buffer.from(token, 'base64url').toString('utf8') : startAfter;
    const page = listPage(bucket, prefix, after, delimiter, maxKeys);
    const parts = [
      `${XML_HEAD}<ListBucketResult xmlns="${XMLNS}">`,
      `<Name>${escapeXml(bucketName)}</Name><Prefix>${enc(prefix)}</Prefix>`,
      delimiter ? `<Delimiter>${enc(delimiter)}</Delimiter>` : '',
      `<KeyCount>${page.keys.length + page.commonPrefixes.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>`,
      url ? '<EncodingType>url</EncodingType>' : '',
      `<IsTruncated>${page.truncated}</IsTruncated>`,
      token !== undefined ? `<ContinuationToken>${escapeXml(token)}</ContinuationToken>` : '',
      page.truncated && page.last !== undefined ? `<NextContinuationToken>${Buffer.from(page.last, 'utf8').toString('base64url')}</NextContinuationToken>` : '',
      startAfter !== undefined ? `<StartAfter>${enc(startAfter)}</StartAfter>` : '',
    ];
    for (const key of page.keys) {
      const o = bucket.objects.get(key) as StoredObject;
      parts.push(
        `<Contents><Key>${enc(key)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${escapeXml(o.etag)}</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      );
    }
    for (const p of page.commonPrefixes) parts.push(`<CommonPrefixes><Prefix>${enc(p)}</Prefix></CommonPrefixes>`);
    parts.push('</ListBucketResult>');
    return xml(parts.join(''));
  }

  /** Unversioned: each object once, VersionId "null", IsLatest true; no delete markers. */
  private listObjectVersions(bucketName: string, q: URLSearchParams): Answer {
    this.count('ListObjectVersions');
    const bucket = this.bucket(bucketName);
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter') ?? '';
    const keyMarker = q.get('key-marker') ?? undefined;
    const versionIdMarker = q.get('version-id-marker') ?? undefined;
    const maxKeys = Math.min(1000, Number(q.get('max-keys') ?? 1000));
    const url = q.get('encoding-type') === 'url';
    const enc = (s: string) => escapeXml(url ? urlEncodeKey(s) : s);
    // A key's only version is "null": after (key-marker, any version-id-marker) come the next keys.
    const page = listPage(bucket, prefix, keyMarker || undefined, delimiter, maxKeys);
    const parts = [
      `${XML_HEAD}<ListVersionsResult xmlns="${XMLNS}">`,
      `<Name>${escapeXml(bucketName)}</Name><Prefix>${enc(prefix)}</Prefix>`,
      `<KeyMarker>${enc(keyMarker ?? '')}</KeyMarker><VersionIdMarker>${escapeXml(versionIdMarker ?? '')}</VersionIdMarker>`,
      page.truncated && page.last !== undefined ? `<NextKeyMarker>${enc(page.last)}</NextKeyMarker><NextVersionIdMarker>null</NextVersionIdMarker>` : '',
      `<MaxKeys>${maxKeys}</MaxKeys>`,
      delimiter ? `<Delimiter>${enc(delimiter)}</Delimiter>` : '',
      url ? '<EncodingType>url</EncodingType>' : '',
      `<IsTruncated>${page.truncated}</IsTruncated>`,
    ];
    for (const key of page.keys) {
      const o = bucket.objects.get(key) as StoredObject;
      parts.push(
        `<Version><Key>${enc(key)}</Key><VersionId>null</VersionId><IsLatest>true</IsLatest><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${escapeXml(o.etag)}</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Version>`,
      );
    }
    for (const p of page.commonPrefixes) parts.push(`<CommonPrefixes><Prefix>${enc(p)}</Prefix></CommonPrefixes>`);
    parts.push('</ListVersionsResult>');
    return xml(parts.join(''));
  }

  private getBucketVersioning(bucketName: string): Answer {
    this.count('GetBucketVersioning');
    this.bucket(bucketName);
    // Never enabled: an empty configuration, no Status.
    return xml(`${XML_HEAD}<VersioningConfiguration xmlns="${XMLNS}"/>`);
  }

  private getBucketEncryption(bucketName: string): Answer {
    this.count('GetBucketEncryption');
    this.bucket(bucketName);
    // SSE-S3, S3's default since January 2023: single-part ETags are MD5s of the content.
    return xml(
      `${XML_HEAD}<ServerSideEncryptionConfiguration xmlns="${XMLNS}"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`,
    );
  }

  private object(bucketName: string, key: string, versionId: string | null): StoredObject {
    const o = this.bucket(bucketName).objects.get(key);
    if (!o) throw new S3Error(404, 'NoSuchKey', 'The specified key does not exist.', `/${bucketName}/${key}`);
    if (versionId !== null && versionId !== 'null') throw new S3Error(404, 'NoSuchVersion', 'The specified version does not exist.', `/${bucketName}/${key}`);
    return o;
  }

  private async headObject(bucketName: string, key: string, q: URLSearchParams, req: IncomingMessage): Promise<Answer> {
    this.count('HeadObject');
    const o = this.object(bucketName, key, q.get('versionId'));
    const headers: Record<string, string> = {
      etag: o.etag,
      'last-modified': o.lastModified.toUTCString(),
      'content-type': o.contentType,
      'accept-ranges': 'bytes',
      'x-amz-server-side-encryption': 'AES256',
      'x-amz-storage-class': 'STANDARD',
    };
    for (const [name, value] of Object.entries(o.metadata)) headers[`x-amz-meta-${name}`] = value;
    if (req.headers['x-amz-checksum-mode'] === 'ENABLED' && o.crc64 !== undefined) {
      headers['x-amz-checksum-crc64nvme'] = o.crc64;
      headers['x-amz-checksum-type'] = 'FULL_OBJECT';
    }
    // HEAD has no body: its Content-Length is the object's.
    return { status: 200, headers: { ...headers, 'content-length': String(o.size) } };
  }

  private getObjectTagging(bucketName: string, key: string, q: URLSearchParams): Answer {
    this.count('GetObjectTagging');
    const o = this.object(bucketName, key, q.get('versionId'));
    const tags = o.tags.map(([k, v]) => `<Tag><Key>${escapeXml(k)}</Key><Value>${escapeXml(v)}</Value></Tag>`).join('');
    return xml(`${XML_HEAD}<Tagging xmlns="${XMLNS}"><TagSet>${tags}</TagSet></Tagging>`);
  }

  /** x-amz-copy-source: `[/]bucket/key[?versionId=id]`, URL-encoded (CopyObject reference, CopySource). */
  private source(copySource: string): { bucket: string; key: string; object: StoredObject } {
    const [path = '', query = ''] = copySource.split('?', 2);
    const trimmed = path.startsWith('/') ? path.slice(1) : path;
    const slash = trimmed.indexOf('/');
    if (slash < 0) throw new S3Error(400, 'InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey');
    const bucket = decodeURIComponent(trimmed.slice(0, slash));
    const key = decodeURIComponent(trimmed.slice(slash + 1));
    const versionId = new URLSearchParams(query).get('versionId');
    return { bucket, key, object: this.object(bucket, key, versionId) };
  }

  private async crc64(o: StoredObject): Promise<string> {
    if (o.crc64 === undefined) {
      // Loaded on the first copy that asks for a checksum: not part of every start-up.
      const { Crc64NvmeJs } = await import('@aws-sdk/checksums/crc');
      const crc = new Crc64NvmeJs();
      crc.update(content(o.origin, o.size));
      o.crc64 = Buffer.from(await crc.digest()).toString('base64');
    }
    return o.crc64;
  }

  private async copyObject(bucketName: string, key: string, req: IncomingMessage, copySource: string): Promise<Answer> {
    this.count('CopyObject');
    const destination = this.bucket(bucketName);
    const { object: src } = this.source(copySource);
    const ifMatch = req.headers['x-amz-copy-source-if-match'];
    if (typeof ifMatch === 'string' && ifMatch.replace(/"/g, '') !== src.etag.replace(/"/g, '')) throw new S3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
    const replaceMetadata = req.headers['x-amz-metadata-directive'] === 'REPLACE';
    const replaceTags = req.headers['x-amz-tagging-directive'] === 'REPLACE';
    const algorithm = req.headers['x-amz-checksum-algorithm'];
    const crc64 = typeof algorithm === 'string' && algorithm.toUpperCase() === 'CRC64NVME' ? await this.crc64(src) : src.crc64;
    const copy: StoredObject = {
      size: src.size,
      // A single-part copy of a single-part object: the same content, the same MD5 ETag.
      etag: src.etag,
      lastModified: new Date(),
      contentType: replaceMetadata ? headerString(req, 'content-type', 'binary/octet-stream') : src.contentType,
      metadata: replaceMetadata ? userMetadata(req) : { ...src.metadata },
      tags: replaceTags ? parseTagging(headerString(req, 'x-amz-tagging', '')) : src.tags.map(([k, v]) => [k, v]),
      origin: src.origin,
      ...(crc64 !== undefined ? { crc64 } : {}),
    };
    destination.put(key, copy);
    return xml(
      `${XML_HEAD}<CopyObjectResult xmlns="${XMLNS}"><ETag>${escapeXml(copy.etag)}</ETag><LastModified>${copy.lastModified.toISOString()}</LastModified>${
        crc64 !== undefined ? `<ChecksumType>FULL_OBJECT</ChecksumType><ChecksumCRC64NVME>${crc64}</ChecksumCRC64NVME>` : ''
      }</CopyObjectResult>`,
    );
  }

  private createMultipartUpload(bucketName: string, key: string, req: IncomingMessage): Answer {
    this.count('CreateMultipartUpload');
    this.bucket(bucketName);
    const uploadId = randomUUID();
    this.uploads.set(uploadId, {
      bucket: bucketName,
      key,
      contentType: headerString(req, 'content-type', 'binary/octet-stream'),
      metadata: userMetadata(req),
      tags: parseTagging(headerString(req, 'x-amz-tagging', '')),
      parts: new Map(),
    });
    return xml(
      `${XML_HEAD}<InitiateMultipartUploadResult xmlns="${XMLNS}"><Bucket>${escapeXml(bucketName)}</Bucket><Key>${escapeXml(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
    );
  }

  private upload(q: URLSearchParams): Upload {
    const upload = this.uploads.get(q.get('uploadId') ?? '');
    if (!upload) throw new S3Error(404, 'NoSuchUpload', 'The specified upload does not exist.');
    return upload;
  }

  private uploadPartCopy(_bucketName: string, _key: string, q: URLSearchParams, req: IncomingMessage, copySource: string): Answer {
    this.count('UploadPartCopy');
    const upload = this.upload(q);
    const { object: src } = this.source(copySource);
    const ifMatch = req.headers['x-amz-copy-source-if-match'];
    if (typeof ifMatch === 'string' && ifMatch.replace(/"/g, '') !== src.etag.replace(/"/g, '')) throw new S3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
    const range = /^bytes=(\d+)-(\d+)$/.exec(headerString(req, 'x-amz-copy-source-range', ''));
    const start = range ? Number(range[1]) : 0;
    const end = range ? Number(range[2]) : src.size - 1;
    if (start > end || end >= src.size) throw new S3Error(400, 'InvalidRange', 'The requested range is not satisfiable');
    const etag = `"${createHash('md5').update(`${src.etag}:${start}-${end}`).digest('hex')}"`;
    upload.parts.set(Number(q.get('partNumber')), { etag, size: end - start + 1, origin: src.origin });
    return xml(`${XML_HEAD}<CopyPartResult xmlns="${XMLNS}"><ETag>${escapeXml(etag)}</ETag><LastModified>${new Date().toISOString()}</LastModified></CopyPartResult>`);
  }

  private completeMultipartUpload(bucketName: string, key: string, q: URLSearchParams, body: string): Answer {
    this.count('CompleteMultipartUpload');
    const upload = this.upload(q);
    const numbers = [...body.matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) => Number(m[1]));
    const parts = numbers.map((n) => {
      const part = upload.parts.get(n);
      if (!part) throw new S3Error(400, 'InvalidPart', `Part ${n} was not uploaded`);
      return part;
    });
    const md5s = Buffer.concat(parts.map((p) => Buffer.from(p.etag.replace(/"/g, ''), 'hex')));
    const etag = `"${createHash('md5').update(md5s).digest('hex')}-${parts.length}"`;
    this.bucket(bucketName).put(key, {
      size: parts.reduce((sum, p) => sum + p.size, 0),
      etag,
      lastModified: new Date(),
      contentType: upload.contentType,
      metadata: upload.metadata,
      tags: upload.tags,
      origin: parts[0]?.origin ?? key,
    });
    this.uploads.delete(q.get('uploadId') ?? '');
    return xml(
      `${XML_HEAD}<CompleteMultipartUploadResult xmlns="${XMLNS}"><Location>/${escapeXml(bucketName)}/${escapeXml(key)}</Location><Bucket>${escapeXml(bucketName)}</Bucket><Key>${escapeXml(key)}</Key><ETag>${escapeXml(etag)}</ETag></CompleteMultipartUploadResult>`,
    );
  }

  private abortMultipartUpload(q: URLSearchParams): Answer {
    this.count('AbortMultipartUpload');
    this.upload(q);
    this.uploads.delete(q.get('uploadId') ?? '');
    return { status: 204 };
  }

  private deleteObject(bucketName: string, key: string, q: URLSearchParams): Answer {
    this.count('DeleteObject');
    const versionId = q.get('versionId');
    // Unversioned: the object (its "null" version) goes; deleting what is not there succeeds too.
    if (versionId === null || versionId === 'null') this.bucket(bucketName).delete(key);
    return { status: 204 };
  }

  private async control(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const body = await readBody(req);
    const reply = (status: number, value: unknown) => {
      const text = JSON.stringify(value);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    try {
      const input = (body ? JSON.parse(body) : {}) as { bucket?: string; count?: number; bytes?: number; prefix?: string };
      if (req.method === 'POST' && path === '/__bench/seed') {
        const bucket = this.ensure(input.bucket);
        const count = input.count ?? 0;
        const bytes = input.bytes ?? 1024;
        const prefix = input.prefix ?? 'data/';
        const now = new Date();
        for (let i = 0; i < count; i++) {
          const key = `${prefix}${String(i).padStart(6, '0')}.bin`;
          const etag = `"${createHash('md5').update(content(key, bytes)).digest('hex')}"`;
          bucket.put(key, { size: bytes, etag, lastModified: now, contentType: 'application/octet-stream', metadata: {}, tags: [], origin: key });
        }
        return reply(200, { seeded: count });
      }
      if (req.method === 'POST' && path === '/__bench/clear') {
        this.buckets.set(requireName(input.bucket), new Bucket());
        return reply(200, { cleared: input.bucket });
      }
      if (req.method === 'POST' && path === '/__bench/reset-stats') {
        this.requests = {};
        this.refused = {};
        this.peakInFlight = this.inFlight;
        if (this.holdCopies > 0 && !this.gate) this.armGate();
        return reply(200, {});
      }
      if (req.method === 'GET' && path === '/__bench/stats') return reply(200, this.stats());
      return reply(404, { error: `unknown control path ${req.method} ${path}` });
    } catch (err) {
      return reply(400, { error: err instanceof Error ? err.message : String(err) });
    }
  }

  private ensure(name: string | undefined): Bucket {
    const key = requireName(name);
    let b = this.buckets.get(key);
    if (!b) this.buckets.set(key, (b = new Bucket()));
    return b;
  }

  stats(): EndpointStats {
    const buckets: Record<string, number> = {};
    for (const [name, b] of this.buckets) buckets[name] = b.objects.size;
    return { requests: { ...this.requests }, peakInFlight: this.peakInFlight, refused: { ...this.refused }, buckets };
  }
}

/** What GET /__bench/stats answers. */
export interface EndpointStats {
  /** Answered requests per operation since the last reset. */
  requests: Record<string, number>;
  /** Most requests being answered at once (between arrival and response) since the last reset. */
  peakInFlight: number;
  /** Requests answered 501 NotImplemented, per operation, since the last reset. */
  refused: Record<string, number>;
  /** Objects per bucket now. */
  buckets: Record<string, number>;
}

function requireName(name: string | undefined): string {
  if (!name) throw new Error('bucket is required');
  return name;
}

function headerString(req: IncomingMessage, name: string, fallback: string): string {
  const v = req.headers[name];
  return typeof v === 'string' ? v : fallback;
}

function userMetadata(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (name.startsWith('x-amz-meta-') && typeof value === 'string') out[name.slice('x-amz-meta-'.length)] = value;
  return out;
}

/** x-amz-tagging: URL query form, `k1=v1&k2=v2`. */
function parseTagging(value: string): [string, string][] {
  return value ? [...new URLSearchParams(value).entries()] : [];
}

function xml(body: string): Answer {
  return { status: 200, headers: { 'content-type': 'application/xml' }, body };
}

function errorAnswer(e: S3Error, head: boolean): Answer {
  const body = head
    ? ''
    : `${XML_HEAD}<Error><Code>${e.code}</Code><Message>${escapeXml(e.message)}</Message>${e.resource ? `<Resource>${escapeXml(e.resource)}</Resource>` : ''}<RequestId>${randomUUID()}</RequestId></Error>`;
  return { status: e.status, headers: { 'content-type': 'application/xml' }, body };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starts the endpoint on 127.0.0.1:`port` (0: any free port); resolves with the port and a close function. */
export async function listen(latencyMs: number, port = 0, holdCopies = 0): Promise<{ port: number; endpoint: BenchEndpoint; close: () => Promise<void> }> {
  const endpoint = new BenchEndpoint(latencyMs, holdCopies);
  // Keep-alive well beyond the clients' idle gaps: a tool's connection pool is reused, as with S3.
  const server = createServer({ keepAliveTimeout: 65_000, headersTimeout: 70_000, requestTimeout: 0 }, endpoint.handle);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    endpoint,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { 'latency-ms': { type: 'string', default: '15' }, port: { type: 'string', default: '0' }, 'hold-copies': { type: 'string', default: '0' } },
  });
  const { port } = await listen(Number(values['latency-ms']), Number(values.port), Number(values['hold-copies']));
  process.stdout.write(`${JSON.stringify({ port })}\n`);
}
