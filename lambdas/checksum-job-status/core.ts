import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DescribeJobCommand, type JobDescriptor, type S3ControlClient } from '@aws-sdk/client-s3-control';
import { checksumOfResult, PartitionedLines, parseReportRow, proofPartitions, type ReportManifest, reportManifestKey } from '../shared/checksum-job';
import type { ChecksumJobResultRef, ChecksumJobStatusEvent, ChecksumJobStatusResult } from '../shared/contracts';
import { advanceWait, type Backoff } from '../shared/wait';

export interface ChecksumJobStatusDeps {
  s3: S3Client;
  s3control: S3ControlClient;
  /** The account the jobs run in (the Batch Operations role's, env CHECKSUM_JOB_ROLE_ARN). */
  accountId: string;
}

/**
 * A job spends minutes preparing before its first task (ESTIMATE: about 3 min, local/sim/s3-control.ts),
 * then runs at S3's pace; once Active, its ProgressSummary gives the estimate of the time left.
 */
export const CHECKSUM_JOB_BACKOFF: Backoff = { initialDelaySeconds: 180, firstDelaySeconds: 30, factor: 1.5, maxDelaySeconds: 300 };

/** Statuses a job never leaves for Complete (S3 user guide, "Tracking job status": Failed, Cancelled; Cancelling, Failing on the way). */
const ENDED_BADLY = new Set(['Failed', 'Failing', 'Cancelled', 'Cancelling']);

/**
 * Checksum job done? — the check of the wait loop after start-checksum-job. READY when the job is
 * Complete and its report is read, with a reference to the result it wrote (one JSON line per task,
 * in partitions by key; the state carries only the counts and the index); FAILED when the job failed or was cancelled (with
 * S3's failure reasons) or when its report does not account for every task; PENDING otherwise, the
 * next check estimated from the job's progress once it is Active. A task that failed (a missing
 * object or version) is a line of the result, not a failed check: the verification decides.
 * Throws WaitTimedOut past the timeout, and AWS errors classified by the handler.
 */
export async function checksumJobStatus(deps: ChecksumJobStatusDeps, event: ChecksumJobStatusEvent, now: Date = new Date()): Promise<ChecksumJobStatusResult> {
  const described = await deps.s3control.send(new DescribeJobCommand({ AccountId: deps.accountId, JobId: event.jobId }));
  const job: JobDescriptor = described.Job ?? {};
  const label = `checksum job ${event.jobId} to complete`;
  const p = job.ProgressSummary;
  const progress = p?.TotalNumberOfTasks !== undefined ? { total: p.TotalNumberOfTasks, succeeded: p.NumberOfTasksSucceeded ?? 0, failed: p.NumberOfTasksFailed ?? 0 } : undefined;
  const status = job.Status ?? 'New';

  if (ENDED_BADLY.has(status)) {
    const reasons = (job.FailureReasons ?? []).map((f) => `${f.FailureCode ?? 'Unknown'}: ${f.FailureReason ?? ''}`.trim());
    const reason = `checksum job ${event.jobId} is ${status}${reasons.length > 0 ? `: ${reasons.join('; ')}` : ''}${job.StatusUpdateReason ? ` (${job.StatusUpdateReason})` : ''}`;
    return { status: 'FAILED', reason, ...(progress ? { progress } : {}), wait: advanceWait(event, label, CHECKSUM_JOB_BACKOFF, true, now) };
  }
  if (status !== 'Complete') {
    const wait = advanceWait(event, label, CHECKSUM_JOB_BACKOFF, false, now, status === 'Active' ? remainingSeconds(job) : undefined);
    return { status: 'PENDING', ...(progress ? { progress } : {}), wait };
  }

  const wait = advanceWait(event, label, CHECKSUM_JOB_BACKOFF, true, now);
  const expected = progress?.total;
  if (expected === undefined) {
    return { status: 'FAILED', reason: `checksum job ${event.jobId} is Complete but S3 gives no task count: its report cannot be checked for completeness`, wait };
  }
  // Partitioned by the job's task count, the number of rows of its manifest: verify-bucket computes the same.
  const result = await collectReport(deps.s3, event, proofPartitions(expected));
  if (result.objects !== expected) {
    const reason = `the report of checksum job ${event.jobId} lists ${result.objects} task(s), the job ${expected ?? 'an unknown number of'}: an incomplete report proves nothing`;
    return { status: 'FAILED', reason, ...(progress ? { progress } : {}), wait };
  }
  return { status: 'READY', result, ...(progress ? { progress } : {}), wait };
}

/** Seconds left at the pace so far: elapsed active time × tasks left ÷ tasks done. */
function remainingSeconds(job: JobDescriptor): number | undefined {
  const p = job.ProgressSummary;
  const done = (p?.NumberOfTasksSucceeded ?? 0) + (p?.NumberOfTasksFailed ?? 0);
  const total = p?.TotalNumberOfTasks;
  const active = p?.Timers?.ElapsedTimeInActiveSeconds;
  if (total === undefined || active === undefined || done <= 0 || active <= 0) return undefined;
  return (active * (total - done)) / done;
}

async function readText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await r.Body?.transformToString('utf8')) ?? '';
}

/**
 * Reads the report's results CSVs line by line and writes the result beside the report, split into
 * `partitions` by key (lambdas/shared/checksum-job.ts PartitionedLines): at a million tasks neither
 * this step nor verify-bucket may hold every row at once.
 */
async function collectReport(s3: S3Client, event: ChecksumJobStatusEvent, partitions: number): Promise<ChecksumJobResultRef> {
  const manifestKey = reportManifestKey(event.reportPrefix, event.jobId);
  const manifest = JSON.parse(await readText(s3, event.reportBucket, manifestKey)) as ReportManifest;
  const prefix = `${event.reportPrefix.replace(/\/$/, '')}/job-${event.jobId}/checksums`;
  const out = new PartitionedLines(s3, event.reportBucket, prefix, partitions);
  let succeeded = 0;
  let failed = 0;
  for (const entry of manifest.Results ?? []) {
    const r = await s3.send(new GetObjectCommand({ Bucket: entry.Bucket, Key: entry.Key }));
    if (!r.Body) continue;
    for await (const line of createInterface({ input: r.Body as Readable, crlfDelay: Number.POSITIVE_INFINITY })) {
      const row = parseReportRow(line);
      if (!row) continue;
      const checksum = row.succeeded ? checksumOfResult(row.resultMessage) : undefined;
      if (checksum) {
        succeeded++;
        await out.add(row.key, JSON.stringify({ bucket: row.bucket, key: row.key, versionId: row.versionId, checksum: checksum.value, algorithm: checksum.algorithm, type: checksum.type, etag: checksum.etag }));
      } else {
        // A succeeded task whose message holds no checksum proves nothing either.
        failed++;
        await out.add(row.key, JSON.stringify({ bucket: row.bucket, key: row.key, versionId: row.versionId, error: row.errorCode || 'NoChecksumInReport', httpStatus: row.httpStatus }));
      }
    }
  }
  const index = await out.end();
  return { bucket: index.bucket, key: index.key, objects: succeeded + failed, succeeded, failed, partitions, index };
}
