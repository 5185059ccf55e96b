import {
  CreateDBSnapshotCommand,
  DBSnapshotAlreadyExistsFault,
  DescribeDBSnapshotsCommand,
  InvalidDBInstanceStateFault,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SNAPSHOT_ID_MAX, snapshot, snapshotIdentifier } from '../../lambdas/snapshot/core';
import type { SnapshotEvent } from '../../lambdas/shared/contracts';
import { PreflightFailed, ResourceConflict } from '../../lambdas/shared/errors';
import { TAGS } from '../../lambdas/steps';

const rdsMock = mockClient(RDSClient);
const rds = new RDSClient({ region: 'eu-west-1' });
const execution = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };

/** RDS: 1-255 letters, digits, hyphens; a letter first; no two consecutive hyphens; no trailing hyphen. */
const VALID_RDS_ID = /^[a-z](?:[a-z0-9]|-(?!-))*$/;
const isValidSnapshotId = (id: string) => VALID_RDS_ID.test(id) && !id.endsWith('-') && id.length <= SNAPSHOT_ID_MAX;

const event = (dbs: [string, string][]): SnapshotEvent => ({
  sourceStackName: 'orders-prod',
  dbInstances: dbs.map(([logicalId, id]) => ({ logicalId, dbInstanceIdentifier: id, allocatedStorageGb: 20, engine: 'postgres' })),
  phase: 'c1',
  runId: '1a2b3c4d',
  execution,
});

beforeEach(() => rdsMock.reset());
afterAll(() => rdsMock.restore());

describe('snapshotIdentifier', () => {
  it('is em-<runId>-<phase>-<logical id>, lowercase', () => {
    expect(snapshotIdentifier('1a2b3c4d', 'c1', 'Database')).toBe('em-1a2b3c4d-c1-database');
  });

  it('is deterministic', () => {
    expect(snapshotIdentifier('1a2b3c4d', 'c2', 'OrdersDb')).toBe(snapshotIdentifier('1a2b3c4d', 'c2', 'OrdersDb'));
  });

  it.each([
    ['underscores and dots', 'My_Db.Primary'],
    ['consecutive separators', 'a--__--b'],
    ['leading and trailing hyphens', '--db--'],
    ['only symbols', '!!!'],
    ['empty', ''],
    ['unicode', 'Données数据库'],
    ['emoji', '🗄️db'],
    ['whitespace and newlines', 'my db\n\tprimary'],
    ['path traversal', '../../etc/passwd'],
    ['shell', '$(rm -rf /)'],
    ['300 characters', 'D'.repeat(300)],
    ['300 characters ending after a cut on a hyphen', `${'a'.repeat(229)}-${'b'.repeat(70)}`],
  ])('stays a valid RDS identifier for a logical id with %s', (_name, logicalId) => {
    const id = snapshotIdentifier('1a2b3c4d', 'c1', logicalId);
    expect(isValidSnapshotId(id), id).toBe(true);
  });

  it('stays valid for any string (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), (logicalId, runId, phase) => {
        expect(isValidSnapshotId(snapshotIdentifier(runId, phase, logicalId))).toBe(true);
      }),
    );
  });

  it('keeps apart logical ids that sanitize alike', () => {
    expect(snapshotIdentifier('r', 'c1', 'My_Db')).not.toBe(snapshotIdentifier('r', 'c1', 'My.Db'));
    expect(snapshotIdentifier('r', 'c1', 'D'.repeat(300))).not.toBe(snapshotIdentifier('r', 'c1', `${'D'.repeat(299)}E`));
  });

  it('gives distinct CloudFormation logical ids (alphanumeric) distinct identifiers (property)', () => {
    const logicalId = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,254}$/);
    fc.assert(
      fc.property(logicalId, logicalId, (a, b) => {
        fc.pre(a.toLowerCase() !== b.toLowerCase());
        expect(snapshotIdentifier('1a2b3c4d', 'c1', a)).not.toBe(snapshotIdentifier('1a2b3c4d', 'c1', b));
      }),
    );
  });
});

describe('snapshot', () => {
  it('starts one tagged snapshot per database under its deterministic name', async () => {
    rdsMock.on(CreateDBSnapshotCommand).resolves({});
    const result = await snapshot(rds, event([['Database', 'orders-prod-database-1'], ['Reports', 'orders-prod-reports-1']]));
    expect(result.snapshots).toEqual([
      { logicalId: 'Database', dbInstanceIdentifier: 'orders-prod-database-1', snapshotIdentifier: 'em-1a2b3c4d-c1-database' },
      { logicalId: 'Reports', dbInstanceIdentifier: 'orders-prod-reports-1', snapshotIdentifier: 'em-1a2b3c4d-c1-reports' },
    ]);
    expect(rdsMock.commandCalls(CreateDBSnapshotCommand)[0]?.args[0].input).toEqual({
      DBSnapshotIdentifier: 'em-1a2b3c4d-c1-database',
      DBInstanceIdentifier: 'orders-prod-database-1',
      Tags: [
        { Key: TAGS.execution, Value: execution.id },
        { Key: TAGS.sourceStack, Value: 'orders-prod' },
      ],
    });
  });

  it('counts a snapshot that already exists and carries our tag as done (a retry)', async () => {
    rdsMock.on(CreateDBSnapshotCommand).rejects(new DBSnapshotAlreadyExistsFault({ $metadata: {}, message: 'exists' }));
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [{ DBSnapshotIdentifier: 'em-1a2b3c4d-c1-database', DBInstanceIdentifier: 'orders-prod-database-1', Status: 'creating', TagList: [{ Key: TAGS.execution, Value: execution.id }] }],
    });
    const result = await snapshot(rds, event([['Database', 'orders-prod-database-1']]));
    expect(result.snapshots).toHaveLength(1);
  });

  it('refuses (ResourceConflict) a snapshot under our name that is not ours', async () => {
    rdsMock.on(CreateDBSnapshotCommand).rejects(new DBSnapshotAlreadyExistsFault({ $metadata: {}, message: 'exists' }));
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [{ DBSnapshotIdentifier: 'em-1a2b3c4d-c1-database', DBInstanceIdentifier: 'orders-prod-database-1', TagList: [{ Key: TAGS.execution, Value: 'another' }] }],
    });
    await expect(snapshot(rds, event([['Database', 'orders-prod-database-1']]))).rejects.toBeInstanceOf(ResourceConflict);
  });

  it('refuses a snapshot of ours that is of another database', async () => {
    rdsMock.on(CreateDBSnapshotCommand).rejects(new DBSnapshotAlreadyExistsFault({ $metadata: {}, message: 'exists' }));
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [{ DBSnapshotIdentifier: 'em-1a2b3c4d-c1-database', DBInstanceIdentifier: 'someone-else', TagList: [{ Key: TAGS.execution, Value: execution.id }] }],
    });
    await expect(snapshot(rds, event([['Database', 'orders-prod-database-1']]))).rejects.toBeInstanceOf(ResourceConflict);
  });

  it('refuses two databases whose identifiers would collide, before any snapshot is started', async () => {
    await expect(snapshot(rds, event([['OrdersDb', 'a'], ['ordersdb', 'b']]))).rejects.toBeInstanceOf(PreflightFailed);
    expect(rdsMock.commandCalls(CreateDBSnapshotCommand)).toHaveLength(0);
  });

  it('lets other RDS errors through for the handler to classify', async () => {
    rdsMock.on(CreateDBSnapshotCommand).rejects(new InvalidDBInstanceStateFault({ $metadata: {}, message: 'not available' }));
    await expect(snapshot(rds, event([['Database', 'orders-prod-database-1']]))).rejects.toMatchObject({ name: 'InvalidDBInstanceStateFault' });
  });
});
