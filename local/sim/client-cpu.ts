/**
 * The CPU a Lambda function's own client spends on each AWS request (the SDK building, signing and
 * parsing it), charged on the simulated clock. Latencies overlap (a copy keeps 64 requests in flight),
 * but the client work of one invocation does not: a Node.js handler runs its JavaScript on one thread
 * ("JavaScript execution in Node.js is single threaded", Node.js docs, "Overview of Blocking vs
 * Non-Blocking", Concurrency and Throughput:
 * https://nodejs.org/en/learn/asynchronous-work/overview-of-blocking-vs-non-blocking#concurrency-and-throughput),
 * so each invocation has one CPU lane, and its requests queue on it one after another.
 *
 * The lane runs at the function's CPU share: "Lambda allocates CPU power in proportion to the amount
 * of memory configured ... At 1,769 MB, a function has the equivalent of one vCPU (one vCPU-second of
 * credits per second)" (Lambda developer guide, "Configure Lambda function memory",
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html). share = min(1, memory ÷
 * 1,769 MB): above one vCPU the one thread is no faster. A request costing c ms of CPU at one vCPU
 * takes c ÷ share on the lane, and is sent to the account when its turn on the lane is over, so S3's
 * own latency (what the account records) is unchanged.
 *
 * Only calls made inside an invocation are charged (the executor's own calls, the baseline script and
 * seeding are not): the invoker runs each invocation with its lane (`withCpuLane`), an isolated one
 * passes it with each call it relays (../isolated-invocations.ts). The profile's figures are
 * bench/timing.json's `clientCpuMs` (measured by bench/client-cpu.ts); DEFAULT_TIMING and ZERO_TIMING
 * charge nothing.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { SimAccount } from './account';
import { type OpInput, type TimingProfile, sleep } from './core';

/** One invocation's CPU. */
export class CpuLane {
  /** Simulated epoch ms, fractional, until which the lane is busy (the fake clock itself counts whole ms). */
  private busyUntil = 0;
  /** CPU charged so far, in ms of the lane's time (÷ share), and the requests it was charged for. */
  chargedMs = 0;
  requests = 0;

  constructor(readonly memoryMb: number) {}

  /**
   * Reserves the lane for one request of `cpuMs` (at one vCPU) at `share`, from `now` or when the lane
   * is next free; returns the whole ms to wait before the request leaves. The lane keeps the exact
   * fractional end, so rounding each wait to the clock's whole ms never accumulates.
   */
  reserve(cpuMs: number, share: number, now: number): number {
    if (cpuMs <= 0) return 0;
    const cost = cpuMs / share;
    this.busyUntil = Math.max(now, this.busyUntil) + cost;
    this.chargedMs += cost;
    this.requests += 1;
    return Math.max(0, Math.round(this.busyUntil) - now);
  }
}

/** The CPU share of a function with `memoryMb` (one vCPU at `timing.fullVcpuMemoryMb`, never more). */
export function cpuShare(timing: Pick<TimingProfile, 'fullVcpuMemoryMb'>, memoryMb: number): number {
  return Math.min(1, memoryMb / timing.fullVcpuMemoryMb);
}

/** Client CPU of one call at one vCPU, in ms. */
export function clientCpuMsOf(timing: Pick<TimingProfile, 'clientCpuMs' | 'defaultClientCpuMs'>, service: string, operation: string): number {
  return timing.clientCpuMs[`${service}.${operation}`] ?? timing.defaultClientCpuMs;
}

const lanes = new AsyncLocalStorage<CpuLane>();

/** Runs `fn` (an invocation's handler) with its calls charged on `lane`. */
export function withCpuLane<T>(lane: CpuLane, fn: () => T): T {
  return lanes.run(lane, fn);
}

/**
 * A client's call to the account: first its CPU on the caller's lane (`lane`, or the invocation this
 * runs in), then the account's answer. Outside an invocation, or with no CPU in the profile, it is
 * `account.dispatch` itself, with no extra timer.
 */
export function dispatchFromClient(account: SimAccount, service: string, operation: string, input: OpInput, lane: CpuLane | undefined = lanes.getStore()): Promise<unknown> {
  // Not async: a call that costs no CPU reaches the account in the same tick as before the lane existed.
  if (!lane) return account.dispatch(service, operation, input);
  const timing = account.timing;
  const wait = lane.reserve(clientCpuMsOf(timing, service, operation), cpuShare(timing, lane.memoryMb), Date.now());
  return wait > 0 ? sleep(wait).then(() => account.dispatch(service, operation, input)) : account.dispatch(service, operation, input);
}
