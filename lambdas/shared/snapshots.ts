import { DescribeDBSnapshotsCommand, type DBSnapshot, type RDSClient } from '@aws-sdk/client-rds';
import { TAGS } from '../steps';

/** One manual snapshot by identifier, or undefined when RDS answers DBSnapshotNotFoundFault. */
export async function describeSnapshot(rds: RDSClient, id: string): Promise<DBSnapshot | undefined> {
  try {
    const out = await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id }));
    return out.DBSnapshots?.[0];
  } catch (err) {
    if (isSnapshotNotFound(err)) return undefined;
    throw err;
  }
}

export function isSnapshotNotFound(err: unknown): boolean {
  return err instanceof Error && err.name === 'DBSnapshotNotFoundFault';
}

/** True when the snapshot carries this execution's tag: made by us, ours to count as done or to delete. */
export function isOurSnapshot(snapshot: DBSnapshot, executionId: string): boolean {
  return (snapshot.TagList ?? []).some((t) => t.Key === TAGS.execution && t.Value === executionId);
}
