import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLimiter, mapConcurrent, positiveIntFromEnv } from '../../lambdas/shared/concurrency';
import { httpGet, type FetchLike } from '../../lambdas/shared/http';
import { commonChecksum, compareKeys, copySource, fullObjectChecksums } from '../../lambdas/shared/s3-objects';

describe('compareKeys', () => {
  it('orders any two keys exactly as their UTF-8 bytes compare (the order ListObjectsV2 lists in)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        expect(Math.sign(compareKeys(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
      { numRuns: 2000 },
    );
    expect(compareKeys('\u{1F600}', '\uFF21')).toBeGreaterThan(0);
    expect(compareKeys('B', 'a')).toBeLessThan(0);
  });
});

describe('copySource', () => {
  it('encodes every key segment and keeps the slashes, so S3 decodes it back to the key', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1 }), (key) => {
        const encoded = copySource('bucket', key);
        expect(decodeURIComponent(encoded)).toBe(`bucket/${key}`);
        expect(encoded).not.toMatch(/[ +]|%(?![0-9A-F]{2})/);
      }),
    );
  });
});

describe('fullObjectChecksums', () => {
  it('keeps CRC64NVME always, other algorithms only for FULL_OBJECT or single-part, and never a composite value', () => {
    expect([...fullObjectChecksums({ ETag: '"x-3"', ChecksumCRC64NVME: 'crc', ChecksumSHA256: 'sha' })]).toEqual([['CRC64NVME', 'crc']]);
    expect([...fullObjectChecksums({ ETag: '"x"', ChecksumSHA256: 'sha' })]).toEqual([['SHA256', 'sha']]);
    expect([...fullObjectChecksums({ ETag: '"x-3"', ChecksumType: 'FULL_OBJECT', ChecksumCRC32: 'c32' })]).toEqual([['CRC32', 'c32']]);
    expect([...fullObjectChecksums({ ETag: '"x-3"', ChecksumType: 'COMPOSITE', ChecksumSHA256: 'sha-3' })]).toEqual([]);
    expect([...fullObjectChecksums({ ETag: '"x"', ChecksumSHA256: 'sha-3' })]).toEqual([]);
  });

  it('picks an algorithm both sides have, preferring CRC64NVME', () => {
    expect(commonChecksum({ ETag: '"a"', ChecksumSHA256: 's1', ChecksumCRC64NVME: 'c1' }, { ETag: '"b"', ChecksumSHA256: 's2', ChecksumCRC64NVME: 'c2' })).toEqual({
      algorithm: 'CRC64NVME',
      source: 'c1',
      destination: 'c2',
    });
    expect(commonChecksum({ ETag: '"a"', ChecksumSHA256: 's1' }, { ETag: '"b"', ChecksumCRC64NVME: 'c2' })).toBeUndefined();
  });
});

describe('mapConcurrent', () => {
  it('keeps at most `limit` calls in flight and returns results in item order', async () => {
    let inFlight = 0;
    let peak = 0;
    const { results, started } = await mapConcurrent([5, 1, 4, 2, 3, 6, 7], 3, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      for (let i = 0; i < n; i++) await Promise.resolve();
      inFlight--;
      return n * 10;
    });
    expect(peak).toBe(3);
    expect(started).toBe(7);
    expect(results).toEqual([50, 10, 40, 20, 30, 60, 70]);
  });

  it('starts nothing new after a failure, waits for the calls in flight, then throws the first failure', async () => {
    const finished: number[] = [];
    const startedItems: number[] = [];
    const run = mapConcurrent([0, 1, 2, 3, 4, 5], 2, async (n) => {
      startedItems.push(n);
      if (n === 1) throw new Error('item 1 failed');
      await new Promise((resolve) => setImmediate(resolve));
      finished.push(n);
      return n;
    });
    await expect(run).rejects.toThrow('item 1 failed');
    expect(startedItems).toEqual([0, 1]);
    expect(finished).toEqual([0]);
  });

  it('stops starting items when shouldStart says so and reports how far it got', async () => {
    let calls = 0;
    const { started } = await mapConcurrent([1, 2, 3, 4], 1, async () => ++calls, () => calls < 2);
    expect(started).toBe(2);
  });
});

describe('createLimiter', () => {
  it('never lets more than `limit` tasks run, even when nested fan-outs share it', async () => {
    const limit = createLimiter(2);
    let inFlight = 0;
    let peak = 0;
    const task = () =>
      limit(async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
      });
    await Promise.all([...Array.from({ length: 5 }, task), (async () => Promise.all(Array.from({ length: 5 }, task)))()]);
    expect(peak).toBe(2);
  });
});

describe('positiveIntFromEnv', () => {
  it('accepts positive integers and falls back on anything else', () => {
    expect(positiveIntFromEnv('16', 64)).toBe(16);
    for (const bad of [undefined, '', ' ', '0', '-3', '2.5', 'lots']) expect(positiveIntFromEnv(bad, 64)).toBe(64);
  });
});

describe('httpGet', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('returns the status and body of any answer, 2xx or not', async () => {
    const fetchFn: FetchLike = async () => ({ status: 503, text: async () => 'busy' });
    expect(await httpGet(fetchFn, 'http://x/', { timeoutMs: 1000 })).toEqual({ status: 503, body: 'busy' });
  });

  it('gives up after the timeout with a setTimeout timer, aborting the request, even if fetch ignores the signal', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let signal: AbortSignal | undefined;
    const fetchFn: FetchLike = (_url, init) => {
      signal = init.signal;
      return new Promise(() => undefined);
    };
    const pending = httpGet(fetchFn, 'http://x/', { timeoutMs: 2500 });
    await vi.advanceTimersByTimeAsync(2500);
    expect(await pending).toEqual({ reason: 'timed out after 2.5 s' });
    expect(signal?.aborted).toBe(true);
  });

  it('reports a network error with its cause', async () => {
    const fetchFn: FetchLike = async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' }) });
    };
    expect(await httpGet(fetchFn, 'http://x/', { timeoutMs: 1000 })).toEqual({
      reason: 'network error: fetch failed (ECONNREFUSED: connect ECONNREFUSED 10.0.0.1:443)',
    });
  });

  it('sends the given headers and leaves no timer behind', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const seen: Record<string, string>[] = [];
    const fetchFn: FetchLike = async (_url, init) => {
      seen.push(init.headers);
      return { status: 200, text: async () => '{}' };
    };
    await httpGet(fetchFn, 'http://x/', { timeoutMs: 1000, headers: { 'x-token': 't' } });
    expect(seen).toEqual([{ 'x-token': 't' }]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
