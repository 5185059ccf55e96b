/**
 * The names of the states of a cancel check (building-blocks.ts cancelPoint), `<prefix> (<the state
 * it guards>)`. Kept apart, without imports, so that the progress lines of `watch` (in the packaged
 * CLI, which has no aws-cdk-lib) can tell them from the workflow's own steps.
 */
export const CANCEL_STATE_PREFIXES = {
  /** Choice: Clone only, whether its caller gave a lock to read (a Clone run alone has none). */
  applies: 'Can it be cancelled? (',
  /** Task: the consistent GetItem of the lock. */
  read: 'Read any cancel request (',
  /** Choice: the item carries a request. */
  requested: 'Cancel requested? (',
  /** Choice: the lock is still this execution's. */
  ours: 'Cancel request ours? (',
  /** Pass: a request found (by a safe point, or by a loop's step), its text kept for the state it leads to. */
  take: 'Take the cancel request (',
} as const;

/** Whether a state belongs to a cancel check: printed only when it finds a request, never on each loop. */
export function isCancelCheckState(name: string | undefined): boolean {
  return name !== undefined && Object.values(CANCEL_STATE_PREFIXES).some((p) => name.startsWith(p));
}
