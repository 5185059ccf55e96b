import { createHash } from 'node:crypto';
import { CreateDBSnapshotCommand, type DBSnapshot, type RDSClient } from '@aws-sdk/client-rds';
import type { SnapshotEvent, SnapshotRef, SnapshotResult } from '../shared/contracts';
import { PreflightFailed, ResourceConflict } from '../shared/errors';
import { snapshotPrefix } from '../shared/naming';
import { describeSnapshot, isOurSnapshot } from '../shared/snapshots';
import { TAGS } from '../steps';

/** Manual DB snapshot identifiers: 1 to 255 letters, digits or hyphens (CreateDBSnapshot, RDS API reference). */
export const SNAPSHOT_ID_MAX = 255;

const slug = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');

/**
 * The deterministic snapshot identifier of one database in one clone of one execution:
 * `em-<runId>-<phase>-<logical id>`, valid for RDS whatever the logical id holds (a letter first,
 * letters, digits and single hyphens, no trailing hyphen, at most 255) and lowercase, since RDS
 * stores identifiers lowercase. When the logical id had to be altered beyond lowercasing or was
 * cut, a hash of the original is appended so two altered ids never meet on one name.
 */
export function snapshotIdentifier(runId: string, phase: string, logicalId: string): string {
  const prefix = `${snapshotPrefix(runId)}${slug(phase).slice(0, 16) || 'phase'}-`;
  const room = SNAPSHOT_ID_MAX - prefix.length;
  const body = slug(logicalId);
  if (body.length > 0 && body === logicalId.toLowerCase() && body.length <= room) return prefix + body;
  const hash = createHash('sha256').update(logicalId).digest('hex').slice(0, 8);
  const kept = body.slice(0, room - hash.length - 1).replace(/-+$/, '');
  return prefix + (kept ? `${kept}-${hash}` : hash);
}

/**
 * Snapshot the source databases, first step of a clone (the destination stack is created from
 * these snapshots). Starts one manual snapshot per DB instance under a deterministic name tagged
 * with this execution; a snapshot that already exists under that name and carries our tag counts
 * as started (a retry, invariant 5). Returns the snapshots to wait for. Throws ResourceConflict
 * when the name is taken by a snapshot that is not ours, PreflightFailed when two databases would
 * share a name.
 */
export async function snapshot(rds: RDSClient, event: SnapshotEvent): Promise<SnapshotResult> {
  const snapshots: SnapshotRef[] = event.dbInstances.map((db) => ({
    logicalId: db.logicalId,
    dbInstanceIdentifier: db.dbInstanceIdentifier,
    snapshotIdentifier: snapshotIdentifier(event.runId, event.phase, db.logicalId),
  }));
  assertDistinct(snapshots);

  for (const s of snapshots) {
    try {
      await rds.send(
        new CreateDBSnapshotCommand({
          DBSnapshotIdentifier: s.snapshotIdentifier,
          DBInstanceIdentifier: s.dbInstanceIdentifier,
          Tags: [
            { Key: TAGS.execution, Value: event.execution.id },
            { Key: TAGS.sourceStack, Value: event.sourceStackName },
          ],
        }),
      );
    } catch (err) {
      if (!(err instanceof Error && err.name === 'DBSnapshotAlreadyExistsFault')) throw err;
      const existing = await describeSnapshot(rds, s.snapshotIdentifier);
      // It may have been deleted between the two calls; a retry of the step will create it again.
      if (!existing) throw err;
      assertOurs(existing, s, event.execution.id);
    }
  }
  return { snapshots };
}

function assertDistinct(snapshots: SnapshotRef[]): void {
  const seen = new Map<string, string>();
  for (const s of snapshots) {
    const other = seen.get(s.snapshotIdentifier);
    if (other !== undefined) {
      throw new PreflightFailed([`databases ${other} and ${s.logicalId} would share the snapshot identifier ${s.snapshotIdentifier}; rename one logical ID`]);
    }
    seen.set(s.snapshotIdentifier, s.logicalId);
  }
}

function assertOurs(existing: DBSnapshot, s: SnapshotRef, executionId: string): void {
  if (!isOurSnapshot(existing, executionId)) {
    throw new ResourceConflict(`snapshot ${s.snapshotIdentifier} already exists and was not made by this execution; it is left untouched`);
  }
  // RDS identifiers are case-insensitive.
  if ((existing.DBInstanceIdentifier ?? '').toLowerCase() !== s.dbInstanceIdentifier.toLowerCase()) {
    throw new ResourceConflict(`snapshot ${s.snapshotIdentifier} is of ${existing.DBInstanceIdentifier}, not of ${s.dbInstanceIdentifier}`);
  }
}
