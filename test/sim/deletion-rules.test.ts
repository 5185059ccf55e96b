/**
 * The simulated account's rules that make a deletion fail half-way (issue 10, item 8), through the
 * real SDK: termination protection, RDS DeletionProtection, S3 Object Lock and MFA delete, and the
 * manual DB snapshot quota. The preflight relies on them being at least as strict as AWS.
 */
import { CloudFormationClient, DeleteStackCommand, DescribeStacksCommand, UpdateTerminationProtectionCommand } from '@aws-sdk/client-cloudformation';
import { CreateDBSnapshotCommand, DescribeAccountAttributesCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { DeleteObjectsCommand, GetBucketVersioningCommand, GetObjectLockConfigurationCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import type { SimAccount } from '../../local/sim/account';
import { errorWithStatusOf as errorOf, simulatedAccountPerTest } from '../fixtures/sim-account';

const sim = simulatedAccountPerTest();

const TEMPLATE = (dbProps: string, bucketProps: string) => `
Resources:
  Db:
    Type: AWS::RDS::DBInstance
    DeletionPolicy: Delete
    Properties:
      Engine: postgres
      DBInstanceClass: db.t4g.micro
      AllocatedStorage: '20'
${dbProps}
  Files:
    Type: AWS::S3::Bucket
    Properties:
${bucketProps}
`;

function stack(account: SimAccount, dbProps = '      MasterUsername: admin', bucketProps = '      Tags: []'): { db: string; bucket: string } {
  account.cloudformation.createStackNow('env', TEMPLATE(dbProps, bucketProps));
  const r = account.cloudformation.resourcesOf('env');
  return { db: r.find((x) => x.logicalId === 'Db')!.physicalId, bucket: r.find((x) => x.logicalId === 'Files')!.physicalId };
}

describe('deletion rules of the simulated account', () => {
  it('refuses DeleteStack while termination protection is on, with the ValidationError AWS returns, and the stack stays', async () => {
    const account = sim.setUp();
    stack(account);
    const cfn = new CloudFormationClient({ maxAttempts: 1 });
    await cfn.send(new UpdateTerminationProtectionCommand({ StackName: 'env', EnableTerminationProtection: true }));
    expect((await cfn.send(new DescribeStacksCommand({ StackName: 'env' }))).Stacks?.[0]?.EnableTerminationProtection).toBe(true);
    expect(await errorOf(cfn.send(new DeleteStackCommand({ StackName: 'env' })))).toEqual({
      name: 'ValidationError',
      message: 'Stack [env] cannot be deleted while TerminationProtection is enabled',
      status: 400,
    });
    expect(account.cloudformation.stackByName('env')?.status).toBe('CREATE_COMPLETE');
  });

  it('reports DeletionProtection of a DB instance, and a stack deleting it ends DELETE_FAILED with the database kept', async () => {
    const account = sim.setUp();
    const { db } = stack(account, '      MasterUsername: admin\n      DeletionProtection: true');
    const rds = new RDSClient({ maxAttempts: 1 });
    expect((await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: db }))).DBInstances?.[0]?.DeletionProtection).toBe(true);
    await new CloudFormationClient({ maxAttempts: 1 }).send(new DeleteStackCommand({ StackName: 'env' }));
    sim.advance(3600);
    const s = account.cloudformation.stackByName('env');
    expect(s?.status).toBe('DELETE_FAILED');
    expect(account.rds.instance(db)?.status).toBe('available');
    const events = (await new CloudFormationClient({ maxAttempts: 1 }).send(new DescribeStacksCommand({ StackName: 'env' }))).Stacks?.[0];
    expect(events?.StackStatus).toBe('DELETE_FAILED');
  });

  it('refuses CreateDBSnapshot with SnapshotQuotaExceeded once the manual snapshots reach the quota DescribeAccountAttributes reports', async () => {
    const account = sim.setUp();
    const { db } = stack(account);
    account.rds.manualSnapshotQuota = 2;
    const rds = new RDSClient({ maxAttempts: 1 });
    await rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: db, DBSnapshotIdentifier: 'one' }));
    const quotas = (await rds.send(new DescribeAccountAttributesCommand({}))).AccountQuotas ?? [];
    expect(quotas.find((q) => q.AccountQuotaName === 'ManualSnapshots')).toMatchObject({ Used: 1, Max: 2 });
    await rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: db, DBSnapshotIdentifier: 'two' }));
    const refused = await errorOf(rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: db, DBSnapshotIdentifier: 'three' })));
    expect(refused.name).toBe('SnapshotQuotaExceededFault');
    expect(account.rds.snapshot('three')).toBeUndefined();
  });

  it('refuses DeleteObjects of a version inside its Object Lock retention (AccessDenied per key), not of a delete marker', async () => {
    const account = sim.setUp();
    const { bucket } = stack(account, undefined, '      ObjectLockEnabled: true\n      ObjectLockConfiguration:\n        ObjectLockEnabled: Enabled\n        Rule:\n          DefaultRetention:\n            Mode: COMPLIANCE\n            Days: 30');
    account.s3.putObjectDirect(bucket, 'ledger.csv', { body: 'a' });
    const s3 = new S3Client({ maxAttempts: 1 });
    expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }))).ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 30 } } });
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBe('Enabled');
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    const out = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'ledger.csv', VersionId: versions.Versions![0]!.VersionId }] } }));
    expect(out.Errors).toEqual([expect.objectContaining({ Key: 'ledger.csv', Code: 'AccessDenied', Message: 'Access Denied because object protected by object lock.' })]);
    sim.advance(31 * 86_400);
    const later = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'ledger.csv', VersionId: versions.Versions![0]!.VersionId }] } }));
    expect(later.Errors).toBeUndefined();
  });

  it('answers ObjectLockConfigurationNotFoundError for a bucket without Object Lock', async () => {
    const account = sim.setUp();
    const { bucket } = stack(account);
    expect((await errorOf(new S3Client({ maxAttempts: 1 }).send(new GetObjectLockConfigurationCommand({ Bucket: bucket })))).name).toBe('ObjectLockConfigurationNotFoundError');
  });

  it('fails a whole DeleteObjects naming versions of an MFA delete bucket, and reports MFADelete in GetBucketVersioning', async () => {
    const account = sim.setUp();
    const { bucket } = stack(account, undefined, '      VersioningConfiguration:\n        Status: Enabled');
    account.s3.putObjectDirect(bucket, 'a.txt', { body: 'a' });
    account.s3.setMfaDelete(bucket, true);
    const s3 = new S3Client({ maxAttempts: 1 });
    expect(await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).toMatchObject({ Status: 'Enabled', MFADelete: 'Enabled' });
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    const refused = await errorOf(s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'a.txt', VersionId: versions.Versions![0]!.VersionId }] } })));
    expect(refused).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect((await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }))).Versions).toHaveLength(1);
  });
});
