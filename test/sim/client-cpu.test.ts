import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { runOnSimulatedClock } from '../../local/clock';
import { LambdaInvoker } from '../../local/lambda-invoker';
import { SimAccount } from '../../local/sim/account';
import { cpuShare } from '../../local/sim/client-cpu';
import { type TimingProfile, ZERO_TIMING } from '../../local/sim/core';
import { installSimulatedAccount } from '../../local/sim/install';

// 0.9 ms: a fraction of the clock's whole ms, so a lane that rounded each request would drift.
const TIMING: TimingProfile = { ...ZERO_TIMING, latencyMs: { 'S3.HeadBucket': 20 }, clientCpuMs: { 'S3.HeadBucket': 0.9 }, defaultClientCpuMs: 5, fullVcpuMemoryMb: 1769 };

let uninstall: (() => void) | undefined;
afterEach(() => {
  uninstall?.();
  uninstall = undefined;
});

function setUp(): { account: SimAccount; s3: S3Client } {
  const account = new SimAccount({ timing: TIMING });
  account.s3.createBucket('lane-test');
  uninstall = installSimulatedAccount(account);
  return { account, s3: new S3Client({}) };
}

/** `requests` HeadBucket calls all in flight at once; the simulated ms they took together. */
async function burst(s3: S3Client, requests: number): Promise<number> {
  const started = Date.now();
  await Promise.all(Array.from({ length: requests }, () => s3.send(new HeadBucketCommand({ Bucket: 'lane-test' }))));
  return Date.now() - started;
}

/** The same burst made by copy-bucket's handler, invoked with `memoryMb`. */
function invokeBurst(s3: S3Client, memoryMb: number, requests: number): Promise<number> {
  const invoker = new LambdaInvoker(new Map([['copy-bucket', 900]]), 0, new Map([['copy-bucket', memoryMb]]));
  invoker.register('copy-bucket', () => burst(s3, requests));
  return runOnSimulatedClock(async () => (await invoker.invoke('copy-bucket', {})) as number);
}

describe("a Lambda invocation's client CPU on the simulated clock", () => {
  it('queues the requests of one invocation on one CPU lane while their latencies overlap', async () => {
    const { s3 } = setUp();
    // 100 × 0.9 ms of CPU one after another, then the last request's 20 ms: not 100 × 20 ms, not 20 ms.
    expect(await invokeBurst(s3, 1769, 100)).toBe(90 + 20);
  });

  it('runs the lane at memory ÷ 1,769 MB of a vCPU, and no faster than one vCPU above it', async () => {
    const { s3 } = setUp();
    expect(cpuShare(TIMING, 884.5)).toBe(0.5);
    expect(await invokeBurst(s3, 884.5, 100)).toBe(180 + 20);
    expect(await invokeBurst(s3, 2 * 1769, 100)).toBe(90 + 20);
  });

  it("leaves S3's own latency as it was: the CPU is spent before the request leaves", async () => {
    const { account, s3 } = setUp();
    await invokeBurst(s3, 1769, 50);
    expect(account.calls).toHaveLength(50);
    for (const c of account.calls) expect(c.finishedAt - c.startedAt).toBe(20);
  });

  it('charges no CPU to calls made outside an invocation (the executor, the baseline script, seeding)', async () => {
    const { s3 } = setUp();
    expect(await runOnSimulatedClock(() => burst(s3, 100))).toBe(20);
  });
});
