/**
 * Formats of S3 Batch Operations that the checksum steps (and whoever writes their manifest) share:
 * the CSV manifest, the completion report's layout and rows, and the job's idempotency token.
 *
 * Sources: S3 user guide, "Specifying a manifest" (CSV `bucket,key[,versionId]`, keys URL-encoded)
 * and "Examples: S3 Batch Operations completion reports" (`<prefix>/job-<id>/manifest.json` naming
 * results CSVs whose rows are bucket, key, versionId, task status, HTTP status, error code, result
 * message; the manifest's ReportSchema names ErrorCode before HTTPStatusCode, so the two are told
 * apart by content).
 */
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DocumentRef } from './contracts';
import { getDocument, putDocument } from './documents';

export interface ManifestRow {
  bucket: string;
  key: string;
  /** Absent or '' for an unversioned bucket's object ("null" version). */
  versionId?: string;
}

/** One manifest line. Keys are URL-encoded (a key may hold commas, quotes and newlines). */
export function manifestLine(row: ManifestRow): string {
  return `${row.bucket},${encodeURIComponent(row.key)},${row.versionId ?? ''}`;
}

/** A whole CSV manifest (Spec.Format S3BatchOperations_CSV_20180820, Fields Bucket,Key,VersionId). */
export function manifestCsv(rows: Iterable<ManifestRow>): string {
  let out = '';
  for (const row of rows) out += `${manifestLine(row)}\n`;
  return out;
}

/** Where a job's completion report starts: its manifest.json. */
export function reportManifestKey(reportPrefix: string, jobId: string): string {
  return `${reportPrefix.replace(/\/$/, '')}/job-${jobId}/manifest.json`;
}

/** The token that makes CreateJob retry-safe: same execution, bucket, manifest (by ETag) and report ⇒ same job. At most 64 characters. */
export function checksumJobToken(parts: { executionId: string; bucket: string; manifestBucket: string; manifestKey: string; manifestETag: string; reportPrefix: string; algorithm: string }): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([parts.executionId, parts.bucket, parts.manifestBucket, parts.manifestKey, parts.manifestETag, parts.reportPrefix, parts.algorithm]))
    .digest('hex');
  return `em-checksum-${digest.slice(0, 52)}`;
}

/** Top-level manifest.json of a completion report. */
export interface ReportManifest {
  Format: string;
  Results: { TaskExecutionStatus: string; Bucket: string; Key: string; MD5Checksum?: string }[];
  ReportSchema?: string;
}

export interface ReportRow {
  bucket: string;
  /** Decoded. */
  key: string;
  versionId: string;
  succeeded: boolean;
  httpStatus?: number;
  errorCode: string;
  resultMessage: string;
}

/** Splits one CSV line (RFC 4180 quoting). */
export function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}

/** One completion report row, or undefined for a line that is not one (blank, header). */
export function parseReportRow(line: string): ReportRow | undefined {
  if (line.trim() === '') return undefined;
  const cells = splitCsvLine(line);
  if (cells.length < 7) return undefined;
  const [bucket = '', encodedKey = '', versionId = '', status = '', a = '', b = '', ...rest] = cells;
  if (!/^(succeeded|failed)$/i.test(status)) return undefined;
  // HTTPStatusCode is the numeric one of the two columns, in whichever order they come.
  const aIsStatus = /^\d{3}$/.test(a.trim());
  const httpText = aIsStatus ? a : b;
  let key = encodedKey;
  try {
    key = decodeURIComponent(encodedKey);
  } catch {
    // Used as written.
  }
  return {
    bucket,
    key,
    versionId,
    succeeded: status.toLowerCase() === 'succeeded',
    httpStatus: /^\d{3}$/.test(httpText.trim()) ? Number(httpText) : undefined,
    errorCode: (aIsStatus ? b : a).trim(),
    resultMessage: rest.join(','),
  };
}

/** The checksum in a Compute checksum task's ResultMessage (JSON; member names vary between report versions). */
export function checksumOfResult(resultMessage: string): { value: string; algorithm?: string; type?: string; etag?: string } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(resultMessage);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const m = parsed as Record<string, unknown>;
  const pick = (...names: string[]) => names.map((n) => m[n]).find((v): v is string => typeof v === 'string' && v !== '');
  const base64 = pick('checksum_base64', 'checksumBase64', 'ChecksumBase64');
  const hex = pick('checksum_hex', 'checksumHex', 'ChecksumHex');
  const value = base64 ?? (hex && /^[0-9a-f]+$/i.test(hex) ? Buffer.from(hex, 'hex').toString('base64') : undefined);
  if (!value) return undefined;
  return {
    value,
    algorithm: pick('checksumAlgorithm', 'checksum_algorithm', 'ChecksumAlgorithm')?.toUpperCase(),
    type: pick('checksumType', 'checksum_type', 'ChecksumType')?.toUpperCase(),
    etag: pick('etag', 'ETag'),
  };
}

// ---------------------------------------------------------------------------------------------
// Partitions: how a proof's join stays within a step's memory at millions of versions
// ---------------------------------------------------------------------------------------------

/** Versions per partition: verify-bucket's second pass holds one partition of each side's job results at a time. */
export const PROOF_PARTITION_VERSIONS = 50_000;
const MAX_PROOF_PARTITIONS = 4096;
/** Lines buffered across all partitions before the fullest partition is stored (bounded memory whatever the count). */
const BUFFERED_LINES = 100_000;

/** How many partitions a proof of `versions` version pairs uses; every step computes the same from the same count. */
export function proofPartitions(versions: number): number {
  return Math.min(MAX_PROOF_PARTITIONS, Math.max(1, Math.ceil(versions / PROOF_PARTITION_VERSIONS)));
}

/** The partition of a key (FNV-1a over its UTF-16 code units): the same in every step, for both buckets of a pair. */
export function partitionOf(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

/** The index of a partitioned set of JSON lines: each partition's documents, in the order written. */
export interface PartitionIndex {
  partitions: number;
  lines: number;
  documents: DocumentRef[][];
}

/**
 * JSON lines split into partitions by key, each partition stored as documents of at most a few
 * thousand lines, and an index document naming them. Memory stays bounded (BUFFERED_LINES in all).
 */
export class PartitionedLines {
  private readonly buffers: string[][];
  private readonly documents: DocumentRef[][];
  private buffered = 0;
  private lines = 0;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
    readonly partitions: number,
  ) {
    this.buffers = Array.from({ length: partitions }, () => []);
    this.documents = Array.from({ length: partitions }, () => []);
  }

  async add(key: string, line: string): Promise<void> {
    const buffer = this.buffers[partitionOf(key, this.partitions)] as string[];
    buffer.push(line);
    this.buffered++;
    this.lines++;
    if (this.buffered >= BUFFERED_LINES) {
      let fullest = 0;
      for (let p = 1; p < this.partitions; p++) if ((this.buffers[p] as string[]).length > (this.buffers[fullest] as string[]).length) fullest = p;
      await this.store(fullest);
    }
  }

  /** Stores every buffer and the index; returns the index's reference. */
  async end(): Promise<DocumentRef> {
    for (let p = 0; p < this.partitions; p++) await this.store(p);
    const index: PartitionIndex = { partitions: this.partitions, lines: this.lines, documents: this.documents };
    return putDocument(this.s3, this.bucket, `${this.prefix}/index.json`, JSON.stringify(index));
  }

  private async store(p: number): Promise<void> {
    const buffer = this.buffers[p] as string[];
    if (!buffer.length) return;
    const docs = this.documents[p] as DocumentRef[];
    const key = `${this.prefix}/p-${String(p).padStart(4, '0')}/part-${String(docs.length + 1).padStart(6, '0')}.jsonl`;
    docs.push(await putDocument(this.s3, this.bucket, key, `${buffer.join('\n')}\n`, 'application/jsonl'));
    this.buffered -= buffer.length;
    this.buffers[p] = [];
  }
}

/** Reads a partition index (checked against its SHA-256). */
export async function readPartitionIndex(s3: S3Client, ref: DocumentRef): Promise<PartitionIndex> {
  return JSON.parse((await getDocument(s3, ref)).toString('utf8')) as PartitionIndex;
}

/** The lines of one partition, document by document (each checked against its SHA-256). */
export async function* partitionLines(s3: S3Client, index: PartitionIndex, p: number): AsyncGenerator<string> {
  for (const ref of index.documents[p] ?? []) {
    for (const line of (await getDocument(s3, ref)).toString('utf8').split('\n')) if (line) yield line;
  }
}
