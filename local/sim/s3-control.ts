/**
 * Simulated S3 Control: S3 Batch Operations jobs with the Compute checksum operation, the AWS-native
 * way to prove the content of millions of objects without reading them through a Lambda.
 *
 * Modelled from the S3 user guide ("Compute checksums", "Specifying a manifest", "Tracking job status
 * and completion reports", "Examples: S3 Batch Operations completion reports") and the S3 Control API
 * reference (CreateJob, DescribeJob, JobManifest, JobReport, S3ComputeObjectChecksumOperation):
 *
 * - CreateJob needs AccountId, Operation, Report, Priority, RoleArn and, with a CSV manifest, the
 *   manifest object's ETag; a repeated ClientRequestToken with the same request returns the same job,
 *   with a different request IdempotencyException.
 * - A job moves New → Preparing (the manifest is read) → Ready → Active → Complete, or → Failed when
 *   the manifest cannot be read or does not match its ETag, or when more than half of the tasks have
 *   failed once at least 1,000 have run ("Tracking job failures": "If the job's failure rate exceeds
 *   50 percent after at least 1,000 tasks [...] the job fails").
 * - The completion report is written when the job ends, under `<prefix>/job-<id>/`: manifest.json
 *   (Format Report_CSV_20180820, one entry per results CSV with its MD5 and TaskExecutionStatus) and
 *   results/<hash>.csv files, rows `bucket,key,versionId,TaskStatus,HTTPStatusCode,ErrorCode,ResultMessage`
 *   in the order of the guide's example rows (the ReportSchema line names ErrorCode before
 *   HTTPStatusCode; a reader should accept both). Keys are URL-encoded as in the manifest. "Completion
 *   reports are always encrypted with Amazon S3 managed keys (SSE-S3)."
 * - For Compute checksum the ResultMessage of a succeeded task is a JSON object with the checksum
 *   ("For Compute checksum jobs, the completion report contains checksum values for every object"):
 *   here `{"checksum_base64","checksum_hex","checksumAlgorithm","checksumType","etag"}`. ESTIMATE: the
 *   guide's text available here does not show a Compute checksum row; these member names follow
 *   public parsers of real reports. A missing object or version is a failed task (404 NoSuchKey /
 *   NoSuchVersion); an archived object is NOT (the operation works "without downloading or restoring").
 *
 * Timing (ESTIMATES, no published figures): Preparing takes PREPARE_FIXED_SECONDS plus the manifest
 * at MANIFEST_ROWS_PER_SECOND, then READY_SECONDS until Active, then tasks at OBJECTS_PER_SECOND and
 * the data read at BYTES_PER_SECOND. The job is computed from the simulated clock when it is read.
 * The IAM role is checked for shape only: the simulated account models no IAM permissions.
 */
import { createHash } from 'node:crypto';
import type {
  CreateJobCommandInput,
  CreateJobCommandOutput,
  DescribeJobCommandInput,
  DescribeJobCommandOutput,
  JobDescriptor,
  JobFailure,
  JobStatus,
} from '@aws-sdk/client-s3-control';
import type { ChecksumAlgorithm, ChecksumType } from '@aws-sdk/client-s3';
import type { SimAccount } from './account';
import { type OpHandler, type OpInput, SimServiceError, type SimService } from './core';
import { IdSource, LOWER_ALNUM } from './ids';

type Out<T> = Omit<T, '$metadata'>;

/** How long a job takes on the simulated clock. Every number is an ESTIMATE (see the file comment). */
export interface BatchJobTiming {
  prepareFixedSeconds: number;
  manifestRowsPerSecond: number;
  readySeconds: number;
  objectsPerSecond: number;
  bytesPerSecond: number;
}

export const DEFAULT_BATCH_TIMING: BatchJobTiming = {
  prepareFixedSeconds: 120,
  manifestRowsPerSecond: 50_000,
  readySeconds: 60,
  objectsPerSecond: 1_000,
  bytesPerSecond: 2 * 1024 ** 3,
};

export const INSTANT_BATCH_TIMING: BatchJobTiming = {
  prepareFixedSeconds: 0,
  manifestRowsPerSecond: Number.POSITIVE_INFINITY,
  readySeconds: 0,
  objectsPerSecond: Number.POSITIVE_INFINITY,
  bytesPerSecond: Number.POSITIVE_INFINITY,
};

const FAILURE_THRESHOLD_TASKS = 1000;

interface Task {
  bucket: string;
  /** As written in the manifest (URL-encoded). */
  encodedKey: string;
  versionId: string;
}

interface TaskResult extends Task {
  status: 'succeeded' | 'failed';
  httpStatus: number;
  errorCode: string;
  resultMessage: string;
}

interface JobState {
  id: string;
  token: string;
  requestFingerprint: string;
  input: CreateJobCommandInput;
  createdAt: number;
  /** Set once the manifest has been read (end of Preparing). */
  tasks?: Task[];
  totalBytes: number;
  failure?: JobFailure;
  /** Set once the job has ended and its report is written. */
  results?: TaskResult[];
  finishedAt?: number;
  finalStatus?: JobStatus;
}

const badRequest = (message: string) => new SimServiceError('BadRequestException', message, 400);

/** `arn:aws:s3:::bucket` → bucket (the form JobReport.Bucket takes). */
function bucketOfArn(arn: string | undefined, field: string): string {
  const m = /^arn:aws[a-z-]*:s3:::([a-z0-9.-]{3,63})$/.exec(arn ?? '');
  if (!m?.[1]) throw badRequest(`${field} must be a bucket ARN (arn:aws:s3:::bucket)`);
  return m[1];
}

/** `arn:aws:s3:::bucket/key` → { bucket, key }. */
function objectOfArn(arn: string | undefined): { bucket: string; key: string } {
  const m = /^arn:aws[a-z-]*:s3:::([a-z0-9.-]{3,63})\/(.+)$/.exec(arn ?? '');
  if (!m?.[1] || !m[2]) throw badRequest('Manifest.Location.ObjectArn must be an object ARN (arn:aws:s3:::bucket/key)');
  return { bucket: m[1], key: m[2] };
}

export class S3ControlSim implements SimService {
  readonly serviceName = 'S3Control';
  readonly operations: Record<string, OpHandler>;
  /** Tests and the benchmark may replace it. */
  timing: BatchJobTiming = DEFAULT_BATCH_TIMING;
  /**
   * Seconds one job spends Preparing beyond `timing` (S3 queues and prepares jobs at its own pace;
   * two jobs created together need not end together). Tests set it to make one side's job the slower.
   */
  extraPrepareSeconds: (input: CreateJobCommandInput) => number = () => 0;

  private readonly jobs = new Map<string, JobState>();
  private readonly byToken = new Map<string, string>();
  private readonly ids = new IdSource('s3control');

  constructor(private readonly account: SimAccount) {
    this.operations = {
      CreateJob: (i) => this.opCreateJob(i),
      DescribeJob: (i) => this.opDescribeJob(i),
    };
  }

  /** Number of jobs created (tests). */
  jobCount(): number {
    return this.jobs.size;
  }

  /**
   * When a job ended (Complete or Failed, epoch ms on the simulated clock), once a DescribeJob has
   * seen it ended; undefined before, or for an unknown job. Read-only: the benchmark's record of the
   * job as AWS work (bench/observe.ts) must not advance it.
   */
  jobEndedAt(jobId: string): number | undefined {
    return this.jobs.get(jobId)?.finishedAt;
  }

  private opCreateJob(i: OpInput): Out<CreateJobCommandOutput> {
    const input = i as unknown as CreateJobCommandInput;
    this.checkAccount(input.AccountId);
    if (!input.ClientRequestToken) throw badRequest('ClientRequestToken is required');
    // The SDK fills ClientRequestToken itself (idempotency token); the fingerprint leaves it out.
    const { ClientRequestToken: _token, ...rest } = input;
    const fingerprint = JSON.stringify(rest);
    const existing = this.byToken.get(input.ClientRequestToken);
    if (existing !== undefined) {
      if (this.jobs.get(existing)?.requestFingerprint !== fingerprint) {
        throw new SimServiceError('IdempotencyException', 'The ClientRequestToken was already used for a different request', 409);
      }
      return { JobId: existing };
    }
    const operation = input.Operation?.S3ComputeObjectChecksum;
    if (!input.Operation || Object.values(input.Operation).filter((v) => v !== undefined).length !== 1) {
      throw badRequest('Operation must name exactly one operation');
    }
    if (!operation) throw new SimServiceError('NotImplemented', 'The simulated S3 Control models only the S3ComputeObjectChecksum operation', 501);
    if (operation.ChecksumAlgorithm === 'CRC64NVME' && operation.ChecksumType === 'COMPOSITE') {
      throw badRequest('CRC64NVME supports only the FULL_OBJECT checksum type');
    }
    if (input.Priority === undefined || !Number.isInteger(input.Priority) || input.Priority < 0) throw badRequest('Priority must be a non-negative integer');
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(input.RoleArn ?? '')) throw badRequest('RoleArn must be an IAM role ARN');
    const report = input.Report;
    if (!report || report.Enabled === undefined) throw badRequest('Report is required');
    if (report.Enabled) {
      if (report.Format !== 'Report_CSV_20180820') throw badRequest('Report.Format must be Report_CSV_20180820');
      bucketOfArn(report.Bucket, 'Report.Bucket');
    }
    const manifest = input.Manifest;
    if (!manifest) throw new SimServiceError('NotImplemented', 'The simulated S3 Control models only jobs with a manifest object (no ManifestGenerator)', 501);
    if (manifest.Spec?.Format !== 'S3BatchOperations_CSV_20180820') throw new SimServiceError('NotImplemented', 'The simulated S3 Control models only CSV manifests', 501);
    const fields = manifest.Spec.Fields ?? [];
    if (fields.join(',') !== 'Bucket,Key' && fields.join(',') !== 'Bucket,Key,VersionId') throw badRequest('Manifest.Spec.Fields must be Bucket,Key[,VersionId]');
    // CreateJob reference, JobManifestLocation.ETag: required for a CSV manifest.
    if (!manifest.Location?.ETag) throw badRequest('Manifest.Location.ETag is required');
    objectOfArn(manifest.Location.ObjectArn);

    const id = `${this.ids.next(8, LOWER_ALNUM)}-${this.ids.next(4, LOWER_ALNUM)}-${this.ids.next(4, LOWER_ALNUM)}-${this.ids.next(4, LOWER_ALNUM)}-${this.ids.next(12, LOWER_ALNUM)}`;
    this.jobs.set(id, { id, token: input.ClientRequestToken, requestFingerprint: fingerprint, input, createdAt: this.account.now(), totalBytes: 0 });
    this.byToken.set(input.ClientRequestToken, id);
    return { JobId: id };
  }

  private opDescribeJob(i: OpInput): Out<DescribeJobCommandOutput> {
    const input = i as unknown as DescribeJobCommandInput;
    this.checkAccount(input.AccountId);
    const job = this.jobs.get(input.JobId ?? '');
    if (!job) throw new SimServiceError('NotFoundException', `The specified job ${input.JobId ?? ''} was not found`, 404);
    return { Job: this.describe(job) };
  }

  private checkAccount(accountId: string | undefined): void {
    if (accountId !== this.account.accountId) throw new SimServiceError('AccessDenied', 'Access Denied', 403);
  }

  /** Advances the job to the simulated now and describes it. */
  private describe(job: JobState): JobDescriptor {
    const now = this.account.now();
    const t = this.timing;
    const elapsed = (now - job.createdAt) / 1000;
    let status: JobStatus;
    let succeeded = 0;
    let failed = 0;
    let activeSeconds = 0;
    if (job.finalStatus) {
      status = job.finalStatus;
      succeeded = job.results?.filter((r) => r.status === 'succeeded').length ?? 0;
      failed = (job.results?.length ?? 0) - succeeded;
    } else if (elapsed < Math.min(1, t.prepareFixedSeconds)) {
      status = 'New';
    } else {
      if (!job.tasks && !job.failure) this.prepare(job);
      const rows = job.tasks?.length ?? 0;
      const prepareSeconds = t.prepareFixedSeconds + rows / t.manifestRowsPerSecond + this.extraPrepareSeconds(job.input);
      const activeAt = prepareSeconds + t.readySeconds;
      const runSeconds = rows / t.objectsPerSecond + job.totalBytes / t.bytesPerSecond;
      if (job.failure && elapsed >= prepareSeconds) {
        this.finish(job, 'Failed', job.createdAt + prepareSeconds * 1000);
        status = 'Failed';
      } else if (elapsed < prepareSeconds) {
        status = 'Preparing';
      } else if (elapsed < activeAt) {
        status = job.input.ConfirmationRequired ? 'Suspended' : 'Ready';
      } else if (job.input.ConfirmationRequired) {
        status = 'Suspended';
      } else if (elapsed < activeAt + runSeconds) {
        status = 'Active';
        activeSeconds = elapsed - activeAt;
        const done = Math.floor((rows * activeSeconds) / Math.max(runSeconds, 1e-9));
        succeeded = done;
      } else {
        status = this.finish(job, undefined, job.createdAt + (activeAt + runSeconds) * 1000);
        succeeded = job.results?.filter((r) => r.status === 'succeeded').length ?? 0;
        failed = (job.results?.length ?? 0) - succeeded;
        activeSeconds = runSeconds;
      }
    }
    return {
      JobId: job.id,
      JobArn: this.account.arn('s3', `job/${job.id}`),
      Status: status,
      ConfirmationRequired: job.input.ConfirmationRequired,
      Description: job.input.Description,
      Manifest: job.input.Manifest,
      Operation: job.input.Operation,
      Priority: job.input.Priority,
      Report: job.input.Report,
      RoleArn: job.input.RoleArn,
      CreationTime: new Date(job.createdAt),
      TerminationDate: job.finishedAt !== undefined ? new Date(job.finishedAt) : undefined,
      FailureReasons: job.failure ? [job.failure] : undefined,
      ProgressSummary:
        job.tasks !== undefined
          ? { TotalNumberOfTasks: job.tasks.length, NumberOfTasksSucceeded: succeeded, NumberOfTasksFailed: failed, Timers: { ElapsedTimeInActiveSeconds: Math.round(activeSeconds) } }
          : undefined,
    };
  }

  /** Reads the manifest object, checking its ETag (Preparing). */
  private prepare(job: JobState): void {
    const location = job.input.Manifest?.Location;
    const { bucket, key } = objectOfArn(location?.ObjectArn);
    const record = this.account.s3.bucketExists(bucket) ? this.account.s3.getObjectRecord(bucket, key) : undefined;
    const etag = (s: string | undefined) => (s ?? '').replace(/^"|"$/g, '');
    if (!record || !record.body) {
      job.failure = { FailureCode: 'ManifestNotFound', FailureReason: `Reading the manifest failed: ${bucket}/${key} does not exist` };
      return;
    }
    if (etag(record.etag) !== etag(location?.ETag)) {
      job.failure = { FailureCode: 'ManifestETagMismatch', FailureReason: `The manifest's ETag ${record.etag} does not match the ETag given, ${location?.ETag ?? ''}` };
      return;
    }
    const withVersion = job.input.Manifest?.Spec?.Fields?.includes('VersionId') === true;
    const tasks: Task[] = [];
    for (const line of record.body.toString('utf8').split(/\r?\n/)) {
      if (line.trim() === '') continue;
      const cells = line.split(',');
      if (cells.length < 2 || (withVersion && cells.length > 3) || (!withVersion && cells.length > 2)) {
        job.failure = { FailureCode: 'InvalidManifestContent', FailureReason: `Manifest line is not bucket,key${withVersion ? '[,versionId]' : ''}: ${line.slice(0, 200)}` };
        return;
      }
      tasks.push({ bucket: cells[0] as string, encodedKey: cells[1] as string, versionId: withVersion ? (cells[2] ?? '') : '' });
    }
    job.tasks = tasks;
    job.totalBytes = 0;
    for (const task of tasks) {
      try {
        job.totalBytes += this.account.s3.getObjectRecord(task.bucket, decodeManifestKey(task.encodedKey))?.size ?? 0;
      } catch {
        // A task on a missing bucket fails when it runs.
      }
    }
  }

  /** Runs every task (now), writes the completion report, fixes the final status. */
  private finish(job: JobState, forced: JobStatus | undefined, finishedAt: number): JobStatus {
    if (job.finalStatus) return job.finalStatus;
    const op = job.input.Operation?.S3ComputeObjectChecksum ?? {};
    const algorithm = (op.ChecksumAlgorithm ?? 'CRC64NVME') as ChecksumAlgorithm;
    const type = (op.ChecksumType ?? 'FULL_OBJECT') as ChecksumType;
    const results: TaskResult[] = (forced ? [] : (job.tasks ?? [])).map((task) => this.runTask(task, algorithm, type));
    const failedCount = results.filter((r) => r.status === 'failed').length;
    let status: JobStatus = forced ?? 'Complete';
    if (!forced && results.length >= FAILURE_THRESHOLD_TASKS && failedCount * 2 > results.length) {
      status = 'Failed';
      job.failure = { FailureCode: 'TaskFailureRateExceeded', FailureReason: 'More than 50% of the tasks failed after at least 1,000 tasks' };
    }
    job.results = results;
    job.finalStatus = status;
    job.finishedAt = finishedAt;
    // "As long as at least one task has been invoked successfully, S3 Batch Operations generates a report."
    if (job.input.Report?.Enabled && results.length > 0) this.writeReport(job, results);
    return status;
  }

  private runTask(task: Task, algorithm: ChecksumAlgorithm, type: ChecksumType): TaskResult {
    try {
      const key = decodeManifestKey(task.encodedKey);
      // A task S3 Batch Operations could not run for this object: "Tracking job status and completion
      // reports" — a failed task is a report row with its HTTP status and error code; the job goes on.
      if (this.account.faults.silent.checksumTaskFails?.(task.bucket, key)) throw new SimServiceError('AccessDenied', 'Access Denied', 403);
      const c = this.account.s3.checksumAtRest(task.bucket, key, task.versionId || undefined, algorithm, type);
      const message = {
        checksum_base64: c.value,
        checksum_hex: Buffer.from(c.value.replace(/-\d+$/, ''), 'base64').toString('hex') + (/-\d+$/.exec(c.value)?.[0] ?? ''),
        checksumAlgorithm: algorithm,
        checksumType: type,
        etag: c.etag.replace(/^"|"$/g, ''),
      };
      return { ...task, status: 'succeeded', httpStatus: 200, errorCode: '', resultMessage: JSON.stringify(message) };
    } catch (e) {
      const code = e instanceof SimServiceError ? e.Code : 'InternalError';
      const http = e instanceof SimServiceError ? e.$metadata.httpStatusCode : 500;
      return { ...task, status: 'failed', httpStatus: http, errorCode: code, resultMessage: e instanceof Error ? e.message : String(e) };
    }
  }

  private writeReport(job: JobState, results: TaskResult[]): void {
    const report = job.input.Report;
    const bucket = bucketOfArn(report?.Bucket, 'Report.Bucket');
    const base = `${report?.Prefix ? `${report.Prefix.replace(/\/$/, '')}/` : ''}job-${job.id}`;
    const scope = report?.ReportScope ?? 'AllTasks';
    const entries: { TaskExecutionStatus: string; Bucket: string; MD5Checksum: string; Key: string }[] = [];
    for (const status of ['succeeded', 'failed'] as const) {
      if (status === 'succeeded' && scope === 'FailedTasksOnly') continue;
      const rows = results.filter((r) => r.status === status);
      if (rows.length === 0) continue;
      const body = rows.map((r) => [r.bucket, r.encodedKey, r.versionId, r.status, String(r.httpStatus), r.errorCode, csvQuote(r.resultMessage)].join(',')).join('\n') + '\n';
      const key = `${base}/results/${createHash('sha1').update(`${job.id}:${status}`).digest('hex')}.csv`;
      this.account.s3.putObjectDirect(bucket, key, { body, contentType: 'text/csv', serverSideEncryption: 'AES256' });
      entries.push({ TaskExecutionStatus: status, Bucket: bucket, MD5Checksum: createHash('md5').update(body).digest('hex'), Key: key });
    }
    const manifest = {
      Format: 'Report_CSV_20180820',
      ReportCreationDate: new Date(job.finishedAt ?? this.account.now()).toISOString(),
      Results: entries,
      ReportSchema: 'Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage',
    };
    this.account.s3.putObjectDirect(bucket, `${base}/manifest.json`, { body: JSON.stringify(manifest), contentType: 'application/json', serverSideEncryption: 'AES256' });
  }
}

/** Manifest keys are URL-encoded ("Specifying a manifest"); a key that does not decode is used as written. */
function decodeManifestKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}

function csvQuote(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
