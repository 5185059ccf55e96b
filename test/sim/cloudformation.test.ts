import { readFileSync } from 'node:fs';
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
  GetTemplateSummaryCommand,
  ValidateTemplateCommand,
  ListStackResourcesCommand,
  ListStacksCommand,
  UpdateTerminationProtectionCommand,
  type Parameter,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import { SimAccount } from '../../local/sim/account';
import { type TimingProfile, ZERO_TIMING } from '../../local/sim/core';
import { errorOf, simulatedAccountPerTest } from '../fixtures/sim-account';

const ENVIRONMENT = readFileSync(new URL('../../examples/environment.yaml', import.meta.url), 'utf8');
const ALL_CAPABILITIES = ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'] as const;
const BASE_PARAMETERS: Parameter[] = [
  { ParameterKey: 'VpcId', ParameterValue: 'vpc-0123' },
  { ParameterKey: 'SubnetIds', ParameterValue: 'subnet-a,subnet-b' },
  { ParameterKey: 'EnvironmentVersion', ParameterValue: '1.3.0' },
];

const TIMED: TimingProfile = {
  ...ZERO_TIMING,
  stackCreateSeconds: 180,
  stackDeleteSeconds: 120,
  dbDeleteSeconds: 300,
  restoreFixedSeconds: 400,
  restoreSecondsPerGb: 2,
  snapshotFixedSeconds: 60,
  snapshotSecondsPerGb: 1,
  instanceLaunchSeconds: 90,
};

let account: SimAccount;
let cfn: CloudFormationClient;

const sim = simulatedAccountPerTest();
const advance = sim.advance;

function setUp(timing?: TimingProfile): void {
  account = sim.setUp(timing);
  cfn = new CloudFormationClient({ maxAttempts: 1 });
}


async function status(stackName: string): Promise<string | undefined> {
  const out = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
  return out.Stacks?.[0]?.StackStatus;
}

async function allEvents(stackName: string): Promise<StackEvent[]> {
  const events: StackEvent[] = [];
  let NextToken: string | undefined;
  do {
    const page = await cfn.send(new DescribeStackEventsCommand({ StackName: stackName, NextToken }));
    events.push(...(page.StackEvents ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return events;
}

function createEnvironment(name: string, extra: Parameter[] = [], more: Partial<ConstructorParameters<typeof CreateStackCommand>[0]> = {}) {
  return cfn.send(
    new CreateStackCommand({ StackName: name, TemplateBody: ENVIRONMENT, Parameters: [...BASE_PARAMETERS, ...extra], Capabilities: [...ALL_CAPABILITIES], ...more }),
  );
}

function resource(stackName: string, logicalId: string): string {
  const r = account.cloudformation.resourcesOf(stackName).find((x) => x.logicalId === logicalId);
  if (!r) throw new Error(`no ${logicalId} in ${stackName}`);
  return r.physicalId;
}

const BUCKET_ONLY = `
Resources:
  Data:
    Type: AWS::S3::Bucket
Outputs:
  BucketName:
    Value: !Ref Data
`;

describe('CloudFormation stack creation', () => {
  it('creates the sample environment: in progress for stack time + database time, then complete with outputs', async () => {
    setUp(TIMED);
    const { StackId } = await createEnvironment('orders');
    expect(StackId).toMatch(/^arn:aws:cloudformation:us-east-1:123456789012:stack\/orders\/[0-9a-f-]{36}$/);
    expect(await status('orders')).toBe('CREATE_IN_PROGRESS');
    const during = await cfn.send(new DescribeStacksCommand({ StackName: 'orders' }));
    expect(during.Stacks?.[0]?.Outputs).toBeUndefined();

    // A fresh database takes the fixed part of a restore (400 s), the rest of the stack 180 s.
    advance(180 + 400 - 1);
    expect(await status('orders')).toBe('CREATE_IN_PROGRESS');
    advance(1);
    const done = await cfn.send(new DescribeStacksCommand({ StackName: 'orders' }));
    expect(done.Stacks?.[0]?.StackStatus).toBe('CREATE_COMPLETE');
    const outputs = Object.fromEntries((done.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    expect(outputs.StatisticsUrl).toMatch(/^http:\/\/orders-LoadBalance-[A-Z0-9]+-\d+\.us-east-1\.elb\.amazonaws\.com\/statistics$/);
    expect(outputs.ServiceUrl).toBe(outputs.StatisticsUrl?.replace(/\/statistics$/, ''));
    expect(outputs.EnvironmentVersion).toBe('1.3.0');

    expect(account.s3.bucketExists(resource('orders', 'UploadsBucket'))).toBe(true);
    expect(resource('orders', 'UploadsBucket')).toMatch(/^orders-uploadsbucket-[a-z0-9]{12}$/);
    expect(account.rds.instance(resource('orders', 'OrdersDb'))).toMatchObject({ status: 'available', allocatedStorage: 100, tables: {} });
    expect(account.autoscaling.group(resource('orders', 'Asg'))?.desiredCapacity).toBe(3);
  });

  it('hands the stack-level tags to the Auto Scaling group (propagated at launch), its database and its buckets, beside the aws:cloudformation:* tags', async () => {
    setUp();
    await createEnvironment('orders', [], { Tags: [{ Key: 'env-migrator:execution', Value: 'arn:aws:states:us-east-1:123456789012:execution:Migrate:run-1' }] });
    const { AutoScalingClient, DescribeAutoScalingGroupsCommand } = await import('@aws-sdk/client-auto-scaling');
    const asg = resource('orders', 'Asg');
    const groups = await new AutoScalingClient({ maxAttempts: 1 }).send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [asg] }));
    const tags = groups.AutoScalingGroups?.[0]?.Tags ?? [];
    expect(tags).toContainEqual(
      expect.objectContaining({ Key: 'env-migrator:execution', Value: 'arn:aws:states:us-east-1:123456789012:execution:Migrate:run-1', PropagateAtLaunch: true, ResourceId: asg }),
    );
    expect(tags).toContainEqual(expect.objectContaining({ Key: 'aws:cloudformation:logical-id', Value: 'Asg' }));
    expect(account.rds.instance(resource('orders', 'OrdersDb'))?.tags).toContainEqual({ Key: 'env-migrator:execution', Value: 'arn:aws:states:us-east-1:123456789012:execution:Migrate:run-1' });
    expect(account.s3.bucketTags(resource('orders', 'UploadsBucket'))['env-migrator:execution']).toBe('arn:aws:states:us-east-1:123456789012:execution:Migrate:run-1');
  });

  it('restores a database from the snapshot parameter, taking the restore time for its storage', async () => {
    setUp(TIMED);
    account.cloudformation.createStackNow('orders', ENVIRONMENT, { VpcId: 'vpc-1', SubnetIds: 'subnet-a,subnet-b', EnvironmentVersion: '1.3.0' });
    const customers = [{ id: 1 }, { id: 2 }];
    account.rds.setTables(resource('orders', 'OrdersDb'), { customers });
    const { RDSClient, CreateDBSnapshotCommand } = await import('@aws-sdk/client-rds');
    await new RDSClient({ maxAttempts: 1 }).send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: resource('orders', 'OrdersDb'), DBSnapshotIdentifier: 'orders-c1' }));
    advance(60 + 100);

    await createEnvironment('orders-tmp', [{ ParameterKey: 'OrdersDbSnapshotIdentifier', ParameterValue: 'orders-c1' }]);
    advance(180 + 400 + 2 * 100 - 1);
    expect(await status('orders-tmp')).toBe('CREATE_IN_PROGRESS');
    advance(1);
    expect(await status('orders-tmp')).toBe('CREATE_COMPLETE');
    expect(account.rds.instance(resource('orders-tmp', 'OrdersDb'))).toMatchObject({ status: 'available', tables: { customers }, restoredFrom: 'orders-c1' });
  });

  it('fails the database on a missing snapshot and rolls back: CREATE_FAILED, ROLLBACK_IN_PROGRESS, ROLLBACK_COMPLETE, nothing left', async () => {
    setUp(TIMED);
    const bucketsBefore = account.s3.bucketNames().length;
    await createEnvironment('orders-tmp', [{ ParameterKey: 'OrdersDbSnapshotIdentifier', ParameterValue: 'gone-snapshot' }]);
    expect(account.s3.bucketNames()).toHaveLength(bucketsBefore);
    advance(3600);
    const described = await cfn.send(new DescribeStacksCommand({ StackName: 'orders-tmp' }));
    expect(described.Stacks?.[0]?.StackStatus).toBe('ROLLBACK_COMPLETE');
    const events = await allEvents('orders-tmp');
    const rollback = events.find((e) => e.ResourceStatus === 'ROLLBACK_IN_PROGRESS');
    expect(rollback?.ResourceStatusReason).toMatch(/^The following resource\(s\) failed to create: \[OrdersDb.*\]\. Rollback requested by user\.$/);
    const failed = events.find((e) => e.LogicalResourceId === 'OrdersDb' && e.ResourceStatus === 'CREATE_FAILED');
    expect(failed?.ResourceStatusReason).toContain('DBSnapshot not found: gone-snapshot');
    const stackStatuses = events.filter((e) => e.ResourceType === 'AWS::CloudFormation::Stack').map((e) => e.ResourceStatus);
    expect(stackStatuses).toEqual(['ROLLBACK_COMPLETE', 'ROLLBACK_IN_PROGRESS', 'CREATE_IN_PROGRESS']);
    expect(account.rds.listInstances()).toEqual([]);
    expect(account.cloudformation.loadBalancers.size).toBe(0);
  });

  it('deletes a failed stack instead of rolling back with OnFailure DELETE: gone by name, DELETE_COMPLETE by ID', async () => {
    setUp(TIMED);
    const { StackId } = await createEnvironment('orders-tmp', [{ ParameterKey: 'OrdersDbSnapshotIdentifier', ParameterValue: 'gone' }], { OnFailure: 'DELETE' });
    advance(3600);
    expect(await errorOf(status('orders-tmp'))).toEqual({ name: 'ValidationError', message: 'Stack with id orders-tmp does not exist' });
    expect(await status(StackId as string)).toBe('DELETE_COMPLETE');
  });

  it('rejects unknown and missing parameters with the CloudFormation messages', async () => {
    setUp();
    const unknown = await errorOf(createEnvironment('orders', [{ ParameterKey: 'Colour', ParameterValue: 'blue' }]));
    expect(unknown).toEqual({ name: 'ValidationError', message: 'Parameters: [Colour] do not exist in the template' });
    const missing = await errorOf(
      cfn.send(new CreateStackCommand({ StackName: 'orders', TemplateBody: ENVIRONMENT, Parameters: BASE_PARAMETERS.slice(0, 1), Capabilities: [...ALL_CAPABILITIES] })),
    );
    expect(missing).toEqual({ name: 'ValidationError', message: 'Parameters: [EnvironmentVersion, SubnetIds] must have values' });
    const notNumber = await errorOf(createEnvironment('orders', [{ ParameterKey: 'DesiredCapacity', ParameterValue: 'three' }]));
    expect(notNumber.message).toBe("Parameter 'DesiredCapacity' must be a number.");
  });

  it('refuses a taken name with AlreadyExistsException, but answers a retried request (same ClientRequestToken) with the same stack', async () => {
    setUp(TIMED);
    const first = await createEnvironment('orders', [], { ClientRequestToken: 'env-migrator-create-abc' });
    const retry = await createEnvironment('orders', [], { ClientRequestToken: 'env-migrator-create-abc' });
    expect(retry.StackId).toBe(first.StackId);
    const other = await errorOf(createEnvironment('orders', [], { ClientRequestToken: 'someone-else' }));
    expect(other).toEqual({ name: 'AlreadyExistsException', message: 'Stack [orders] already exists' });
  });

  it('requires CAPABILITY_IAM for a template with IAM resources', async () => {
    setUp();
    const err = await errorOf(cfn.send(new CreateStackCommand({ StackName: 'orders', TemplateBody: ENVIRONMENT, Parameters: BASE_PARAMETERS })));
    expect(err).toEqual({ name: 'InsufficientCapabilitiesException', message: 'Requires capabilities : [CAPABILITY_IAM]' });
  });

  it('reads TemplateURL from the S3 object, virtual-hosted or path style, and rejects other URLs', async () => {
    setUp();
    account.s3.createBucket('templates');
    account.s3.putObjectDirect('templates', 'env/1.4.0/environment.yaml', { body: BUCKET_ONLY });
    await cfn.send(new CreateStackCommand({ StackName: 'a', TemplateURL: 'https://templates.s3.amazonaws.com/env/1.4.0/environment.yaml' }));
    await cfn.send(new CreateStackCommand({ StackName: 'b', TemplateURL: 'https://s3.us-east-1.amazonaws.com/templates/env/1.4.0/environment.yaml' }));
    expect(await status('a')).toBe('CREATE_COMPLETE');
    expect(await status('b')).toBe('CREATE_COMPLETE');
    const missing = await errorOf(cfn.send(new CreateStackCommand({ StackName: 'c', TemplateURL: 'https://templates.s3.amazonaws.com/nope.yaml' })));
    expect(missing).toEqual({ name: 'ValidationError', message: 'S3 error: The specified key does not exist.' });
    const foreign = await errorOf(cfn.send(new CreateStackCommand({ StackName: 'c', TemplateURL: 'https://example.com/t.yaml' })));
    expect(foreign).toEqual({ name: 'ValidationError', message: 'TemplateURL must be a supported URL.' });
  });

  it('reports template errors at CreateStack: unresolved references, unknown attributes, dependency cycles, unknown parameter types', async () => {
    setUp();
    const create = (body: string) => errorOf(cfn.send(new CreateStackCommand({ StackName: 'x', TemplateBody: body })));
    expect((await create('Resources:\n  A:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: !Ref Nothing\n')).message).toBe(
      'Template format error: Unresolved resource dependencies [Nothing] in the Resources block of the template',
    );
    expect((await create('Resources:\n  A:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !GetAtt A.Colour\n')).message).toBe(
      'Template error: resource A does not support attribute type Colour in Fn::GetAtt',
    );
    expect((await create('Resources:\n  A:\n    Type: AWS::SNS::Topic\n    DependsOn: B\n  B:\n    Type: AWS::SNS::Topic\n    DependsOn: A\n')).message).toBe(
      'Circular dependency between resources: [A, B]',
    );
    expect((await create('Resources: [')).message).toMatch(/^Template format error: /);
    expect((await create('Parameters:\n  Vpc: { Type: AWS::EC2::VpcId }\nResources:\n  A: { Type: AWS::SNS::Topic }\n')).message).toBe(
      'Template format error: Unrecognized parameter type: AWS::EC2::VpcId',
    );
  });

  it('evaluates intrinsic functions, pseudo parameters and conditions', async () => {
    setUp();
    const body = `
Parameters:
  Names: { Type: CommaDelimitedList, Default: 'alpha,beta,gamma' }
  Mode: { Type: String, Default: prod, AllowedValues: [prod, test] }
  Secret: { Type: String, NoEcho: true, Default: hunter2 }
Mappings:
  Sizes:
    prod: { Instances: '3' }
    test: { Instances: '1' }
Conditions:
  IsProd: !Equals [!Ref Mode, prod]
  IsTest: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Or [!Condition IsTest, !Equals [a, a]]]
Resources:
  Topic:
    Type: AWS::SNS::Topic
  TestOnly:
    Type: AWS::SNS::Topic
    Condition: IsTest
Outputs:
  Joined: { Value: !Join ['+', !Ref Names] }
  Second: { Value: !Select [1, !Ref Names] }
  Split: { Value: !Select [2, !Split ['/', 'a/b/c']] }
  Sub: { Value: !Sub '\${AWS::StackName}-\${AWS::Region}-\${AWS::AccountId}-\${Topic}-\${!Literal}' }
  SubVars: { Value: !Sub ['\${X}.\${AWS::URLSuffix}', { X: !FindInMap [Sizes, !Ref Mode, Instances] }] }
  If: { Value: !If [IsProd, big, small] }
  Both: { Value: !If [Both, yes, no] }
  Azs: { Value: !Select [0, !GetAZs ''] }
  Conditional:
    Condition: IsTest
    Value: never
`;
    await cfn.send(new CreateStackCommand({ StackName: 'calc', TemplateBody: body }));
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'calc' }))).Stacks?.[0];
    const outputs = Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    const topic = account.cloudformation.resourcesOf('calc').find((r) => r.logicalId === 'Topic')?.physicalId;
    expect(outputs).toEqual({
      Joined: 'alpha+beta+gamma',
      Second: 'beta',
      Split: 'c',
      Sub: `calc-us-east-1-123456789012-${topic}-\${Literal}`,
      SubVars: '3.amazonaws.com',
      If: 'big',
      Both: 'yes',
      Azs: 'us-east-1a',
    });
    expect(account.cloudformation.resourcesOf('calc').map((r) => r.logicalId)).toEqual(['Topic']);
    expect(stack?.Parameters?.find((p) => p.ParameterKey === 'Secret')?.ParameterValue).toBe('****');
    const notAllowed = await errorOf(cfn.send(new CreateStackCommand({ StackName: 'calc2', TemplateBody: body, Parameters: [{ ParameterKey: 'Mode', ParameterValue: 'dev' }] })));
    expect(notAllowed.message).toBe("Parameter 'Mode' must be one of AllowedValues");
  });

  it('shows events newest first, paginated, and resources once their creation has started', async () => {
    setUp(TIMED);
    await createEnvironment('orders');
    const early = await cfn.send(new ListStackResourcesCommand({ StackName: 'orders' }));
    expect(early.StackResourceSummaries?.map((r) => r.ResourceStatus)).toContain('CREATE_IN_PROGRESS');
    expect(early.StackResourceSummaries?.some((r) => r.LogicalResourceId === 'StatisticsListenerRule')).toBe(false);
    advance(3600);
    const { StackId } = (await cfn.send(new DescribeStacksCommand({ StackName: 'orders' }))).Stacks?.[0] ?? {};
    const created = await allEvents('orders');
    expect(created[0]).toMatchObject({ LogicalResourceId: 'orders', ResourceStatus: 'CREATE_COMPLETE' });
    await cfn.send(new DeleteStackCommand({ StackName: 'orders' }));
    advance(3600);
    const firstPage = await cfn.send(new DescribeStackEventsCommand({ StackName: StackId }));
    expect(firstPage.StackEvents).toHaveLength(100);
    expect(firstPage.NextToken).toBeDefined();
    const events = await allEvents(StackId as string);
    expect(events.length).toBeGreaterThan(100);
    const times = events.map((e) => e.Timestamp?.getTime() ?? 0);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(events[0]).toMatchObject({ LogicalResourceId: 'orders', ResourceStatus: 'DELETE_COMPLETE' });
    // Resources of a deleted stack stay visible by stack ID, with their last status.
    const db = await cfn.send(new DescribeStackResourcesCommand({ StackName: StackId, LogicalResourceId: 'OrdersDb' }));
    expect(db.StackResources?.[0]).toMatchObject({ ResourceType: 'AWS::RDS::DBInstance', ResourceStatus: 'DELETE_COMPLETE' });
  });

  it('returns the original template body and a summary of its parameters, resource types and capabilities', async () => {
    setUp();
    await createEnvironment('orders');
    const template = await cfn.send(new GetTemplateCommand({ StackName: 'orders' }));
    expect(template.TemplateBody).toBe(ENVIRONMENT);
    const summary = await cfn.send(new GetTemplateSummaryCommand({ TemplateBody: ENVIRONMENT }));
    expect(summary.Parameters?.map((p) => p.ParameterKey)).toEqual([
      'EnvironmentVersion',
      'VpcId',
      'SubnetIds',
      'InstanceType',
      'DesiredCapacity',
      'OrdersDbSnapshotIdentifier',
      'OrdersDbSourceDBInstanceIdentifier',
      'OrdersDbPromotedFrom',
      'DbDriverLayerArn',
      'LatestAmiId',
    ]);
    expect(summary.Parameters?.find((p) => p.ParameterKey === 'InstanceType')).toMatchObject({ DefaultValue: 't3.small', ParameterType: 'String', NoEcho: false });
    expect(summary.ResourceTypes).toContain('AWS::RDS::DBInstance');
    expect(summary.Capabilities).toEqual(['CAPABILITY_IAM']);
  });
});

describe('CloudFormation stack deletion', () => {
  it('fails on a non-empty bucket (DELETE_FAILED, the rest deleted), and completes once the bucket is emptied', async () => {
    setUp(TIMED);
    account.cloudformation.createStackNow('orders', ENVIRONMENT, { VpcId: 'vpc-1', SubnetIds: 'subnet-a,subnet-b', EnvironmentVersion: '1.3.0' });
    const uploads = resource('orders', 'UploadsBucket');
    const reports = resource('orders', 'ReportsBucket');
    const db = resource('orders', 'OrdersDb');
    account.s3.putObjectDirect(uploads, 'invoice.pdf', { body: 'pdf' });

    await cfn.send(new DeleteStackCommand({ StackName: 'orders' }));
    expect(await status('orders')).toBe('DELETE_IN_PROGRESS');
    expect(account.s3.bucketExists(reports)).toBe(false);
    expect(account.rds.instance(db)?.status).toBe('deleting');
    advance(120 + 300);
    const described = await cfn.send(new DescribeStacksCommand({ StackName: 'orders' }));
    expect(described.Stacks?.[0]).toMatchObject({ StackStatus: 'DELETE_FAILED', StackStatusReason: 'The following resource(s) failed to delete: [UploadsBucket]. ' });
    const failed = (await allEvents('orders')).find((e) => e.ResourceStatus === 'DELETE_FAILED' && e.LogicalResourceId === 'UploadsBucket');
    expect(failed?.ResourceStatusReason).toContain('The bucket you tried to delete is not empty');
    expect(account.s3.bucketExists(uploads)).toBe(true);
    expect(account.rds.instance(db)).toBeUndefined();
    // DeletionPolicy Delete on OrdersDb: no final snapshot.
    expect(account.rds.listSnapshots()).toEqual([]);

    const { S3Client, DeleteObjectsCommand, ListObjectVersionsCommand } = await import('@aws-sdk/client-s3');
    const s3 = new S3Client({ maxAttempts: 1 });
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: uploads }));
    await s3.send(new DeleteObjectsCommand({ Bucket: uploads, Delete: { Objects: (versions.Versions ?? []).map((v) => ({ Key: v.Key, VersionId: v.VersionId })) } }));
    await cfn.send(new DeleteStackCommand({ StackName: 'orders' }));
    advance(120);
    expect(await status(described.Stacks?.[0]?.StackId as string)).toBe('DELETE_COMPLETE');
    expect(await errorOf(status('orders'))).toEqual({ name: 'ValidationError', message: 'Stack with id orders does not exist' });
    const listed = await cfn.send(new ListStacksCommand({ StackStatusFilter: ['DELETE_COMPLETE'] }));
    expect(listed.StackSummaries?.map((s) => s.StackName)).toEqual(['orders']);
    // The deleted load balancer's name no longer answers.
    await expect(fetch(described.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === 'StatisticsUrl')?.OutputValue as string)).rejects.toThrow(TypeError);
  });

  it('succeeds silently for a stack that does not exist', async () => {
    setUp();
    await expect(cfn.send(new DeleteStackCommand({ StackName: 'never-was' }))).resolves.toBeDefined();
  });

  it('keeps Retain resources and snapshots a database without a DeletionPolicy (the DBInstance default)', async () => {
    setUp();
    const body = `
Resources:
  Kept:
    Type: AWS::S3::Bucket
    DeletionPolicy: Retain
  Db:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      AllocatedStorage: '20'
      DBInstanceClass: db.t4g.micro
`;
    account.cloudformation.createStackNow('legacy', body);
    const kept = resource('legacy', 'Kept');
    const db = resource('legacy', 'Db');
    account.rds.setTables(db, { t: [{ a: 1 }] });
    await cfn.send(new DeleteStackCommand({ StackName: 'legacy' }));
    expect((await errorOf(status('legacy'))).name).toBe('ValidationError');
    expect(account.s3.bucketExists(kept)).toBe(true);
    const finalSnapshots = account.rds.listSnapshots();
    expect(finalSnapshots).toHaveLength(1);
    expect(finalSnapshots[0]?.identifier).toMatch(/^legacy-db-snapshot-[a-z0-9]{12}$/);
    expect(finalSnapshots[0]?.tables).toEqual({ t: [{ a: 1 }] });
  });

  it('cancels a creation still in progress and deletes what it had made', async () => {
    setUp(TIMED);
    const { StackId } = await createEnvironment('orders');
    advance(10);
    await cfn.send(new DeleteStackCommand({ StackName: 'orders' }));
    advance(120 + 300);
    expect(await status(StackId as string)).toBe('DELETE_COMPLETE');
    const events = await allEvents(StackId as string);
    expect(events.some((e) => e.ResourceStatus === 'CREATE_FAILED' && e.ResourceStatusReason === 'Resource creation cancelled')).toBe(true);
    expect(events.some((e) => e.ResourceStatus === 'CREATE_COMPLETE' && e.LogicalResourceId === 'OrdersDb')).toBe(false);
    expect(account.s3.bucketNames()).toEqual([]);
    expect(account.rds.listInstances()).toEqual([]);
  });

  it('refuses to delete a stack with termination protection', async () => {
    setUp();
    await cfn.send(new CreateStackCommand({ StackName: 'guarded', TemplateBody: BUCKET_ONLY, EnableTerminationProtection: true }));
    const err = await errorOf(cfn.send(new DeleteStackCommand({ StackName: 'guarded' })));
    expect(err).toEqual({ name: 'ValidationError', message: 'Stack [guarded] cannot be deleted while TerminationProtection is enabled' });
  });

  it('switches termination protection on and off with UpdateTerminationProtection (by name or ID), answering the StackId', async () => {
    setUp();
    const { StackId } = await cfn.send(new CreateStackCommand({ StackName: 'later', TemplateBody: BUCKET_ONLY }));
    expect(await cfn.send(new UpdateTerminationProtectionCommand({ StackName: 'later', EnableTerminationProtection: true }))).toMatchObject({ StackId });
    expect((await cfn.send(new DescribeStacksCommand({ StackName: 'later' }))).Stacks?.[0]?.EnableTerminationProtection).toBe(true);
    expect(await errorOf(cfn.send(new DeleteStackCommand({ StackName: 'later' })))).toEqual({ name: 'ValidationError', message: 'Stack [later] cannot be deleted while TerminationProtection is enabled' });
    await cfn.send(new UpdateTerminationProtectionCommand({ StackName: StackId, EnableTerminationProtection: false }));
    await cfn.send(new DeleteStackCommand({ StackName: 'later' }));
    expect(await errorOf(cfn.send(new UpdateTerminationProtectionCommand({ StackName: 'nothing', EnableTerminationProtection: true })))).toEqual({ name: 'ValidationError', message: 'Stack with id nothing does not exist' });
  });
});

describe('CloudFormation reading a template before any stack (issue 10 items 1 and 4)', () => {
  const NOECHO = `Parameters:
  Token: { Type: String, NoEcho: true }
  Size: { Type: String, Default: small }
Resources:
  Uploads: { Type: AWS::S3::Bucket }
  Reports: { Type: AWS::S3::Bucket }
  Db: { Type: AWS::RDS::DBInstance, Properties: { Engine: postgres, DBInstanceClass: db.t4g.micro, AllocatedStorage: '20', MasterUsername: u, MasterUserPassword: !Ref Token } }
`;

  it('ValidateTemplate and GetTemplateSummary read a TemplateURL: parameters with defaults and NoEcho, and the logical IDs of importable resources by type', async () => {
    setUp();
    account.s3.createBucket('templates');
    account.s3.putObjectDirect('templates', 'env.yaml', { body: NOECHO });
    const url = 'https://templates.s3.us-east-1.amazonaws.com/env.yaml';
    const validated = await cfn.send(new ValidateTemplateCommand({ TemplateURL: url }));
    expect(validated.Parameters).toEqual([
      { ParameterKey: 'Token', NoEcho: true },
      { ParameterKey: 'Size', DefaultValue: 'small', NoEcho: false },
    ]);
    const summary = await cfn.send(new GetTemplateSummaryCommand({ TemplateURL: url }));
    expect(summary.ResourceIdentifierSummaries).toEqual([
      { ResourceType: 'AWS::S3::Bucket', LogicalResourceIds: ['Uploads', 'Reports'], ResourceIdentifiers: ['BucketName'] },
      { ResourceType: 'AWS::RDS::DBInstance', LogicalResourceIds: ['Db'], ResourceIdentifiers: ['DBInstanceIdentifier'] },
    ]);
    const malformed = 'Resources: [not, a, map';
    account.s3.putObjectDirect('templates', 'bad.yaml', { body: malformed });
    const bad = await errorOf(cfn.send(new ValidateTemplateCommand({ TemplateURL: 'https://templates.s3.us-east-1.amazonaws.com/bad.yaml' })));
    expect(bad?.name).toBe('ValidationError');
    expect(bad?.message).toMatch(/^Template format error/);
  });

  it('refuses a TemplateBody over 51,200 bytes with the API constraint error, at CreateStack, ValidateTemplate and GetTemplateSummary alike, and takes it by TemplateURL', async () => {
    setUp();
    const big = `${NOECHO}# ${'x'.repeat(51_200)}\n`;
    for (const call of [
      cfn.send(new CreateStackCommand({ StackName: 'big', TemplateBody: big, Parameters: [{ ParameterKey: 'Token', ParameterValue: 't' }] })),
      cfn.send(new ValidateTemplateCommand({ TemplateBody: big })),
      cfn.send(new GetTemplateSummaryCommand({ TemplateBody: big })),
    ]) {
      const err = await errorOf(call);
      expect(err?.name).toBe('ValidationError');
      expect(err?.message).toMatch(/^1 validation error detected: Value '.*' at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to 51200$/s);
    }
    account.s3.createBucket('templates');
    account.s3.putObjectDirect('templates', 'big.yaml', { body: big });
    await cfn.send(new CreateStackCommand({ StackName: 'big', TemplateURL: 'https://templates.s3.amazonaws.com/big.yaml', Parameters: [{ ParameterKey: 'Token', ParameterValue: 't' }] }));
    expect(await status('big')).toBe('CREATE_COMPLETE');
  });

  it('masks a NoEcho value as **** in DescribeStacks while the stack keeps the real value', async () => {
    setUp();
    await cfn.send(new CreateStackCommand({ StackName: 'secret', TemplateBody: NOECHO, Parameters: [{ ParameterKey: 'Token', ParameterValue: 'real-token' }] }));
    const [stack] = (await cfn.send(new DescribeStacksCommand({ StackName: 'secret' }))).Stacks ?? [];
    expect(stack?.Parameters?.find((p) => p.ParameterKey === 'Token')?.ParameterValue).toBe('****');
    expect(JSON.stringify(stack)).not.toContain('real-token');
    expect(account.cloudformation.stackByName('secret')?.parameters.Token).toBe('real-token');
  });
});
