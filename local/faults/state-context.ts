/**
 * Which Task state is running, for everything it calls. The local executor runs each Task state's
 * handler inside `runningState.run(...)`; AsyncLocalStorage carries that through every await, so a
 * fault armed for one state (an AWS error, throttling, a crash, a slow operation) fires for the
 * calls of that state only, even while other states run concurrently (Map iterations, a Clone
 * execution under its Migrate task). Nothing here changes what a step does: it only tells the
 * fault injector where a call comes from.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RunningState {
  /** State machine name as deployed (MigrateXXXX, CloneXXXX). */
  machine: string;
  /** Execution name: Migrate's own, or `<runId>-c1` / `<runId>-c2` for the clones. */
  executionName: string;
  state: string;
  /** 1 for the state's first invocation in this execution, 2 for its second (a retry or a loop)... */
  invocation: number;
}

export const runningState = new AsyncLocalStorage<RunningState>();

/** Called just before a Task state's handler runs (inside its context): a test may act on the account then. */
export const taskHooks: { beforeTask?: (state: RunningState) => void | Promise<void> } = {};

const invocations = new WeakMap<object, Map<string, number>>();

/** Wraps a Task state's handler so that everything it calls runs in the state's context. */
export function inStateContext<I, O>(execution: object, machine: string, executionName: string, state: string, handler: (input: I) => Promise<O>): (input: I) => Promise<O> {
  return (input) => {
    let counts = invocations.get(execution);
    if (!counts) invocations.set(execution, (counts = new Map()));
    const invocation = (counts.get(state) ?? 0) + 1;
    counts.set(state, invocation);
    const context: RunningState = { machine, executionName, state, invocation };
    return runningState.run(context, async () => {
      await taskHooks.beforeTask?.(context);
      return handler(input);
    });
  };
}
