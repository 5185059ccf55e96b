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
  // A FIFO with a moving head: Array.shift is O(n), and a multipart copy can queue thousands of parts.
  let queue: ((() => void) | undefined)[] = [];
  let head = 0;
  // A finishing task hands its slot straight to the next waiter, so no newcomer can slip in between.
  const release = (): void => {
    const waiter = queue[head];
    if (waiter === undefined) {
      active--;
      return;
    }
    queue[head++] = undefined;
    if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
    waiter();
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

/** A limiter whose limit adapts to the service's answers (additive increase, multiplicative decrease). */
export interface AdaptiveLimiter {
  <T>(task: () => Promise<T>): Promise<T>;
  /** Requests allowed in flight now. */
  readonly limit: number;
  /** The service pushed back (a request needed retries, or was throttled): halve the limit, once per round of requests. */
  pushedBack(): void;
  /** A request went through at the first attempt: after `limit` of them in a row, allow one more. */
  succeeded(): void;
}

/**
 * A shared cap on requests in flight that backs off when the service says so: S3 answers 503 SlowDown
 * beyond a prefix's request rate and asks clients to slow down and ramp up again gradually ("Best
 * practices design patterns: optimizing Amazon S3 performance", S3 user guide). Starts at `max`, halves
 * on push-back (at most once per `limit` completions, so one burst of throttled answers counts once),
 * and grows by one after each round of `limit` clean completions, never above `max` nor below `min`.
 * No timers: the pacing is the requests' own latency and the SDK's retry backoff.
 */
export function createAdaptiveLimiter(max: number, min = 1): AdaptiveLimiter {
  let limit = Math.max(min, max);
  let active = 0;
  let cleanInARow = 0;
  let sinceDecrease = Number.POSITIVE_INFINITY;
  let queue: ((() => void) | undefined)[] = [];
  let head = 0;
  const drain = (): void => {
    while (active < limit && head < queue.length) {
      const waiter = queue[head];
      queue[head++] = undefined;
      active++;
      waiter?.();
    }
    if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
  };
  const run = async <T>(task: () => Promise<T>): Promise<T> => {
    if (active < limit && head >= queue.length) active++;
    else await new Promise<void>((resolve) => queue.push(resolve));
    try {
      return await task();
    } finally {
      active--;
      sinceDecrease++;
      drain();
    }
  };
  // Object.assign would copy the getter's value once; the limit must be read live.
  return Object.defineProperties(run, {
    limit: { get: () => limit },
    pushedBack: {
      value: (): void => {
        cleanInARow = 0;
        if (sinceDecrease < limit) return;
        limit = Math.max(min, Math.floor(limit / 2));
        sinceDecrease = 0;
      },
    },
    succeeded: {
      value: (): void => {
        if (++cleanInARow < limit || limit >= max) return;
        cleanInARow = 0;
        limit++;
        drain();
      },
    },
  }) as AdaptiveLimiter;
}

/** Reads a positive integer setting such as COPY_CONCURRENCY; anything else yields the default. */
export function positiveIntFromEnv(raw: string | undefined, fallback: number): number {
  const value = Number(raw);
  return raw !== undefined && raw.trim() !== '' && Number.isInteger(value) && value > 0 ? value : fallback;
}
