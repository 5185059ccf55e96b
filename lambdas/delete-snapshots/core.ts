import { DeleteDBSnapshotCommand, DescribeDBSnapshotsCommand, type DBSnapshot, type RDSClient } from '@aws-sdk/client-rds';
import type { DeleteSnapshotsEvent, DeleteSnapshotsResult } from '../shared/contracts';
import { DeletionRefused } from '../shared/errors';
import { snapshotPrefix } from '../shared/naming';
import { describeSnapshot, isOurSnapshot, isSnapshotNotFound } from '../shared/snapshots';

/** DescribeDBSnapshots pages hold 20 to 100 records (RDS API reference, MaxRecords). */
const PAGE = 100;

/**
 * Delete this migration's snapshots: at the end of a success, after a mismatch and in every
 * compensation. The named snapshots are checked BEFORE any is deleted: one that does not carry this
 * execution's tag is someone else's backup, and the whole step is refused (DeletionRefused). With
 * `runId` the step also sweeps: it lists the manual snapshots and takes every one named
 * `em-<runId>-...` that carries this execution's tag, so the snapshots of a clone that failed before
 * reporting them are found too (a snapshot with our name but not our tag is not ours and is left
 * alone). Snapshots named in `keep` are left in place and reported as kept. A snapshot already gone
 * counts as done; one RDS cannot delete yet (only `available` snapshots can be deleted,
 * DeleteDBSnapshot API reference), e.g. still `creating`, is left and reported.
 * Returns what was deleted, already gone, not deletable and kept.
 */
export async function deleteSnapshots(rds: RDSClient, event: DeleteSnapshotsEvent): Promise<DeleteSnapshotsResult> {
  const result: DeleteSnapshotsResult = { deleted: [], alreadyGone: [], notDeletable: [], kept: [] };
  const found = new Map<string, DBSnapshot>();
  const refused: string[] = [];
  // RDS identifiers are case-insensitive and stored lowercase.
  const keep = new Set((event.keep ?? []).map((s) => s.snapshotIdentifier.toLowerCase()));

  for (const { snapshotIdentifier: id } of event.snapshots) {
    if (found.has(id.toLowerCase())) continue;
    const snapshot = await describeSnapshot(rds, id);
    if (!snapshot || snapshot.Status === 'deleting' || snapshot.Status === 'deleted') result.alreadyGone.push(id);
    else if (!isOurSnapshot(snapshot, event.execution.id)) refused.push(id);
    else found.set(id.toLowerCase(), snapshot);
  }
  if (refused.length > 0) {
    throw new DeletionRefused(`snapshot${refused.length === 1 ? '' : 's'} ${refused.join(', ')} not made by this execution: never deleting someone else's backup`);
  }
  if (event.runId !== undefined) {
    for (const snapshot of await sweep(rds, snapshotPrefix(event.runId), event.execution.id)) {
      const id = (snapshot.DBSnapshotIdentifier ?? '').toLowerCase();
      if (!found.has(id) && snapshot.Status !== 'deleting' && snapshot.Status !== 'deleted') found.set(id, snapshot);
    }
  }

  for (const snapshot of found.values()) {
    const id = snapshot.DBSnapshotIdentifier ?? '';
    if (keep.has(id.toLowerCase())) {
      result.kept.push(id);
      continue;
    }
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

/**
 * This execution's manual snapshots under the run's prefix. RDS has no prefix filter, so every
 * manual snapshot is listed; DBSnapshot.TagList says whose each one is.
 */
async function sweep(rds: RDSClient, prefix: string, executionId: string): Promise<DBSnapshot[]> {
  const ours: DBSnapshot[] = [];
  let marker: string | undefined;
  do {
    const page = await rds.send(new DescribeDBSnapshotsCommand({ SnapshotType: 'manual', MaxRecords: PAGE, Marker: marker }));
    for (const s of page.DBSnapshots ?? []) {
      if ((s.DBSnapshotIdentifier ?? '').toLowerCase().startsWith(prefix) && isOurSnapshot(s, executionId)) ours.push(s);
    }
    marker = page.Marker;
  } while (marker);
  return ours;
}
