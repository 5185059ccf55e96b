import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateJobCommand, DescribeJobCommand, S3ControlClient } from '@aws-sdk/client-s3-control';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { checksumJobStatus, CHECKSUM_JOB_BACKOFF } from '../../lambdas/checksum-job-status/core';
import { manifestCsv, parseReportRow } from '../../lambdas/shared/checksum-job';
import { InputInvalid } from '../../lambdas/shared/errors';
import { startChecksumJob } from '../../lambdas/start-checksum-job/core';

const s3Mock = mockClient(S3Client);
const controlMock = mockClient(S3ControlClient);
const s3 = new S3Client({ region: 'eu-west-1' });
const s3control = new S3ControlClient({ region: 'eu-west-1' });
const execution = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const roleArn = 'arn:aws:iam::123456789012:role/env-migrator-checksum-jobs';
const T0 = new Date('2025-01-01T00:00:00Z');
const start = { execution, bucket: 'orders-prod-uploads-abc', manifest: { bucket: 'work', key: 'checksum-jobs/run-1/uploads.csv' }, reportPrefix: 'checksum-jobs/run-1/reports' };
/** A GetObject Body: a Node stream with the SDK's transformToString. */
const body = (text: string) => Object.assign(Readable.from([Buffer.from(text)]), { transformToString: async () => text });

beforeEach(() => {
  s3Mock.reset();
  controlMock.reset();
});
afterAll(() => {
  s3Mock.restore();
  controlMock.restore();
});

describe('start-checksum-job', () => {
  it('creates a CRC64NVME full-object job over the manifest, pinned to its ETag, with the report beside it', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ ETag: '"etag-1"' });
    controlMock.on(CreateJobCommand).resolves({ JobId: 'job-1' });
    expect(await startChecksumJob({ s3, s3control, roleArn }, start)).toEqual({ jobId: 'job-1' });
    const input = controlMock.commandCalls(CreateJobCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      AccountId: '123456789012',
      RoleArn: roleArn,
      ConfirmationRequired: false,
      Operation: { S3ComputeObjectChecksum: { ChecksumAlgorithm: 'CRC64NVME', ChecksumType: 'FULL_OBJECT' } },
      Manifest: {
        Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key', 'VersionId'] },
        Location: { ObjectArn: 'arn:aws:s3:::work/checksum-jobs/run-1/uploads.csv', ETag: '"etag-1"' },
      },
      Report: { Enabled: true, Bucket: 'arn:aws:s3:::work', Prefix: 'checksum-jobs/run-1/reports', Format: 'Report_CSV_20180820', ReportScope: 'AllTasks' },
    });
    expect(input.ClientRequestToken!.length).toBeLessThanOrEqual(64);
  });

  it('sends the same ClientRequestToken on a retry, and another one for another bucket or manifest content', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ ETag: '"etag-1"' });
    controlMock.on(CreateJobCommand).resolves({ JobId: 'job-1' });
    await startChecksumJob({ s3, s3control, roleArn }, start);
    await startChecksumJob({ s3, s3control, roleArn }, start);
    await startChecksumJob({ s3, s3control, roleArn }, { ...start, bucket: 'orders-prod-reports-def' });
    s3Mock.on(HeadObjectCommand).resolves({ ETag: '"etag-2"' });
    await startChecksumJob({ s3, s3control, roleArn }, start);
    const tokens = controlMock.commandCalls(CreateJobCommand).map((c) => c.args[0].input.ClientRequestToken);
    expect(tokens[0]).toBe(tokens[1]);
    expect(new Set(tokens).size).toBe(3);
  });

  it('refuses a role ARN that is not one before any call', async () => {
    await expect(startChecksumJob({ s3, s3control, roleArn: '' }, start)).rejects.toBeInstanceOf(InputInvalid);
    expect(s3Mock.calls()).toHaveLength(0);
  });
});

describe('checksum-job-status', () => {
  const event = { execution, jobId: 'job-1', reportBucket: 'work', reportPrefix: 'checksum-jobs/run-1/reports', timeoutSeconds: 6 * 3600 };
  const deps = { s3, s3control, accountId: '123456789012' };
  const report = (rows: string) => {
    s3Mock.on(GetObjectCommand, { Key: 'checksum-jobs/run-1/reports/job-job-1/manifest.json' }).resolves({
      Body: body(JSON.stringify({ Format: 'Report_CSV_20180820', Results: [{ TaskExecutionStatus: 'succeeded', Bucket: 'work', Key: 'checksum-jobs/run-1/reports/job-job-1/results/a.csv' }] })),
    } as never);
    s3Mock.on(GetObjectCommand, { Key: 'checksum-jobs/run-1/reports/job-job-1/results/a.csv' }).resolves({ Body: body(rows) } as never);
    s3Mock.on(PutObjectCommand).resolves({});
  };
  const ok = (key: string, value: string) => `src,${encodeURIComponent(key)},v1,succeeded,200,,"${JSON.stringify({ checksum_base64: value, checksumAlgorithm: 'CRC64NVME', checksumType: 'FULL_OBJECT', etag: 'e' }).replace(/"/g, '""')}"`;

  it('is PENDING while the job prepares, first checked after the start-up', async () => {
    controlMock.on(DescribeJobCommand).resolves({ Job: { Status: 'Preparing' } });
    const r = await checksumJobStatus(deps, event, T0);
    expect(r).toMatchObject({ status: 'PENDING', wait: { nextDelaySeconds: CHECKSUM_JOB_BACKOFF.initialDelaySeconds } });
  });

  it('estimates the next check from the progress of an active job', async () => {
    controlMock.on(DescribeJobCommand).resolves({
      Job: { Status: 'Active', ProgressSummary: { TotalNumberOfTasks: 1000, NumberOfTasksSucceeded: 250, NumberOfTasksFailed: 0, Timers: { ElapsedTimeInActiveSeconds: 100 } } },
    });
    const r = await checksumJobStatus(deps, { ...event, wait: { label: 'x', startedAt: T0.toISOString(), timeoutSeconds: 6 * 3600, elapsedSeconds: 0, nextDelaySeconds: 180, attempt: 1 } }, new Date(T0.getTime() + 300_000));
    expect(r.status).toBe('PENDING');
    expect(r.progress).toEqual({ total: 1000, succeeded: 250, failed: 0 });
    expect(r.wait.nextDelaySeconds).toBe(302);
  });

  it('is FAILED with S3’s reasons when the job failed', async () => {
    controlMock.on(DescribeJobCommand).resolves({ Job: { Status: 'Failed', FailureReasons: [{ FailureCode: 'ManifestETagMismatch', FailureReason: 'changed' }] } });
    const r = await checksumJobStatus(deps, event, T0);
    expect(r).toMatchObject({ status: 'FAILED', reason: expect.stringContaining('ManifestETagMismatch: changed') });
  });

  it('is READY with a reference to the result document (counts only) once complete, failed tasks listed as errors', async () => {
    controlMock.on(DescribeJobCommand).resolves({ Job: { Status: 'Complete', ProgressSummary: { TotalNumberOfTasks: 3, NumberOfTasksSucceeded: 2, NumberOfTasksFailed: 1 } } });
    report([ok('a b.txt', 'AAAAAAAAAAA='), ok('c,d', 'BBBBBBBBBBB='), 'src,gone,v9,failed,404,NoSuchVersion,The specified version does not exist.'].join('\n'));
    const r = await checksumJobStatus(deps, event, T0);
    expect(r).toMatchObject({ status: 'READY', result: { bucket: 'work', key: 'checksum-jobs/run-1/reports/job-job-1/checksums/index.json', objects: 3, succeeded: 2, failed: 1, partitions: 1 } });
    // Three tasks make one partition: one document of rows, then the index naming it.
    const puts = s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => p.Key)).toEqual(['checksum-jobs/run-1/reports/job-job-1/checksums/p-0000/part-000001.jsonl', 'checksum-jobs/run-1/reports/job-job-1/checksums/index.json']);
    expect(JSON.parse(Buffer.from(puts[1]!.Body as Uint8Array).toString('utf8'))).toMatchObject({ partitions: 1, lines: 3, documents: [[{ key: puts[0]!.Key }]] });
    const doc = Buffer.from(puts[0]!.Body as Uint8Array).toString('utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(doc).toEqual([
      { bucket: 'src', key: 'a b.txt', versionId: 'v1', checksum: 'AAAAAAAAAAA=', algorithm: 'CRC64NVME', type: 'FULL_OBJECT', etag: 'e' },
      { bucket: 'src', key: 'c,d', versionId: 'v1', checksum: 'BBBBBBBBBBB=', algorithm: 'CRC64NVME', type: 'FULL_OBJECT', etag: 'e' },
      { bucket: 'src', key: 'gone', versionId: 'v9', error: 'NoSuchVersion', httpStatus: 404 },
    ]);
  });

  it('is FAILED when the report does not account for every task', async () => {
    controlMock.on(DescribeJobCommand).resolves({ Job: { Status: 'Complete', ProgressSummary: { TotalNumberOfTasks: 5, NumberOfTasksSucceeded: 5, NumberOfTasksFailed: 0 } } });
    report(ok('a', 'AAAAAAAAAAA='));
    expect((await checksumJobStatus(deps, event, T0)).status).toBe('FAILED');
  });
});

describe('report and manifest formats', () => {
  it('URL-encodes manifest keys and reads report rows with either column order', () => {
    expect(manifestCsv([{ bucket: 'b', key: 'a,b c+%', versionId: 'v' }])).toBe('b,a%2Cb%20c%2B%25,v\n');
    expect(parseReportRow('b,a%2Cb,v,failed,NoSuchKey,404,gone')).toMatchObject({ key: 'a,b', httpStatus: 404, errorCode: 'NoSuchKey', succeeded: false });
    expect(parseReportRow('b,k,,failed,404,NoSuchKey,gone')).toMatchObject({ httpStatus: 404, errorCode: 'NoSuchKey' });
    expect(parseReportRow('')).toBeUndefined();
  });
});

describe('chooseContentProof', () => {
  it('reads small buckets and sends big ones to a Batch Operations job', async () => {
    const { chooseContentProof, estimateContentProof } = await import('../../lambdas/shared/content-proof');
    expect(chooseContentProof({ objects: 0, bytes: 0 })).toBe('hash');
    expect(chooseContentProof({ objects: 1000, bytes: 1000 * 10 * 1024 })).toBe('hash');
    expect(chooseContentProof({ objects: 100_000, bytes: 400 * 1024 ** 3 })).toBe('batch');
    const e = estimateContentProof({ objects: 1_000_000, bytes: 0 });
    expect(e.batch.dollars).toBeCloseTo(0.25 + 1.0, 5);
  });
});
