import type { RDSClient } from '@aws-sdk/client-rds';
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
 * never turned into a timeout. Throws WaitTimedOut (from advanceWait) past the timeout.
 */
export async function snapshotStatus(rds: RDSClient, event: SnapshotStatusEvent, now: Date = new Date()): Promise<SnapshotStatusResult> {
  const failed: string[] = [];
  let pending = 0;
  for (const s of event.snapshots) {
    const found = await describeSnapshot(rds, s.snapshotIdentifier);
    const status = found ? (found.Status ?? 'unknown') : 'not found';
    if (!found) failed.push(`${s.snapshotIdentifier} (of ${s.logicalId}) no longer exists`);
    else if (isFailedSnapshotStatus(status)) failed.push(`${s.snapshotIdentifier} (of ${s.logicalId}) is ${status}`);
    else if (status !== 'available') pending++;
  }

  const ids = event.snapshots.map((s) => s.snapshotIdentifier);
  const label = `snapshot${ids.length === 1 ? '' : 's'} ${ids.join(', ') || '(none)'} to become available`;
  const status = failed.length > 0 ? 'FAILED' : pending > 0 ? 'PENDING' : 'READY';
  const wait = advanceWait(event, label, BACKOFF.snapshot, status !== 'PENDING', now);
  return failed.length > 0 ? { status, reason: failed.join('; '), wait } : { status, wait };
}
