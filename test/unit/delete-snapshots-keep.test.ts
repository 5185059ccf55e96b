/**
 * delete-snapshots' sweep over more than one page of DescribeDBSnapshots: the snapshots of this run
 * on a later page are cleaned up too, and a snapshot named in `keep` is kept wherever it is listed.
 */
import { DeleteDBSnapshotCommand, DescribeDBSnapshotsCommand, RDSClient, type DBSnapshot } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { deleteSnapshots } from '../../lambdas/delete-snapshots/core';
import type { SnapshotRef } from '../../lambdas/shared/contracts';
import { TAGS } from '../../lambdas/steps';

const rdsMock = mockClient(RDSClient);
const rds = new RDSClient({ region: 'eu-west-1' });
const execution = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const ref = (id: string): SnapshotRef => ({ logicalId: id, dbInstanceIdentifier: `db-${id}`, snapshotIdentifier: id });
const ours = (id: string): DBSnapshot => ({ DBSnapshotIdentifier: id, Status: 'available', TagList: [{ Key: TAGS.execution, Value: execution.id }] });

beforeEach(() => rdsMock.reset());
afterAll(() => rdsMock.restore());

describe('delete-snapshots, a sweep over several pages', () => {
  it('deletes the snapshots of this run listed on every page of the manual snapshots, keeping those it is told to keep', async () => {
    // Two pages: the second is asked for with the first page's Marker.
    rdsMock
      .on(DescribeDBSnapshotsCommand, { Marker: undefined })
      .resolves({ DBSnapshots: [ours('em-1a2b3c4d-c1-db'), ours('em-other-c1-db')], Marker: 'page-2' })
      .on(DescribeDBSnapshotsCommand, { Marker: 'page-2' })
      .resolves({ DBSnapshots: [ours('em-1a2b3c4d-c2-db'), ours('em-1a2b3c4d-c3-db')] });
    rdsMock.on(DeleteDBSnapshotCommand).resolves({});

    const r = await deleteSnapshots(rds, { snapshots: [], execution, runId: '1a2b3c4d', keep: [ref('em-1a2b3c4d-c3-db')] });

    expect(r).toEqual({ deleted: ['em-1a2b3c4d-c1-db', 'em-1a2b3c4d-c2-db'], alreadyGone: [], notDeletable: [], kept: ['em-1a2b3c4d-c3-db'] });
    expect(rdsMock.commandCalls(DeleteDBSnapshotCommand).map((c) => c.args[0].input.DBSnapshotIdentifier)).toEqual(['em-1a2b3c4d-c1-db', 'em-1a2b3c4d-c2-db']);
    expect(rdsMock.commandCalls(DescribeDBSnapshotsCommand).map((c) => c.args[0].input.Marker)).toEqual([undefined, 'page-2']);
  });
});
