/**
 * Runs a step's invocations in worker threads (./lambda-worker.ts), one warm worker per concurrent
 * invocation of a step as Lambda keeps one execution environment per concurrent request. Each worker
 * has a V8 heap of its own, its old generation limited to the function's memory setting: the heap it
 * reports is the handler's alone (the simulated account lives here, on the main thread), and a
 * handler that outgrows its memory dies the way Lambda kills it (Runtime.ExitError, signal: killed).
 *
 * This side answers the worker's AWS calls and fetches from the simulated account, sets its timers on
 * the simulated clock, and holds that clock (./clock.ts holdClockFor) while a worker computes.
 */
import { Worker } from 'node:worker_threads';
import type { StepName } from '../lambdas/steps';
import { holdClockFor } from './clock';
import { type CpuLane, dispatchFromClient } from './sim/client-cpu';
import type { SimAccount } from './sim/account';
import { type FromWorker, type HeapFigures, type ToWorker, type WireError, type WireResponse, type WorkerSetup, headerPairs, KILLED_EXIT_CODE, toWire } from './worker-protocol';

export interface IsolationOptions {
  account: SimAccount;
  /** Route S3 calls around the SDK's middleware stack in the workers as the benchmark does here. */
  shortcutS3?: boolean;
  /** A module other than the step's own handler (tests). */
  modules?: Partial<Record<StepName, string>>;
}

export interface IsolatedRequest {
  step: StepName;
  event: unknown;
  /** Simulated time at which Lambda would cut the invocation off (the caller enforces it). */
  deadline: number;
  requestId: string;
  functionName: string;
  memoryMb: number;
  /** The invocation's CPU lane: each AWS call the worker relays is charged its client CPU on it first. */
  lane: CpuLane;
}

export type IsolatedOutcome = { ok: true; value: unknown; heap: HeapFigures } | { ok: false; error: WireError; heap?: HeapFigures; killed?: boolean };

const WORKER_ENTRY = new URL('./lambda-worker.ts', import.meta.url);

/** One execution environment of a step. */
class Environment {
  private seq = 0;
  private idleSeq = 0;
  private running: ((outcome: IsolatedOutcome) => void) | undefined;
  private lane: CpuLane | undefined;
  private readonly timers = new Map<number, ReturnType<typeof setTimeout>>();
  private idleWaiters: (() => void)[] = [];
  private readonly releaseClock: () => void;
  dead = false;

  constructor(
    private readonly worker: Worker,
    private readonly account: SimAccount,
  ) {
    this.releaseClock = holdClockFor({ busy: () => this.busy(), settled: () => this.settled() });
    worker.on('message', (m: FromWorker) => void this.onMessage(m));
    worker.on('error', (err: Error & { code?: string }) => this.die(err));
    worker.on('exit', (code) =>
      this.die(code === KILLED_EXIT_CODE ? Object.assign(new Error('its heap outgrew the memory setting'), { code: 'ERR_WORKER_OUT_OF_MEMORY' }) : new Error(`The execution environment exited with code ${code}`)),
    );
  }

  /** Running and not yet reported idle after the last message sent to it. */
  busy(): boolean {
    return !this.dead && this.running !== undefined && this.idleSeq < this.seq;
  }

  private settled(): Promise<void> {
    if (!this.busy()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private wakeWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private send(message: DistributiveOmit<ToWorker, 'seq' | 'now'>): void {
    if (this.dead) return;
    this.seq += 1;
    this.worker.postMessage({ ...message, seq: this.seq, now: Date.now() } as ToWorker);
  }

  invoke(request: IsolatedRequest): Promise<IsolatedOutcome> {
    return new Promise((resolve) => {
      this.running = resolve;
      this.lane = request.lane;
      this.send({ kind: 'invoke', event: request.event, deadline: request.deadline, requestId: request.requestId, functionName: request.functionName });
    });
  }

  private finish(outcome: IsolatedOutcome): void {
    const done = this.running;
    this.running = undefined;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.wakeWaiters();
    done?.(outcome);
  }

  private async onMessage(m: FromWorker): Promise<void> {
    switch (m.kind) {
      case 'idle':
        this.idleSeq = Math.max(this.idleSeq, m.seq);
        if (!this.busy()) this.wakeWaiters();
        return;
      case 'done':
        this.finish(m.ok ? { ok: true, value: m.value, heap: m.heap } : { ok: false, error: m.error, heap: m.heap });
        return;
      case 'sleep':
        this.timers.set(
          m.id,
          setTimeout(() => {
            this.timers.delete(m.id);
            this.send({ kind: 'wake', id: m.id });
          }, m.ms),
        );
        return;
      case 'clear':
        clearTimeout(this.timers.get(m.id));
        this.timers.delete(m.id);
        return;
      case 'call':
        try {
          const output = (await dispatchFromClient(this.account, m.service, m.operation, m.input as Record<string, unknown>, this.lane)) as Record<string, unknown> | undefined;
          this.send({ kind: 'answer', id: m.id, ok: true, value: await cloneable(output) });
        } catch (err) {
          this.send({ kind: 'answer', id: m.id, ok: false, error: toWire(err) });
        }
        return;
      case 'fetch':
        try {
          const response = await fetch(m.url, { method: m.method, headers: m.headers, ...(m.body ? { body: Buffer.from(m.body) } : {}) });
          const answer: WireResponse = { status: response.status, statusText: response.statusText, headers: headerPairs(response.headers), body: new Uint8Array(await response.arrayBuffer()) };
          this.send({ kind: 'answer', id: m.id, ok: true, value: answer });
        } catch (err) {
          this.send({ kind: 'answer', id: m.id, ok: false, error: toWire(err) });
        }
        return;
    }
  }

  /** The worker died: out of memory (its heap limit is the function's memory) or crashed. */
  private die(err: Error & { code?: string }): void {
    if (this.dead) return;
    this.dead = true;
    this.releaseClock();
    const killed = err.code === 'ERR_WORKER_OUT_OF_MEMORY';
    this.finish({ ok: false, killed, error: { name: 'Runtime.ExitError', message: `RequestId: local Error: Runtime exited with error: signal: killed (${err.message})`, fields: {} } });
  }

  async terminate(): Promise<void> {
    this.dead = true;
    this.releaseClock();
    this.finish({ ok: false, error: { name: 'Runtime.ExitError', message: 'The execution environment was stopped', fields: {} } });
    await this.worker.terminate();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An SDK output as it can cross to the worker: a GetObject body as its bytes. */
async function cloneable(output: Record<string, unknown> | undefined): Promise<Record<string, unknown> | undefined> {
  const body = output?.Body as { transformToByteArray?: () => Promise<Uint8Array> } | undefined;
  if (output && body && typeof body.transformToByteArray === 'function') return { ...output, Body: await body.transformToByteArray() };
  return output;
}

/** The warm execution environments of every step, started on demand. */
export class IsolatedInvocations {
  private readonly idle = new Map<StepName, Environment[]>();
  private readonly all = new Set<Environment>();
  private readonly running = new Map<string, Environment>();

  constructor(private readonly options: IsolationOptions) {}

  async invoke(request: IsolatedRequest): Promise<IsolatedOutcome> {
    const environment = this.idle.get(request.step)?.pop() ?? this.start(request);
    this.running.set(request.requestId, environment);
    const outcome = await environment.invoke(request).finally(() => this.running.delete(request.requestId));
    if (environment.dead) this.all.delete(environment);
    else (this.idle.get(request.step) ?? this.idle.set(request.step, []).get(request.step)!).push(environment);
    return outcome;
  }

  /** Stops the environment running `requestId` (timed out: Lambda does not reuse it). */
  async stop(requestId: string): Promise<void> {
    const environment = this.running.get(requestId);
    if (!environment) return;
    this.all.delete(environment);
    await environment.terminate();
  }

  private start(request: IsolatedRequest): Environment {
    const setup: WorkerSetup = {
      step: request.step,
      modulePath: this.options.modules?.[request.step] ?? new URL(`../lambdas/${request.step}/handler.ts`, import.meta.url).href,
      region: this.options.account.region,
      now: Date.now(),
      shortcutS3: this.options.shortcutS3 ?? false,
      memoryMb: request.memoryMb,
    };
    const worker = new Worker(WORKER_ENTRY, {
      workerData: setup,
      // TypeScript through tsx, as the npm scripts run it. The heap's limit is the function's memory
      // (unless NODE_OPTIONS sets --max-old-space-size, which wins: the worker enforces it too).
      execArgv: ['--import', 'tsx'],
      resourceLimits: { maxOldGenerationSizeMb: request.memoryMb },
      env: { ...process.env },
      stdout: false,
      stderr: false,
    });
    const environment = new Environment(worker, this.options.account);
    this.all.add(environment);
    return environment;
  }

  /** Stops every environment (the end of a run). */
  async dispose(): Promise<void> {
    const all = [...this.all];
    this.all.clear();
    this.idle.clear();
    await Promise.all(all.map((e) => e.terminate()));
  }
}
