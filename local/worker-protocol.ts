/**
 * The messages between the local Lambda invoker and a step's handler running in a worker thread
 * (./isolated-invocations.ts on the main thread, ./lambda-worker.ts in the worker). The worker has
 * its own V8 heap, so the heap it reports is the handler's alone, never the simulated account's.
 *
 * Every message to the worker carries `seq` (so the main thread knows which of its messages the
 * worker has finished handling) and `now` (the simulated clock, which the worker's Date shows).
 */
import type { StepName } from '../lambdas/steps';

/** An error crossing the thread boundary: its name, message and own fields ($fault, $metadata...). */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  fields: Record<string, unknown>;
}

export type ToWorker =
  | { kind: 'invoke'; seq: number; now: number; event: unknown; deadline: number; requestId: string; functionName: string }
  | { kind: 'answer'; seq: number; now: number; id: number; ok: true; value: unknown }
  | { kind: 'answer'; seq: number; now: number; id: number; ok: false; error: WireError }
  | { kind: 'wake'; seq: number; now: number; id: number };

/** A fetch's answer, as bytes (a Response cannot cross threads). */
export interface WireResponse {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: Uint8Array;
}

export type FromWorker =
  /** An AWS call for the simulated account (what the SDK middleware would have sent). */
  | { kind: 'call'; id: number; service: string; operation: string; input: unknown }
  | { kind: 'fetch'; id: number; url: string; method: string; headers: [string, string][]; body?: Uint8Array }
  /** A timer on the simulated clock, and its cancellation. */
  | { kind: 'sleep'; id: number; ms: number }
  | { kind: 'clear'; id: number }
  /** The invocation's end, with the worker heap's peak during it (bytes, after collecting garbage when it mattered). */
  | { kind: 'done'; ok: true; value: unknown; heap: HeapFigures }
  | { kind: 'done'; ok: false; error: WireError; heap: HeapFigures }
  /** Nothing is running in the worker any more but what waits for the main thread, after message `seq`. */
  | { kind: 'idle'; seq: number };

export interface HeapFigures {
  /** Highest V8 heap in use during the invocation: the handler's modules, the SDK and what the invocation holds. */
  peakBytes: number;
  /** Heap in use at the invocation's start, after a full collection (what the warm function holds anyway). */
  startBytes: number;
}

/** What the worker is started with. */
export interface WorkerSetup {
  step: StepName;
  /** The module whose `handler` is the step (the step's own, or a test's). */
  modulePath: string;
  region: string;
  now: number;
  /** Route S3 calls around the SDK's middleware stack as the benchmark does (bench/fast-s3.ts). */
  shortcutS3: boolean;
  /** The function's memory setting: what the heap may hold before the environment is killed. */
  memoryMb: number;
}

/** The exit code of an environment killed for outgrowing its memory (128 + SIGKILL, as a killed process exits). */
export const KILLED_EXIT_CODE = 137;

/** An error as it crosses to the other thread: structured clone keeps only an Error's name and message. */
export function toWire(err: unknown): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err), fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(err)) if (k !== 'name' && k !== 'message' && k !== 'stack') fields[k] = v;
  return { name: err.name, message: err.message, stack: err.stack, fields };
}

/** The error again, with its fields: the SDK's retry reads `$metadata` and `$fault`, steps read `name`. */
export function fromWire(wire: WireError): Error {
  const err = wire.name === 'TypeError' ? new TypeError(wire.message) : new Error(wire.message);
  Object.assign(err, wire.fields);
  err.name = wire.name;
  if (wire.stack) err.stack = wire.stack;
  return err;
}

/** A Headers object's pairs (its iterator is not in this project's TypeScript library). */
export function headerPairs(headers: Headers): [string, string][] {
  const pairs: [string, string][] = [];
  headers.forEach((value, name) => pairs.push([name, value]));
  return pairs;
}
