import type { WaitInput, WaitState } from './contracts';
import { WaitTimedOut } from './errors';

/**
 * Backoff of one wait loop, tuned to the operation's expected duration: the first check comes right
 * after the operation starts; the next one after `initialDelaySeconds`, about the time the operation
 * usually takes at the least, so the checks cluster around its end instead of its start; then
 * `firstDelaySeconds`, growing by `factor` up to `maxDelaySeconds`. Each check costs three state
 * transitions (Wait, Task, Choice), and the time between the operation's end and the check that
 * sees it is downtime: the delays near the end are what both trade.
 */
export interface Backoff {
  initialDelaySeconds?: number;
  firstDelaySeconds: number;
  factor: number;
  maxDelaySeconds: number;
}

/**
 * Expected durations (bench/README.md, "Timing model", gives the sources and `npm run bench` the
 * effect): instances leave the load balancer after its deregistration delay, 300 s by default; a
 * manual snapshot takes minutes (about 9 for 100 GB); a stack whose database is restored from a
 * snapshot takes 15 to 25 minutes; deleting one with a database about 10. A shorter operation is
 * seen at most `initialDelaySeconds` late; a longer one costs a few more checks.
 */
export const BACKOFF = {
  standby: { initialDelaySeconds: 240, firstDelaySeconds: 20, factor: 1.2, maxDelaySeconds: 30 },
  // Short: from the second check on, RDS's PercentProgress gives the estimate (snapshot-status).
  snapshot: { initialDelaySeconds: 60, firstDelaySeconds: 30, factor: 1.2, maxDelaySeconds: 60 },
  // The second clone's creation follows the first one's duration instead (stack-status, precedent).
  stackCreate: { initialDelaySeconds: 900, firstDelaySeconds: 30, factor: 1.2, maxDelaySeconds: 60 },
  stackDelete: { initialDelaySeconds: 480, firstDelaySeconds: 20, factor: 1.2, maxDelaySeconds: 30 },
  // The new environment is usually serving by the time its stack is complete.
  smokeTest: { firstDelaySeconds: 5, factor: 1.5, maxDelaySeconds: 30 },
  // A Route 53 record change: "Changes generally propagate to all Route 53 name servers within 60
  // seconds" (Route 53 Developer Guide, "Editing records"); GetChange says INSYNC once they have.
  recordChange: { initialDelaySeconds: 30, firstDelaySeconds: 10, factor: 1.5, maxDelaySeconds: 20 },
} as const satisfies Record<string, Backoff>;

/** Seconds added to a status step's estimate of the time left, so the next check lands just after the end. */
const ESTIMATE_MARGIN_SECONDS = 2;
/** Bounds of a delay taken from an estimate: never a check storm, never a wildly late look. */
const MIN_ESTIMATED_DELAY_SECONDS = 10;
const MAX_ESTIMATED_DELAY_SECONDS = 600;
/**
 * Checks at the shortest estimated delay in a row after which estimates are ignored for the rest of
 * the wait: a progress figure that stops moving just short of the end (RDS may report a snapshot
 * near 100 % while it is still `creating`) would otherwise be checked every few seconds.
 */
const MAX_NEAR_END_CHECKS = 3;

/**
 * One tick of a wait loop, called by every status step. Returns the wait state to carry to the next
 * check (with the delay the state machine's Wait state should sleep), or throws WaitTimedOut once
 * the elapsed time exceeds the timeout. `done` is true when this check found the operation finished:
 * a finished operation is never reported as timed out. A step that can tell the least time the
 * operation still needs (RDS reports a snapshot's PercentProgress) passes `estimatedRemainingSeconds`:
 * the next check is then right after that (10 s at the least, 10 min at the most), instead of on the
 * backoff schedule; an estimate that keeps saying "any moment now" is dropped after three checks.
 */
export function advanceWait(
  event: WaitInput,
  label: string,
  backoff: Backoff,
  done: boolean,
  now: Date = new Date(),
  estimatedRemainingSeconds?: number,
): WaitState {
  const startedAt = event.wait?.startedAt ?? now.toISOString();
  const elapsedSeconds = Math.max(0, Math.round((now.getTime() - Date.parse(startedAt)) / 1000));
  const attempt = (event.wait?.attempt ?? 0) + 1;
  if (!done && elapsedSeconds >= event.timeoutSeconds) {
    throw new WaitTimedOut(label, elapsedSeconds, event.timeoutSeconds);
  }
  const remaining = Math.max(1, event.timeoutSeconds - elapsedSeconds);
  const initial = backoff.initialDelaySeconds;
  const delay =
    initial !== undefined && attempt === 1
      ? initial
      : Math.min(backoff.firstDelaySeconds * Math.pow(backoff.factor, attempt - (initial !== undefined ? 2 : 1)), backoff.maxDelaySeconds);
  const nearEnd = event.wait?.nearEndChecks ?? 0;
  const estimated =
    estimatedRemainingSeconds !== undefined && Number.isFinite(estimatedRemainingSeconds) && estimatedRemainingSeconds >= 0 && nearEnd < MAX_NEAR_END_CHECKS
      ? Math.min(Math.max(estimatedRemainingSeconds + ESTIMATE_MARGIN_SECONDS, MIN_ESTIMATED_DELAY_SECONDS), MAX_ESTIMATED_DELAY_SECONDS)
      : undefined;
  const nearEndChecks = estimated === undefined ? nearEnd : estimated <= MIN_ESTIMATED_DELAY_SECONDS ? nearEnd + 1 : 0;
  const nextDelaySeconds = Math.max(1, Math.min(Math.round(estimated ?? delay), remaining));
  return {
    label,
    startedAt,
    timeoutSeconds: event.timeoutSeconds,
    elapsedSeconds,
    nextDelaySeconds,
    attempt,
    ...(nearEndChecks > 0 ? { nearEndChecks } : {}),
  };
}
