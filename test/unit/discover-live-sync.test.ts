import {
  CloudFormationClient,
  DescribeStacksCommand,
  GetTemplateCommand,
  GetTemplateSummaryCommand,
  ListStackResourcesCommand,
  ValidateTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import { KMSClient } from '@aws-sdk/client-kms';
import { DescribeDBInstancesCommand, RDSClient, type DBInstance } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { discover } from '../../lambdas/discover/core';
import { databaseReasons } from '../../lambdas/discover/live-sync';
import type { DiscoverEvent, NewTemplateCheck } from '../../lambdas/shared/contracts';

const cfnMock = mockClient(CloudFormationClient);
const rdsMock = mockClient(RDSClient);
const clients = {
  cfn: new CloudFormationClient({ region: 'eu-west-1' }),
  rds: new RDSClient({ region: 'eu-west-1' }),
  s3: new S3Client({ region: 'eu-west-1' }),
  kms: new KMSClient({ region: 'eu-west-1' }),
  secrets: new SecretsManagerClient({ region: 'eu-west-1' }),
};
const execution = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const URL = 'https://artifacts.s3.eu-west-1.amazonaws.com/env/1.4.0.yaml';

const template = (replicaParameter: boolean) => `
Parameters:
  EnvironmentVersion: { Type: String }
  DatabaseSnapshotIdentifier: { Type: String, Default: '' }
${replicaParameter ? "  DatabaseSourceDBInstanceIdentifier: { Type: String, Default: '' }\n" : ''}Resources:
  Database:
    Type: AWS::RDS::DBInstance
`;

const db = (overrides: Partial<DBInstance> = {}): DBInstance => ({
  DBInstanceIdentifier: 'orders-prod-database-1',
  DBInstanceStatus: 'available',
  AllocatedStorage: 20,
  Engine: 'postgres',
  BackupRetentionPeriod: 7,
  ...overrides,
});

function given(opts: { replicaParameter?: boolean; instance?: DBInstance } = {}) {
  const replicaParameter = opts.replicaParameter ?? true;
  cfnMock.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'orders-prod',
        StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orders-prod/abc',
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: new Date(),
        Parameters: [
          { ParameterKey: 'EnvironmentVersion', ParameterValue: '1.3.0' },
          { ParameterKey: 'DatabaseSnapshotIdentifier', ParameterValue: '' },
          ...(replicaParameter ? [{ ParameterKey: 'DatabaseSourceDBInstanceIdentifier', ParameterValue: '' }] : []),
        ],
      },
    ],
  });
  cfnMock.on(GetTemplateCommand).resolves({ TemplateBody: template(replicaParameter) });
  cfnMock.on(ListStackResourcesCommand).resolves({
    StackResourceSummaries: [{ LogicalResourceId: 'Database', ResourceType: 'AWS::RDS::DBInstance', PhysicalResourceId: 'orders-prod-database-1', ResourceStatus: 'CREATE_COMPLETE', LastUpdatedTimestamp: new Date() }],
  });
  rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [opts.instance ?? db()] });
}

const event = (check: Partial<NewTemplateCheck>): DiscoverEvent => ({
  stackName: 'orders-prod',
  execution,
  newTemplate: { targetVersion: '1.4.0', parameters: {}, secretParameters: {}, ...check },
});

beforeEach(() => {
  cfnMock.reset();
  rdsMock.reset();
});

describe('discover: the live-sync preflight', () => {
  it('always reports liveSync with newTemplate: not requested, nothing checked', async () => {
    given({ replicaParameter: false, instance: db({ BackupRetentionPeriod: 0 }) });
    expect((await discover(clients, event({}))).liveSync).toEqual({ requested: false, possible: false, reasons: [] });
  });

  it('says nothing of live sync without newTemplate (a destination, a clone run alone)', async () => {
    given();
    expect((await discover(clients, { stackName: 'orders-prod', execution })).liveSync).toBeUndefined();
  });

  it('is possible for an available PostgreSQL instance with backups whose template declares the replica parameter', async () => {
    given();
    expect((await discover(clients, event({ liveSync: true }))).liveSync).toEqual({ requested: true, possible: true, reasons: [] });
  });

  it("double clone: checks the stack's own template (clone 1 recreates the current version), naming the database and what to do", async () => {
    given({ replicaParameter: false });
    expect((await discover(clients, event({ liveSync: true, strategy: 'double-clone' }))).liveSync).toEqual({
      requested: true,
      possible: false,
      reasons: [
        'the current template of orders-prod declares no parameter DatabaseSourceDBInstanceIdentifier: database Database cannot start as a read replica; declare it and use it as the database\'s SourceDBInstanceIdentifier (template contract, examples/README.md)',
      ],
    });
  });

  it('blue-green: checks the new template the idle slot is created from, not the current one', async () => {
    given({ replicaParameter: false });
    cfnMock.on(ValidateTemplateCommand).resolves({ Parameters: [] });
    cfnMock.on(GetTemplateSummaryCommand).resolves({
      Parameters: ['EnvironmentVersion', 'DatabaseSnapshotIdentifier', 'DatabaseSourceDBInstanceIdentifier'].map((ParameterKey) => ({ ParameterKey, DefaultValue: '' })),
      ResourceIdentifierSummaries: [{ ResourceType: 'AWS::RDS::DBInstance', LogicalResourceIds: ['Database'] }],
    });
    expect((await discover(clients, event({ liveSync: true, strategy: 'blue-green', templateUrl: URL }))).liveSync).toEqual({ requested: true, possible: true, reasons: [] });
    cfnMock.on(GetTemplateSummaryCommand).resolves({
      Parameters: ['EnvironmentVersion', 'DatabaseSnapshotIdentifier'].map((ParameterKey) => ({ ParameterKey, DefaultValue: '' })),
      ResourceIdentifierSummaries: [{ ResourceType: 'AWS::RDS::DBInstance', LogicalResourceIds: ['Database'] }],
    });
    const plan = (await discover(clients, event({ liveSync: true, strategy: 'blue-green', templateUrl: URL }))).liveSync;
    expect(plan?.possible).toBe(false);
    expect(plan?.reasons).toEqual([expect.stringContaining(`the new template ${URL} declares no parameter DatabaseSourceDBInstanceIdentifier`)]);
  });

  it('names a database without automated backups, of an unsupported engine, in an Aurora cluster or itself a replica, without failing the preflight', async () => {
    given({ instance: db({ Engine: 'sqlserver-se', BackupRetentionPeriod: 0, ReadReplicaSourceDBInstanceIdentifier: 'elsewhere' }) });
    const plan = (await discover(clients, event({ liveSync: true }))).liveSync;
    expect(plan?.possible).toBe(false);
    expect(plan?.reasons).toEqual([
      'database Database (orders-prod-database-1) runs sqlserver-se: the live sync carries read replicas of postgres, mysql, mariadb only; migrate it with snapshots (liveSyncFallback "snapshots")',
      "database Database (orders-prod-database-1) has automated backups turned off (BackupRetentionPeriod 0), which RDS requires of a read replica's source: set BackupRetentionPeriod to 1 or more in the template and update the stack first",
      'database Database (orders-prod-database-1) is itself a read replica of elsewhere: promote it to a standalone database first',
    ]);
  });

  it('databaseReasons: Aurora and an unavailable instance are named, MySQL and MariaDB pass', () => {
    const ref = { logicalId: 'Database', dbInstanceIdentifier: 'orders-prod-database-1' };
    expect(databaseReasons({ ...ref, instance: db({ Engine: 'aurora-postgresql', DBClusterIdentifier: 'orders-cluster' }) })).toEqual([
      'database Database (orders-prod-database-1) belongs to Aurora cluster orders-cluster: Aurora replicates within its cluster, not by DB instance read replicas; migrate it with snapshots',
    ]);
    expect(databaseReasons({ ...ref, instance: db({ DBInstanceStatus: 'modifying' }) })).toEqual([
      'database Database (orders-prod-database-1) is modifying, not available: RDS creates read replicas of an available database only',
    ]);
    expect(databaseReasons({ ...ref, instance: db({ Engine: 'mysql' }) })).toEqual([]);
    expect(databaseReasons({ ...ref, instance: db({ Engine: 'mariadb' }) })).toEqual([]);
    expect(databaseReasons(ref)).toEqual(['database Database (orders-prod-database-1) does not exist in RDS: it cannot be the source of a read replica']);
  });
});
