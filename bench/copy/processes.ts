/**
 * The benchmark's child processes: the endpoint (bench/copy/endpoint.ts) and the copy step's runner
 * (bench/copy/copy-step-child.ts), each a Node.js process of its own started with tsx's loader, so
 * that neither shares the other's CPU time or event loop. Used by `npm run bench:copy` and by
 * test/bench-copy.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { STEP_NODE_OPTIONS } from '../../lambdas/steps';
import type { EndpointStats } from './endpoint';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `node --import tsx <file>`: with the running Node.js, from the repository (where tsx resolves). */
export function spawnTs(file: string, args: string[], env: NodeJS.ProcessEnv, stdin: 'ignore' | 'pipe' = 'ignore'): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, file), ...args], { cwd: REPO_ROOT, env, stdio: [stdin, 'pipe', 'pipe'] });
}

/** Resolves with the first stdout line of `child` that parses as JSON and passes `accept`; rejects when the child ends first. */
export function jsonLine<T>(child: ChildProcess, accept: (value: Record<string, unknown>) => boolean, stderr: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    let done = false;
    lines.on('line', (line) => {
      if (done || !line.startsWith('{')) return;
      try {
        const value = JSON.parse(line) as Record<string, unknown>;
        if (accept(value)) {
          done = true;
          resolve(value as T);
        }
      } catch {
        // Not ours (a log line of the handler).
      }
    });
    // 'close', not 'exit': the line may still be in the pipe when the process has exited.
    child.once('close', (code, signal) => {
      if (!done) reject(new Error(`${String(child.spawnargs.slice(-1))} exited (${code ?? signal}) before answering: ${stderr.join('').slice(-2000)}`));
    });
  });
}

/** The endpoint process and its control path. */
export interface EndpointProcess {
  url: string;
  port: number;
  seed(bucket: string, count: number, bytes: number, prefix?: string): Promise<void>;
  clear(bucket: string): Promise<void>;
  resetStats(): Promise<void>;
  stats(): Promise<EndpointStats>;
  stop(): Promise<void>;
}

/**
 * Starts bench/copy/endpoint.ts with `latencyMs` per request (and `holdCopies`: see BenchEndpoint);
 * resolves once it listens.
 */
export async function startEndpoint(latencyMs: number, holdCopies = 0): Promise<EndpointProcess> {
  const child = spawnTs('bench/copy/endpoint.ts', ['--latency-ms', String(latencyMs), '--hold-copies', String(holdCopies)], process.env);
  const stderr: string[] = [];
  // Refused operations are logged there; kept for a failure's message, and passed on.
  child.stderr?.on('data', (c: Buffer) => {
    stderr.push(c.toString());
    if (stderr.length > 200) stderr.shift();
  });
  const { port } = await jsonLine<{ port: number }>(child, (v) => typeof v.port === 'number', stderr);
  const url = `http://127.0.0.1:${port}`;
  const control = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}/__bench/${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
    const text = await res.text();
    if (!res.ok) throw new Error(`endpoint ${method} /__bench/${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
  return {
    url,
    port,
    seed: async (bucket, count, bytes, prefix = 'data/') => void (await control('POST', 'seed', { bucket, count, bytes, prefix })),
    clear: async (bucket) => void (await control('POST', 'clear', { bucket })),
    resetStats: async () => void (await control('POST', 'reset-stats', {})),
    stats: () => control<EndpointStats>('GET', 'stats'),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** What the copy step's runner prints (one JSON line) after copying one bucket pair. */
export interface CopyStepRun {
  benchCopyStep: true;
  /** Wall time of the handler calls, ms. */
  ms: number;
  /** process.cpuUsage() (user + system) over the handler calls, ms. */
  cpuMs: number;
  invocations: number;
  objectsCopied: number;
  objectsSkipped: number;
  /** Requests the copy counted itself (CopyTotals.requests). */
  requests: number;
  status: string;
}

export interface CopyStepOptions {
  source: string;
  destination: string;
  /** COPY_CONCURRENCY; undefined: the handler's default. */
  concurrency?: number;
  /** A bucket pair copied once before the measured copy (JIT, SDK client set-up): a warm Lambda. */
  warmUp?: { source: string; destination: string };
}

/** A copy step's runner started ahead: `run` tells it the endpoint and waits for its line; `cancel` ends it unused. */
export interface PreparedCopyStep {
  run(endpoint: string): Promise<CopyStepRun>;
  cancel(): void;
}

/**
 * Starts the real copy-bucket handler's runner (bench/copy/copy-step-child.ts) in a child process,
 * which loads the SDK while the caller starts the endpoint; `run(endpoint)` then copies the pair as
 * the Clone machine calls the handler, and rejects when the child fails.
 */
export function prepareCopyStep(options: CopyStepOptions): PreparedCopyStep {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_EC2_METADATA_DISABLED: 'true',
    LOCK_TABLE: 'bench-locks',
    // The Node.js options the deployed function runs with (lambdas/steps.ts).
    NODE_OPTIONS: STEP_NODE_OPTIONS,
    BENCH_COPY_SOURCE: options.source,
    BENCH_COPY_DESTINATION: options.destination,
    ...(options.warmUp ? { BENCH_COPY_WARM_SOURCE: options.warmUp.source, BENCH_COPY_WARM_DESTINATION: options.warmUp.destination } : {}),
  };
  // Never inherited: the handler's default unless the run asks for another; the endpoint comes on stdin.
  delete env.COPY_CONCURRENCY;
  delete env.AWS_PROFILE;
  delete env.AWS_ENDPOINT_URL;
  if (options.concurrency !== undefined) env.COPY_CONCURRENCY = String(options.concurrency);
  const child = spawnTs('bench/copy/copy-step-child.ts', [], env, 'pipe');
  const stderr: string[] = [];
  child.stderr?.on('data', (c: Buffer) => stderr.push(c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const result = jsonLine<CopyStepRun>(child, (v) => v.benchCopyStep === true, stderr);
  // Read by run; a runner cancelled unused must not be an unhandled rejection.
  result.catch(() => undefined);
  return {
    run: async (endpoint) => {
      child.stdin?.end(`${JSON.stringify({ AWS_ENDPOINT_URL: endpoint })}\n`);
      const line = await result;
      const code = await exited;
      if (code !== 0) throw new Error(`the copy step's runner exited ${code}: ${stderr.join('').slice(-2000)}`);
      return line;
    },
    cancel: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}

/** prepareCopyStep and run at once, against a running endpoint. */
export function runCopyStep(options: CopyStepOptions & { endpoint: string }): Promise<CopyStepRun> {
  return prepareCopyStep(options).run(options.endpoint);
}
