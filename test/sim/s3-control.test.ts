/**
 * S3 Batch Operations Compute checksum in the simulated account, end to end through the SDK: the
 * steps start a job and follow it to its report; its checksums equal what reading and hashing gives.
 */
import { partitionLines, readPartitionIndex } from '../../lambdas/shared/checksum-job';
import { randomBytes } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateJobCommand, DescribeJobCommand, S3ControlClient } from '@aws-sdk/client-s3-control';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checksumJobStatus } from '../../lambdas/checksum-job-status/core';
import { manifestCsv, type ManifestRow } from '../../lambdas/shared/checksum-job';
import { computeChecksum } from '../../lambdas/shared/object-hash';
import { startChecksumJob } from '../../lambdas/start-checksum-job/core';
import { SimAccount } from '../../local/sim/account';
import { ZERO_TIMING } from '../../local/sim/core';
import { installSimulatedAccount } from '../../local/sim/install';
import { DEFAULT_BATCH_TIMING } from '../../local/sim/s3-control';

const MiB = 1024 * 1024;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const execution = { id: 'arn:aws:states:us-east-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const roleArn = 'arn:aws:iam::123456789012:role/env-migrator-checksum-jobs';

let account: SimAccount;
let uninstall: () => void;
let s3: S3Client;
let s3control: S3ControlClient;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
  account = new SimAccount({ timing: ZERO_TIMING });
  uninstall = installSimulatedAccount(account);
  s3 = new S3Client({ maxAttempts: 1 });
  s3control = new S3ControlClient({ maxAttempts: 1 });
  account.s3.createBucket('orders-uploads', { versioning: true });
  account.s3.createBucket('work');
});
afterEach(() => {
  uninstall();
  vi.useRealTimers();
});

async function writeManifest(rows: ManifestRow[]): Promise<{ bucket: string; key: string }> {
  await s3.send(new PutObjectCommand({ Bucket: 'work', Key: 'checksum-jobs/run-1/uploads.csv', Body: manifestCsv(rows) }));
  return { bucket: 'work', key: 'checksum-jobs/run-1/uploads.csv' };
}

describe('a Compute checksum job', () => {
  it('takes minutes to start, then reports for every version the checksum that reading and hashing gives; a missing version is a failed task', async () => {
    const old = account.s3.putObjectDirect('orders-uploads', 'old upload.txt', { body: 'from 2019', checksumAlgorithm: null });
    const v2 = account.s3.putObjectDirect('orders-uploads', 'old upload.txt', { body: 'rewritten', checksumAlgorithm: null });
    const mp = account.s3.putObjectDirect('orders-uploads', 'video,1.mp4', { body: randomBytes(11 * MiB), multipartParts: 2, checksumAlgorithm: 'SHA256' });
    const kms = account.s3.putObjectDirect('orders-uploads', 'kms.bin', { body: 'secret', serverSideEncryption: 'aws:kms' });
    const cold = account.s3.putObjectDirect('orders-uploads', 'cold.bin', { body: 'frozen', storageClass: 'DEEP_ARCHIVE' });
    const rows: ManifestRow[] = [old, v2, mp, kms, cold].map((r) => ({ bucket: 'orders-uploads', key: r.key, versionId: r.versionId }));
    rows.push({ bucket: 'orders-uploads', key: 'kms.bin', versionId: 'no-such-version' });
    const manifest = await writeManifest(rows);

    const event = { execution, bucket: 'orders-uploads', manifest, reportPrefix: 'checksum-jobs/run-1/reports' };
    const { jobId } = await startChecksumJob({ s3, s3control, roleArn }, event);
    // A retried start is the same job.
    expect(await startChecksumJob({ s3, s3control, roleArn }, event)).toEqual({ jobId });
    expect(account.s3control.jobCount()).toBe(1);

    const describe = async () => (await s3control.send(new DescribeJobCommand({ AccountId: '123456789012', JobId: jobId }))).Job;
    vi.setSystemTime(T0 + 60_000);
    expect((await describe())?.Status).toBe('Preparing');
    const deps = { s3, s3control, accountId: '123456789012' };
    const statusEvent = { execution, jobId, reportBucket: 'work', reportPrefix: event.reportPrefix, timeoutSeconds: 3600 };
    const pending = await checksumJobStatus(deps, statusEvent, new Date());
    expect(pending.status).toBe('PENDING');
    vi.setSystemTime(T0 + (DEFAULT_BATCH_TIMING.prepareFixedSeconds + 1) * 1000);
    expect((await describe())?.Status).toBe('Ready');

    vi.setSystemTime(T0 + 10 * 60_000);
    const done = await checksumJobStatus(deps, { ...statusEvent, wait: pending.wait }, new Date());
    expect(done).toMatchObject({ status: 'READY', progress: { total: 6, succeeded: 5, failed: 1 }, result: { objects: 6, succeeded: 5, failed: 1 } });
    const index = await readPartitionIndex(s3, done.result!.index);
    const doc: Record<string, string>[] = [];
    for (let p = 0; p < index.partitions; p++) for await (const line of partitionLines(s3, index, p)) doc.push(JSON.parse(line) as Record<string, string>);
    expect(doc).toHaveLength(6);
    for (const r of [old, v2, mp, kms]) {
      const read = await computeChecksum(s3, 'orders-uploads', r.key, r.versionId);
      expect(doc.find((d) => d.key === r.key && d.versionId === r.versionId)?.checksum, r.key).toBe(read.value);
    }
    // Archived objects are computed without a restore; reading one is refused.
    expect(doc.find((d) => d.key === 'cold.bin')?.checksum).toMatch(/=$/);
    await expect(computeChecksum(s3, 'orders-uploads', 'cold.bin', cold.versionId)).rejects.toMatchObject({ name: 'InvalidObjectState' });
    expect(doc.find((d) => d.versionId === 'no-such-version')).toMatchObject({ error: 'NoSuchVersion', httpStatus: 404 });
    // Reports are SSE-S3 whatever the bucket's default.
    expect(account.s3.getObjectRecord('work', `checksum-jobs/run-1/reports/job-${jobId}/manifest.json`)?.encryption.algorithm).toBe('AES256');
  });

  it('fails when the manifest changed after the job was created (ETag), and refuses a reused token for another request', async () => {
    account.s3.putObjectDirect('orders-uploads', 'a', { body: 'a' });
    const manifest = await writeManifest([{ bucket: 'orders-uploads', key: 'a' }]);
    const { jobId } = await startChecksumJob({ s3, s3control, roleArn }, { execution, bucket: 'orders-uploads', manifest, reportPrefix: 'checksum-jobs/r' });
    await writeManifest([{ bucket: 'orders-uploads', key: 'b' }]);
    vi.setSystemTime(T0 + 3600_000);
    const r = await checksumJobStatus({ s3, s3control, accountId: '123456789012' }, { execution, jobId, reportBucket: 'work', reportPrefix: 'checksum-jobs/r', timeoutSeconds: 7200 }, new Date());
    expect(r).toMatchObject({ status: 'FAILED', reason: expect.stringContaining('ManifestETagMismatch') });

    const input = controlInput(manifest.key);
    await s3control.send(new CreateJobCommand({ ...input, ClientRequestToken: 'token-1' }));
    await expect(s3control.send(new CreateJobCommand({ ...input, Priority: 99, ClientRequestToken: 'token-1' }))).rejects.toMatchObject({ name: 'IdempotencyException' });
    await expect(s3control.send(new CreateJobCommand({ ...input, RoleArn: undefined, ClientRequestToken: 'token-2' }))).rejects.toMatchObject({ name: 'BadRequestException' });
  });
});

function controlInput(manifestKey: string) {
  return {
    AccountId: '123456789012',
    Priority: 10,
    RoleArn: roleArn,
    ConfirmationRequired: false,
    Operation: { S3ComputeObjectChecksum: { ChecksumAlgorithm: 'CRC64NVME' as const, ChecksumType: 'FULL_OBJECT' as const } },
    Manifest: { Spec: { Format: 'S3BatchOperations_CSV_20180820' as const, Fields: ['Bucket' as const, 'Key' as const] }, Location: { ObjectArn: `arn:aws:s3:::work/${manifestKey}`, ETag: 'x' } },
    Report: { Enabled: true, Bucket: 'arn:aws:s3:::work', Prefix: 'r', Format: 'Report_CSV_20180820' as const, ReportScope: 'AllTasks' as const },
  };
}
