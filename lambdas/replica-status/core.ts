import { GetMetricDataCommand, type CloudWatchClient, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { DescribeDBInstancesCommand, type DBInstance, type RDSClient } from '@aws-sdk/client-rds';
import type { DbInstanceRef, ReplicaLagReading, ReplicaStatusEvent, ReplicaStatusResult } from '../shared/contracts';
import { ReplicationBroken } from '../shared/errors';
import { advanceWait, type Backoff } from '../shared/wait';

/**
 * "Amazon RDS automatically sends metrics to CloudWatch every minute" (RDS User Guide, "Monitoring
 * Amazon RDS metrics with Amazon CloudWatch"): the first reading taken wholly after `since` is out a
 * minute or two after it, so the first check after the immediate one waits a minute, then the checks
 * come often: this wait is downtime.
 */
export const REPLICA_CATCH_UP_BACKOFF: Backoff = { initialDelaySeconds: 60, firstDelaySeconds: 15, factor: 1.2, maxDelaySeconds: 30 };
/**
 * ReplicaLag is published per minute. The Minimum of a minute is enough for caughtUp: the replica's
 * last applied commit only moves forward, and the sample with the least lag, taken at or after the
 * minute's start, already had everything committed up to (minute start − Minimum). The Maximum would
 * ask for up to a minute more of downtime (an idle PostgreSQL source's lag grows within the minute).
 */
const PERIOD_SECONDS = 60;
const MAX_METRIC_PAGES = 10;

/**
 * DescribeDBInstances StatusInfos "read replication" statuses (RDS User Guide, "Monitoring read
 * replication"): replicating; replication degraded (some databases not yet receiving updates, may
 * recover: waited for); error, terminated, stopped, and the MySQL stop point reached: replication is
 * not running, and waiting will not bring it back.
 */
const REPLICATION_STOPPED = new Set(['error', 'terminated', 'stopped', 'replication stop point reached']);
/** DB instance statuses a replica does not leave by itself (RDS User Guide, "Viewing Amazon RDS DB instance status"). */
const INSTANCE_LOST = /^(failed|incompatible-|inaccessible-encryption-credentials|storage-full|stopped|stopping|deleting|restore-error)/;

/**
 * Whether a replica has applied everything its source wrote before `since`, from its newest
 * ReplicaLag reading. The rule, in one place so that it is easy to adjust: the reading's minute
 * starts at or after `since` (a minute that began earlier may hold a sample taken while the source
 * still took writes) and the reading's time minus the lag is not before `since`.
 *
 * Why not "lag = 0" alone: for RDS for PostgreSQL, ReplicaLag is `now() - pg_last_xact_replay_timestamp()`
 * (RDS User Guide, "Monitoring and tuning the replication process" for PostgreSQL read replicas): the
 * age of the last transaction the replica applied, which keeps growing while an idle source commits
 * nothing, so a caught-up replica of a source in standby may never read 0. The time minus that age
 * is when the last applied transaction committed at the source: at or after `since`, everything
 * committed before `since` has been applied (WAL is replayed in order). A lag of 0 in a minute
 * starting after `since` satisfies it too, as MySQL's and MariaDB's Seconds_Behind_Master reads once
 * caught up. The minute's start is used, not the unknown instant of the sample within it: the sample
 * came later, so the true difference is only larger. Pure.
 */
export function caughtUp(reading: { lagSeconds?: number; at?: string }, since: string): boolean {
  if (reading.lagSeconds === undefined || reading.at === undefined) return false;
  const at = Date.parse(reading.at);
  const from = Date.parse(since);
  if (!Number.isFinite(at) || !Number.isFinite(from) || !Number.isFinite(reading.lagSeconds) || reading.lagSeconds < 0) return false;
  return at >= from && at - reading.lagSeconds * 1000 >= from;
}

async function describe(rds: RDSClient, id: string): Promise<DBInstance | undefined> {
  try {
    return (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
  } catch (err) {
    if (err instanceof Error && err.name === 'DBInstanceNotFoundFault') return undefined;
    throw err;
  }
}

/**
 * One replica's state as RDS tells it: ReplicationBroken when it is gone, is not a read replica (any
 * more: promoted, or never was), its replication stopped or it is in a state it does not leave by
 * itself; otherwise whether it is replicating and available now, and its replication status.
 */
function replicaState(db: DbInstanceRef, instance: DBInstance | undefined): { running: boolean; replication?: string } {
  const name = `${db.logicalId} (${db.dbInstanceIdentifier})`;
  if (!instance) throw new ReplicationBroken(`${name} does not exist: there is no read replica to wait for`);
  if (!instance.ReadReplicaSourceDBInstanceIdentifier) throw new ReplicationBroken(`${name} is not a read replica: it does not follow the source database any more`);
  const info = (instance.StatusInfos ?? []).find((s) => s.StatusType === 'read replication');
  const replication = info?.Status;
  if (replication && REPLICATION_STOPPED.has(replication)) {
    throw new ReplicationBroken(
      `${name}, read replica of ${instance.ReadReplicaSourceDBInstanceIdentifier}, reports replication ${replication}${info?.Message ? `: ${info.Message}` : ''}`,
    );
  }
  const status = instance.DBInstanceStatus ?? 'unknown';
  if (INSTANCE_LOST.test(status)) throw new ReplicationBroken(`${name} is ${status}: it cannot apply what its source wrote`);
  return { running: replication === 'replicating' && status === 'available', ...(replication ? { replication } : {}) };
}

/** The newest ReplicaLag reading (Minimum per minute) of each replica from the minute that holds `since` to now. */
async function newestLag(cloudwatch: CloudWatchClient, dbs: DbInstanceRef[], since: string, now: Date): Promise<Map<string, { lagSeconds: number; at: string }>> {
  const queries: MetricDataQuery[] = dbs.map((db, i) => ({
    Id: `r${i}`,
    MetricStat: {
      Metric: { Namespace: 'AWS/RDS', MetricName: 'ReplicaLag', Dimensions: [{ Name: 'DBInstanceIdentifier', Value: db.dbInstanceIdentifier }] },
      Period: PERIOD_SECONDS,
      Stat: 'Minimum',
    },
    ReturnData: true,
  }));
  const newest = new Map<string, { lagSeconds: number; at: string }>();
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_METRIC_PAGES; page++) {
    const out = await cloudwatch.send(
      new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: new Date(since), EndTime: now, ScanBy: 'TimestampDescending', NextToken: nextToken }),
    );
    for (const result of out.MetricDataResults ?? []) {
      const db = dbs[Number((result.Id ?? '').slice(1))];
      if (!db) continue;
      (result.Timestamps ?? []).forEach((t, j) => {
        const value = result.Values?.[j];
        if (value === undefined) return;
        const at = new Date(t).toISOString();
        const known = newest.get(db.dbInstanceIdentifier);
        if (!known || Date.parse(at) > Date.parse(known.at)) newest.set(db.dbInstanceIdentifier, { lagSeconds: value, at });
      });
    }
    nextToken = out.NextToken;
    if (!nextToken) break;
  }
  return newest;
}

/**
 * Live sync, FINISH, the first thing after the standby: the wait until every read replica of the
 * destination has applied everything its source wrote before `since` (replication running as
 * DescribeDBInstances StatusInfos tells, the instance available, and its newest CloudWatch AWS/RDS
 * ReplicaLag reading caughtUp). READY then, PENDING before, with every replica's reading.
 * Throws ReplicationBroken when a replica is gone, is no replica, or its replication stopped
 * (replicaState); WaitTimedOut past the wait's timeout (the state machine then returns the source
 * to service); raw SDK errors otherwise.
 */
export async function replicaStatus(clients: { rds: RDSClient; cloudwatch: CloudWatchClient }, event: ReplicaStatusEvent, now: Date = new Date()): Promise<ReplicaStatusResult> {
  // Without a given `since`, the first check's own time (the wait's start, carried from check to
  // check): the loop starts after the standby was confirmed, so no write of the source follows it.
  const since: string = event.since ?? event.wait?.startedAt ?? now.toISOString();
  const states: { running: boolean; replication?: string }[] = [];
  for (const db of event.dbInstances) states.push(replicaState(db, await describe(clients.rds, db.dbInstanceIdentifier)));
  const lags = event.dbInstances.length ? await newestLag(clients.cloudwatch, event.dbInstances, since, now) : new Map<string, { lagSeconds: number; at: string }>();
  const replicas: ReplicaLagReading[] = event.dbInstances.map((db, i) => {
    const lag = lags.get(db.dbInstanceIdentifier);
    const replication = states[i]?.replication;
    return {
      logicalId: db.logicalId,
      dbInstanceIdentifier: db.dbInstanceIdentifier,
      // Only readings whose minute starts after `since` are shown: an earlier one proves nothing.
      ...(lag && Date.parse(lag.at) >= Date.parse(since) ? { lagSeconds: lag.lagSeconds, at: lag.at } : {}),
      ...(replication ? { replication } : {}),
    };
  });
  const ready = replicas.every((r, i) => states[i]?.running === true && caughtUp(r, since));
  const label = `read replicas of ${event.dbInstances.map((d) => d.logicalId).join(', ') || 'no database'} to catch up`;
  return { status: ready ? 'READY' : 'PENDING', wait: advanceWait(event, label, REPLICA_CATCH_UP_BACKOFF, ready, now), replicas };
}
