import { afterEach, describe, expect, it } from 'vitest';
import { runOnSimulatedClock } from '../../local/clock';
import { LambdaInvoker } from '../../local/lambda-invoker';
import { SimAccount } from '../../local/sim/account';
import { type TimingProfile, ZERO_TIMING } from '../../local/sim/core';

const MiB = 1024 * 1024;
const FIXTURE = new URL('../fixtures/isolated-handler.ts', import.meta.url).href;
const START = Date.parse('2025-03-01T10:00:00Z');

let invoker: LambdaInvoker | undefined;
afterEach(async () => {
  await invoker?.dispose();
  invoker = undefined;
});

/** delete-stack answered by the fixture handler in a worker, with `memoryMb` and a 900 s timeout. */
function isolatedInvoker(account: SimAccount, memoryMb = 256): LambdaInvoker {
  invoker = new LambdaInvoker(new Map([['delete-stack', 900]]), 0, new Map([['delete-stack', memoryMb]]));
  invoker.isolate({ account, modules: { 'delete-stack': FIXTURE } });
  return invoker;
}

describe('a step invoked in a worker thread of its own (the benchmark heap measure)', () => {
  it("reports the heap the handler held, and not what this thread holds meanwhile", async () => {
    const account = new SimAccount({ timing: ZERO_TIMING });
    account.s3.createBucket('held-across-a-call');
    const i = isolatedInvoker(account);
    // 150 MiB held on this thread during the invocation (the simulated account's data at scale).
    const mainThreadData: number[][] = [];
    const result = await runOnSimulatedClock(async () => {
      for (let n = 0; n < 150; n++) mainThreadData.push(new Array<number>(128 * 1024).fill(n + 0.5));
      // Held across an AWS call, where the heap is read (as a step holds its pages across its calls).
      return i.invoke('delete-stack', { holdMb: 40, bucket: 'held-across-a-call' });
    }, START);
    expect(mainThreadData).toHaveLength(150);
    expect(result).toMatchObject({ held: 40 });
    const peak = i.stats.peakHeapBytes.get('delete-stack')!;
    expect(peak).toBeGreaterThan(40 * MiB);
    // The handler's 40 MiB, the SDK and the module loader's own: far from this thread's 150 MiB more.
    expect(peak).toBeLessThan(40 * MiB + 100 * MiB);
  });

  it('answers its AWS calls from the simulated account and runs its timers and Date on the simulated clock', async () => {
    const account = new SimAccount({ timing: ZERO_TIMING });
    account.s3.createBucket('seen-from-the-worker');
    const i = isolatedInvoker(account);
    const started = performance.now();
    const result = (await runOnSimulatedClock(() => i.invoke('delete-stack', { sleepMs: 600_000, bucket: 'seen-from-the-worker' }), START)) as {
      startedAt: number;
      endedAt: number;
      remainingMs: number;
      region?: string;
    };
    expect(result.region).toBe(account.region);
    expect(result.startedAt).toBe(START);
    // Ten simulated minutes, in well under ten real ones; the remaining time counts down on the same clock.
    expect(result.endedAt - result.startedAt).toBe(600_000);
    expect(result.remainingMs).toBe(300_000);
    expect(performance.now() - started).toBeLessThan(60_000);
  });

  it("kills a handler that outgrows its function's memory, as Lambda does (Runtime.ExitError)", async () => {
    const account = new SimAccount({ timing: ZERO_TIMING });
    const i = isolatedInvoker(account, 64);
    const outcome = runOnSimulatedClock(() => i.invoke('delete-stack', { holdMb: 256 }), START);
    await expect(outcome).rejects.toMatchObject({ name: 'Runtime.ExitError' });
    expect(i.stats.killedByMemory.get('delete-stack')).toBe(1);
    // The next invocation gets a fresh environment.
    await expect(runOnSimulatedClock(() => i.invoke('delete-stack', {}), START)).resolves.toMatchObject({ held: 0 });
  });

  it('passes a named error through with its name, as Lambda reports it to Step Functions', async () => {
    const account = new SimAccount({ timing: ZERO_TIMING });
    const i = isolatedInvoker(account);
    await expect(runOnSimulatedClock(() => i.invoke('delete-stack', { fail: 'SourceNotVerified' }), START)).rejects.toMatchObject({
      name: 'SourceNotVerified',
      message: expect.stringContaining('asked to fail: SourceNotVerified'),
    });
  });

  it("charges the worker's AWS calls their client CPU on the invocation's one lane, at its memory's share", async () => {
    const timing: TimingProfile = { ...ZERO_TIMING, latencyMs: { 'S3.HeadBucket': 20 }, clientCpuMs: { 'S3.HeadBucket': 0.9 }, fullVcpuMemoryMb: 1769 };
    const account = new SimAccount({ timing });
    account.s3.createBucket('one-lane');
    // 884.5 MB = half a vCPU: 100 requests × 0.9 ms ÷ 0.5 one after another, then the last one's 20 ms.
    const i = isolatedInvoker(account, 884.5);
    const result = (await runOnSimulatedClock(() => i.invoke('delete-stack', { bucket: 'one-lane', heads: 100 }), START)) as { startedAt: number; endedAt: number };
    expect(result.endedAt - result.startedAt).toBe(180 + 20);
  });
});
