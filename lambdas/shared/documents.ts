/**
 * Documents the workflow keeps in its own bucket instead of in the execution state (statistics
 * documents, bucket manifests, full difference lists): Step Functions fails an execution whose state
 * exceeds 256 KiB with States.DataLimitExceeded, which no Catch catches (docs/design.md invariant 10).
 * The state carries a DocumentRef (bucket, key, size, SHA-256); a reader checks the SHA-256, so a
 * document changed after it was written is never trusted.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DocumentRef, EntryPointRef, ExecutionRef } from './contracts';
import { ConfigurationMissing, DocumentCorrupt } from './errors';

/** The environment variable naming the workflow's bucket; the construct sets it on every step. */
export const WORKFLOW_BUCKET_ENV = 'WORKFLOW_BUCKET';

/** The workflow's bucket, read at each call (not at import) so a local harness can set it after loading. */
export function workflowBucket(): string {
  const name = process.env[WORKFLOW_BUCKET_ENV];
  if (!name) throw new ConfigurationMissing(`${WORKFLOW_BUCKET_ENV} is not set: the step cannot keep its documents (deploy with the EnvironmentMigrator construct)`);
  return name;
}

/**
 * The key of a document of one execution: `runs/<execution name>/<parts...>`. Parts are kept
 * readable but stripped of anything that is not a safe key character, so a bucket or stack name
 * can be part of it; every document of a run sits under one prefix (one lifecycle rule, one listing).
 */
export function documentKey(execution: ExecutionRef, ...parts: string[]): string {
  const safe = (p: string) => p.replace(/[^A-Za-z0-9._=-]+/g, '_').slice(0, 200) || '_';
  return ['runs', safe(execution.name), ...parts.map(safe)].join('/');
}

/**
 * Where create-stack puts a template too large for CreateStack's TemplateBody (51,200 bytes), for
 * CloudFormation to read by TemplateURL: `templates/<execution name>/<parts...>`. A prefix of its own,
 * expired by a lifecycle rule of its own (the construct's): a template is needed only while its
 * CreateStack call reads it.
 */
export const TEMPLATE_PREFIX = 'templates';
export function templateKey(execution: ExecutionRef, ...parts: string[]): string {
  return [TEMPLATE_PREFIX, ...documentKey(execution, ...parts).split('/').slice(1)].join('/');
}

/**
 * The key of an S3 Batch Operations checksum job's file of one execution (its manifest, its report
 * prefix): `checksum-jobs/<execution name>/<parts...>`, the one prefix the jobs' role may read and
 * write (infra/step-permissions.ts CHECKSUM_JOB_PREFIX). Parts are made safe as in documentKey.
 */
export function checksumJobKey(execution: ExecutionRef, ...parts: string[]): string {
  return documentKey(execution, ...parts).replace(/^runs\//, 'checksum-jobs/');
}

/**
 * Stores a document (PutObject; the same key and bytes again is a harmless overwrite, so a retried
 * step writes the same document) and returns its reference. S3 checks the bytes against the SHA-256
 * sent with them (x-amz-checksum-sha256), so what is stored is what was hashed.
 */
export async function putDocument(s3: S3Client, bucket: string, key: string, body: string | Uint8Array, contentType = 'application/json'): Promise<DocumentRef> {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
  const digest = createHash('sha256').update(bytes);
  const sha256 = digest.copy().digest('hex');
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentType: contentType, ChecksumSHA256: digest.digest('base64') }),
  );
  return { bucket, key, bytes: bytes.length, sha256 };
}

/** Stores a value as JSON in the workflow's bucket under this execution's prefix. */
export async function putJsonDocument(s3: S3Client, execution: ExecutionRef, parts: string[], value: unknown): Promise<DocumentRef> {
  return putDocument(s3, workflowBucket(), documentKey(execution, ...parts), JSON.stringify(value));
}

/** Reads a document back; throws DocumentCorrupt when it is missing or its SHA-256 is not the referenced one. */
export async function getDocument(s3: S3Client, ref: DocumentRef): Promise<Buffer> {
  let bytes: Buffer;
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
    bytes = Buffer.from((await out.Body?.transformToByteArray()) ?? new Uint8Array());
  } catch (err) {
    if ((err as { name?: unknown }).name === 'NoSuchKey') throw new DocumentCorrupt(`Document s3://${ref.bucket}/${ref.key} no longer exists`);
    throw err;
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== ref.sha256) throw new DocumentCorrupt(`Document s3://${ref.bucket}/${ref.key} has SHA-256 ${sha256}, not the ${ref.sha256} it was written with`);
  return bytes;
}

/** Reads a JSON document back (checked as getDocument does). */
export async function getJsonDocument<T>(s3: S3Client, ref: DocumentRef): Promise<T> {
  return JSON.parse((await getDocument(s3, ref)).toString('utf8')) as T;
}

/**
 * Where a blue/green migration keeps the switch record of one entry point (contracts.ts SwitchRecord):
 * `entry-points/<zone id>/<record name>/switch.json`, one per record, replaced by the next switch. A
 * prefix of its own, outside `runs/`: rollback must find it for as long as the previous slot is kept.
 */
export const ENTRY_POINT_PREFIX = 'entry-points';
export function switchRecordKey(entryPoint: EntryPointRef): string {
  const zone = entryPoint.hostedZoneId.replace(/^\/hostedzone\//, '');
  const name = entryPoint.recordName.toLowerCase().replace(/\.$/, '');
  return [ENTRY_POINT_PREFIX, zone, name, 'switch.json'].join('/');
}
