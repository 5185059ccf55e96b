import { DBSnapshotNotFoundFault, DeleteDBSnapshotCommand, DescribeDBSnapshotsCommand, RDSClient, type DBSnapshot } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { deleteSnapshots } from '../../lambdas/delete-snapshots/core';
import type { SnapshotRef } from '../../lambdas/shared/contracts';
import { DeletionRefused } from '../../lambdas/shared/errors';
import { TAGS } from '../../lambdas/steps';

const rdsMock = mockClient(RDSClient);
const rds = new RDSClient({ region: 'eu-west-1' });
const execution = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const ref = (id: string): SnapshotRef => ({ logicalId: id, dbInstanceIdentifier: `db-${id}`, snapshotIdentifier: id });
const ours = (id: string, Status = 'available'): DBSnapshot => ({ DBSnapshotIdentifier: id, Status, TagList: [{ Key: TAGS.execution, Value: execution.id }] });

function existing(snapshots: DBSnapshot[]) {
  rdsMock.on(DescribeDBSnapshotsCommand).callsFake((input: { DBSnapshotIdentifier?: string }) => {
    const s = snapshots.find((x) => x.DBSnapshotIdentifier === input.DBSnapshotIdentifier);
    if (!s) throw new DBSnapshotNotFoundFault({ $metadata: {}, message: 'not found' });
    return { DBSnapshots: [s] };
  });
}

beforeEach(() => rdsMock.reset());
afterAll(() => rdsMock.restore());

describe('delete-snapshots', () => {
  it('deletes our snapshots and counts the missing ones as already gone', async () => {
    existing([ours('a'), ours('b')]);
    rdsMock.on(DeleteDBSnapshotCommand).resolves({});
    const r = await deleteSnapshots(rds, { snapshots: [ref('a'), ref('b'), ref('c')], execution });
    expect(r).toEqual({ deleted: ['a', 'b'], alreadyGone: ['c'], notDeletable: [], kept: [] });
  });

  it('counts a snapshot that vanished between the check and the delete as already gone', async () => {
    existing([ours('a')]);
    rdsMock.on(DeleteDBSnapshotCommand).rejects(new DBSnapshotNotFoundFault({ $metadata: {}, message: 'not found' }));
    const r = await deleteSnapshots(rds, { snapshots: [ref('a')], execution });
    expect(r).toEqual({ deleted: [], alreadyGone: ['a'], notDeletable: [], kept: [] });
  });

  it("refuses the whole step, deleting nothing, when one snapshot is someone else's backup", async () => {
    existing([ours('a'), { DBSnapshotIdentifier: 'b', Status: 'available', TagList: [{ Key: TAGS.execution, Value: 'arn:other' }] }, { DBSnapshotIdentifier: 'c', Status: 'available' }]);
    await expect(deleteSnapshots(rds, { snapshots: [ref('a'), ref('b'), ref('c')], execution })).rejects.toThrow(DeletionRefused);
    await expect(deleteSnapshots(rds, { snapshots: [ref('a'), ref('b'), ref('c')], execution })).rejects.toThrow(/b, c not made by this execution/);
    expect(rdsMock.commandCalls(DeleteDBSnapshotCommand)).toHaveLength(0);
  });

  it('leaves a snapshot RDS cannot delete yet (still creating) and reports it', async () => {
    existing([ours('a', 'creating'), ours('b')]);
    rdsMock.on(DeleteDBSnapshotCommand).resolves({});
    const r = await deleteSnapshots(rds, { snapshots: [ref('a'), ref('b')], execution });
    expect(r).toEqual({ deleted: ['b'], alreadyGone: [], notDeletable: [{ snapshotIdentifier: 'a', status: 'creating' }], kept: [] });
    expect(rdsMock.commandCalls(DeleteDBSnapshotCommand).map((c) => c.args[0].input.DBSnapshotIdentifier)).toEqual(['b']);
  });

  it('counts a snapshot already being deleted as gone, without deleting it twice', async () => {
    existing([ours('a', 'deleting')]);
    const r = await deleteSnapshots(rds, { snapshots: [ref('a')], execution });
    expect(r).toEqual({ deleted: [], alreadyGone: ['a'], notDeletable: [], kept: [] });
    expect(rdsMock.commandCalls(DeleteDBSnapshotCommand)).toHaveLength(0);
  });

  it('sweeps: finds by name and tag the snapshots of a clone that never reported them, keeps what it is told to, leaves others alone', async () => {
    const listed: DBSnapshot[] = [
      ours('em-1a2b3c4d-c1-db'),
      ours('em-1a2b3c4d-c2-db'),
      { DBSnapshotIdentifier: 'em-1a2b3c4d-c1-other', Status: 'available', TagList: [{ Key: TAGS.execution, Value: 'arn:other' }] },
      ours('someone-elses-name'),
    ];
    rdsMock.on(DescribeDBSnapshotsCommand).callsFake((input: { Marker?: string; SnapshotType?: string }) => {
      expect(input.SnapshotType).toBe('manual');
      // Two pages, to follow the marker.
      return input.Marker ? { DBSnapshots: listed.slice(2) } : { DBSnapshots: listed.slice(0, 2), Marker: 'next' };
    });
    rdsMock.on(DeleteDBSnapshotCommand).resolves({});
    const r = await deleteSnapshots(rds, { snapshots: [], execution, runId: '1a2b3c4d', keep: [ref('em-1a2b3c4d-c1-db')] });
    expect(r).toEqual({ deleted: ['em-1a2b3c4d-c2-db'], alreadyGone: [], notDeletable: [], kept: ['em-1a2b3c4d-c1-db'] });
    expect(rdsMock.commandCalls(DeleteDBSnapshotCommand).map((c) => c.args[0].input.DBSnapshotIdentifier)).toEqual(['em-1a2b3c4d-c2-db']);
  });
});
