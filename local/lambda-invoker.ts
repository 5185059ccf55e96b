/**
 * Invokes a step's real handler in-process the way Lambda would: the payload goes through JSON both
 * ways, the handler gets a context whose remaining time counts down on the (simulated) clock, a
 * handler that outlives its timeout is cut off with Sandbox.Timedout, and an error reaches Step
 * Functions as Lambda reports it (Error = the error's name, Cause = {"errorType","errorMessage",...}).
 */
import { randomUUID } from 'node:crypto';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { StepName } from '../lambdas/steps';
import { STEP_NAMES } from '../lambdas/steps';

type Handler = (event: unknown, context: LambdaContext) => Promise<unknown>;

export interface LambdaContext {
  awsRequestId: string;
  functionName: string;
  getRemainingTimeInMillis: () => number;
}

/** A fault at the Lambda level: the handler's AWS calls succeed, then the invocation dies before it returns. */
export interface LambdaFault {
  step: StepName;
  /** Let this many invocations of the step through first. */
  skip?: number;
  times?: number;
  /** Only invocations for which this holds count (e.g. those of one state, see local/faults/state-context.ts). */
  when?: () => boolean;
}

export interface InvocationStats {
  invocations: number;
  /** Simulated ms spent inside handlers, per step. */
  durationMs: Map<StepName, number>;
  invocationsByStep: Map<StepName, number>;
  /** Highest heap any one invocation of the step held, in bytes (only while `measureHeap` is on). */
  peakHeapBytes: Map<StepName, number>;
  /** What measuring the heap cost: collections forced (full and young-generation only) and their real time. */
  collections: { full: number; minor: number; ms: number };
}

/**
 * How the heap of an invocation is told apart from the rest of the process: the handlers run in
 * the same process as the simulated account, whose data grows and shrinks with the copies and
 * deletions, and whose garbage is V8's to collect whenever it likes.
 */
export interface HeapMeasure {
  /** Objects the simulated account stores: its growth during an invocation is not the handler's. */
  storedObjects: () => number;
}

/** One invocation being measured. */
interface Measured {
  step: StepName;
  /** Live heap at the start (after a full collection) and the objects stored then. */
  base: number;
  objects: number;
  /** Share (see LambdaInvoker.share) above which the next sample collects first. */
  next: number;
  /** Highest heap sampled (an upper bound of the live heap) per thousand objects the account gained or lost. */
  highest: Map<number, { heap: number; objects: number }>;
}

/** V8's own garbage collection, exposed at run time: `major` is a full one, `minor` the young generation only. */
let collectGarbage: ((options: { type: 'major' | 'minor' }) => void) | undefined;

function collect(type: 'major' | 'minor'): void {
  if (!collectGarbage) {
    setFlagsFromString('--expose-gc');
    collectGarbage = runInNewContext('gc') as (options: { type: 'major' | 'minor' }) => void;
  }
  collectGarbage({ type });
}

class LambdaError extends Error {
  constructor(name: string, message: string, stack?: string) {
    super(JSON.stringify({ errorType: name, errorMessage: message, trace: (stack ?? '').split('\n').slice(0, 6) }));
    this.name = name;
  }
}

export class LambdaInvoker {
  private readonly handlers = new Map<StepName, Handler>();
  private readonly warm = new Set<StepName>();
  readonly faults: (LambdaFault & { seen: number; fired: number })[] = [];
  readonly stats: InvocationStats = { invocations: 0, durationMs: new Map(), invocationsByStep: new Map(), peakHeapBytes: new Map(), collections: { full: 0, minor: 0, ms: 0 } };
  private heap: HeapMeasure | undefined;
  /** Heap the simulated account holds per stored object, as last measured (0 until then): where the next collection is due. */
  private bytesPerObject = 0;
  private readonly measured = new Set<Measured>();

  constructor(
    private readonly timeouts: Map<StepName, number>,
    private readonly coldStartMs: number,
    /** Step → memory size in MB, as the construct configures it. */
    readonly memorySizes: Map<StepName, number> = new Map(),
  ) {}

  /**
   * Measures each invocation's peak heap from now on (stats.peakHeapBytes). A full collection at the
   * invocation's start gives its base; every sample (`sampleHeap`, e.g. on each AWS call) reads the
   * heap, an upper bound of what is live. The simulated account's own growth is taken out: at the end
   * (after a collection), what stayed live is divided by the objects the account gained or lost
   * meanwhile, and each sample loses that much per object gained by then. The figure is an upper
   * bound at the sampled moments; overlapping invocations (a Map's iterations) count each other's
   * heap too: it errs high, not low.
   *
   * Garbage inflates a sample, so a sample collects first whenever the invocation's share (the heap
   * less the account's growth, at the last measured bytes per object) has grown by an eighth of the
   * function's memory since the last collection. It tries the young generation first, where a
   * handler's garbage (requests, responses, pages) dies, and a full collection only if that was not
   * enough: at a million objects per bucket the account holds gigabytes, and a full collection of
   * them at every eighth of a function's memory was most of the benchmark's time.
   * Costly still (a full collection per invocation): for the benchmark, not for every test.
   */
  measureHeap(measure: HeapMeasure): void {
    this.heap = measure;
  }

  /** A moment inside the running invocations (see measureHeap): cheap unless a collection is due. */
  sampleHeap(): void {
    if (!this.heap || this.measured.size === 0) return;
    const objects = this.heap.storedObjects();
    let heap = getHeapStatistics().used_heap_size;
    if (this.collectionDue(heap, objects)) {
      this.collect('minor');
      heap = getHeapStatistics().used_heap_size;
      if (this.collectionDue(heap, objects)) {
        this.collect('major');
        heap = getHeapStatistics().used_heap_size;
      }
      for (const m of this.measured) m.next = this.share(m, heap, objects) + this.stepBytes(m.step);
    }
    for (const m of this.measured) {
      const at = Math.round((objects - m.objects) / 1000);
      const known = m.highest.get(at);
      if (!known || heap > known.heap) m.highest.set(at, { heap, objects });
    }
  }

  /** Whether some running invocation's share has grown past where its next collection is due (no allocation: it runs on every AWS call). */
  private collectionDue(heap: number, objects: number): boolean {
    for (const m of this.measured) if (this.share(m, heap, objects) > m.next) return true;
    return false;
  }

  /** The heap less the account's growth since the invocation started, at the last measured bytes per object. */
  private share(m: Measured, heap: number, objects: number): number {
    return heap - (objects - m.objects) * this.bytesPerObject;
  }

  private collect(type: 'major' | 'minor'): void {
    const started = performance.now();
    collect(type);
    this.stats.collections[type === 'major' ? 'full' : 'minor'] += 1;
    this.stats.collections.ms += performance.now() - started;
  }

  private stepBytes(step: StepName): number {
    return ((this.memorySizes.get(step) ?? 128) * 1024 * 1024) / 8;
  }

  private startMeasuring(step: StepName): Measured | undefined {
    if (!this.heap) return undefined;
    this.collect('major');
    const base = getHeapStatistics().used_heap_size;
    const m: Measured = { step, base, objects: this.heap.storedObjects(), next: base + this.stepBytes(step), highest: new Map() };
    this.measured.add(m);
    return m;
  }

  private stopMeasuring(m: Measured | undefined): void {
    if (!m || !this.heap) return;
    this.measured.delete(m);
    this.collect('major');
    const end = { heap: getHeapStatistics().used_heap_size, objects: this.heap.storedObjects() };
    // What the account kept (or freed) per object it gained (or lost) during the invocation.
    const grown = end.objects - m.objects;
    const perObject = Math.abs(grown) >= 1000 ? Math.max(0, (end.heap - m.base) / grown) : 0;
    if (perObject > 0) this.bytesPerObject = perObject;
    let peak = 0;
    for (const s of [...m.highest.values(), end]) peak = Math.max(peak, s.heap - m.base - (s.objects - m.objects) * perObject);
    this.stats.peakHeapBytes.set(m.step, Math.max(this.stats.peakHeapBytes.get(m.step) ?? 0, Math.round(peak)));
  }

  /** Answers a step with this handler instead of the one `load` imports (tools, tests). */
  register(step: StepName, handler: Handler): void {
    this.handlers.set(step, handler);
  }

  /** Imports every step's handler up front (module loading is real I/O and must not race the fake clock). */
  async load(): Promise<void> {
    for (const step of STEP_NAMES) {
      const mod = (await import(`../lambdas/${step}/handler.ts`)) as { handler: Handler };
      this.handlers.set(step, mod.handler);
    }
  }

  addFault(fault: LambdaFault): void {
    this.faults.push({ ...fault, seen: 0, fired: 0 });
  }

  async invoke(step: StepName, payload: unknown): Promise<unknown> {
    const handler = this.handlers.get(step);
    if (!handler) throw new LambdaError('Lambda.ResourceNotFoundException', `Function for step ${step} is not loaded`);
    const event: unknown = JSON.parse(JSON.stringify(payload ?? null));
    if (!this.warm.has(step)) {
      this.warm.add(step);
      if (this.coldStartMs > 0) await new Promise((r) => setTimeout(r, this.coldStartMs));
    }
    const timeoutMs = (this.timeouts.get(step) ?? 3) * 1000;
    const started = Date.now();
    const deadline = started + timeoutMs;
    const context: LambdaContext = {
      awsRequestId: randomUUID(),
      functionName: `env-migrator-${step}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    this.stats.invocations += 1;
    this.stats.invocationsByStep.set(step, (this.stats.invocationsByStep.get(step) ?? 0) + 1);
    const measuring = this.startMeasuring(step);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new LambdaError('Sandbox.Timedout', `Task timed out after ${timeoutMs / 1000}.00 seconds`)), timeoutMs);
      });
      const result = await Promise.race([handler(event, context), timedOut]);
      const fault = this.faults.find((f) => f.step === step && (f.when?.() ?? true) && ++f.seen > (f.skip ?? 0) && f.fired < (f.times ?? 1));
      if (fault) {
        fault.fired += 1;
        // The handler's calls took effect; the runtime died before the response left (a crash, an OOM kill).
        throw new LambdaError('Runtime.ExitError', 'RequestId: simulated Error: Runtime exited with error: signal: killed');
      }
      // Step Functions' 256 KiB limit on the result is the executor's to enforce (./data-limit.ts),
      // for every connector alike, and uncatchable as in AWS.
      return JSON.parse(JSON.stringify(result ?? null)) as unknown;
    } catch (err) {
      if (err instanceof LambdaError) throw err;
      const e = err instanceof Error ? err : new Error(String(err));
      throw new LambdaError(e.name || 'Error', e.message, e.stack);
    } finally {
      clearTimeout(timer);
      this.stopMeasuring(measuring);
      this.stats.durationMs.set(step, (this.stats.durationMs.get(step) ?? 0) + (Date.now() - started));
    }
  }
}
