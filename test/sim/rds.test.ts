import {
  AddTagsToResourceCommand,
  CreateDBSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  ListTagsForResourceCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import { SimAccount } from '../../local/sim/account';
import { type TimingProfile, ZERO_TIMING } from '../../local/sim/core';
import { errorWithStatusOf as errorOf, simulatedAccountPerTest } from '../fixtures/sim-account';

const TIMED: TimingProfile = {
  ...ZERO_TIMING,
  snapshotFixedSeconds: 60,
  snapshotSecondsPerGb: 2,
  restoreFixedSeconds: 300,
  restoreSecondsPerGb: 1,
  dbDeleteSeconds: 120,
};

let account: SimAccount;
let rds: RDSClient;

const sim = simulatedAccountPerTest();
const advance = sim.advance;

function setUp(timing?: TimingProfile): void {
  account = sim.setUp(timing);
  rds = new RDSClient({ maxAttempts: 1 });
}


const customers = [{ id: 1, name: 'Ada' }, { id: 2, name: 'Grace' }, { id: 3, name: 'Edsger' }];

describe('RDS snapshots', () => {
  it('capture the data at request time, stay creating for fixed + per-GB seconds, then become available', async () => {
    setUp(TIMED);
    account.rds.createInstance({ identifier: 'orders-db', allocatedStorage: 100, tables: { customers }, readyAt: Date.now() });
    const out = await rds.send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: 'Snap-1', DBInstanceIdentifier: 'orders-db' }));
    expect(out.DBSnapshot).toMatchObject({ DBSnapshotIdentifier: 'snap-1', Status: 'creating', SnapshotType: 'manual', AllocatedStorage: 100 });

    // Writes after the request are not in the snapshot.
    account.rds.setTables('orders-db', { customers: [...customers, { id: 4, name: 'Barbara' }] });

    advance(60 + 2 * 100 - 1);
    let described = await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'snap-1' }));
    expect(described.DBSnapshots?.[0]?.Status).toBe('creating');
    advance(1);
    described = await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'snap-1' }));
    expect(described.DBSnapshots?.[0]).toMatchObject({ Status: 'available', PercentProgress: 100 });
    expect(account.rds.snapshot('snap-1')?.tables.customers).toEqual(customers);
  });

  it('restore into a new instance that holds the snapshot data and is creating until the restore time has passed', async () => {
    setUp(TIMED);
    account.rds.createInstance({ identifier: 'orders-db', allocatedStorage: 50, tables: { customers }, readyAt: Date.now() });
    await rds.send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: 'snap-1', DBInstanceIdentifier: 'orders-db' }));
    advance(60 + 100);
    account.rds.restoreFromSnapshot({ identifier: 'orders-copy', snapshotIdentifier: 'snap-1', allocatedStorage: 80 });
    const copy = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'orders-copy' }));
    expect(copy.DBInstances?.[0]).toMatchObject({ DBInstanceStatus: 'creating', AllocatedStorage: 80 });
    expect(copy.DBInstances?.[0]?.Endpoint).toBeUndefined();
    advance(300 + 80);
    const ready = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'orders-copy' }));
    expect(ready.DBInstances?.[0]?.DBInstanceStatus).toBe('available');
    expect(ready.DBInstances?.[0]?.Endpoint?.Port).toBe(5432);
    expect(account.rds.instance('orders-copy')?.tables).toEqual({ customers });
  });

  it('refuse to restore from a snapshot that is missing or still being created', () => {
    setUp(TIMED);
    account.rds.createInstance({ identifier: 'orders-db', allocatedStorage: 10, readyAt: Date.now() });
    expect(() => account.rds.restoreFromSnapshot({ identifier: 'x', snapshotIdentifier: 'nope' })).toThrow('DBSnapshot not found: nope');
    return rds.send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: 'snap-1', DBInstanceIdentifier: 'orders-db' })).then(() => {
      expect(() => account.rds.restoreFromSnapshot({ identifier: 'x', snapshotIdentifier: 'snap-1' })).toThrow(/not in the available state/);
    });
  });

  it('reject a duplicate identifier with DBSnapshotAlreadyExistsFault, identifiers compared in lowercase', async () => {
    setUp();
    account.rds.createInstance({ identifier: 'orders-db', allocatedStorage: 10 });
    await rds.send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: 'snap-a', DBInstanceIdentifier: 'ORDERS-DB' }));
    const err = await errorOf(rds.send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: 'SNAP-A', DBInstanceIdentifier: 'orders-db' })));
    expect(err).toMatchObject({ name: 'DBSnapshotAlreadyExistsFault', status: 400 });
    expect(err.message).toBe('Cannot create the snapshot because a snapshot with the identifier snap-a already exists.');
  });

  it.each(['1snap', 'snap--a', 'snap-', 'snap_a', '', 'a'.repeat(256)])('reject the invalid identifier %j with InvalidParameterValue', async (id) => {
    setUp();
    account.rds.createInstance({ identifier: 'orders-db', allocatedStorage: 10 });
    const err = await errorOf(rds.send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: id, DBInstanceIdentifier: 'orders-db' })));
    expect(err.name).toBe('InvalidParameterValue');
    expect(err.message).toMatch(/^The parameter DBSnapshotIdentifier is not a valid identifier/);
  });

  it('cannot be taken of an instance that is not available, nor of one that does not exist', async () => {
    setUp(TIMED);
    account.rds.createInstance({ identifier: 'orders-db', allocatedStorage: 10 });
    const creating = await errorOf(rds.send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: 's1', DBInstanceIdentifier: 'orders-db' })));
    expect(creating).toMatchObject({ name: 'InvalidDBInstanceStateFault' });
    expect(creating.message).toContain('orders-db is not currently in the available state');
    const missing = await errorOf(rds.send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: 's1', DBInstanceIdentifier: 'ghost' })));
    expect(missing).toMatchObject({ name: 'DBInstanceNotFoundFault', status: 404, message: 'DBInstance ghost not found.' });
  });

  it('are described by identifier (missing: DBSnapshotNotFoundFault) or by instance (a list, with TagList), paginated by Marker', async () => {
    setUp();
    account.rds.createInstance({ identifier: 'orders-db', allocatedStorage: 10 });
    account.rds.createInstance({ identifier: 'other-db', allocatedStorage: 10 });
    for (let n = 0; n < 25; n++) {
      await rds.send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: `s-${n}`, DBInstanceIdentifier: 'orders-db', Tags: [{ Key: 'run', Value: String(n) }] }));
    }
    await rds.send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: 'other', DBInstanceIdentifier: 'other-db' }));

    const missing = await errorOf(rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'nope' })));
    expect(missing).toMatchObject({ name: 'DBSnapshotNotFoundFault', status: 404, message: 'DBSnapshot not found: nope' });

    const first = await rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: 'orders-db', MaxRecords: 20 }));
    expect(first.DBSnapshots).toHaveLength(20);
    expect(first.Marker).toBeDefined();
    const second = await rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: 'orders-db', MaxRecords: 20, Marker: first.Marker }));
    expect(second.DBSnapshots).toHaveLength(5);
    expect(second.Marker).toBeUndefined();
    expect(second.DBSnapshots?.[4]?.TagList).toEqual([{ Key: 'run', Value: '24' }]);
    const tooSmall = await errorOf(rds.send(new DescribeDBSnapshotsCommand({ MaxRecords: 5 })));
    expect(tooSmall.name).toBe('InvalidParameterValue');
  });

  it('can be deleted only once available, and then are gone', async () => {
    setUp(TIMED);
    account.rds.createInstance({ identifier: 'orders-db', allocatedStorage: 10, readyAt: Date.now() });
    await rds.send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: 's1', DBInstanceIdentifier: 'orders-db' }));
    expect((await errorOf(rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 's1' })))).name).toBe('InvalidDBSnapshotStateFault');
    advance(80);
    const deleted = await rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 's1' }));
    expect(deleted.DBSnapshot?.Status).toBe('deleted');
    expect((await errorOf(rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 's1' })))).name).toBe('DBSnapshotNotFoundFault');
  });

  it('take tags by ARN through AddTagsToResource, merging keys', async () => {
    setUp();
    account.rds.createInstance({ identifier: 'orders-db', allocatedStorage: 10 });
    const out = await rds.send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: 's1', DBInstanceIdentifier: 'orders-db', Tags: [{ Key: 'a', Value: '1' }] }));
    const arn = out.DBSnapshot?.DBSnapshotArn as string;
    expect(arn).toBe('arn:aws:rds:us-east-1:123456789012:snapshot:s1');
    await rds.send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: [{ Key: 'a', Value: '2' }, { Key: 'b', Value: '3' }] }));
    const tags = await rds.send(new ListTagsForResourceCommand({ ResourceName: arn }));
    expect(tags.TagList).toEqual([{ Key: 'a', Value: '2' }, { Key: 'b', Value: '3' }]);
    const missing = await errorOf(rds.send(new ListTagsForResourceCommand({ ResourceName: 'arn:aws:rds:us-east-1:123456789012:snapshot:gone' })));
    expect(missing.name).toBe('DBSnapshotNotFoundFault');
  });
});

describe('RDS instances', () => {
  it('are deleting for dbDeleteSeconds, then no longer described (DBInstanceNotFoundFault)', async () => {
    setUp(TIMED);
    account.rds.createInstance({ identifier: 'orders-db', allocatedStorage: 10, readyAt: Date.now() });
    account.rds.deleteInstance('orders-db', { finalSnapshotIdentifier: 'orders-db-final' });
    const deleting = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'orders-db' }));
    expect(deleting.DBInstances?.[0]?.DBInstanceStatus).toBe('deleting');
    expect(account.rds.snapshot('orders-db-final')).toBeDefined();
    advance(120);
    const gone = await errorOf(rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'orders-db' })));
    expect(gone).toMatchObject({ name: 'DBInstanceNotFoundFault', status: 404 });
  });

  it('reject a duplicate identifier with DBInstanceAlreadyExistsFault, also while the first is being deleted', () => {
    setUp(TIMED);
    account.rds.createInstance({ identifier: 'orders-db', allocatedStorage: 10 });
    account.rds.deleteInstance('orders-db');
    expect(() => account.rds.createInstance({ identifier: 'Orders-DB', allocatedStorage: 10 })).toThrow(expect.objectContaining({ name: 'DBInstanceAlreadyExistsFault' }));
  });

  it('lose the last rows of every table on restore under the restoreDropsRows fault, only for the named stack', async () => {
    setUp();
    account.rds.createInstance({ identifier: 'orders-db', allocatedStorage: 10, tables: { customers, orders: [{ id: 'o1' }] } });
    await rds.send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: 's1', DBInstanceIdentifier: 'orders-db' }));
    account.faults.silent.restoreDropsRows = { rows: 1, onlyInstancesOfStack: 'orders-tmp' };
    account.rds.restoreFromSnapshot({ identifier: 'elsewhere', snapshotIdentifier: 's1', stackName: 'orders-other' });
    account.rds.restoreFromSnapshot({ identifier: 'victim', snapshotIdentifier: 's1', stackName: 'orders-tmp' });
    expect(account.rds.instance('elsewhere')?.tables).toEqual({ customers, orders: [{ id: 'o1' }] });
    expect(account.rds.instance('victim')?.tables).toEqual({ customers: customers.slice(0, 2), orders: [] });
  });
});
