/**
 * delete-snapshots at its edges, where a slip would delete a backup it was told to keep or miss one
 * it should clean up: RDS identifiers differ only in case, the sweep meets snapshots already going,
 * and a delete RDS refuses for another reason than "not found".
 */
import { DBSnapshotNotFoundFault, DeleteDBSnapshotCommand, DescribeDBSnapshotsCommand, RDSClient, type DBSnapshot } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { deleteSnapshots } from '../../lambdas/delete-snapshots/core';
import type { SnapshotRef } from '../../lambdas/shared/contracts';
import { TAGS } from '../../lambdas/steps';

const rdsMock = mockClient(RDSClient);
const rds = new RDSClient({ region: 'eu-west-1' });
const execution = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const ref = (id: string): SnapshotRef => ({ logicalId: id, dbInstanceIdentifier: `db-${id}`, snapshotIdentifier: id });
const ours = (id: string, Status = 'available'): DBSnapshot => ({ DBSnapshotIdentifier: id, Status, TagList: [{ Key: TAGS.execution, Value: execution.id }] });
const deletedIds = () => rdsMock.commandCalls(DeleteDBSnapshotCommand).map((c) => c.args[0].input.DBSnapshotIdentifier);

/** Each snapshot answers by identifier, case-insensitively as RDS does; without one, the manual snapshots are listed in one page. */
function account(snapshots: DBSnapshot[]) {
  rdsMock.on(DescribeDBSnapshotsCommand).callsFake((input: { DBSnapshotIdentifier?: string }) => {
    if (input.DBSnapshotIdentifier === undefined) return { DBSnapshots: snapshots };
    const s = snapshots.find((x) => x.DBSnapshotIdentifier === input.DBSnapshotIdentifier!.toLowerCase());
    if (!s) throw new DBSnapshotNotFoundFault({ $metadata: {}, message: 'not found' });
    return { DBSnapshots: [s] };
  });
  rdsMock.on(DeleteDBSnapshotCommand).resolves({});
}

beforeEach(() => rdsMock.reset());
afterAll(() => rdsMock.restore());

describe('delete-snapshots, edges', () => {
  it('keeps a snapshot named in keep whatever the case of either spelling, and deletes the rest', async () => {
    account([ours('em-1a2b3c4d-c1-db'), ours('em-1a2b3c4d-c2-db')]);
    const r = await deleteSnapshots(rds, { snapshots: [ref('em-1a2b3c4d-c1-db'), ref('em-1a2b3c4d-c2-db')], execution, keep: [ref('EM-1A2B3C4D-C1-DB')] });
    expect(r).toEqual({ deleted: ['em-1a2b3c4d-c2-db'], alreadyGone: [], notDeletable: [], kept: ['em-1a2b3c4d-c1-db'] });
    expect(deletedIds()).toEqual(['em-1a2b3c4d-c2-db']);
  });

  it('keeps a named snapshot without any sweep (no runId)', async () => {
    account([ours('a')]);
    const r = await deleteSnapshots(rds, { snapshots: [ref('a')], execution, keep: [ref('a')] });
    expect(r).toEqual({ deleted: [], alreadyGone: [], notDeletable: [], kept: ['a'] });
    expect(deletedIds()).toEqual([]);
  });

  it('looks up and deletes a snapshot named twice (in two cases) once', async () => {
    account([ours('a')]);
    const r = await deleteSnapshots(rds, { snapshots: [ref('a'), ref('A')], execution });
    expect(r).toEqual({ deleted: ['a'], alreadyGone: [], notDeletable: [], kept: [] });
    expect(rdsMock.commandCalls(DescribeDBSnapshotsCommand)).toHaveLength(1);
    expect(deletedIds()).toEqual(['a']);
  });

  it('counts a snapshot RDS reports deleted as already gone', async () => {
    account([ours('a', 'deleted')]);
    const r = await deleteSnapshots(rds, { snapshots: [ref('a')], execution });
    expect(r).toEqual({ deleted: [], alreadyGone: ['a'], notDeletable: [], kept: [] });
    expect(deletedIds()).toEqual([]);
  });

  it('names the one snapshot that is not ours in the singular', async () => {
    account([{ DBSnapshotIdentifier: 'b', Status: 'available' }]);
    await expect(deleteSnapshots(rds, { snapshots: [ref('b')], execution })).rejects.toThrow(/^snapshot b not made by this execution/);
  });

  it('sweeps past snapshots already going and those named in the event, deleting each of ours once', async () => {
    account([ours('em-1a2b3c4d-c1-db'), ours('em-1a2b3c4d-c2-db', 'deleting'), ours('em-1a2b3c4d-c2-x', 'deleted'), ours('em-1a2b3c4d-c2-y', 'creating'), ours('em-9z9z9z9z-c1-db')]);
    const r = await deleteSnapshots(rds, { snapshots: [ref('em-1a2b3c4d-c1-db')], execution, runId: '1a2b3c4d' });
    expect(r).toEqual({ deleted: ['em-1a2b3c4d-c1-db'], alreadyGone: [], notDeletable: [{ snapshotIdentifier: 'em-1a2b3c4d-c2-y', status: 'creating' }], kept: [] });
    expect(deletedIds()).toEqual(['em-1a2b3c4d-c1-db']);
  });

  it('fails with the RDS error, not a silent "already gone", when a delete is refused for another reason', async () => {
    account([ours('a')]);
    rdsMock.on(DeleteDBSnapshotCommand).rejects(Object.assign(new Error('not in a deletable state'), { name: 'InvalidDBSnapshotStateFault' }));
    await expect(deleteSnapshots(rds, { snapshots: [ref('a')], execution })).rejects.toThrow(/not in a deletable state/);
  });
  it("names every snapshot it refuses, in the plural, and deletes none of them: never someone else's backup", async () => {
    const foreign = (id: string): DBSnapshot => ({ DBSnapshotIdentifier: id, Status: 'available', TagList: [] });
    account([foreign('a'), foreign('b'), ours('c')]);
    await expect(deleteSnapshots(rds, { snapshots: [ref('a'), ref('b'), ref('c')], execution })).rejects.toThrow(
      "snapshots a, b not made by this execution: never deleting someone else's backup",
    );
    await expect(deleteSnapshots(rds, { snapshots: [ref('a')], execution })).rejects.toThrow("snapshot a not made by this execution: never deleting someone else's backup");
    expect(deletedIds()).toEqual([]);
  });

  it('reports a snapshot RDS gives no status for as not deletable, status unknown', async () => {
    account([{ DBSnapshotIdentifier: 'a', TagList: [{ Key: TAGS.execution, Value: execution.id }] }]);
    const r = await deleteSnapshots(rds, { snapshots: [ref('a')], execution });
    expect(r.notDeletable).toEqual([{ snapshotIdentifier: 'a', status: 'unknown' }]);
    expect(deletedIds()).toEqual([]);
  });
});
