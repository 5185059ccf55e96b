import { readFileSync } from 'node:fs';
import { CloudFormationClient, DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import { DescribeKeyCommand, KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { CreateDBSnapshotCommand, DescribeDBInstancesCommand, DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetBucketEncryptionCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { withStackKmsKey } from '../../local/sample-environment';
import type { SimAccount } from '../../local/sim/account';
import { errorOf, simulatedAccountPerTest } from '../fixtures/sim-account';

const ENVIRONMENT = readFileSync(new URL('../../examples/environment.yaml', import.meta.url), 'utf8');
const PARAMETERS = { VpcId: 'vpc-0123', SubnetIds: 'subnet-a,subnet-b', EnvironmentVersion: '1.3.0' };
const DAY = 24 * 3600;

let account: SimAccount;
const sim = simulatedAccountPerTest();
const kms = () => new KMSClient({ maxAttempts: 1 });
const rds = () => new RDSClient({ maxAttempts: 1 });

function dbOf(stack: string): string {
  return account.cloudformation.resourcesOf(stack).find((r) => r.logicalId === 'OrdersDb')!.physicalId;
}

describe('KMS keys', () => {
  it('are Enabled, then PendingDeletion for the waiting period (default 30 days), then gone with their aliases', async () => {
    account = sim.setUp();
    const key = account.kms.createKey('test');
    account.kms.createAlias('alias/orders', key.keyId);
    const described = await kms().send(new DescribeKeyCommand({ KeyId: 'alias/orders' }));
    expect(described.KeyMetadata).toMatchObject({ KeyId: key.keyId, Arn: key.arn, KeyState: 'Enabled', KeyManager: 'CUSTOMER' });

    const scheduled = await kms().send(new ScheduleKeyDeletionCommand({ KeyId: key.arn }));
    expect(scheduled.PendingWindowInDays).toBe(30);
    expect((await kms().send(new DescribeKeyCommand({ KeyId: key.keyId }))).KeyMetadata?.KeyState).toBe('PendingDeletion');
    expect(account.kms.usable(key.arn)).toBe(false);

    sim.advance(30 * DAY);
    expect((await errorOf(kms().send(new DescribeKeyCommand({ KeyId: key.keyId })))).name).toBe('NotFoundException');
    expect((await errorOf(kms().send(new DescribeKeyCommand({ KeyId: 'alias/orders' })))).name).toBe('NotFoundException');
  });

  it('refuse a waiting period outside 7-30 days', async () => {
    account = sim.setUp();
    const key = account.kms.createKey();
    expect((await errorOf(kms().send(new ScheduleKeyDeletionCommand({ KeyId: key.keyId, PendingWindowInDays: 6 })))).name).toBe('ValidationException');
  });
});

describe('A stack-owned KMS key encrypting a database', () => {
  function createEncryptedEnvironment(retain: boolean): { keyArn: string; db: string } {
    account = sim.setUp();
    account.cloudformation.createStackNow('orders-prod', withStackKmsKey(ENVIRONMENT, retain), PARAMETERS);
    const keyId = account.cloudformation.resourcesOf('orders-prod').find((r) => r.type === 'AWS::KMS::Key')!.physicalId;
    return { keyArn: account.kms.key(keyId)!.arn, db: dbOf('orders-prod') };
  }

  it('encrypts the database with it, and its snapshots and restored copies keep it (KmsKeyId inherited from the snapshot)', async () => {
    const { keyArn, db } = createEncryptedEnvironment(false);
    const instance = (await rds().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: db }))).DBInstances![0]!;
    expect(instance).toMatchObject({ StorageEncrypted: true, KmsKeyId: keyArn });

    await rds().send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: db, DBSnapshotIdentifier: 'snap-1' }));
    const snapshot = (await rds().send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'snap-1' }))).DBSnapshots![0]!;
    expect(snapshot).toMatchObject({ Encrypted: true, KmsKeyId: keyArn });

    const copy = account.cloudformation.createStackNow('orders-copy', withStackKmsKey(ENVIRONMENT, false), { ...PARAMETERS, OrdersDbSnapshotIdentifier: 'snap-1' });
    expect(copy.stackId).toBeTruthy();
    // The copy created its own key, but its database is encrypted with the original's.
    expect(account.rds.instance(dbOf('orders-copy'))?.kmsKeyId).toBe(keyArn);
  });

  it('deleting the stack schedules the key for deletion: a restore fails at once, and after the window the copy is unreadable', async () => {
    const { keyArn, db } = createEncryptedEnvironment(false);
    account.rds.setTables(db, { customers: [{ id: 1 }] });
    await rds().send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: db, DBSnapshotIdentifier: 'snap-1' }));
    account.cloudformation.createStackNow('orders-copy', withStackKmsKey(ENVIRONMENT, false), { ...PARAMETERS, OrdersDbSnapshotIdentifier: 'snap-1' });
    await new CloudFormationClient({ maxAttempts: 1 }).send(new DeleteStackCommand({ StackName: 'orders-prod' }));

    expect(account.kms.key(keyArn)?.state).toBe('PendingDeletion');
    expect(() => account.cloudformation.createStackNow('orders-copy-2', withStackKmsKey(ENVIRONMENT, false), { ...PARAMETERS, OrdersDbSnapshotIdentifier: 'snap-1' })).toThrow(
      /KMS key .* is not enabled/,
    );
    // The running copy keeps its data key in memory until the key is gone.
    const copyDb = dbOf('orders-copy');
    expect(account.rds.instance(copyDb)).toMatchObject({ status: 'available', tables: { customers: [{ id: 1 }] } });

    sim.advance(30 * DAY);
    const described = (await rds().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: copyDb }))).DBInstances![0]!;
    expect(described.DBInstanceStatus).toBe('inaccessible-encryption-credentials');
    expect(account.rds.instance(copyDb)?.tables).toEqual({});
  });

  it('DeletionPolicy Retain keeps the key Enabled when the stack is deleted', async () => {
    const { keyArn } = createEncryptedEnvironment(true);
    account.cloudformation.deleteStackNow('orders-prod');
    sim.advance(31 * DAY);
    expect(account.kms.key(keyArn)?.state).toBe('Enabled');
  });

  it('a bucket encrypted with the key answers GetBucketEncryption with the key ARN', async () => {
    account = sim.setUp();
    const template = withStackKmsKey(ENVIRONMENT, false).replace(
      /(ReportsBucket:\n {4}Type: AWS::S3::Bucket\n {4}Properties:\n {6}BucketEncryption:\n {8}ServerSideEncryptionConfiguration:\n {10}- ServerSideEncryptionByDefault:\n) {14}SSEAlgorithm: AES256\n/,
      '$1              SSEAlgorithm: aws:kms\n              KMSMasterKeyID: !GetAtt DataKey.Arn\n',
    );
    account.cloudformation.createStackNow('orders-prod', template, PARAMETERS);
    const resources = account.cloudformation.resourcesOf('orders-prod');
    const keyArn = account.kms.key(resources.find((r) => r.type === 'AWS::KMS::Key')!.physicalId)!.arn;
    const bucket = resources.find((r) => r.logicalId === 'ReportsBucket')!.physicalId;
    const out = await new S3Client({}).send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    expect(out.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault).toMatchObject({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn });
  });
});
