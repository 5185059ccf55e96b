import { S3RequestLog } from '../../bench/request-log';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { blueGreenDowntime, bucketCopy, criticalPath, entryPointTtlSeconds, subtract, union, workflowWork } from '../../bench/metrics';
import { type AwsOperation, checksumJobSubject, type Invocation, Recorder } from '../../bench/observe';
import { manifestCsv } from '../../lambdas/shared/checksum-job';
import { SimAccount } from '../../local/sim/account';
import { ZERO_TIMING } from '../../local/sim/core';
import type { S3Request } from '../../bench/observe';
import { DEFAULT_BATCH_TIMING } from '../../local/sim/s3-control';

describe('the critical path of a window', () => {
  it('merges overlapping AWS work into segments and counts the gaps as ours, split by what filled them', () => {
    const path = criticalPath(
      { start: 0, end: 100_000 },
      [
        { label: 'snapshot', start: 1_000, end: 40_000 },
        { label: 'create stack', start: 50_000, end: 80_000 },
        { label: 'discover', start: 79_000, end: 81_000 },
        { label: 'copy buckets', start: 90_000, end: 120_000 },
      ],
      [{ start: 40_000, end: 48_000 }],
      [{ start: 48_000, end: 50_000 }],
    );
    expect(path.segments.map((s) => [s.label, s.awsSeconds, s.oursBeforeSeconds])).toEqual([
      ['snapshot', 39, 1],
      ['create stack + discover', 31, 10],
      ['copy buckets', 10, 9],
    ]);
    expect(path.overheadSeconds).toBe(20);
    expect(path.overheadPercent).toBe(20);
    expect(path.breakdown).toEqual({ pollWaitSeconds: 8, lambdaSeconds: 2, orchestrationSeconds: 10 });
  });

  it('computes unions and differences of intervals', () => {
    expect(union([{ start: 5, end: 9 }, { start: 0, end: 3 }, { start: 2, end: 6 }])).toEqual([{ start: 0, end: 9 }]);
    expect(subtract([{ start: 0, end: 10 }], [{ start: 2, end: 4 }, { start: 6, end: 12 }])).toEqual([
      { start: 0, end: 2 },
      { start: 4, end: 6 },
    ]);
  });
});

describe('the downtime of a blue/green run', () => {
  it('ends at the switch seen INSYNC plus the TTL resolvers keep the previous answer: a CNAME its own, an alias to a load balancer 60 s', () => {
    expect(entryPointTtlSeconds({ TTL: 300 })).toBe(300);
    expect(entryPointTtlSeconds({ AliasTarget: { HostedZoneId: 'Z35SXDOTRQ7X7K', DNSName: 'dualstack.lb.elb.amazonaws.com.' } })).toBe(60);
    const marks = { standby: 1_000, switchEntered: 500_000, switched: 560_000, served: true, end: 700_000 };
    const bg = blueGreenDowntime(marks, 60);
    expect(bg).toMatchObject({ until: 'switched', window: { start: 1_000, end: 620_000 }, switch: { start: 500_000, end: 620_000 }, dnsCaches: { start: 560_000, end: 620_000 } });
  });

  it('runs to the end of the execution when the new slot never served (no switch, or a switch followed by a switch back)', () => {
    for (const marks of [
      { standby: 1_000, served: false, end: 700_000 },
      { standby: 1_000, switchEntered: 500_000, switched: 560_000, served: false, end: 700_000 },
    ]) {
      const bg = blueGreenDowntime(marks, 60);
      expect(bg).toMatchObject({ until: 'ended', window: { start: 1_000, end: 700_000 } });
      expect(bg.switch).toBeUndefined();
    }
  });
});

describe('the content proof by S3 Batch Operations checksum jobs', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts a job from CreateJob to its end as AWS work: only the time to notice its end is ours', () => {
    const job: AwsOperation = { kind: 'checksum job', subject: 'orders-uploads source', start: 100_000, end: 280_000 };
    const invocations: Invocation[] = [
      { step: 'verify-bucket', start: 90_000, end: 99_000, coldStartMs: 0 },
      { step: 'start-checksum-job', start: 99_500, end: 100_200, coldStartMs: 0 },
      // The status checks only look: the first one is Preparing, the second sees the job Complete 5 s after its end.
      { step: 'checksum-job-status', start: 100_300, end: 100_500, coldStartMs: 0 },
      { step: 'checksum-job-status', start: 285_000, end: 286_000, coldStartMs: 0 },
      { step: 'verify-bucket', start: 286_500, end: 290_000, coldStartMs: 0 },
    ];
    const work = workflowWork([job], invocations);
    expect(work.map((w) => w.label)).toContain('checksum job orders-uploads source');
    const path = criticalPath({ start: 90_000, end: 290_000 }, work, [{ start: 100_500, end: 285_000 }], invocations);
    expect(path.segments.map((s) => [s.label, s.awsSeconds, s.oursBeforeSeconds])).toEqual([
      ['verify buckets', 9, 0],
      ['checksum job orders-uploads source', 180, 1],
      ['verify buckets', 3.5, 6.5],
    ]);
    expect(path.overheadSeconds).toBe(7.5);
    // Without the job the whole wait for it would be ours.
    expect(criticalPath({ start: 90_000, end: 290_000 }, workflowWork([], invocations), [], invocations).overheadSeconds).toBeGreaterThan(180);
  });

  it('records each job once, from CreateJob to the moment the simulated S3 Control ended it, named by bucket and side', async () => {
    const t0 = Date.parse('2026-03-01T00:00:00Z');
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(t0);
    const account = new SimAccount({ timing: ZERO_TIMING });
    account.s3.createBucket('orders-uploads');
    account.s3.createBucket('work');
    const object = account.s3.putObjectDirect('orders-uploads', 'a b.bin', { body: 'content', checksumAlgorithm: null });
    const manifest = account.s3.putObjectDirect('work', 'checksum-jobs/run-1/m.csv', { body: manifestCsv([{ bucket: 'orders-uploads', key: object.key, versionId: object.versionId }]) });
    const recorder = new Recorder(account);
    const stop = recorder.watchAccount({ s3: false });
    const input = {
      AccountId: account.accountId,
      ClientRequestToken: 'token-1',
      ConfirmationRequired: false,
      Description: 'env-migrator run-1: checksums of orders-uploads',
      Priority: 10,
      RoleArn: `arn:aws:iam::${account.accountId}:role/checksum-jobs`,
      Operation: { S3ComputeObjectChecksum: { ChecksumAlgorithm: 'CRC64NVME', ChecksumType: 'FULL_OBJECT' } },
      Manifest: { Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key', 'VersionId'] }, Location: { ObjectArn: 'arn:aws:s3:::work/checksum-jobs/run-1/m.csv', ETag: manifest.etag } },
      Report: { Enabled: true, Bucket: 'arn:aws:s3:::work', Prefix: 'checksum-jobs/run-1/c1/orders-uploads/source-report', Format: 'Report_CSV_20180820', ReportScope: 'AllTasks' },
    };
    const { JobId } = (await account.dispatch('S3Control', 'CreateJob', input)) as { JobId: string };
    // A retried start answers the same job: still one operation.
    await account.dispatch('S3Control', 'CreateJob', input);
    // The workflow sees it Complete well after it ended (its next check).
    vi.setSystemTime(t0 + 20 * 60_000);
    const described = (await account.dispatch('S3Control', 'DescribeJob', { AccountId: account.accountId, JobId })) as { Job: { Status: string; TerminationDate: Date } };
    stop();
    await recorder.resolveStackOperations();

    expect(described.Job.Status).toBe('Complete');
    const endedAt = described.Job.TerminationDate.getTime();
    expect(endedAt).toBeGreaterThanOrEqual(t0 + (DEFAULT_BATCH_TIMING.prepareFixedSeconds + DEFAULT_BATCH_TIMING.readySeconds) * 1000);
    expect(endedAt).toBeLessThan(t0 + 20 * 60_000);
    expect(recorder.operations).toMatchObject([{ kind: 'checksum job', subject: 'orders-uploads source', start: t0 }]);
    // The simulated end is fractional (manifest rows at a rate); TerminationDate keeps whole milliseconds.
    expect(Math.floor(recorder.operations[0]?.end ?? 0)).toBe(endedAt);
    expect(checksumJobSubject({ Manifest: { Location: { ObjectArn: 'arn:aws:s3:::work/m.csv' } }, Report: { Prefix: 'x/destination-report/' } })).toBe('work destination');
  });
});

describe("a bucket copy's bound", () => {
  const pair = { logicalId: 'B', sourceBucket: 'src', destinationBucket: 'dst' };
  // 1,000 objects in 10 s: one listing page of the source, one CopyObject of 60 ms each.
  const requests: S3Request[] = [
    { operation: 'ListObjectVersions', bucket: 'src', start: 0, end: 90 },
    ...Array.from({ length: 1000 }, (_, i) => ({ operation: 'CopyObject', bucket: 'dst', start: 100 + i, end: 160 + i })),
  ];
  const timing = { clientCpuMs: { 'S3.CopyObject': 0.9, 'S3.ListObjectVersions': 25 }, defaultClientCpuMs: 0.65, fullVcpuMemoryMb: 1769, s3WritesPerSecondPerPrefix: 0 };

  it('is the lower of the latency bound and what one function\'s CPU allows at its memory\'s vCPU share', () => {
    const at = (memoryMb: number) => bucketCopy(1, pair, { start: 0, end: 10_000 }, 1000, 1, requests, 64, { timing, memoryMb });
    // Latency: 64 slots ÷ 60 ms = 1,066.7/s. CPU: (1,000 × 0.9 + 25) ms ÷ 1,000 objects = 0.925 ms per object.
    const full = at(1769);
    expect(full.latencyBoundObjectsPerSecond).toBeCloseTo(1066.7, 1);
    expect(full.cpu?.share).toBe(1);
    expect(full.cpu?.msPerObject).toBeCloseTo(0.925, 6);
    expect(full.cpu?.boundObjectsPerSecond).toBeCloseTo(1081.1, 1);
    expect(full.boundObjectsPerSecond).toBeCloseTo(1066.7, 1);
    // At 1,024 MB (0.579 vCPU) the CPU binds: 1000 × 0.5789 ÷ 0.925 = 625.8/s.
    const less = at(1024);
    expect(less.boundObjectsPerSecond).toBeCloseTo(625.8, 1);
    // Without a CPU model the bound is the latency bound, as before.
    expect(bucketCopy(1, pair, { start: 0, end: 10_000 }, 1000, 1, requests, 64).boundObjectsPerSecond).toBeCloseTo(1066.7, 1);
  });

  it("counts a function per key range, and is never above what S3's write rate allows its busiest prefix", () => {
    const inPrefixes = (n: number) => requests.map((r, i) => (r.operation === 'CopyObject' ? { ...r, prefix: `p${i % n}/` } : r));
    const rated = { ...timing, s3WritesPerSecondPerPrefix: 3500 };
    // 8 ranges: 8 × 1,066.7 latency, 8 × 1,081.1 CPU; one prefix takes all 1,000 writes: S3's 3,500/s binds.
    const one = bucketCopy(1, pair, { start: 0, end: 10_000 }, 1000, 8, inPrefixes(1), 64, { timing: rated, memoryMb: 1769 }, 8);
    expect(one.latencyBoundObjectsPerSecond).toBeCloseTo(8 * 1066.7, 0);
    expect(one.s3BoundObjectsPerSecond).toBe(3500);
    expect(one.boundObjectsPerSecond).toBe(3500);
    // Four prefixes of 250 writes each: 1,000 ÷ (250 ÷ 3,500) = 14,000/s, so the functions bind again.
    expect(bucketCopy(1, pair, { start: 0, end: 10_000 }, 1000, 8, inPrefixes(4), 64, { timing: rated, memoryMb: 1769 }, 8).boundObjectsPerSecond).toBeCloseTo(8 * 1066.7, 0);
    // Uneven prefixes: 900 writes in one of them bound the copy at 1,000 ÷ (900 ÷ 3,500) = 3,888.9/s.
    const uneven = requests.map((r, i) => (r.operation === 'CopyObject' ? { ...r, prefix: i <= 900 ? 'big/' : 'small/' } : r));
    expect(bucketCopy(1, pair, { start: 0, end: 10_000 }, 1000, 8, uneven, 64, { timing: rated, memoryMb: 1769 }, 8).boundObjectsPerSecond).toBeCloseTo(3888.9, 1);
  });
});

describe("the benchmark's S3 request log", () => {
  it('gives back every field it was given, a write\'s prefix included (the copy\'s S3 bound reads it)', () => {
    const log = new S3RequestLog();
    log.push({ operation: 'CopyObject', bucket: 'dst', start: 1, end: 61, prefix: 'data/' });
    log.push({ operation: 'ListObjectVersions', bucket: 'src', start: 2, end: 92, error: 'SlowDown' });
    expect([...log]).toEqual([
      { operation: 'CopyObject', bucket: 'dst', start: 1, end: 61, prefix: 'data/' },
      { operation: 'ListObjectVersions', bucket: 'src', start: 2, end: 92, error: 'SlowDown' },
    ]);
  });
});
