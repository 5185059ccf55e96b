import { describe, expect, it } from 'vitest';
import { LambdaInvoker } from '../../local/lambda-invoker';

const MiB = 1024 * 1024;

/** An invoker of one step with 512 MB, measuring heap; `objects` is the simulated account's object count. */
function invoker(account: { objects: number }) {
  const i = new LambdaInvoker(new Map([['delete-stack', 60]]), 0, new Map([['delete-stack', 512]]));
  i.measureHeap({ storedObjects: () => account.objects });
  return i;
}

/** About `mb` MiB of live arrays of numbers (8 bytes each). */
const hold = (mb: number) => Array.from({ length: mb }, (_, n) => new Array<number>(MiB / 8).fill(n + 0.5));

describe('the local Lambda invoker measures heap per invocation', () => {
  it("reports the peak heap an invocation held, once released, against the function's memory", async () => {
    const i = invoker({ objects: 0 });
    let held = 0;
    i.register('delete-stack', async () => {
      const data = hold(80);
      i.sampleHeap();
      held = data.length;
      return 'ok';
    });
    expect(await i.invoke('delete-stack', {})).toBe('ok');
    expect(held).toBe(80);
    const peak = i.stats.peakHeapBytes.get('delete-stack')!;
    // 80 MiB of numbers, held until the sample: counted, and not much more.
    expect(peak).toBeGreaterThan(70 * MiB);
    expect(peak).toBeLessThan(80 * MiB + 512 * MiB / 8 + 20 * MiB);
    expect(i.memorySizes.get('delete-stack')).toBe(512);
  });

  it("does not count the simulated account's growth as the handler's", async () => {
    const account = { objects: 0 };
    const i = invoker(account);
    const kept: number[][] = [];
    i.register('delete-stack', async () => {
      // The "account" stores 100,000 objects of ~1 KiB each, sampled as it goes; the handler holds nothing.
      for (let n = 0; n < 100; n++) {
        kept.push(new Array<number>(1000 * 128).fill(n + 0.5));
        account.objects += 1000;
        i.sampleHeap();
      }
      return 'ok';
    });
    await i.invoke('delete-stack', {});
    expect(kept).toHaveLength(100);
    expect(i.stats.peakHeapBytes.get('delete-stack')!).toBeLessThan(20 * MiB);
  });
});
