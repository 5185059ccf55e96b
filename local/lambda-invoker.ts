/**
 * Invokes a step's real handler in-process the way Lambda would: the payload goes through JSON both
 * ways, the handler gets a context whose remaining time counts down on the (simulated) clock, a
 * handler that outlives its timeout is cut off with Sandbox.Timedout, and an error reaches Step
 * Functions as Lambda reports it (Error = the error's name, Cause = {"errorType","errorMessage",...}).
 */
import { randomUUID } from 'node:crypto';
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
  readonly stats: InvocationStats = { invocations: 0, durationMs: new Map(), invocationsByStep: new Map() };

  constructor(
    private readonly timeouts: Map<StepName, number>,
    private readonly coldStartMs: number,
  ) {}

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
      this.stats.durationMs.set(step, (this.stats.durationMs.get(step) ?? 0) + (Date.now() - started));
    }
  }
}
