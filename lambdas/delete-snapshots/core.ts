import { DeleteDBSnapshotCommand, type DBSnapshot, type RDSClient } from '@aws-sdk/client-rds';
import type { DeleteSnapshotsEvent, DeleteSnapshotsResult } from '../shared/contracts';
import { DeletionRefused } from '../shared/errors';
import { describeSnapshot, isOurSnapshot, isSnapshotNotFound } from '../shared/snapshots';

/**
 * Delete this migration's snapshots: at the end of a success (unless retained) and in
 * compensation. Every snapshot is checked BEFORE any is deleted: one that does not carry this
 * execution's tag is someone else's backup, and the whole step is refused (DeletionRefused).
 * A snapshot already gone counts as done; one RDS cannot delete yet (only `available` snapshots
 * can be deleted, DeleteDBSnapshot API reference), e.g. still `creating`, is left and reported.
 * Returns what was deleted, what was already gone and what was left.
 */
export async function deleteSnapshots(rds: RDSClient, event: DeleteSnapshotsEvent): Promise<DeleteSnapshotsResult> {
  const result: DeleteSnapshotsResult = { deleted: [], alreadyGone: [], notDeletable: [] };
  const found: { id: string; snapshot: DBSnapshot }[] = [];
  const refused: string[] = [];

  for (const { snapshotIdentifier: id } of event.snapshots) {
    const snapshot = await describeSnapshot(rds, id);
    if (!snapshot || snapshot.Status === 'deleting' || snapshot.Status === 'deleted') result.alreadyGone.push(id);
    else if (!isOurSnapshot(snapshot, event.execution.id)) refused.push(id);
    else found.push({ id, snapshot });
  }
  if (refused.length > 0) {
    throw new DeletionRefused(`snapshot${refused.length === 1 ? '' : 's'} ${refused.join(', ')} not made by this execution: never deleting someone else's backup`);
  }

  for (const { id, snapshot } of found) {
    if (snapshot.Status !== 'available') {
      result.notDeletable.push({ snapshotIdentifier: id, status: snapshot.Status ?? 'unknown' });
      continue;
    }
    try {
      await rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: id }));
      result.deleted.push(id);
    } catch (err) {
      if (!isSnapshotNotFound(err)) throw err;
      result.alreadyGone.push(id);
    }
  }
  return result;
}
