/**
 * One S3 object written as it is produced, with bounded memory: text is buffered up to one part and
 * sent as a part of a multipart upload; an object that never fills a part is one PutObject. What the
 * checksum jobs' CSV manifests need at a million versions (S3 Batch Operations reads one manifest
 * object, "Specifying a manifest", S3 user guide), which a step cannot hold as one string.
 *
 * Multipart limits (S3 user guide, "Amazon S3 multipart upload limits"): parts of 5 MiB to 5 GiB but
 * the last, at most 10,000 of them; so 8 MiB parts carry objects up to 78 GiB.
 */
import { createHash, type Hash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  type CompletedPart,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { DocumentRef } from './contracts';

export const STREAMED_PART_BYTES = 8 * 1024 * 1024;

export class StreamedObject {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private bytes = 0;
  private readonly hash: Hash = createHash('sha256');
  private uploadId: string | undefined;
  private readonly parts: CompletedPart[] = [];

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly contentType: string,
    private readonly partBytes = STREAMED_PART_BYTES,
  ) {}

  /** Appends text; sends a part once a part's worth is buffered. */
  async write(text: string): Promise<void> {
    const chunk = Buffer.from(text, 'utf8');
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered >= this.partBytes) await this.sendPart();
  }

  /** Stores what is left and returns the object's reference (SHA-256 of all its bytes). Aborts the upload on failure. */
  async end(): Promise<DocumentRef> {
    try {
      if (this.uploadId === undefined) {
        await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key, Body: Buffer.concat(this.chunks), ContentType: this.contentType }));
      } else {
        if (this.buffered > 0) await this.sendPart();
        await this.s3.send(
          new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId, MultipartUpload: { Parts: this.parts } }),
        );
      }
    } catch (err) {
      await this.abort();
      throw err;
    }
    this.chunks = [];
    return { bucket: this.bucket, key: this.key, bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  /** Gives up the multipart upload, if one was started (its parts are otherwise billed until a lifecycle rule aborts them). */
  async abort(): Promise<void> {
    if (this.uploadId === undefined) return;
    const uploadId = this.uploadId;
    this.uploadId = undefined;
    await this.s3.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: uploadId })).catch(() => undefined);
  }

  private async sendPart(): Promise<void> {
    try {
      if (this.uploadId === undefined) {
        const created = await this.s3.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, ContentType: this.contentType }));
        this.uploadId = created.UploadId;
      }
      const body = Buffer.concat(this.chunks);
      this.chunks = [];
      this.buffered = 0;
      const partNumber = this.parts.length + 1;
      const out = await this.s3.send(new UploadPartCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId, PartNumber: partNumber, Body: body }));
      this.parts.push({ PartNumber: partNumber, ETag: out.ETag });
    } catch (err) {
      await this.abort();
      throw err;
    }
  }
}
