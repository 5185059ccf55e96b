import {
  AlreadyExistsException,
  CloudFormationClient,
  CreateStackCommand,
  DescribeStacksCommand,
  GetTemplateSummaryCommand,
} from '@aws-sdk/client-cloudformation';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createStack, type CreateStackDeps } from '../../lambdas/create-stack/core';
import type { CreateStackEvent, Discovery } from '../../lambdas/shared/contracts';
import { PreflightFailed, ResourceConflict } from '../../lambdas/shared/errors';
import { TAGS } from '../../lambdas/steps';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orders-prod-tmp-1a2b3c4d/abc';

const TEMPLATE = `
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  EnvironmentVersion: { Type: String }
  OrdersDbSnapshotIdentifier: { Type: String, Default: '' }
  InstanceType: { Type: String, Default: t3.small }
  DbPassword: { Type: String, NoEcho: true }
  Unset: { Type: String, Default: x }
Resources:
  Data:
    Type: AWS::S3::Bucket
    Properties:
      Tags: [{ Key: v, Value: !Ref EnvironmentVersion }]
`;

function source(overrides: Partial<Discovery> = {}): Discovery {
  return {
    stackName: 'orders-prod',
    stackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orders-prod/src',
    stackStatus: 'UPDATE_COMPLETE',
    templateBody: TEMPLATE,
    parameters: [
      { key: 'EnvironmentVersion', value: '1.3.0' },
      { key: 'OrdersDbSnapshotIdentifier', value: '' },
      { key: 'InstanceType', value: 't3.large' },
      { key: 'DbPassword', value: 'not-masked-in-this-fixture' },
    ],
    outputs: {},
    tags: { team: 'orders', 'aws:cloudformation:stack-name': 'orders-prod', [TAGS.execution]: 'arn:old' },
    autoScalingGroups: [],
    dbInstances: [{ logicalId: 'OrdersDb', dbInstanceIdentifier: 'orders-db', allocatedStorageGb: 20, engine: 'postgres' }],
    buckets: [{ logicalId: 'Data', bucketName: 'orders-data' }],
    environmentVersion: '1.3.0',
    ...overrides,
  };
}

function event(overrides: Partial<CreateStackEvent> = {}): CreateStackEvent {
  return {
    source: source(),
    destinationStackName: 'orders-prod-tmp-1a2b3c4d',
    targetVersion: '1.4.0',
    parameterOverrides: {},
    snapshots: [{ logicalId: 'OrdersDb', dbInstanceIdentifier: 'orders-db', snapshotIdentifier: 'envmig-1a2b3c4d-c1-ordersdb' }],
    execution: EXECUTION,
    ...overrides,
  };
}

const cfnMock = mockClient(CloudFormationClient);
const secretsMock = mockClient(SecretsManagerClient);
const s3Mock = mockClient(S3Client);
const deps = (extra: Partial<CreateStackDeps> = {}): CreateStackDeps => ({
  cfn: new CloudFormationClient({}),
  secrets: new SecretsManagerClient({}),
  s3: new S3Client({ region: 'eu-west-1' }),
  templateBucket: () => 'envmigrator-workflowdocuments',
  ...extra,
});
const DB_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-prod/db-password-AbCdEf';

function createInput() {
  const calls = cfnMock.commandCalls(CreateStackCommand);
  expect(calls).toHaveLength(1);
  return calls[0]!.args[0].input;
}

async function preflightProblems(promise: Promise<unknown>): Promise<string[]> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PreflightFailed);
  return (err as PreflightFailed).problems;
}

beforeEach(() => {
  cfnMock.reset();
  secretsMock.reset();
  s3Mock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
  cfnMock.on(CreateStackCommand).resolves({ StackId: STACK_ID });
  // CloudFormation reads the source's own template for its declared parameters.
  cfnMock.on(GetTemplateSummaryCommand, { TemplateBody: TEMPLATE }).resolves({
    Parameters: ['EnvironmentVersion', 'OrdersDbSnapshotIdentifier', 'InstanceType', 'DbPassword', 'Unset'].map((ParameterKey) => ({ ParameterKey })),
  });
});

describe('create-stack', () => {
  it('restores each database from its snapshot, sets the target version, and keeps the source values of other parameters', async () => {
    const result = await createStack(deps(), event());
    expect(result).toEqual({ stackName: 'orders-prod-tmp-1a2b3c4d', stackId: STACK_ID, alreadyExisted: false });
    const input = createInput();
    expect(input.StackName).toBe('orders-prod-tmp-1a2b3c4d');
    expect(input.TemplateBody).toBe(TEMPLATE);
    expect(input.TemplateURL).toBeUndefined();
    expect(input.Parameters).toEqual([
      { ParameterKey: 'EnvironmentVersion', ParameterValue: '1.4.0' },
      { ParameterKey: 'OrdersDbSnapshotIdentifier', ParameterValue: 'envmig-1a2b3c4d-c1-ordersdb' },
      { ParameterKey: 'InstanceType', ParameterValue: 't3.large' },
      { ParameterKey: 'DbPassword', ParameterValue: 'not-masked-in-this-fixture' },
    ]);
    expect(input.Capabilities).toEqual(['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND']);
    expect(input.RoleARN).toBeUndefined();
  });

  it('lets a parameter override win over the snapshot, the version and the source value', async () => {
    await createStack(deps(), event({ parameterOverrides: { InstanceType: 'm6i.large', DbPassword: 'new-secret' } }));
    const params = Object.fromEntries((createInput().Parameters ?? []).map((p) => [p.ParameterKey, p.ParameterValue]));
    expect(params.InstanceType).toBe('m6i.large');
    expect(params.DbPassword).toBe('new-secret');
  });

  it('uses the new template from S3 and only the parameters it declares', async () => {
    const templateUrl = 'https://bucket.s3.eu-west-1.amazonaws.com/env/1.4.0.yaml';
    cfnMock.on(GetTemplateSummaryCommand, { TemplateURL: templateUrl }).resolves({
      Parameters: [{ ParameterKey: 'EnvironmentVersion' }, { ParameterKey: 'OrdersDbSnapshotIdentifier' }, { ParameterKey: 'NewSetting', DefaultValue: 'on' }],
    });
    await createStack(deps(), event({ templateUrl }));
    const input = createInput();
    expect(input.TemplateURL).toBe(templateUrl);
    expect(input.TemplateBody).toBeUndefined();
    expect(input.Parameters).toEqual([
      { ParameterKey: 'EnvironmentVersion', ParameterValue: '1.4.0' },
      { ParameterKey: 'OrdersDbSnapshotIdentifier', ParameterValue: 'envmig-1a2b3c4d-c1-ordersdb' },
    ]);
  });

  it('tags the stack with the execution, environment, version and source, keeps the source tags but not aws: or our own', async () => {
    await createStack(deps(), event());
    expect(createInput().Tags).toEqual([
      { Key: TAGS.execution, Value: EXECUTION.id },
      { Key: TAGS.environment, Value: 'orders-prod' },
      { Key: TAGS.version, Value: '1.4.0' },
      { Key: TAGS.sourceStack, Value: 'orders-prod' },
      { Key: 'team', Value: 'orders' },
    ]);
  });

  it("names the environment after the source's environment tag when cloning a clone", async () => {
    await createStack(
      deps(),
      event({ source: source({ stackName: 'orders-prod-tmp-1a2b3c4d', tags: { [TAGS.environment]: 'orders-prod' } }), destinationStackName: 'orders-prod' }),
    );
    const tags = Object.fromEntries((createInput().Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags[TAGS.environment]).toBe('orders-prod');
    expect(tags[TAGS.sourceStack]).toBe('orders-prod-tmp-1a2b3c4d');
  });

  it('passes the CloudFormation service role when one is configured', async () => {
    await createStack(deps({ roleArn: 'arn:aws:iam::123456789012:role/cfn' }), event());
    expect(createInput().RoleARN).toBe('arn:aws:iam::123456789012:role/cfn');
  });

  it('sends the same valid ClientRequestToken on a retry of the same execution and a different one for another', async () => {
    await createStack(deps(), event());
    await createStack(deps(), event());
    await createStack(deps(), event({ execution: { id: `${EXECUTION.id}-2`, name: 'run-2' } }));
    const tokens = cfnMock.commandCalls(CreateStackCommand).map((c) => c.args[0].input.ClientRequestToken ?? '');
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).not.toBe(tokens[0]);
    for (const t of tokens) {
      expect(t).toMatch(/^[a-zA-Z0-9][-a-zA-Z0-9]*$/);
      expect(t.length).toBeLessThanOrEqual(128);
    }
  });

  it('refuses, before creating anything, a template without the snapshot parameter of a database', async () => {
    const templateUrl = 'https://bucket.s3.eu-west-1.amazonaws.com/env/bad.yaml';
    cfnMock.on(GetTemplateSummaryCommand).resolves({ Parameters: [{ ParameterKey: 'EnvironmentVersion' }] });
    const problems = await preflightProblems(createStack(deps(), event({ templateUrl })));
    expect(problems).toEqual(['the new template has no parameter OrdersDbSnapshotIdentifier: database OrdersDb would start empty']);
    expect(cfnMock.commandCalls(CreateStackCommand)).toHaveLength(0);
  });

  it('lists every preflight problem at once: no EnvironmentVersion, a lost snapshot, a masked NoEcho value', async () => {
    cfnMock.on(GetTemplateSummaryCommand).resolves({ Parameters: [{ ParameterKey: 'DbPassword', NoEcho: true }] });
    const src = source({ parameters: [{ key: 'DbPassword', value: '****' }] });
    const problems = await preflightProblems(
      createStack(deps(), event({ source: src, templateUrl: 'https://bucket.s3.eu-west-1.amazonaws.com/env/bad.yaml' })),
    );
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/no parameter OrdersDbSnapshotIdentifier: database OrdersDb would start empty/);
    expect(problems.join('\n')).toMatch(/no parameter EnvironmentVersion/);
    expect(problems.join('\n')).toMatch(/parameter DbPassword of orders-prod is NoEcho/);
    expect(cfnMock.commandCalls(CreateStackCommand)).toHaveLength(0);
  });

  it('accepts a masked NoEcho source value when the caller overrides it', async () => {
    const src = source({ parameters: [{ key: 'DbPassword', value: '****' }] });
    await createStack(deps(), event({ source: src, parameterOverrides: { DbPassword: 'from-caller' } }));
    const params = Object.fromEntries((createInput().Parameters ?? []).map((p) => [p.ParameterKey, p.ParameterValue]));
    expect(params.DbPassword).toBe('from-caller');
  });

  it('creates from a source template too large for TemplateBody through the workflow bucket, as TemplateURL under templates/', async () => {
    const big = `${TEMPLATE}\n# ${'x'.repeat(52_000)}\n`;
    const url = 'https://envmigrator-workflowdocuments.s3.eu-west-1.amazonaws.com/templates/run-1/orders-prod-tmp-1a2b3c4d.template';
    cfnMock.on(GetTemplateSummaryCommand, { TemplateURL: url }).resolves({ Parameters: [{ ParameterKey: 'EnvironmentVersion' }, { ParameterKey: 'OrdersDbSnapshotIdentifier' }] });
    await createStack(deps(), event({ source: source({ templateBody: big }) }));
    const [put] = s3Mock.commandCalls(PutObjectCommand);
    expect(put!.args[0].input).toMatchObject({ Bucket: 'envmigrator-workflowdocuments', Key: 'templates/run-1/orders-prod-tmp-1a2b3c4d.template' });
    expect(Buffer.from(put!.args[0].input.Body as Uint8Array).toString('utf8')).toBe(big);
    expect(createInput()).toMatchObject({ TemplateURL: url });
    expect(createInput().TemplateBody).toBeUndefined();
  });

  it('keeps a source template that fits TemplateBody out of the bucket', async () => {
    await createStack(deps(), event());
    expect(createInput().TemplateBody).toBe(TEMPLATE);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it("reads a NoEcho parameter's value from its secret (secretParameters) and passes it to CreateStack only", async () => {
    secretsMock.on(GetSecretValueCommand, { SecretId: DB_SECRET }).resolves({ SecretString: 's3cr3t-value' });
    const src = source({ parameters: [{ key: 'DbPassword', value: '****' }] });
    const result = await createStack(deps(), event({ source: src, secretParameters: { DbPassword: DB_SECRET } }));
    const params = Object.fromEntries((createInput().Parameters ?? []).map((p) => [p.ParameterKey, p.ParameterValue]));
    expect(params.DbPassword).toBe('s3cr3t-value');
    expect(JSON.stringify(result)).not.toContain('s3cr3t-value');
  });

  it('refuses, before creating anything, a secret parameter whose secret does not exist, naming the parameter', async () => {
    secretsMock.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }));
    const src = source({ parameters: [{ key: 'DbPassword', value: '****' }] });
    const problems = await preflightProblems(createStack(deps(), event({ source: src, secretParameters: { DbPassword: DB_SECRET } })));
    expect(problems).toEqual([`secret ${DB_SECRET} of parameter DbPassword does not exist`]);
    expect(cfnMock.commandCalls(CreateStackCommand)).toHaveLength(0);
  });

  it('refuses, before any write, a database without a snapshot of itself', async () => {
    const missing = await preflightProblems(createStack(deps(), event({ snapshots: [] })));
    expect(missing).toContain('database OrdersDb of orders-prod has no snapshot: it would start empty');
    const other = await preflightProblems(
      createStack(deps(), event({ snapshots: [{ logicalId: 'OrdersDb', dbInstanceIdentifier: 'billing-db', snapshotIdentifier: 'em-1a2b3c4d-c2-ordersdb' }] })),
    );
    expect(other).toEqual(['snapshot em-1a2b3c4d-c2-ordersdb is of billing-db, not of database OrdersDb (orders-db) of orders-prod']);
    expect(cfnMock.commandCalls(CreateStackCommand)).toHaveLength(0);
  });

  it('refuses an unreadable source template with that one problem', async () => {
    const message = 'Template format error: At least one Resources member must be defined.';
    cfnMock.on(GetTemplateSummaryCommand, { TemplateBody: 'Parameters: {}' }).rejects(Object.assign(new Error(message), { name: 'ValidationError' }));
    const problems = await preflightProblems(createStack(deps(), event({ source: source({ templateBody: 'Parameters: {}' }) })));
    expect(problems).toEqual([`the template of orders-prod cannot be read: ${message}`]);
    expect(cfnMock.commandCalls(CreateStackCommand)).toHaveLength(0);
  });

  it('counts a stack of that name tagged with this execution as already created (a retry)', async () => {
    cfnMock.on(CreateStackCommand).rejects(new AlreadyExistsException({ message: 'Stack [orders-prod-tmp-1a2b3c4d] already exists', $metadata: {} }));
    cfnMock.on(DescribeStacksCommand, { StackName: 'orders-prod-tmp-1a2b3c4d' }).resolves({
      Stacks: [
        {
          StackName: 'orders-prod-tmp-1a2b3c4d',
          StackId: STACK_ID,
          StackStatus: 'CREATE_IN_PROGRESS',
          CreationTime: new Date(),
          Tags: [{ Key: TAGS.execution, Value: EXECUTION.id }],
        },
      ],
    });
    expect(await createStack(deps(), event())).toEqual({ stackName: 'orders-prod-tmp-1a2b3c4d', stackId: STACK_ID, alreadyExisted: true });
  });

  it('throws ResourceConflict when the name is taken by a stack this migration did not create', async () => {
    cfnMock.on(CreateStackCommand).rejects(new AlreadyExistsException({ message: 'exists', $metadata: {} }));
    cfnMock.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'orders-prod-tmp-1a2b3c4d',
          StackId: STACK_ID,
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: new Date(),
          Tags: [{ Key: TAGS.execution, Value: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:someone-else' }],
        },
      ],
    });
    const err = await createStack(deps(), event()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceConflict);
    expect((err as Error).message).toMatch(/a stack named orders-prod-tmp-1a2b3c4d already exists and was not created by this migration/);
  });

  it('lets other CloudFormation errors propagate for the handler to classify', async () => {
    const validation = Object.assign(new Error('Template format error'), { name: 'ValidationError', $metadata: { httpStatusCode: 400 } });
    cfnMock.on(CreateStackCommand).rejects(validation);
    await expect(createStack(deps(), event())).rejects.toBe(validation);
  });
});
