import { DBSnapshotNotFoundFault, DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { snapshotStatus } from '../../lambdas/snapshot-status/core';
import type { SnapshotRef, WaitState } from '../../lambdas/shared/contracts';
import { WaitTimedOut } from '../../lambdas/shared/errors';
import { BACKOFF } from '../../lambdas/shared/wait';

const rdsMock = mockClient(RDSClient);
const rds = new RDSClient({ region: 'eu-west-1' });
const execution = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const T0 = new Date('2025-01-01T00:00:00Z');
const snapshots: SnapshotRef[] = [
  { logicalId: 'Database', dbInstanceIdentifier: 'db-1', snapshotIdentifier: 'em-1a2b3c4d-c1-database' },
  { logicalId: 'Reports', dbInstanceIdentifier: 'db-2', snapshotIdentifier: 'em-1a2b3c4d-c1-reports' },
];

function statuses(byId: Record<string, string | undefined>) {
  rdsMock.on(DescribeDBSnapshotsCommand).callsFake((input: { DBSnapshotIdentifier?: string }) => {
    const status = byId[input.DBSnapshotIdentifier ?? ''];
    if (status === undefined) throw new DBSnapshotNotFoundFault({ $metadata: {}, message: 'not found' });
    return { DBSnapshots: [{ DBSnapshotIdentifier: input.DBSnapshotIdentifier, Status: status }] };
  });
}

beforeEach(() => rdsMock.reset());
afterAll(() => rdsMock.restore());

describe('snapshot-status', () => {
  it('is READY when every snapshot is available', async () => {
    statuses({ 'em-1a2b3c4d-c1-database': 'available', 'em-1a2b3c4d-c1-reports': 'available' });
    const r = await snapshotStatus(rds, { snapshots, execution, timeoutSeconds: 7200 }, T0);
    expect(r).toEqual({ status: 'READY', wait: expect.objectContaining({ attempt: 1 }) });
  });

  it('is PENDING while one is still creating, with the snapshot backoff', async () => {
    statuses({ 'em-1a2b3c4d-c1-database': 'available', 'em-1a2b3c4d-c1-reports': 'creating' });
    const r = await snapshotStatus(rds, { snapshots, execution, timeoutSeconds: 7200 }, T0);
    expect(r.status).toBe('PENDING');
    expect(r.wait).toMatchObject({ nextDelaySeconds: BACKOFF.snapshot.initialDelaySeconds, label: 'snapshots em-1a2b3c4d-c1-database, em-1a2b3c4d-c1-reports to become available' });
  });

  it('checks next when the slowest snapshot can be done by its PercentProgress, and falls back to the backoff without one', async () => {
    const started = new Date(T0.getTime() - 100_000);
    const progress = (byId: Record<string, number | undefined>) =>
      rdsMock.on(DescribeDBSnapshotsCommand).callsFake((input: { DBSnapshotIdentifier?: string }) => ({
        DBSnapshots: [{ DBSnapshotIdentifier: input.DBSnapshotIdentifier, Status: 'creating', SnapshotCreateTime: started, PercentProgress: byId[input.DBSnapshotIdentifier ?? ''] }],
      }));
    // 100 s in: 49 % (at least 100 × 50 / 50 = 100 s left) and 19 % (at least 100 × 80 / 20 = 400 s left).
    progress({ 'em-1a2b3c4d-c1-database': 49, 'em-1a2b3c4d-c1-reports': 19 });
    const r = await snapshotStatus(rds, { snapshots, execution, timeoutSeconds: 7200 }, T0);
    expect(r.wait.nextDelaySeconds).toBe(402);
    // The heartbeat's figure: the slowest snapshot's percent.
    expect(r.progress).toEqual({ percent: 19 });
    // One snapshot at 0 % gives nothing to scale: the backoff.
    progress({ 'em-1a2b3c4d-c1-database': 49, 'em-1a2b3c4d-c1-reports': 0 });
    const fallback = await snapshotStatus(rds, { snapshots, execution, timeoutSeconds: 7200 }, T0);
    expect(fallback.wait.nextDelaySeconds).toBe(BACKOFF.snapshot.initialDelaySeconds);
  });

  it.each(['failed', 'incompatible-restore', 'incompatible-parameters', 'deleted', 'deleting'])('is FAILED with the reason when one is %s', async (bad) => {
    statuses({ 'em-1a2b3c4d-c1-database': 'creating', 'em-1a2b3c4d-c1-reports': bad });
    const r = await snapshotStatus(rds, { snapshots, execution, timeoutSeconds: 7200 }, T0);
    expect(r.status).toBe('FAILED');
    expect(r.reason).toBe(`em-1a2b3c4d-c1-reports (of Reports) is ${bad}`);
  });

  it('is FAILED when a snapshot it was handed is of another database', async () => {
    rdsMock.on(DescribeDBSnapshotsCommand).callsFake((input: { DBSnapshotIdentifier?: string }) => ({
      DBSnapshots: [{ DBSnapshotIdentifier: input.DBSnapshotIdentifier, DBInstanceIdentifier: input.DBSnapshotIdentifier?.endsWith('reports') ? 'billing-db' : 'DB-1', Status: 'available' }],
    }));
    const r = await snapshotStatus(rds, { snapshots, execution, timeoutSeconds: 7200 }, T0);
    // Identifiers compare without case (RDS stores them lowercase).
    expect(r).toMatchObject({ status: 'FAILED', reason: 'em-1a2b3c4d-c1-reports is a snapshot of billing-db, not of db-2 (Reports)' });
  });

  it('is FAILED when a snapshot disappeared', async () => {
    statuses({ 'em-1a2b3c4d-c1-database': 'available' });
    const r = await snapshotStatus(rds, { snapshots, execution, timeoutSeconds: 7200 }, T0);
    expect(r).toMatchObject({ status: 'FAILED', reason: 'em-1a2b3c4d-c1-reports (of Reports) no longer exists' });
  });

  it('reports a failure, not a timeout, when the last check finds a failed snapshot', async () => {
    statuses({ 'em-1a2b3c4d-c1-database': 'failed', 'em-1a2b3c4d-c1-reports': 'available' });
    const wait: WaitState = { label: 'x', startedAt: T0.toISOString(), timeoutSeconds: 60, elapsedSeconds: 50, nextDelaySeconds: 30, attempt: 3 };
    const r = await snapshotStatus(rds, { snapshots, execution, timeoutSeconds: 60, wait }, new Date(T0.getTime() + 300_000));
    expect(r.status).toBe('FAILED');
  });

  it('throws WaitTimedOut past the timeout while still creating', async () => {
    statuses({ 'em-1a2b3c4d-c1-database': 'creating', 'em-1a2b3c4d-c1-reports': 'available' });
    const wait: WaitState = { label: 'x', startedAt: T0.toISOString(), timeoutSeconds: 60, elapsedSeconds: 50, nextDelaySeconds: 30, attempt: 3 };
    await expect(snapshotStatus(rds, { snapshots, execution, timeoutSeconds: 60, wait }, new Date(T0.getTime() + 61_000))).rejects.toBeInstanceOf(WaitTimedOut);
  });

  it('is READY at once when there is no database to snapshot', async () => {
    const r = await snapshotStatus(rds, { snapshots: [], execution, timeoutSeconds: 60 }, T0);
    expect(r.status).toBe('READY');
  });
});
