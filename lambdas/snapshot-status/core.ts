import type { DBSnapshot, RDSClient } from '@aws-sdk/client-rds';
import type { SnapshotStatusEvent, SnapshotStatusResult } from '../shared/contracts';
import { describeSnapshot } from '../shared/snapshots';
import { advanceWait, BACKOFF } from '../shared/wait';

/** Snapshot statuses from which a snapshot never becomes available. */
export function isFailedSnapshotStatus(status: string): boolean {
  return status === 'failed' || status === 'deleted' || status === 'deleting' || status.startsWith('incompatible-');
}

/**
 * Snapshot ready? — the check of the wait loop after snapshot. READY when every snapshot is
 * `available`; FAILED (with the reason: each failed snapshot and its status) as soon as one can no
 * longer become available, including one that disappeared; PENDING otherwise. A FAILED check is
 * never turned into a timeout. While PENDING, `progress.percent` is the least PercentProgress of the
 * snapshots still creating, for the people watching. Throws WaitTimedOut (from advanceWait) past the timeout.
 */
export async function snapshotStatus(rds: RDSClient, event: SnapshotStatusEvent, now: Date = new Date()): Promise<SnapshotStatusResult> {
  const failed: string[] = [];
  let pending = 0;
  // The least time until every pending snapshot is available; undefined when one gives no estimate.
  let leastRemaining: number | undefined = 0;
  // For the heartbeat of watch and the rehearsal: the slowest snapshot's progress.
  let leastPercent: number | undefined;
  const waitStartedAt = event.wait ? new Date(event.wait.startedAt) : now;
  for (const s of event.snapshots) {
    const found = await describeSnapshot(rds, s.snapshotIdentifier);
    const status = found ? (found.Status ?? 'unknown') : 'not found';
    if (!found) failed.push(`${s.snapshotIdentifier} (of ${s.logicalId}) no longer exists`);
    else if (isFailedSnapshotStatus(status)) failed.push(`${s.snapshotIdentifier} (of ${s.logicalId}) is ${status}`);
    // RDS says which instance a snapshot is of: a snapshot handed to Clone must be of that database.
    else if (found.DBInstanceIdentifier !== undefined && found.DBInstanceIdentifier.toLowerCase() !== s.dbInstanceIdentifier.toLowerCase()) {
      failed.push(`${s.snapshotIdentifier} is a snapshot of ${found.DBInstanceIdentifier}, not of ${s.dbInstanceIdentifier} (${s.logicalId})`);
    } else if (status !== 'available') {
      pending++;
      if (found.PercentProgress !== undefined && Number.isFinite(found.PercentProgress)) leastPercent = Math.min(leastPercent ?? 100, found.PercentProgress);
      const least = leastRemainingSeconds(found, waitStartedAt, now);
      leastRemaining = least === undefined || leastRemaining === undefined ? undefined : Math.max(leastRemaining, least);
    }
  }

  const ids = event.snapshots.map((s) => s.snapshotIdentifier);
  const label = `snapshot${ids.length === 1 ? '' : 's'} ${ids.join(', ') || '(none)'} to become available`;
  const status = failed.length > 0 ? 'FAILED' : pending > 0 ? 'PENDING' : 'READY';
  const wait = advanceWait(event, label, BACKOFF.snapshot, status !== 'PENDING', now, pending > 0 ? leastRemaining : undefined);
  const progress = status === 'PENDING' && leastPercent !== undefined ? { progress: { percent: leastPercent } } : {};
  return failed.length > 0 ? { status, reason: failed.join('; '), wait } : { status, wait, ...progress };
}

/**
 * The least time a creating snapshot still needs, from RDS's own progress: PercentProgress is "the
 * percentage of the estimated data that has been transferred" (RDS API reference, DBSnapshot), a
 * whole number rounded down, so after `elapsed` seconds at p % the true progress is below p + 1 %
 * and at least elapsed × (99 − p) / (p + 1) seconds remain if the transfer keeps its pace. Checking
 * then, and again with a finer figure, lands the last check just after the end. The clock starts at
 * SnapshotCreateTime, or at the first check of the wait (right after CreateDBSnapshot) when RDS does
 * not give it; a later start only makes the estimate shorter. No estimate at 0 % (nothing to scale)
 * or at 100 % (transferred, the status not yet `available`): the wait's backoff applies.
 */
export function leastRemainingSeconds(snapshot: DBSnapshot, waitStartedAt: Date, now: Date): number | undefined {
  const percent = snapshot.PercentProgress;
  if (percent === undefined || !Number.isFinite(percent) || percent <= 0 || percent >= 100) return undefined;
  const startedAt = snapshot.SnapshotCreateTime ?? waitStartedAt;
  const elapsed = (now.getTime() - startedAt.getTime()) / 1000;
  if (!(elapsed > 0)) return undefined;
  return (elapsed * (99 - percent)) / (percent + 1);
}
