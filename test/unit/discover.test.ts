import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
  type Stack,
  type StackResourceSummary,
  type StackStatus,
} from '@aws-sdk/client-cloudformation';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DBInstanceNotFoundFault, DescribeDBInstancesCommand, RDSClient, type DBInstance } from '@aws-sdk/client-rds';
import { GetBucketEncryptionCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkStackStatus, discover } from '../../lambdas/discover/core';
import type { Discovery } from '../../lambdas/shared/contracts';
import { PreflightFailed } from '../../lambdas/shared/errors';

const cfnMock = mockClient(CloudFormationClient);
const rdsMock = mockClient(RDSClient);
const s3Mock = mockClient(S3Client);
const kmsMock = mockClient(KMSClient);
const clients = {
  cfn: new CloudFormationClient({ region: 'eu-west-1' }),
  rds: new RDSClient({ region: 'eu-west-1' }),
  s3: new S3Client({ region: 'eu-west-1' }),
  kms: new KMSClient({ region: 'eu-west-1' }),
  secrets: new SecretsManagerClient({ region: 'eu-west-1' }),
};
const execution = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };

const TEMPLATE = `
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  EnvironmentVersion: { Type: String }
  DatabaseSnapshotIdentifier: { Type: String, Default: '' }
Conditions:
  FromSnapshot: !Not [!Equals [!Ref DatabaseSnapshotIdentifier, '']]
Resources:
  Asg:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties: { MinSize: '2', MaxSize: '4' }
  Database:
    Type: AWS::RDS::DBInstance
    Properties:
      DBSnapshotIdentifier: !If [FromSnapshot, !Ref DatabaseSnapshotIdentifier, !Ref 'AWS::NoValue']
  Uploads:
    Type: AWS::S3::Bucket
  LoadBalancer:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
Outputs:
  StatisticsUrl: { Value: !Sub 'https://\${LoadBalancer.DNSName}/stats' }
`;

function stack(overrides: Partial<Stack> = {}): Stack {
  return {
    StackName: 'orders-prod',
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orders-prod/abc',
    StackStatus: 'UPDATE_COMPLETE',
    CreationTime: new Date(),
    Parameters: [
      { ParameterKey: 'EnvironmentVersion', ParameterValue: '1.3.0' },
      { ParameterKey: 'DatabaseSnapshotIdentifier', ParameterValue: '' },
    ],
    Outputs: [{ OutputKey: 'StatisticsUrl', OutputValue: 'https://lb.example/stats' }],
    Tags: [{ Key: 'team', Value: 'orders' }],
    ...overrides,
  };
}

const resource = (LogicalResourceId: string, ResourceType: string, PhysicalResourceId?: string): StackResourceSummary => ({
  LogicalResourceId,
  ResourceType,
  PhysicalResourceId,
  ResourceStatus: 'CREATE_COMPLETE',
  LastUpdatedTimestamp: new Date(),
});

const RESOURCES = [
  resource('Asg', 'AWS::AutoScaling::AutoScalingGroup', 'orders-prod-Asg-1'),
  resource('Database', 'AWS::RDS::DBInstance', 'orders-prod-database-1'),
  resource('Uploads', 'AWS::S3::Bucket', 'orders-prod-uploads-1'),
  resource('LoadBalancer', 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'arn:aws:elasticloadbalancing:lb'),
];

const dbInstance = (overrides: Partial<DBInstance> = {}): DBInstance => ({
  DBInstanceIdentifier: 'orders-prod-database-1',
  DBInstanceStatus: 'available',
  AllocatedStorage: 20,
  Engine: 'postgres',
  ...overrides,
});

function given(opts: { stack?: Stack; template?: string; resources?: StackResourceSummary[]; db?: DBInstance } = {}) {
  cfnMock.on(DescribeStacksCommand).resolves({ Stacks: [opts.stack ?? stack()] });
  cfnMock.on(GetTemplateCommand).resolves({ TemplateBody: opts.template ?? TEMPLATE });
  cfnMock.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: opts.resources ?? RESOURCES });
  rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [opts.db ?? dbInstance()] });
}

async function problemsOf(promise: Promise<unknown>): Promise<string[]> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(PreflightFailed);
    return (err as PreflightFailed).problems;
  }
  throw new Error('preflight passed');
}

beforeEach(() => {
  cfnMock.reset();
  rdsMock.reset();
  s3Mock.reset();
  kmsMock.reset();
});

describe('discover', () => {
  it('returns the stack, its groups, databases, buckets, version, outputs and tags', async () => {
    given();
    const d = await discover(clients, { stackName: 'orders-prod', execution, requiredOutputs: ['StatisticsUrl'] });
    expect(d).toMatchObject({
      stackName: 'orders-prod',
      stackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orders-prod/abc',
      stackStatus: 'UPDATE_COMPLETE',
      templateBody: TEMPLATE,
      environmentVersion: '1.3.0',
      outputs: { StatisticsUrl: 'https://lb.example/stats' },
      tags: { team: 'orders' },
      autoScalingGroups: [{ logicalId: 'Asg', autoScalingGroupName: 'orders-prod-Asg-1' }],
      dbInstances: [{ logicalId: 'Database', dbInstanceIdentifier: 'orders-prod-database-1', allocatedStorageGb: 20, engine: 'postgres' }],
      buckets: [{ logicalId: 'Uploads', bucketName: 'orders-prod-uploads-1' }],
    });
    expect(d.parameters).toContainEqual({ key: 'EnvironmentVersion', value: '1.3.0' });
    expect(d.bucketPairs).toBeUndefined();
    expect(cfnMock.commandCalls(GetTemplateCommand)[0]?.args[0].input).toEqual({ StackName: 'orders-prod', TemplateStage: 'Original' });
  });

  it('follows NextToken through every page of stack resources', async () => {
    given();
    cfnMock
      .on(ListStackResourcesCommand)
      .resolvesOnce({ StackResourceSummaries: [RESOURCES[0]!], NextToken: 't1' })
      .resolvesOnce({ StackResourceSummaries: [RESOURCES[1]!], NextToken: 't2' })
      .resolvesOnce({ StackResourceSummaries: [RESOURCES[2]!] });
    const d = await discover(clients, { stackName: 'orders-prod', execution });
    expect(d.buckets).toHaveLength(1);
    expect(d.dbInstances).toHaveLength(1);
    expect(cfnMock.commandCalls(ListStackResourcesCommand).map((c) => c.args[0].input.NextToken)).toEqual([undefined, 't1', 't2']);
  });

  it('fails the preflight when the stack does not exist', async () => {
    cfnMock.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({ name: 'ValidationError', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Stack with id orders-prod does not exist' }),
    );
    expect(await problemsOf(discover(clients, { stackName: 'orders-prod', execution }))).toEqual(['stack orders-prod does not exist']);
  });

  it('lets other AWS errors through for the handler to classify', async () => {
    cfnMock.on(DescribeStacksCommand).rejects(new CloudFormationServiceException({ name: 'Throttling', $fault: 'client', $metadata: {}, message: 'Rate exceeded' }));
    await expect(discover(clients, { stackName: 'orders-prod', execution })).rejects.toMatchObject({ name: 'Throttling' });
  });

  it.each(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'IMPORT_COMPLETE'])('accepts a stack in %s', (status) => {
    expect(checkStackStatus('s', status)).toBeUndefined();
  });

  it.each([
    ['ROLLBACK_COMPLETE', /creation failed/],
    ['DELETE_COMPLETE', /does not exist/],
    ['UPDATE_IN_PROGRESS', /in progress/],
    ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', /in progress/],
    ['CREATE_FAILED', /only a stack whose last operation completed/],
    ['UPDATE_ROLLBACK_FAILED', /only a stack whose last operation completed/],
  ])('refuses a stack in %s', async (status, problem) => {
    given({ stack: stack({ StackStatus: status as StackStatus }) });
    const problems = await problemsOf(discover(clients, { stackName: 'orders-prod', execution }));
    expect(problems.join('\n')).toMatch(problem);
  });

  it('collects every problem before failing', async () => {
    const template = TEMPLATE.replace('  EnvironmentVersion: { Type: String }\n', '').replace('  DatabaseSnapshotIdentifier:', '  DbSnap:').replace(
      "  Uploads:\n    Type: AWS::S3::Bucket",
      "  Uploads:\n    Type: AWS::S3::Bucket\n    Properties: { BucketName: orders-uploads }",
    );
    given({
      stack: stack({ StackStatus: 'UPDATE_IN_PROGRESS', Parameters: [], Outputs: [] }),
      template,
      db: dbInstance({ DBInstanceStatus: 'modifying' }),
    });
    const problems = await problemsOf(discover(clients, { stackName: 'orders-prod', execution, requiredOutputs: ['StatisticsUrl', 'ServiceUrl'] }));
    expect(problems).toHaveLength(7);
    expect(problems.join('\n')).toMatch(/UPDATE_IN_PROGRESS/);
    expect(problems.join('\n')).toMatch(/database Database \(orders-prod-database-1\) is modifying, not available/);
    expect(problems.join('\n')).toMatch(/declares no parameter EnvironmentVersion/);
    expect(problems.join('\n')).toMatch(/declares no parameter DatabaseSnapshotIdentifier/);
    expect(problems.join('\n')).toMatch(/has no output StatisticsUrl/);
    expect(problems.join('\n')).toMatch(/has no output ServiceUrl/);
    expect(problems.join('\n')).toMatch(/bucket Uploads of stack orders-prod has a fixed BucketName/);
  });

  it('refuses a database with a fixed DBInstanceIdentifier, naming the resource and property', async () => {
    given({ template: TEMPLATE.replace('    Properties:\n      DBSnapshotIdentifier', '    Properties:\n      DBInstanceIdentifier: orders-db\n      DBSnapshotIdentifier') });
    const problems = await problemsOf(discover(clients, { stackName: 'orders-prod', execution }));
    expect(problems).toEqual([expect.stringMatching(/database Database .* fixed DBInstanceIdentifier/)]);
  });

  it('refuses a database that no longer exists in RDS', async () => {
    given();
    rdsMock.on(DescribeDBInstancesCommand).rejects(new DBInstanceNotFoundFault({ $metadata: {}, message: 'DBInstance orders-prod-database-1 not found' }));
    const problems = await problemsOf(discover(clients, { stackName: 'orders-prod', execution }));
    expect(problems).toEqual([expect.stringMatching(/database Database \(orders-prod-database-1\) .* does not exist/)]);
  });

  it('refuses an Aurora cluster member, which instance snapshots cannot copy', async () => {
    given({ db: dbInstance({ DBClusterIdentifier: 'orders-cluster', Engine: 'aurora-postgresql' }) });
    const problems = await problemsOf(discover(clients, { stackName: 'orders-prod', execution }));
    expect(problems).toEqual([expect.stringMatching(/Aurora cluster orders-cluster/)]);
  });

  it('reports an unreadable template instead of crashing', async () => {
    given({ template: 'not: [valid' });
    const problems = await problemsOf(discover(clients, { stackName: 'orders-prod', execution }));
    expect(problems.join('\n')).toMatch(/template of stack orders-prod cannot be read/);
  });

  it('ignores resources that were deleted and resource types it does not migrate', async () => {
    given({
      resources: [...RESOURCES, { ...resource('Old', 'AWS::S3::Bucket', 'old-bucket'), ResourceStatus: 'DELETE_COMPLETE' }, resource('Topic', 'AWS::SNS::Topic', 'arn:topic')],
    });
    const d = await discover(clients, { stackName: 'orders-prod', execution });
    expect(d.buckets.map((b) => b.logicalId)).toEqual(['Uploads']);
  });

  describe('with pairWith (this stack is a clone destination)', () => {
    const source = (): Discovery => ({
      stackName: 'orders-prod',
      stackId: 'id-src',
      stackStatus: 'UPDATE_COMPLETE',
      templateBody: TEMPLATE,
      parameters: [],
      outputs: {},
      tags: {},
      autoScalingGroups: [],
      dbInstances: [{ logicalId: 'Database', dbInstanceIdentifier: 'orders-prod-database-1', allocatedStorageGb: 20, engine: 'postgres' }],
      buckets: [{ logicalId: 'Uploads', bucketName: 'orders-prod-uploads-1' }],
      environmentVersion: '1.3.0',
    });
    const destResources = [
      resource('Asg', 'AWS::AutoScaling::AutoScalingGroup', 'tmp-Asg-1'),
      resource('Database', 'AWS::RDS::DBInstance', 'tmp-database-1'),
      resource('Uploads', 'AWS::S3::Bucket', 'tmp-uploads-1'),
    ];

    it('pairs every source bucket with its destination by logical id', async () => {
      given({ stack: stack({ StackName: 'orders-prod-tmp-1a2b3c4d', StackStatus: 'CREATE_COMPLETE' }), resources: destResources, db: dbInstance({ DBInstanceIdentifier: 'tmp-database-1' }) });
      const d = await discover(clients, { stackName: 'orders-prod-tmp-1a2b3c4d', execution, pairWith: source() });
      expect(d.bucketPairs).toEqual([{ logicalId: 'Uploads', sourceBucket: 'orders-prod-uploads-1', destinationBucket: 'tmp-uploads-1' }]);
    });

    it('fails when a source bucket or database has no partner: its data would be lost', async () => {
      given({ stack: stack({ StackName: 'orders-prod-tmp-1a2b3c4d' }), resources: [destResources[0]!] });
      const problems = await problemsOf(discover(clients, { stackName: 'orders-prod-tmp-1a2b3c4d', execution, pairWith: source() }));
      expect(problems).toEqual([
        'bucket Uploads of orders-prod has no partner in orders-prod-tmp-1a2b3c4d: its data would be lost',
        'database Database of orders-prod has no partner in orders-prod-tmp-1a2b3c4d: its data would be lost',
      ]);
    });

    it('does not hold a destination to the fixed-name rule (it is not cloned here)', async () => {
      given({
        stack: stack({ StackName: 'orders-prod-tmp-1a2b3c4d' }),
        resources: destResources,
        template: TEMPLATE.replace("  Uploads:\n    Type: AWS::S3::Bucket", "  Uploads:\n    Type: AWS::S3::Bucket\n    Properties: { BucketName: tmp-uploads-1 }"),
        db: dbInstance({ DBInstanceIdentifier: 'tmp-database-1' }),
      });
      await expect(discover(clients, { stackName: 'orders-prod-tmp-1a2b3c4d', execution, pairWith: source() })).resolves.toMatchObject({ stackName: 'orders-prod-tmp-1a2b3c4d' });
    });

    it('refuses to pair a bucket with itself', async () => {
      given({ stack: stack({ StackName: 'other' }), resources: [resource('Uploads', 'AWS::S3::Bucket', 'orders-prod-uploads-1'), destResources[1]!] });
      const problems = await problemsOf(discover(clients, { stackName: 'other', execution, pairWith: source() }));
      expect(problems.join('\n')).toMatch(/same bucket orders-prod-uploads-1/);
    });
  });
});

describe('discover: KMS keys of a stack the migration deletes', () => {
  const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
  const KEY_ARN = `arn:aws:kms:eu-west-1:123456789012:key/${KEY_ID}`;
  const withKey = (policy?: string) =>
    TEMPLATE.replace('Resources:\n', `Resources:\n  DataKey:\n    Type: AWS::KMS::Key\n${policy ? `    DeletionPolicy: ${policy}\n` : ''}    Properties: {}\n`);
  const keyResources = [...RESOURCES, resource('DataKey', 'AWS::KMS::Key', KEY_ID)];
  const noEncryption = () =>
    s3Mock.on(GetBucketEncryptionCommand).rejects(
      new S3ServiceException({ name: 'ServerSideEncryptionConfigurationNotFoundError', $fault: 'client', $metadata: {}, message: 'not found' }),
    );

  it('refuses a key of the stack without DeletionPolicy Retain that encrypts a database, naming key, ARN, database and remedy', async () => {
    given({ template: withKey(), resources: keyResources, db: dbInstance({ KmsKeyId: KEY_ARN, StorageEncrypted: true }) });
    noEncryption();
    const problems = await problemsOf(discover(clients, { stackName: 'orders-prod', execution, deletesStack: true }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`KMS key DataKey (${KEY_ARN}) belongs to stack orders-prod`);
    expect(problems[0]).toContain('database Database (orders-prod-database-1)');
    expect(problems[0]).toContain('Set DeletionPolicy: Retain and UpdateReplacePolicy: Retain on DataKey');
    expect(problems[0]).toContain("move the key out of the environment's stack");
  });

  it('refuses a key of the stack that is a bucket default key given by alias (resolved with DescribeKey)', async () => {
    given({ template: withKey('Delete'), resources: keyResources });
    s3Mock.on(GetBucketEncryptionCommand).resolves({
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'alias/orders-data' } }] },
    });
    kmsMock.on(DescribeKeyCommand, { KeyId: 'alias/orders-data' }).resolves({ KeyMetadata: { KeyId: KEY_ID, Arn: KEY_ARN } });
    const problems = await problemsOf(discover(clients, { stackName: 'orders-prod', execution, deletesStack: true }));
    expect(problems.join('\n')).toContain('bucket Uploads (orders-prod-uploads-1, SSE-KMS default encryption)');
  });

  it('accepts a key kept by DeletionPolicy Retain (RetainExceptOnCreate too) without reading any bucket', async () => {
    for (const policy of ['Retain', 'RetainExceptOnCreate']) {
      given({ template: withKey(policy), resources: keyResources, db: dbInstance({ KmsKeyId: KEY_ARN, StorageEncrypted: true }) });
      await expect(discover(clients, { stackName: 'orders-prod', execution, deletesStack: true })).resolves.toMatchObject({ stackName: 'orders-prod' });
    }
    expect(s3Mock.commandCalls(GetBucketEncryptionCommand)).toHaveLength(0);
  });

  it('accepts a key of the stack that encrypts none of its databases and buckets, and keys of other stacks', async () => {
    given({ template: withKey(), resources: keyResources, db: dbInstance({ KmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/other-key', StorageEncrypted: true }) });
    noEncryption();
    await expect(discover(clients, { stackName: 'orders-prod', execution, deletesStack: true })).resolves.toMatchObject({ stackName: 'orders-prod' });
  });

  it('does not judge keys of a stack the workflow does not delete (a clone source or destination)', async () => {
    given({ template: withKey(), resources: keyResources, db: dbInstance({ KmsKeyId: KEY_ARN, StorageEncrypted: true }) });
    await expect(discover(clients, { stackName: 'orders-prod', execution })).resolves.toMatchObject({ stackName: 'orders-prod' });
    expect(s3Mock.commandCalls(GetBucketEncryptionCommand)).toHaveLength(0);
  });
});
