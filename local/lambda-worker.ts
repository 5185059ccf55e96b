/**
 * A step's execution environment in a worker thread (./isolated-invocations.ts starts it): the
 * handler runs in a V8 heap of its own, limited to the function's memory, so what it holds can be
 * measured apart from the simulated account, and a handler that outgrows its memory dies as in Lambda.
 *
 * Everything outside the handler is the main thread's: each AWS call and each fetch goes to the
 * simulated account there, each timer (the SDK's retry backoff, a step's pacing) is set on the
 * simulated clock there, and Date shows the simulated time the main thread sends with every message.
 * The worker tells the main thread whenever nothing runs in it but what waits for an answer
 * (`idle`), so the simulated clock never jumps ahead of a handler that is still computing.
 */
import { getHeapStatistics, setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import FakeTimers from '@sinonjs/fake-timers';
import type { SimAccount } from './sim/account';
import { installSimulatedAccount } from './sim/install';
import { sdkBody } from './sim/sdk-body';
import { shortcutS3 } from '../bench/fast-s3';
import { realWorkPending } from './clock';
import { type FromWorker, type HeapFigures, type ToWorker, type WireResponse, type WorkerSetup, fromWire, headerPairs, KILLED_EXIT_CODE, toWire } from './worker-protocol';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const port = parentPort;
if (!port) throw new Error('local/lambda-worker.ts runs only as a worker thread');
const setup = workerData as WorkerSetup;

// The real timer functions, kept before the simulated ones replace them: the idle check runs on real time.
const realSetImmediate = globalThis.setImmediate;
const realSetTimeout = globalThis.setTimeout;

// Date shows the main thread's simulated time; it moves only when a message says so.
const clock = FakeTimers.withGlobal(globalThis).install({ now: setup.now, toFake: ['Date'] });

// ---- messages ---------------------------------------------------------------------------------

let lastSeq = 0;
let nextId = 1;
const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
const timers = new Map<number, () => void>();

function post(message: FromWorker): void {
  sampleHeap();
  try {
    port!.postMessage(message);
  } catch (err) {
    // An error's fields that cannot be cloned (a function, a socket): sent as their JSON.
    if (message.kind === 'done' && !message.ok) {
      port!.postMessage({ ...message, error: { ...message.error, fields: JSON.parse(JSON.stringify(message.error.fields)) as Record<string, unknown> } });
    } else throw err;
  }
}

function ask(message: { kind: 'call'; service: string; operation: string; input: unknown } | Omit<Extract<FromWorker, { kind: 'fetch' }>, 'id'>): Promise<unknown> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    post({ ...message, id } as FromWorker);
  });
}

// ---- timers on the simulated clock ------------------------------------------------------------

/** A timer handle as Node returns one (the SDK and others call unref/ref on it). */
class RemoteTimer {
  constructor(readonly id: number) {}
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  hasRef(): boolean {
    return true;
  }
  refresh(): this {
    return this;
  }
  [Symbol.toPrimitive](): number {
    return this.id;
  }
}

function remoteSetTimeout(fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]): RemoteTimer {
  const id = nextId++;
  timers.set(id, () => fn(...args));
  post({ kind: 'sleep', id, ms: Math.max(0, Number(ms) || 0) });
  return new RemoteTimer(id);
}

function remoteClearTimeout(timer: unknown): void {
  const id = timer instanceof RemoteTimer ? timer.id : Number(timer);
  if (timers.delete(id)) post({ kind: 'clear', id });
}

globalThis.setTimeout = remoteSetTimeout as unknown as typeof globalThis.setTimeout;
globalThis.clearTimeout = remoteClearTimeout as unknown as typeof globalThis.clearTimeout;

// ---- the simulated account, as the handler's SDK clients and fetch see it --------------------

async function remoteFetch(request: Request): Promise<Response> {
  const body = request.body ? new Uint8Array(await request.arrayBuffer()) : undefined;
  const answer = (await ask({ kind: 'fetch', url: request.url, method: request.method, headers: headerPairs(request.headers), ...(body ? { body } : {}) })) as WireResponse;
  const nullBody = answer.status === 204 || answer.status === 304 || request.method === 'HEAD';
  return new Response(nullBody ? null : (answer.body as unknown as ConstructorParameters<typeof Response>[0]), { status: answer.status, statusText: answer.statusText, headers: answer.headers });
}

const remoteAccount = {
  region: setup.region,
  async dispatch(service: string, operation: string, input: unknown): Promise<unknown> {
    const output = (await ask({ kind: 'call', service, operation, input })) as Record<string, unknown> | undefined;
    // A GetObject body crosses as bytes (a stream cannot): given back with the SDK's stream mixin.
    if (output && output.Body instanceof Uint8Array) return { ...output, Body: sdkBody([Buffer.from(output.Body)]) };
    return output;
  },
  fetch: remoteFetch,
} as unknown as SimAccount;

installSimulatedAccount(remoteAccount);
if (setup.shortcutS3) shortcutS3(remoteAccount);

// ---- heap ----------------------------------------------------------------------------------------

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (options: { type: 'major' | 'minor' }) => void;
/**
 * The function's memory. The worker's own heap limit (resourceLimits) cannot be trusted to be it: a
 * --max-old-space-size in NODE_OPTIONS, which the benchmark needs for the simulated account, overrides
 * every isolate's limit. So the limit is enforced here, at each reading (after collecting garbage).
 */
const memoryBytes = setup.memoryMb * 1024 * 1024;
/** Garbage between collections inflates a reading: collect first when the heap grew this much. */
const collectEvery = Math.max(4 * 1024 * 1024, memoryBytes / 64);
let heap: HeapFigures = { peakBytes: 0, startBytes: 0 };
let collectedAt = 0;
let liveAfterFull = 0;
/** ENV_MIGRATOR_HEAP_SNAPSHOT_MB: writes one heap snapshot (to the working directory) once the heap passes it, to find what a step holds. */
let snapshotAbove = process.env.ENV_MIGRATOR_HEAP_SNAPSHOT_MB ? Number(process.env.ENV_MIGRATOR_HEAP_SNAPSHOT_MB) * 1024 * 1024 : undefined;

/**
 * Reads the heap; once it has grown by `collectEvery` since the last collection, collects the young
 * generation first (where a handler's requests and pages die), and everything if the heap is still
 * `collectEvery` above what the last full collection left: garbage promoted to the old generation is
 * freed only by a full one, and must not ratchet the reading up. A reading is thus at most twice
 * `collectEvery` above what is live.
 */
function sampleHeap(): void {
  let used = getHeapStatistics().used_heap_size;
  if (used > collectedAt + collectEvery) {
    gc({ type: 'minor' });
    used = getHeapStatistics().used_heap_size;
    if (used > liveAfterFull + collectEvery) {
      gc({ type: 'major' });
      used = getHeapStatistics().used_heap_size;
      liveAfterFull = used;
    }
    collectedAt = used;
  }
  if (used > heap.peakBytes) heap.peakBytes = used;
  if (used > memoryBytes && used === liveAfterFull) {
    // Live data over the function's memory: Lambda's runtime would be killed by now.
    process.exit(KILLED_EXIT_CODE);
  }
  if (snapshotAbove !== undefined && used > snapshotAbove) {
    snapshotAbove = undefined;
    writeHeapSnapshot();
  }
}

// ---- idle reports --------------------------------------------------------------------------------

let idleCheck = false;
const yieldOnce = () => new Promise<void>((resolve) => realSetImmediate(resolve));

/** After a message, tells the main thread once nothing runs here any more (two yields, as ./clock.ts does). */
function reportIdleSoon(): void {
  if (idleCheck) return;
  idleCheck = true;
  void (async () => {
    for (;;) {
      const seen = lastSeq;
      await yieldOnce();
      await yieldOnce();
      if (realWorkPending()) {
        await new Promise((resolve) => realSetTimeout(resolve, 1));
        continue;
      }
      if (seen === lastSeq) break;
    }
    idleCheck = false;
    post({ kind: 'idle', seq: lastSeq });
  })();
}

// ---- invocations -----------------------------------------------------------------------------

/** Loaded before the first message is read: module loading is real I/O the simulated clock must not race. */
let handler: Handler;

async function invoke(message: Extract<ToWorker, { kind: 'invoke' }>): Promise<void> {
  gc({ type: 'major' });
  const start = getHeapStatistics().used_heap_size;
  heap = { peakBytes: start, startBytes: start };
  collectedAt = start;
  liveAfterFull = start;
  try {
    const context = {
      awsRequestId: message.requestId,
      functionName: message.functionName,
      getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
    };
    const value = await handler(message.event, context);
    post({ kind: 'done', ok: true, value: JSON.parse(JSON.stringify(value ?? null)) as unknown, heap });
  } catch (err) {
    post({ kind: 'done', ok: false, error: toWire(err), heap });
  }
}

function onMessage(message: ToWorker): void {
  sampleHeap();
  lastSeq = message.seq;
  clock.setSystemTime(message.now);
  if (message.kind === 'invoke') void invoke(message);
  else if (message.kind === 'wake') {
    const fire = timers.get(message.id);
    timers.delete(message.id);
    fire?.();
  } else {
    const w = waiting.get(message.id);
    waiting.delete(message.id);
    if (w) {
      if (message.ok) w.resolve(message.value);
      else w.reject(fromWire(message.error));
    }
  }
  reportIdleSoon();
}

void (async () => {
  handler = ((await import(setup.modulePath)) as { handler: Handler }).handler;
  // Messages posted before this are queued by the port until its listener is attached.
  port.on('message', onMessage);
})();
