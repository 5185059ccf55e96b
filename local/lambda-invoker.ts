/**
 * Invokes a step's real handler in-process the way Lambda would: the payload goes through JSON both
 * ways, the handler gets a context whose remaining time counts down on the (simulated) clock, a
 * handler that outlives its timeout is cut off with Sandbox.Timedout, and an error reaches Step
 * Functions as Lambda reports it (Error = the error's name, Cause = {"errorType","errorMessage",...}).
 */
import { randomUUID } from 'node:crypto';
import type { StepName } from '../lambdas/steps';
import { STEP_NAMES } from '../lambdas/steps';
import { type IsolationOptions, IsolatedInvocations } from './isolated-invocations';
import { CpuLane, withCpuLane } from './sim/client-cpu';

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
  /**
   * Highest V8 heap any one invocation of the step held, in bytes: only for invocations run in a
   * worker thread of their own (`isolate`), where the heap is the handler's alone.
   */
  peakHeapBytes: Map<StepName, number>;
  /** Invocations that outgrew their function's memory and were killed (isolated only). */
  killedByMemory: Map<StepName, number>;
}

/** The in-thread handler of a step not loaded here: an isolated invocation loads it in its worker instead. */
const unloaded: Handler = () => Promise.reject(new LambdaError('Lambda.ResourceNotFoundException', 'Function is not loaded in this thread'));

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
  readonly stats: InvocationStats = { invocations: 0, durationMs: new Map(), invocationsByStep: new Map(), peakHeapBytes: new Map(), killedByMemory: new Map() };
  /** Steps whose handler `register` replaced: those always run in this thread. */
  private readonly registered = new Set<StepName>();
  private isolated: IsolatedInvocations | undefined;

  constructor(
    private readonly timeouts: Map<StepName, number>,
    private readonly coldStartMs: number,
    /** Step → memory size in MB, as the construct configures it. */
    readonly memorySizes: Map<StepName, number> = new Map(),
  ) {}

  /**
   * Runs each invocation from now on in a worker thread of its own (./isolated-invocations.ts): a V8
   * heap limited to the function's memory setting, whose peak is the handler's alone (stats.peakHeapBytes),
   * however much the simulated account holds in this thread. Slower (a worker per warm environment,
   * each AWS call crosses threads): for the benchmark. Call `dispose` at the end.
   */
  isolate(options: IsolationOptions): void {
    this.isolated = new IsolatedInvocations(options);
  }

  /** Stops the worker threads `isolate` started. */
  async dispose(): Promise<void> {
    await this.isolated?.dispose();
    this.isolated = undefined;
  }

  /** Answers a step with this handler instead of the one `load` imports (tools, tests). */
  register(step: StepName, handler: Handler): void {
    this.handlers.set(step, handler);
    this.registered.add(step);
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

  /**
   * The handler's answer: in this thread, or in the step's worker when isolated (recording its heap).
   * Either way its AWS calls are charged their client CPU on the invocation's own lane (./sim/client-cpu.ts).
   */
  private async run(step: StepName, handler: Handler, event: unknown, context: LambdaContext, deadline: number): Promise<unknown> {
    const memoryMb = this.memorySizes.get(step) ?? 128;
    const lane = new CpuLane(memoryMb);
    if (!this.isolated || this.registered.has(step)) return withCpuLane(lane, () => handler(event, context));
    const outcome = await this.isolated.invoke({ step, event, deadline, requestId: context.awsRequestId, functionName: context.functionName, memoryMb, lane });
    const peak = outcome.heap?.peakBytes ?? (outcome.ok ? 0 : outcome.killed ? memoryMb * 1024 * 1024 : 0);
    this.stats.peakHeapBytes.set(step, Math.max(this.stats.peakHeapBytes.get(step) ?? 0, peak));
    if (outcome.ok) return outcome.value;
    if (outcome.killed) this.stats.killedByMemory.set(step, (this.stats.killedByMemory.get(step) ?? 0) + 1);
    throw new LambdaError(outcome.error.name, outcome.error.message, outcome.error.stack);
  }

  async invoke(step: StepName, payload: unknown): Promise<unknown> {
    const handler = this.handlers.get(step) ?? (this.isolated ? unloaded : undefined);
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
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new LambdaError('Sandbox.Timedout', `Task timed out after ${timeoutMs / 1000}.00 seconds`)), timeoutMs);
      });
      const result = await Promise.race([this.run(step, handler, event, context, deadline), timedOut]).catch(async (err: unknown) => {
        if (err instanceof LambdaError && err.name === 'Sandbox.Timedout') await this.isolated?.stop(context.awsRequestId);
        throw err;
      });
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
      this.stats.durationMs.set(step, (this.stats.durationMs.get(step) ?? 0) + (Date.now() - started));
    }
  }
}
