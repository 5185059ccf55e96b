import type { WaitInput, WaitState } from './contracts';
import { WaitTimedOut } from './errors';

/** Backoff of one wait loop: first delay, growth factor and cap, tuned to the operation's duration. */
export interface Backoff {
  firstDelaySeconds: number;
  factor: number;
  maxDelaySeconds: number;
}

export const BACKOFF = {
  snapshot: { firstDelaySeconds: 30, factor: 1.5, maxDelaySeconds: 120 },
  stackCreate: { firstDelaySeconds: 20, factor: 1.5, maxDelaySeconds: 60 },
  stackDelete: { firstDelaySeconds: 20, factor: 1.5, maxDelaySeconds: 60 },
  standby: { firstDelaySeconds: 5, factor: 1.5, maxDelaySeconds: 20 },
  smokeTest: { firstDelaySeconds: 5, factor: 1.5, maxDelaySeconds: 30 },
} as const satisfies Record<string, Backoff>;

/**
 * One tick of a wait loop, called by every status step. Returns the wait state to carry to the next
 * check (with the delay the state machine's Wait state should sleep), or throws WaitTimedOut once
 * the elapsed time exceeds the timeout. `done` is true when this check found the operation finished:
 * a finished operation is never reported as timed out.
 */
export function advanceWait(event: WaitInput, label: string, backoff: Backoff, done: boolean, now: Date = new Date()): WaitState {
  const startedAt = event.wait?.startedAt ?? now.toISOString();
  const elapsedSeconds = Math.max(0, Math.round((now.getTime() - Date.parse(startedAt)) / 1000));
  const attempt = (event.wait?.attempt ?? 0) + 1;
  if (!done && elapsedSeconds >= event.timeoutSeconds) {
    throw new WaitTimedOut(label, elapsedSeconds, event.timeoutSeconds);
  }
  const grown = backoff.firstDelaySeconds * Math.pow(backoff.factor, attempt - 1);
  const remaining = Math.max(1, event.timeoutSeconds - elapsedSeconds);
  const nextDelaySeconds = Math.max(1, Math.min(Math.round(grown), backoff.maxDelaySeconds, remaining));
  return { label, startedAt, timeoutSeconds: event.timeoutSeconds, elapsedSeconds, nextDelaySeconds, attempt };
}
