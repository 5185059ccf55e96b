/**
 * Simulated RDS read replicas (local/sim/rds.ts) through the real SDK clients: creation rules and
 * time, data that reaches a replica only after the lag, promotion keeping only what was applied, the
 * ReplicaLag metric (CloudWatch) while written, draining, idle PostgreSQL and stalled, and a source
 * deleted under its replicas. Only Date is faked: the account's clock moves with `advance`.
 */
import { CloudWatchClient, GetMetricDataCommand, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { readFileSync } from 'node:fs';
import { AutoScalingClient, EnterStandbyCommand, UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CreateDBInstanceReadReplicaCommand, DescribeDBInstancesCommand, PromoteReadReplicaCommand, RDSClient } from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import type { SimAccount } from '../../local/sim/account';
import { RDS_PUBLICATION_DELAY_MS } from '../../local/sim/cloudwatch';
import { type TimingProfile, ZERO_TIMING } from '../../local/sim/core';
import { errorWithStatusOf as errorOf, simulatedAccountPerTest } from '../fixtures/sim-account';

const TIMED: TimingProfile = {
  ...ZERO_TIMING,
  snapshotFixedSeconds: 60,
  snapshotSecondsPerGb: 1,
  restoreFixedSeconds: 300,
  restoreSecondsPerGb: 1,
  dbDeleteSeconds: 60,
  replicaLagSeconds: 30,
  replicaCatchUpRate: 2,
  promoteSeconds: 120,
};

let account: SimAccount;
let rds: RDSClient;
let cw: CloudWatchClient;
const sim = simulatedAccountPerTest(TIMED);
const advance = sim.advance;

function setUp(timing?: TimingProfile): void {
  account = sim.setUp(timing);
  rds = new RDSClient({ maxAttempts: 1 });
  cw = new CloudWatchClient({ maxAttempts: 1 });
}

const row = (id: number) => ({ id, name: `customer-${id}` });
const rows = (n: number) => Array.from({ length: n }, (_, k) => row(k + 1));

/** A source available now, 100 GB, with `n` customers; written or not. */
function source(options: { engine?: string; writing?: boolean; customers?: number; backupRetentionPeriod?: number; kmsKeyId?: string } = {}): void {
  account.rds.createInstance({
    identifier: 'orders-db',
    allocatedStorage: 100,
    readyAt: Date.now(),
    tables: { customers: rows(options.customers ?? 2) },
    ...(options.engine ? { engine: options.engine } : {}),
    ...(options.backupRetentionPeriod !== undefined ? { backupRetentionPeriod: options.backupRetentionPeriod } : {}),
    ...(options.kmsKeyId ? { kmsKeyId: options.kmsKeyId } : {}),
  });
  if (options.writing !== undefined) account.rds.setWriteActivity('orders-db', options.writing);
}

/** Appends a customer to the source (the application writing). */
function write(id: number): void {
  const tables = account.rds.instance('orders-db')!.tables;
  account.rds.setTables('orders-db', { ...tables, customers: [...(tables.customers ?? []), row(id)] });
}

const customersOf = (id: string) => (account.rds.instance(id)?.tables.customers ?? []).map((r) => r.id);

async function describeOne(id: string) {
  return (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances![0]!;
}

/** ReplicaLag through GetMetricData, Maximum per 60 s, oldest first, from `from` (ms) to now. */
async function lagReadings(id: string, from: number): Promise<{ at: number; max: number }[]> {
  const out = await cw.send(
    new GetMetricDataCommand({
      StartTime: new Date(from),
      EndTime: new Date(Date.now()),
      ScanBy: 'TimestampAscending',
      MetricDataQueries: [{ Id: 'lag', MetricStat: { Metric: { Namespace: 'AWS/RDS', MetricName: 'ReplicaLag', Dimensions: [{ Name: 'DBInstanceIdentifier', Value: id }] }, Period: 60, Stat: 'Maximum' } }],
    }),
  );
  const r = out.MetricDataResults![0]!;
  return r.Timestamps!.map((t, n) => ({ at: t.getTime(), max: r.Values![n]! }));
}

describe('RDS read replicas: creation', () => {
  it('take a snapshot of the source plus a restore to create, hold the data as of the request, and are encrypted with the source key', async () => {
    setUp();
    const key = account.kms.createKey('orders');
    source({ kmsKeyId: key.arn, customers: 3 });
    const out = await rds.send(new CreateDBInstanceReadReplicaCommand({ DBInstanceIdentifier: 'Orders-Replica', SourceDBInstanceIdentifier: 'orders-db' }));
    expect(out.DBInstance).toMatchObject({ DBInstanceIdentifier: 'orders-replica', DBInstanceStatus: 'creating', ReadReplicaSourceDBInstanceIdentifier: 'orders-db', StorageEncrypted: true, KmsKeyId: key.arn, BackupRetentionPeriod: 0 });
    // Snapshot 60 + 100 s, restore 300 + 100 s.
    advance(559);
    expect((await describeOne('orders-replica')).DBInstanceStatus).toBe('creating');
    advance(1);
    const replica = await describeOne('orders-replica');
    expect(replica).toMatchObject({ DBInstanceStatus: 'available', Engine: 'postgres', AllocatedStorage: 100, StatusInfos: [{ StatusType: 'read replication', Normal: true, Status: 'replicating' }] });
    expect(customersOf('orders-replica')).toEqual([1, 2, 3]);
    expect(await describeOne('orders-db')).toMatchObject({ ReadReplicaDBInstanceIdentifiers: ['orders-replica'], BackupRetentionPeriod: 1 });
    expect(account.rds.instance('orders-replica')).toMatchObject({ replicaOf: 'orders-db', replicas: [] });
    expect(account.rds.instance('orders-db')).toMatchObject({ replicas: ['orders-replica'] });
  });

  it('are refused for a missing source, a source not available, one without automated backups, an engine without instance replicas, and beyond 15 per source', async () => {
    setUp();
    const create = (id: string, sourceId = 'orders-db') => rds.send(new CreateDBInstanceReadReplicaCommand({ DBInstanceIdentifier: id, SourceDBInstanceIdentifier: sourceId }));
    expect(await errorOf(create('r1', 'ghost'))).toMatchObject({ name: 'DBInstanceNotFoundFault', status: 404 });

    account.rds.createInstance({ identifier: 'orders-db', allocatedStorage: 10 });
    expect(await errorOf(create('r1'))).toMatchObject({ name: 'InvalidDBInstanceStateFault', message: expect.stringContaining('not in available state') });

    account.rds.createInstance({ identifier: 'no-backups', allocatedStorage: 10, readyAt: Date.now(), backupRetentionPeriod: 0 });
    expect(await errorOf(create('r1', 'no-backups'))).toMatchObject({
      name: 'InvalidDBInstanceStateFault',
      message: 'Automated backups are not enabled for this database instance. To enable automated backups, use ModifyDBInstance to set the backup retention period to a non-zero value.',
    });
    account.rds.createInstance({ identifier: 'sql-se', allocatedStorage: 10, readyAt: Date.now(), engine: 'sqlserver-se' });
    expect(await errorOf(create('r1', 'sql-se'))).toMatchObject({ name: 'InvalidParameterCombination' });

    account.rds.createInstance({ identifier: 'busy', allocatedStorage: 10, readyAt: Date.now() });
    for (let n = 1; n <= 15; n++) await create(`busy-r${n}`, 'busy');
    expect(await errorOf(create('busy-r16', 'busy'))).toMatchObject({ name: 'InvalidParameterCombination', message: expect.stringContaining('maximum number of read replicas (15)') });
    // By ARN in the same Region, as CloudFormation may pass it.
    account.rds.createInstance({ identifier: 'by-arn', allocatedStorage: 10, readyAt: Date.now() });
    await create('by-arn-r1', 'arn:aws:rds:us-east-1:123456789012:db:by-arn');
    expect(account.rds.instance('by-arn-r1')?.replicaOf).toBe('by-arn');
  });
});

describe('RDS read replicas: data and lag', () => {
  it('show a row written to the source only replicaLagSeconds after it was written', () => {
    setUp();
    source({ writing: true });
    account.rds.createReadReplica({ identifier: 'orders-replica', sourceIdentifier: 'orders-db', readyAt: Date.now() });
    advance(120);
    write(3);
    advance(29);
    expect(customersOf('orders-replica')).toEqual([1, 2]);
    advance(1);
    expect(customersOf('orders-replica')).toEqual([1, 2, 3]);
  });

  it('start behind by their creation time and catch up to the steady lag at replicaCatchUpRate while the source is written', () => {
    setUp();
    source({ writing: true });
    account.rds.createReadReplica({ identifier: 'orders-replica', sourceIdentifier: 'orders-db' });
    const t0 = Date.now();
    advance(1);
    write(3); // after the snapshot: not in the replica until it has applied it
    advance(559);
    expect(account.rds.replicaLag('orders-replica')).toBe(560);
    expect(customersOf('orders-replica')).toEqual([1, 2]);
    // 2 source seconds a second: at 560 + x it has applied 2x; it meets now - 30 when x = 530.
    advance(100);
    expect(account.rds.replicaLag('orders-replica')).toBe(460);
    expect(customersOf('orders-replica')).toEqual([1, 2, 3]);
    vitestAt(t0 + 1090_000);
    expect(account.rds.replicaLag('orders-replica')).toBe(30);
    advance(600);
    expect(account.rds.replicaLag('orders-replica')).toBe(30);
  });

  it('keep, once promoted, only what they had applied when the promotion started: a write not yet applied is missing for good', async () => {
    setUp();
    source({ writing: true });
    account.rds.createReadReplica({ identifier: 'orders-replica', sourceIdentifier: 'orders-db', readyAt: Date.now() });
    advance(60);
    write(3);
    advance(10); // 20 s before the replica would apply it
    const promoted = await rds.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: 'orders-replica' }));
    expect(promoted.DBInstance).toMatchObject({ DBInstanceStatus: 'modifying', ReadReplicaSourceDBInstanceIdentifier: 'orders-db' });
    expect(promoted.DBInstance?.StatusInfos).toBeUndefined();
    advance(119);
    expect((await describeOne('orders-replica')).DBInstanceStatus).toBe('modifying');
    advance(1);
    const standalone = await describeOne('orders-replica');
    expect(standalone).toMatchObject({ DBInstanceStatus: 'available', BackupRetentionPeriod: 1 });
    expect(standalone.ReadReplicaSourceDBInstanceIdentifier).toBeUndefined();
    expect((await describeOne('orders-db')).ReadReplicaDBInstanceIdentifiers).toEqual([]);
    expect(customersOf('orders-replica')).toEqual([1, 2]);
    expect(customersOf('orders-db')).toEqual([1, 2, 3]);
    // A standalone instance takes writes of its own; the former source's writes no longer reach it.
    write(4);
    advance(60);
    expect(customersOf('orders-replica')).toEqual([1, 2]);
  });

  it('refuse PromoteReadReplica for an instance that is not a replica, and for a replica not available', async () => {
    setUp();
    source();
    account.rds.createReadReplica({ identifier: 'orders-replica', sourceIdentifier: 'orders-db' });
    const notReplica = await errorOf(rds.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: 'orders-db' })));
    expect(notReplica).toMatchObject({ name: 'InvalidDBInstanceStateFault', message: 'DB Instance orders-db is not a read replica.' });
    const creating = await errorOf(rds.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: 'orders-replica' })));
    expect(creating).toMatchObject({ name: 'InvalidDBInstanceStateFault', message: expect.stringContaining('Current state is creating') });
  });

  it('are promoted, with what they had applied, when their source is deleted; the source is deleted', async () => {
    setUp();
    source({ writing: true });
    account.rds.createReadReplica({ identifier: 'orders-replica', sourceIdentifier: 'orders-db', readyAt: Date.now() });
    advance(60);
    write(3);
    advance(5);
    account.rds.deleteInstance('orders-db');
    expect((await describeOne('orders-replica')).DBInstanceStatus).toBe('modifying');
    advance(120);
    expect((await describeOne('orders-replica')).DBInstanceStatus).toBe('available');
    expect(account.rds.instance('orders-replica')?.replicaOf).toBeUndefined();
    expect(account.rds.instance('orders-db')).toBeUndefined();
    expect(customersOf('orders-replica')).toEqual([1, 2]);
  });
});

describe('RDS read replicas: ReplicaLag in CloudWatch', () => {
  it('reads replicaLagSeconds while the source is written, drains to 0 once writes stop (MySQL), a point per minute published a minute after it', async () => {
    setUp();
    source({ engine: 'mysql', writing: true });
    account.rds.createReadReplica({ identifier: 'orders-replica', sourceIdentifier: 'orders-db', readyAt: Date.now() });
    const t0 = Date.now();
    advance(300);
    write(3);
    account.rds.setWriteActivity('orders-db', false);
    const since = Date.now();
    advance(29);
    expect(customersOf('orders-replica')).toEqual([1, 2]);
    advance(1);
    expect(customersOf('orders-replica')).toEqual([1, 2, 3]);
    advance(300 - 30);
    const readings = await lagReadings('orders-replica', t0);
    // Minutes 0..8 are published (the minute starting at 9:00 ends at 10:00 and is readable at 11:00).
    expect(readings.map((r) => (r.at - t0) / 60_000)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(readings.map((r) => r.max)).toEqual([30, 30, 30, 30, 30, 0, 0, 0, 0]);
    // GetMetricStatistics answers the same points.
    const stats = await cw.send(
      new GetMetricStatisticsCommand({ Namespace: 'AWS/RDS', MetricName: 'ReplicaLag', Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'orders-replica' }], StartTime: new Date(t0), EndTime: new Date(Date.now()), Period: 60, Statistics: ['Maximum'] }),
    );
    expect(stats.Datapoints?.map((d) => d.Maximum)).toEqual([30, 30, 30, 30, 30, 0, 0, 0, 0]);
    expect(stats.Datapoints?.[0]?.Unit).toBe('Seconds');
    expect(since).toBeGreaterThan(t0);
  });

  it('reports up to five minutes of lag for an idle PostgreSQL source, never 0, so catch-up shows as a reading whose minute minus its lag is after the writes stopped', async () => {
    setUp();
    source({ writing: true });
    account.rds.createReadReplica({ identifier: 'orders-replica', sourceIdentifier: 'orders-db', readyAt: Date.now() });
    advance(120);
    account.rds.setWriteActivity('orders-db', false);
    const since = Date.now();
    advance(20 * 60);
    const after = (await lagReadings('orders-replica', since)).filter((r) => r.at >= since);
    expect(after.length).toBeGreaterThan(15);
    expect(after.every((r) => r.max > 0 && r.max < 300 + 60)).toBe(true);
    expect(Math.max(...after.map((r) => r.max))).toBeGreaterThan(200);
    // Everything written before `since` is applied once the replica has replayed a commit made after it
    // (a heartbeat): a reading stamped T with Maximum M proves it when T - M >= since.
    const proofs = after.filter((r) => r.at - r.max * 1000 >= since);
    expect(proofs.length).toBeGreaterThan(0);
  });

  it('never drains under the replicaStalls fault: the lag keeps growing and the last writes never arrive, while replication still says replicating', async () => {
    setUp();
    account.faults.silent.replicaStalls = {};
    source({ engine: 'mysql', writing: true });
    account.rds.createReadReplica({ identifier: 'orders-replica', sourceIdentifier: 'orders-db', readyAt: Date.now() });
    advance(60);
    write(3);
    account.rds.setWriteActivity('orders-db', false);
    const since = Date.now();
    advance(3600);
    expect(customersOf('orders-replica')).toEqual([1, 2]);
    expect(account.rds.replicaLag('orders-replica')).toBe(3600 + 30);
    const readings = await lagReadings('orders-replica', since);
    expect(readings.every((r) => r.at - r.max * 1000 < since)).toBe(true);
    expect((await describeOne('orders-replica')).StatusInfos?.[0]?.Status).toBe('replicating');
  });

  it('has no ReplicaLag for an instance that is not a replica, nor before its replica is available, nor after its promotion', async () => {
    setUp();
    source({ engine: 'mysql', writing: true });
    account.rds.createReadReplica({ identifier: 'orders-replica', sourceIdentifier: 'orders-db' });
    const t0 = Date.now();
    advance(560 + 300);
    await rds.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: 'orders-replica' }));
    const promotedAt = Date.now();
    advance(600);
    expect(await lagReadings('orders-db', t0)).toEqual([]);
    const readings = await lagReadings('orders-replica', t0);
    expect(readings.length).toBeGreaterThan(0);
    expect(readings.every((r) => r.at >= t0 + 540_000 && r.at + 60_000 <= promotedAt)).toBe(true);
    expect(RDS_PUBLICATION_DELAY_MS).toBe(60_000);
  });
});

describe('RDS read replicas: write activity derived from the source stack', () => {
  it('count the source as written while its Auto Scaling group serves, and as idle from the first call after its instances are in standby', async () => {
    setUp();
    const template = readFileSync(new URL('../../examples/environment.yaml', import.meta.url), 'utf8');
    account.cloudformation.createStackNow('orders', template, { VpcId: 'vpc-0123', SubnetIds: 'subnet-a,subnet-b', EnvironmentVersion: '1.3.0' });
    const resource = (type: string) => account.cloudformation.resourcesOf('orders').find((r) => r.type === type)!.physicalId;
    const db = resource('AWS::RDS::DBInstance');
    const group = resource('AWS::AutoScaling::AutoScalingGroup');
    account.rds.createReadReplica({ identifier: 'orders-replica', sourceIdentifier: db, readyAt: Date.now() });
    const t0 = Date.now();
    advance(3600);
    // Serving: the source is taken as written all along, so the replica stays replicaLagSeconds behind.
    expect(account.rds.replicaLag('orders-replica')).toBe(30);
    expect((await lagReadings('orders-replica', t0)).every((r) => r.max === 30)).toBe(true);

    const ids = account.autoscaling.group(group)!.instances.map((i) => i.id);
    const autoscaling = new AutoScalingClient({ maxAttempts: 1 });
    await autoscaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: group, MinSize: 0 }));
    await autoscaling.send(new EnterStandbyCommand({ AutoScalingGroupName: group, InstanceIds: ids, ShouldDecrementDesiredCapacity: true }));
    await describeOne(db); // the first call after the instances are in standby (0 s transitions here)
    const since = Date.now();
    advance(15 * 60);
    const after = (await lagReadings('orders-replica', since)).filter((r) => r.at >= since);
    expect(after.some((r) => r.at - r.max * 1000 >= since)).toBe(true);
  });
});

/** Sets the fake clock to `ms`. */
function vitestAt(ms: number): void {
  advance((ms - Date.now()) / 1000);
}
