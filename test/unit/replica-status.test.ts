import { CloudWatchClient, GetMetricDataCommand, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { DBInstanceNotFoundFault, DescribeDBInstancesCommand, RDSClient, type DBInstance } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { caughtUp, REPLICA_CATCH_UP_BACKOFF, replicaStatus } from '../../lambdas/replica-status/core';
import type { ReplicaStatusEvent } from '../../lambdas/shared/contracts';
import { ReplicationBroken, WaitTimedOut } from '../../lambdas/shared/errors';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const SINCE = '2030-01-01T12:00:30.000Z';
const NOW = new Date('2030-01-01T12:05:00Z');
const REPLICA = 'orders-prod-tmp-ordersdb-xyz';

const rdsMock = mockClient(RDSClient);
const cwMock = mockClient(CloudWatchClient);
const clients = { rds: new RDSClient({}), cloudwatch: new CloudWatchClient({}) };

const event = (extra: Partial<ReplicaStatusEvent> = {}): ReplicaStatusEvent => ({
  dbInstances: [{ logicalId: 'OrdersDb', dbInstanceIdentifier: REPLICA, allocatedStorageGb: 20, engine: 'postgres' }],
  since: SINCE,
  timeoutSeconds: 1800,
  execution: EXECUTION,
  ...extra,
});

function replicaIs(extra: Partial<DBInstance> = {}) {
  rdsMock.on(DescribeDBInstancesCommand).resolves({
    DBInstances: [
      {
        DBInstanceIdentifier: REPLICA,
        DBInstanceStatus: 'available',
        ReadReplicaSourceDBInstanceIdentifier: 'orders-prod-ordersdb-abc',
        StatusInfos: [{ StatusType: 'read replication', Status: 'replicating', Normal: true }],
        ...extra,
      },
    ],
  });
}

function lagIs(points: [string, number][]) {
  const result: MetricDataResult = { Id: 'r0', Label: 'ReplicaLag', Timestamps: points.map(([t]) => new Date(t)), Values: points.map(([, v]) => v), StatusCode: 'Complete' };
  cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [result] });
}

async function broken(promise: Promise<unknown>): Promise<string> {
  const err = await promise.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ReplicationBroken);
  return (err as Error).message;
}

beforeEach(() => {
  rdsMock.reset();
  cwMock.reset();
});

describe('replica-status', () => {
  it('is READY when the replica replicates, is available and its newest lag reading, in a minute starting after since, is 0', async () => {
    replicaIs();
    lagIs([
      ['2030-01-01T12:02:00Z', 0],
      ['2030-01-01T12:01:00Z', 4],
    ]);
    const result = await replicaStatus(clients, event(), NOW);
    expect(result.status).toBe('READY');
    expect(result.replicas).toEqual([{ logicalId: 'OrdersDb', dbInstanceIdentifier: REPLICA, lagSeconds: 0, at: '2030-01-01T12:02:00.000Z', replication: 'replicating' }]);
  });

  it('asks CloudWatch for the Minimum of AWS/RDS ReplicaLag per minute of each replica, from since to now', async () => {
    replicaIs();
    lagIs([]);
    await replicaStatus(clients, event(), NOW);
    const input = cwMock.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    expect(input.StartTime).toEqual(new Date(SINCE));
    expect(input.EndTime).toEqual(NOW);
    expect(input.MetricDataQueries).toEqual([
      {
        Id: 'r0',
        MetricStat: { Metric: { Namespace: 'AWS/RDS', MetricName: 'ReplicaLag', Dimensions: [{ Name: 'DBInstanceIdentifier', Value: REPLICA }] }, Period: 60, Stat: 'Minimum' },
        ReturnData: true,
      },
    ]);
  });

  it('stays PENDING on a zero read in the minute that began before since: it may hold a sample taken while the source took writes', async () => {
    replicaIs();
    lagIs([['2030-01-01T12:00:00Z', 0]]);
    const result = await replicaStatus(clients, event(), NOW);
    expect(result.status).toBe('PENDING');
    expect(result.replicas[0]!.lagSeconds).toBeUndefined();
    expect(result.wait.nextDelaySeconds).toBe(REPLICA_CATCH_UP_BACKOFF.initialDelaySeconds);
  });

  it('stays PENDING while the replica still lags, with no reading yet, while it is not available or its replication is degraded', async () => {
    replicaIs();
    lagIs([['2030-01-01T12:02:00Z', 95]]);
    expect((await replicaStatus(clients, event(), NOW)).status).toBe('PENDING');
    lagIs([]);
    expect((await replicaStatus(clients, event(), NOW)).status).toBe('PENDING');
    lagIs([['2030-01-01T12:02:00Z', 0]]);
    replicaIs({ DBInstanceStatus: 'modifying' });
    expect((await replicaStatus(clients, event(), NOW)).status).toBe('PENDING');
    replicaIs({ StatusInfos: [{ StatusType: 'read replication', Status: 'replication degraded', Normal: false }] });
    expect((await replicaStatus(clients, event(), NOW)).status).toBe('PENDING');
  });

  it('is READY for an idle PostgreSQL source whose lag keeps growing, once the last applied transaction committed after since', async () => {
    replicaIs();
    // 12:04 - 150 s = 12:01:30, after since (12:00:30): what the replica applied last was written after the source stopped.
    lagIs([['2030-01-01T12:04:00Z', 150]]);
    expect((await replicaStatus(clients, event(), NOW)).status).toBe('READY');
    // 12:04 - 240 s = 12:00:00, before since: it may not have applied the last writes.
    lagIs([['2030-01-01T12:04:00Z', 240]]);
    expect((await replicaStatus(clients, event(), NOW)).status).toBe('PENDING');
  });

  it('throws ReplicationBroken when the database is not a read replica', async () => {
    replicaIs({ ReadReplicaSourceDBInstanceIdentifier: undefined });
    lagIs([]);
    expect(await broken(replicaStatus(clients, event(), NOW))).toBe(`OrdersDb (${REPLICA}) is not a read replica: it does not follow the source database any more`);
  });

  it("throws ReplicationBroken with RDS's message when replication stopped, and when the replica is gone or failed", async () => {
    lagIs([]);
    for (const Status of ['error', 'terminated', 'stopped']) {
      replicaIs({ StatusInfos: [{ StatusType: 'read replication', Status, Normal: false, Message: 'Replication has stopped because of an error' }] });
      expect(await broken(replicaStatus(clients, event(), NOW))).toContain(`reports replication ${Status}: Replication has stopped because of an error`);
    }
    replicaIs({ DBInstanceStatus: 'storage-full' });
    expect(await broken(replicaStatus(clients, event(), NOW))).toContain('is storage-full');
    rdsMock.on(DescribeDBInstancesCommand).rejects(new DBInstanceNotFoundFault({ message: 'not found', $metadata: {} }));
    expect(await broken(replicaStatus(clients, event(), NOW))).toContain('does not exist');
  });

  it('throws WaitTimedOut when the replicas have not caught up within the timeout', async () => {
    replicaIs();
    lagIs([['2030-01-01T12:02:00Z', 95]]);
    const wait = { label: 'x', startedAt: '2030-01-01T11:30:00Z', timeoutSeconds: 1800, elapsedSeconds: 1790, nextDelaySeconds: 30, attempt: 60 };
    await expect(replicaStatus(clients, event({ wait }), NOW)).rejects.toBeInstanceOf(WaitTimedOut);
  });

  it('caughtUp needs a reading: none, a negative lag or a bad time never counts', () => {
    expect(caughtUp({}, SINCE)).toBe(false);
    expect(caughtUp({ lagSeconds: -1, at: '2030-01-01T12:02:00Z' }, SINCE)).toBe(false);
    expect(caughtUp({ lagSeconds: 0, at: 'not a time' }, SINCE)).toBe(false);
    expect(caughtUp({ lagSeconds: 0, at: '2030-01-01T12:01:00Z' }, SINCE)).toBe(true);
  });
});
