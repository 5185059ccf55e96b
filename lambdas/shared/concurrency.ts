/**
 * Bounded concurrency for steps that fan out many AWS requests (bucket copy and verification).
 * No timers: work is throttled only by how many promises are in flight.
 */

/**
 * Runs `fn` over `items` with at most `limit` calls in flight and returns the results in item order.
 * After the first failure no new item is started; the calls already in flight are awaited (so a
 * multipart copy can abort its upload before the Lambda returns) and then the first failure is thrown.
 * `shouldStart`, when given, is asked before each item: returning false stops starting new items
 * (a time budget) and leaves their results `undefined` — check `started` to know how far it got.
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  shouldStart: () => boolean = () => true,
): Promise<{ results: (R | undefined)[]; started: number }> {
  const results: (R | undefined)[] = new Array<R | undefined>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  let stopped = false;

  const worker = async (): Promise<void> => {
    while (!failure && !stopped && next < items.length) {
      if (!shouldStart()) {
        stopped = true;
        return;
      }
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };

  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, () => worker());
  await Promise.all(workers);
  if (failure) throw failure.error;
  return { results, started: next };
}

/**
 * A shared cap on requests in flight across nested fan-outs (objects, and the parts of a multipart
 * object). Only the request itself holds a slot, never a task waiting on other slots, so nesting
 * cannot deadlock.
 */
export function createLimiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  // A finishing task hands its slot straight to the next waiter, so no newcomer can slip in between.
  const release = (): void => {
    const waiter = queue.shift();
    if (waiter) waiter();
    else active--;
  };
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= limit) await new Promise<void>((resolve) => queue.push(resolve));
    else active++;
    try {
      return await task();
    } finally {
      release();
    }
  };
}

/** Reads a positive integer setting such as COPY_CONCURRENCY; anything else yields the default. */
export function positiveIntFromEnv(raw: string | undefined, fallback: number): number {
  const value = Number(raw);
  return raw !== undefined && raw.trim() !== '' && Number.isInteger(value) && value > 0 ? value : fallback;
}
