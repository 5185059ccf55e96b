/**
 * Runs a local execution on a simulated clock. setTimeout and Date are faked (with
 * @sinonjs/fake-timers), so Wait states, retry intervals, the SDK's retry backoff and every
 * simulated AWS latency take no real time; whenever everything runnable has run and only timers
 * are left, the clock jumps to the next one. A two-hour snapshot wait takes milliseconds, and
 * concurrent work (bounded-concurrency copies, Map iterations) overlaps in simulated time as it would.
 */
import FakeTimers from '@sinonjs/fake-timers';

// Kept before the fake timers are installed: the driver itself runs on real time.
const realSetImmediate = globalThis.setImmediate;
const realSetTimeout = globalThis.setTimeout;

/**
 * Work running outside this thread that the clock must wait for (./isolated-invocations.ts: a step's
 * handler in a worker thread). `busy` says whether it is running; `settled` resolves when it may have
 * stopped, so the driver waits for that instead of polling.
 */
export interface OutsideWork {
  busy(): boolean;
  settled(): Promise<void>;
}
const outsideWork = new Set<OutsideWork>();

/** Holds the simulated clock while `work` is busy (returns the function that lets go). */
export function holdClockFor(work: OutsideWork): () => void {
  outsideWork.add(work);
  return () => {
    outsideWork.delete(work);
  };
}

/** Real asynchronous work (file reads, module loading) that the fake clock must not race ahead of. */
export function realWorkPending(): boolean {
  return process.getActiveResourcesInfo().some((r) => r.startsWith('FSReq') || r === 'FileHandle' || r === 'GetAddrInfoReqWrap');
}

/** The first outside work still running, if any. */
function busyOutside(): OutsideWork | undefined {
  for (const w of outsideWork) if (w.busy()) return w;
  return undefined;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => realSetImmediate(resolve));

export interface SimulatedClock {
  /** Simulated ms since the run started. */
  elapsedMs(): number;
}

/**
 * Calls `fn` with setTimeout/Date faked, starting at `startAt`, and advances the fake clock whenever
 * the process is idle but for timers. Returns what `fn` returns.
 */
export async function runOnSimulatedClock<T>(fn: (clock: SimulatedClock) => Promise<T>, startAt = Date.now()): Promise<T> {
  const clock = FakeTimers.withGlobal(globalThis).install({
    now: startAt,
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
  });
  let settled = false;
  const result = fn({ elapsedMs: () => clock.now - startAt }).finally(() => {
    settled = true;
  });
  result.catch(() => undefined);
  try {
    let idleRounds = 0;
    while (!settled) {
      await yieldToEventLoop();
      if (settled) break;
      if (realWorkPending()) {
        await new Promise((resolve) => realSetTimeout(resolve, 1));
        continue;
      }
      const outside = busyOutside();
      if (outside) {
        await outside.settled();
        continue;
      }
      // A second yield: some continuations hop through setImmediate once more before they block.
      await yieldToEventLoop();
      if (settled) break;
      if (busyOutside()) continue;
      if (clock.countTimers() > 0) {
        clock.next();
        idleRounds = 0;
      } else if (++idleRounds > 1000) {
        throw new Error('Local run is stuck: nothing is running and no timer is pending');
      } else {
        await new Promise((resolve) => realSetTimeout(resolve, 1));
      }
    }
    return await result;
  } finally {
    clock.uninstall();
  }
}
