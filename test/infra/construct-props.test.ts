/**
 * The construct's public surface (issue 13): what a user may bring (a topic, a key, a removal policy,
 * a VPC for the steps that call the environments' endpoints), the grant methods, and that none of it
 * loosens the defaults or cdk-nag.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { STEP_NAMES } from '../../lambdas/steps';
import { ENDPOINT_STEPS, EnvironmentMigrator, type EnvironmentMigratorProps } from '../../infra/environment-migrator';

process.env.ENV_MIGRATOR_SKIP_BUNDLING = '1';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:ops-alerts`;
const TOPIC_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;
const USER_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/99999999-8888-7777-6666-555555555555`;
const VPC_ACTIONS = [
  'ec2:AssignPrivateIpAddresses',
  'ec2:CreateNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:UnassignPrivateIpAddresses',
];

type Resource = { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string; DependsOn?: string[] };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

interface Built {
  stack: Stack;
  migrator: EnvironmentMigrator;
  template: Template;
  resources: Record<string, Resource>;
}

/** One stack holding the migrator; `extra` defines what the props refer to (a VPC, a topic...) in the same stack. */
function build(extra: (stack: Stack) => Partial<EnvironmentMigratorProps> = () => ({}), after?: (m: EnvironmentMigrator, stack: Stack) => void): Built {
  const stack = new Stack(new App(), 'S', { env: { account: ACCOUNT, region: REGION } });
  const migrator = new EnvironmentMigrator(stack, 'Migrator', { managedStackPrefixes: ['orders-'], ...extra(stack) });
  after?.(migrator, stack);
  const template = Template.fromStack(stack);
  return { stack, migrator, template, resources: template.toJSON().Resources as Record<string, Resource> };
}

const ofType = (b: Built, type: string) => Object.entries(b.resources).filter(([, r]) => r.Type === type);

function functionOf(b: Built, step: string): [string, Resource] {
  const found = ofType(b, 'AWS::Lambda::Function').filter(
    ([, r]) => (r.Properties?.Environment as { Variables: Record<string, string> }).Variables.ENV_MIGRATOR_STEP === step,
  );
  expect(found).toHaveLength(1);
  return found[0]!;
}

/** Statements of the policies attached to a role (by logical ID): its inline ones and CDK's overflow managed ones. */
function roleStatements(b: Built, roleId: string): Statement[] {
  return [...ofType(b, 'AWS::IAM::Policy'), ...ofType(b, 'AWS::IAM::ManagedPolicy').filter(([, p]) => p.Properties!.Roles)]
    .filter(([, p]) => (p.Properties!.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => (p.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
}
const roleOfFunction = (b: Built, step: string) => (functionOf(b, step)[1].Properties!.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
const roleOfMachine = (b: Built, name: 'Migrate' | 'Clone') => {
  const [, sm] = ofType(b, 'AWS::StepFunctions::StateMachine').find(([id]) => id.includes(name))!;
  return (sm.Properties!.RoleArn as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
};
const actions = (statements: Statement[]) => statements.flatMap((s) => [s.Action].flat());
const nagViolations = (stack: Stack) =>
  new AwsSolutionsChecks().validateScope(stack).violations.map((v) => `${v.ruleName} on ${v.violatingResources.map((r) => r.resourceLogicalId).join(', ')}`);

// Built once each: a migrator with everything of the user's (imported topic and key, VPC with its default
// security group, DESTROY), and one with resources the user defines in the same app (topic, key, security group).
const imported = build((stack) => ({
  notificationTopic: sns.Topic.fromTopicAttributes(stack, 'OpsTopic', { topicArn: TOPIC_ARN, keyArn: TOPIC_KEY_ARN }),
  encryptionKey: kms.Key.fromKeyArn(stack, 'UserKey', USER_KEY_ARN),
  vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 }),
  removalPolicy: RemovalPolicy.DESTROY,
}));
let ownedTopicKey: kms.Key;
let ownedSecurityGroup: ec2.SecurityGroup;
let ownedVpc: ec2.Vpc;
const owned = build(
  (stack) => {
    ownedTopicKey = new kms.Key(stack, 'OpsTopicKey', { enableKeyRotation: true });
    ownedVpc = new ec2.Vpc(stack, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
        { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        { name: 'probes', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      ],
    });
    ownedSecurityGroup = new ec2.SecurityGroup(stack, 'ProbeSg', { vpc: ownedVpc, description: 'probes' });
    return {
      notificationTopic: new sns.Topic(stack, 'OpsTopic', { masterKey: ownedTopicKey, enforceSSL: true }),
      notificationEmails: ['ops@example.com'],
      vpc: ownedVpc,
      vpcSubnets: { subnetGroupName: 'probes' },
      securityGroups: [ownedSecurityGroup],
    };
  },
  (migrator, stack) => {
    const pipeline = new iam.Role(stack, 'PipelineRole', { assumedBy: new iam.AccountRootPrincipal() });
    migrator.grantStartMigration(pipeline);
    migrator.grantRead(pipeline);
  },
);

describe('a notification topic of the user', () => {
  it('is used instead of a new one: no topic, no subscription, no topic key defined, the alarms and Migrate publish to it', () => {
    expect(ofType(imported, 'AWS::SNS::Topic')).toEqual([]);
    expect(ofType(imported, 'AWS::SNS::Subscription')).toEqual([]);
    for (const [id, alarm] of ofType(imported, 'AWS::CloudWatch::Alarm')) expect(alarm.Properties!.AlarmActions, id).toEqual([TOPIC_ARN]);
    expect(ofType(imported, 'AWS::CloudWatch::Alarm').length).toBe(3 * 3 + STEP_NAMES.length);
    const migrate = roleStatements(imported, roleOfMachine(imported, 'Migrate'));
    expect(migrate).toContainEqual(expect.objectContaining({ Action: 'sns:Publish', Resource: TOPIC_ARN }));
    // Its key, named by the import, is granted to Migrate (SNS encrypts on the publisher's behalf).
    expect(migrate).toContainEqual(expect.objectContaining({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: TOPIC_KEY_ARN }));
    expect(imported.migrator.topic.topicArn).toBe(TOPIC_ARN);
    expect(imported.migrator.topicKey?.keyArn).toBe(TOPIC_KEY_ARN);
  });

  it('gets the CloudWatch alarms statement in its key policy when the key is in the app, and a synth warning when it is not', () => {
    const policy = owned.resources[owned.stack.getLogicalId(ownedTopicKey.node.defaultChild as kms.CfnKey)]!.Properties!.KeyPolicy as { Statement: unknown[] };
    expect(policy.Statement).toContainEqual(
      expect.objectContaining({ Sid: 'CloudWatchAlarmsPublish', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey'] }),
    );
    Annotations.fromStack(imported.stack).hasWarning('/S/Migrator', Match.stringLikeRegexp('cloudwatch\\.amazonaws\\.com'));
    expect(Annotations.fromStack(owned.stack).findWarning('*', Match.stringLikeRegexp('cloudwatch\\.amazonaws\\.com'))).toEqual([]);
  });

  it('is subscribed only the emails asked for, and the construct defines no topic of its own', () => {
    const subs = ofType(owned, 'AWS::SNS::Subscription');
    expect(subs.map(([, s]) => [s.Properties!.Protocol, s.Properties!.Endpoint])).toEqual([['email', 'ops@example.com']]);
    expect(ofType(owned, 'AWS::SNS::Topic')).toHaveLength(1);
    const [topicId] = ofType(owned, 'AWS::SNS::Topic')[0]!;
    expect(subs[0]![1].Properties!.TopicArn).toEqual({ Ref: topicId });
    expect(topicId).toMatch(/^OpsTopic/);
  });
});

describe('a KMS key of the user', () => {
  it('encrypts the workflow bucket (no key defined at all when the topic is the user\'s too) and is granted to the steps and the checksum job role', () => {
    expect(ofType(imported, 'AWS::KMS::Key')).toEqual([]);
    const [, bucket] = ofType(imported, 'AWS::S3::Bucket')[0]!;
    expect(JSON.stringify(bucket.Properties!.BucketEncryption)).toContain(USER_KEY_ARN);
    const keyUsers = ofType(imported, 'AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p.Properties!.PolicyDocument).includes(USER_KEY_ARN));
    // Document steps, create-stack (large templates), the checksum job steps and the checksum job role.
    expect(keyUsers.length).toBeGreaterThanOrEqual(7);
    expect(imported.migrator.workflowBucketKey.keyArn).toBe(USER_KEY_ARN);
  });

  it('encrypts the topic the construct defines, with the alarms statement added when the key is in the app', () => {
    const b = build((stack) => ({ encryptionKey: new kms.Key(stack, 'CompanyKey', { enableKeyRotation: true }) }));
    const keys = ofType(b, 'AWS::KMS::Key');
    expect(keys.map(([id]) => id)).toEqual([expect.stringMatching(/^CompanyKey/)]);
    const [keyId, key] = keys[0]!;
    expect(ofType(b, 'AWS::SNS::Topic')[0]![1].Properties!.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(JSON.stringify(ofType(b, 'AWS::S3::Bucket')[0]![1].Properties!.BucketEncryption)).toContain(keyId);
    expect((key.Properties!.KeyPolicy as { Statement: { Sid?: string }[] }).Statement.map((s) => s.Sid)).toContain('CloudWatchAlarmsPublish');
    expect(JSON.stringify(roleStatements(b, roleOfMachine(b, 'Migrate')))).toContain(keyId);
    expect(nagViolations(b.stack)).toEqual([]);
  });
});

describe('removalPolicy', () => {
  it('applies to the bucket, the lock table, every log group and the keys the construct defines; RETAIN by default', () => {
    const stateful = ['AWS::S3::Bucket', 'AWS::DynamoDB::Table', 'AWS::Logs::LogGroup', 'AWS::KMS::Key'];
    const destroyed = build(() => ({ removalPolicy: RemovalPolicy.DESTROY }));
    const retained = build();
    for (const [b, policy] of [
      [destroyed, 'Delete'],
      [retained, 'Retain'],
    ] as const) {
      const found = Object.entries(b.resources).filter(([, r]) => stateful.includes(r.Type));
      // bucket, table, one log group per step and per state machine (Migrate, Clone, Retire, Rollback), two keys
      expect(found).toHaveLength(2 + STEP_NAMES.length + 4 + 2);
      for (const [id, r] of found) expect([id, r.DeletionPolicy, r.UpdateReplacePolicy]).toEqual([id, policy, policy]);
    }
    // A key of the user's is never given a removal policy by the construct (it is not in the template).
    expect(ofType(imported, 'AWS::Logs::LogGroup').every(([, r]) => r.DeletionPolicy === 'Delete')).toBe(true);
  });

  it('refuses SNAPSHOT, which none of them supports', () => {
    expect(() => build(() => ({ removalPolicy: RemovalPolicy.SNAPSHOT }))).toThrowError(/removalPolicy: RemovalPolicy.SNAPSHOT/);
  });
});

describe('a VPC for the steps that call the environments\' endpoints', () => {
  it('places exactly those steps in it, with the construct\'s security group by default, in private subnets', () => {
    const [sgId] = ofType(imported, 'AWS::EC2::SecurityGroup').find(([id]) => id.includes('EndpointSteps'))!;
    const privateSubnets = ofType(imported, 'AWS::EC2::Subnet')
      .filter(([id]) => id.includes('Private'))
      .map(([id]) => ({ Ref: id }));
    expect(privateSubnets).toHaveLength(2);
    for (const step of STEP_NAMES) {
      const config = functionOf(imported, step)[1].Properties!.VpcConfig as { SecurityGroupIds: unknown[]; SubnetIds: unknown[] } | undefined;
      if (ENDPOINT_STEPS.includes(step)) expect(config, step).toEqual({ SecurityGroupIds: [{ 'Fn::GetAtt': [sgId, 'GroupId'] }], SubnetIds: privateSubnets });
      else expect(config, step).toBeUndefined();
    }
    expect(imported.migrator.connections.securityGroups.map((g) => imported.stack.resolve(g.securityGroupId))).toEqual([{ 'Fn::GetAtt': [sgId, 'GroupId'] }]);
  });

  it('uses the security groups and subnets given', () => {
    const sg = owned.stack.resolve(ownedSecurityGroup.securityGroupId);
    const probes = ownedVpc.selectSubnets({ subnetGroupName: 'probes' }).subnetIds.map((id) => owned.stack.resolve(id));
    for (const step of ENDPOINT_STEPS) {
      expect(functionOf(owned, step)[1].Properties!.VpcConfig, step).toEqual({ SecurityGroupIds: [sg], SubnetIds: probes });
    }
    expect(ofType(owned, 'AWS::EC2::SecurityGroup')).toHaveLength(1);
  });

  it('gives exactly those steps the network interface actions, on a policy their function waits for, and no managed policy', () => {
    for (const step of STEP_NAMES) {
      const roleId = roleOfFunction(imported, step);
      const granted = actions(roleStatements(imported, roleId)).filter((a) => a.startsWith('ec2:'));
      expect(granted.sort(), step).toEqual(ENDPOINT_STEPS.includes(step) ? VPC_ACTIONS : []);
      expect(imported.resources[roleId]!.Properties!.ManagedPolicyArns, step).toBeUndefined();
      if (ENDPOINT_STEPS.includes(step)) {
        const [policyId] = ofType(imported, 'AWS::IAM::Policy').find(([, p]) => (p.Properties!.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))!;
        expect(functionOf(imported, step)[1].DependsOn, step).toContain(policyId);
      }
    }
  });

  it('covers every step whose code makes an HTTP request (lambdas/shared/http.ts), and only those', () => {
    const steps = readdirSync(new URL('../../lambdas/', import.meta.url)).filter((d) => (STEP_NAMES as string[]).includes(d));
    const callers = steps.filter((d) => /from '\.\.\/shared\/http'/.test(readFileSync(new URL(`../../lambdas/${d}/core.ts`, import.meta.url), 'utf8')));
    expect(callers.sort()).toEqual([...ENDPOINT_STEPS].sort());
  });

  it('refuses subnets or security groups without a VPC, and an empty list of security groups; connections need a VPC', () => {
    const stack = () => new Stack(new App(), 'S');
    expect(() => new EnvironmentMigrator(stack(), 'M', { managedStackPrefixes: ['orders-'], vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } })).toThrowError(/give the vpc/);
    const s = stack();
    expect(() => new EnvironmentMigrator(s, 'M', { managedStackPrefixes: ['orders-'], vpc: new ec2.Vpc(s, 'V'), securityGroups: [] })).toThrowError(/securityGroups is empty/);
    const m = new EnvironmentMigrator(stack(), 'M', { managedStackPrefixes: ['orders-'] });
    expect(() => m.connections).toThrowError(/only when a vpc is given/);
  });
});

describe('the grant methods', () => {
  const pipeline = () => roleStatements(owned, ofType(owned, 'AWS::IAM::Role').find(([id]) => id.startsWith('PipelineRole'))![0]);
  const machine = (name: string) => ofType(owned, 'AWS::StepFunctions::StateMachine').find(([id]) => id.includes(name))![0];

  it('grantStartMigration: StartExecution on Migrate only, and DescribeStacks on the migrator\'s stack for the CLI', () => {
    const statements = pipeline();
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'states:StartExecution', Resource: { Ref: machine('Migrate') } }));
    const start = statements.filter((s) => actions([s]).includes('states:StartExecution'));
    expect(start).toHaveLength(1);
    const describe = statements.find((s) => actions([s]).includes('cloudformation:DescribeStacks'))!;
    expect(JSON.stringify(owned.stack.resolve(describe.Resource))).toContain(':stack/S/*');
  });

  it('grantRead: describe and follow the executions of both machines and the definitions they ran, list and describe the machines, nothing else', () => {
    const statements = pipeline().filter((s) => actions([s]).some((a) => a !== 'states:StartExecution' && a.startsWith('states:')));
    const executions = statements.find((s) => actions([s]).includes('states:DescribeExecution'))!;
    expect(actions([executions]).sort()).toEqual(['states:DescribeExecution', 'states:DescribeStateMachineForExecution', 'states:GetExecutionHistory']);
    const arns = JSON.stringify(executions.Resource);
    for (const name of ['Migrate', 'Clone']) expect(arns).toContain(`{"Fn::GetAtt":["${machine(name)}","Name"]},":*"`);
    expect(arns).toContain(':execution:');
    const machines = statements.find((s) => actions([s]).includes('states:ListExecutions'))!;
    expect(actions([machines]).sort()).toEqual(['states:DescribeStateMachine', 'states:ListExecutions']);
    expect(machines.Resource).toEqual([{ Ref: machine('Migrate') }, { Ref: machine('Clone') }]);
    expect(actions(pipeline()).sort()).toEqual([
      'cloudformation:DescribeStacks',
      'states:DescribeExecution',
      'states:DescribeStateMachine',
      'states:DescribeStateMachineForExecution',
      'states:GetExecutionHistory',
      'states:ListExecutions',
      'states:StartExecution',
    ]);
  });
});

describe('grantUnlock', () => {
  it("gives env-migrator unlock what it uses only: GetItem and DeleteItem on the lock table, DescribeExecution on Migrate's executions, DescribeStacks on the migrator's stack", () => {
    const b = build(undefined, (migrator, stack) => migrator.grantUnlock(new iam.Role(stack, 'OpsRole', { assumedBy: new iam.AccountRootPrincipal() })));
    const role = ofType(b, 'AWS::IAM::Role').find(([id]) => id.startsWith('OpsRole'))![0];
    const statements = roleStatements(b, role);
    const table = ofType(b, 'AWS::DynamoDB::Table')[0]![0];
    const migrate = ofType(b, 'AWS::StepFunctions::StateMachine').find(([id]) => id.includes('Migrate'))![0];
    expect(actions(statements).sort()).toEqual(['cloudformation:DescribeStacks', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'states:DescribeExecution']);
    const ddb = statements.find((s) => actions([s]).includes('dynamodb:DeleteItem'))!;
    expect(JSON.stringify(ddb.Resource)).toContain(`"${table}"`);
    const describe = JSON.stringify(statements.find((s) => actions([s]).includes('states:DescribeExecution'))!.Resource);
    expect(describe).toContain(`{"Fn::GetAtt":["${migrate}","Name"]},":*"`);
    expect(describe).not.toContain('Clone');
    expect(JSON.stringify(b.stack.resolve(statements.find((s) => actions([s]).includes('cloudformation:DescribeStacks'))!.Resource))).toContain(':stack/S/*');
  });
});

describe('cdk-nag', () => {
  it('finds nothing unacknowledged with a VPC, a topic, a key and a removal policy of the user\'s', () => {
    // VPC7 (no flow logs) is about the test's VPC, which belongs to the user, not to the construct.
    expect(nagViolations(imported.stack).filter((v) => !v.startsWith('AwsSolutions-VPC7 '))).toEqual([]);
    // What remains are the grantee's: the user's role holds the wildcards of grantStartMigration and
    // grantRead (the migrator's stack, any execution of either machine), for the user to acknowledge.
    expect(nagViolations(owned.stack).filter((v) => !v.startsWith('AwsSolutions-VPC7 ')).sort()).toEqual([
      expect.stringContaining(':cloudformation:eu-west-1:123456789012:stack/S/*]'),
      expect.stringMatching(/:execution:<MigratorClone\w+\.Name>:\*\]/),
      expect.stringMatching(/:execution:<MigratorMigrate\w+\.Name>:\*\]/),
    ]);
  });
});

// grantPlan: what `env-migrator plan` calls (cli/plan-core.ts: the lock, discover, the bucket inventory and metrics), read
// only, on the environments of managedStackPrefixes; grantRead stays as it was.
describe('grantPlan', () => {
  it("grants the plan's read calls on the managed environments, and no write", () => {
    const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'eu-west-1' } });
    const migrator = new EnvironmentMigrator(stack, 'Migrator', { managedStackPrefixes: ['orders-'], templateBucketNames: ['my-artifacts'] });
    const operator = new iam.Role(stack, 'OperatorRole', { assumedBy: new iam.AccountRootPrincipal() });
    migrator.grantPlan(operator);

    const policies = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).filter((p) =>
      (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref.startsWith('OperatorRole')),
    );
    const statements = policies.flatMap((p) => (p.Properties.PolicyDocument as { Statement: (Statement & { Condition?: unknown })[] }).Statement);
    const actions = [...new Set(statements.flatMap((s) => [s.Action].flat()))].sort();
    // Every call cli/plan-core.ts makes (the commands of lambdas/discover and lambdas/inventory-buckets).
    for (const a of [
      'cloudformation:DescribeStacks',
      'cloudformation:GetTemplate',
      'cloudformation:ListStackResources',
      'cloudformation:ValidateTemplate',
      'cloudformation:GetTemplateSummary',
      'rds:DescribeDBInstances',
      'rds:DescribeAccountAttributes',
      's3:ListBucketVersions',
      's3:GetBucketVersioning',
      's3:GetEncryptionConfiguration',
      's3:GetBucketObjectLockConfiguration',
      's3:GetObject',
      'kms:DescribeKey',
      'secretsmanager:DescribeSecret',
      // The lock (found through the migrator stack's LockTableName output) and the buckets' daily storage metrics.
      'dynamodb:GetItem',
      'cloudwatch:GetMetricStatistics',
    ]) {
      expect(actions).toContain(a);
    }
    const lock = statements.find((s) => [s.Action].flat().includes('dynamodb:GetItem'))!;
    expect(JSON.stringify(lock.Resource)).toContain('EnvironmentLocks');
    const metrics = statements.find((s) => [s.Action].flat().includes('cloudwatch:GetMetricStatistics'))!;
    expect(metrics.Resource).toBe('*');
    const writes = actions.filter((a) => !/^[a-z0-9]+:(Describe|Get|List|Validate)/.test(a) && a !== 'kms:Decrypt');
    expect(writes).toEqual([]);
    const buckets = statements.find((s) => [s.Action].flat().includes('s3:ListBucketVersions'))!;
    expect(JSON.stringify(buckets.Resource)).toContain(':s3:::orders-*');
    const template = statements.find((s) => JSON.stringify(s.Resource).includes('my-artifacts'))!;
    expect([template.Action].flat()).toEqual(['s3:GetObject']);
  });
});

describe('grantPlan with entryPoints (blue/green)', () => {
  // plan --strategy blue-green reads the record as the entry-point step does, and the lock keys of the
  // idle slot and of the record (cli/plan-blue-green.ts).
  const statementsOf = (props: ConstructorParameters<typeof EnvironmentMigrator>[2]) => {
    const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'eu-west-1' } });
    const migrator = new EnvironmentMigrator(stack, 'Migrator', props);
    migrator.grantPlan(new iam.Role(stack, 'OperatorRole', { assumedBy: new iam.AccountRootPrincipal() }));
    return Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref.startsWith('OperatorRole')))
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: (Statement & { Condition?: unknown })[] }).Statement);
  };

  it("grants route53:ListResourceRecordSets on the entry points' hosted zones only, and GetItem on the whole lock table (the record's and the slots' keys alike)", () => {
    const statements = statementsOf({ managedStackPrefixes: ['orders-'], entryPoints: [{ hostedZoneId: '/hostedzone/Z0123456789ABC', recordNames: ['orders.example.com'] }] });
    const records = statements.filter((s) => [s.Action].flat().includes('route53:ListResourceRecordSets'));
    expect(records).toHaveLength(1);
    expect(JSON.stringify(records[0]!.Resource)).toContain(':route53:::hostedzone/Z0123456789ABC"');
    expect([records[0]!.Resource].flat()).toHaveLength(1);
    // No write on the record: the plan reads only.
    expect(statements.flatMap((s) => [s.Action].flat()).filter((a) => a.startsWith('route53:'))).toEqual(['route53:ListResourceRecordSets']);
    const lock = statements.find((s) => [s.Action].flat().includes('dynamodb:GetItem'))!;
    expect(lock.Condition).toBeUndefined();
    expect(JSON.stringify(lock.Resource)).toContain('EnvironmentLocks');
  });

  it('grants no Route 53 action without entryPoints', () => {
    const statements = statementsOf({ managedStackPrefixes: ['orders-'] });
    expect(statements.flatMap((s) => [s.Action].flat()).filter((a) => a.startsWith('route53:'))).toEqual([]);
  });
});

describe('grantCancel', () => {
  it("gives env-migrator cancel what it uses only: GetItem and UpdateItem on the lock table, DescribeExecution on Migrate's executions, DescribeStacks on the migrator's stack; no StopExecution", () => {
    const b = build(undefined, (migrator, stack) => migrator.grantCancel(new iam.Role(stack, 'OpsRole', { assumedBy: new iam.AccountRootPrincipal() })));
    const role = ofType(b, 'AWS::IAM::Role').find(([id]) => id.startsWith('OpsRole'))![0];
    const statements = roleStatements(b, role);
    const table = ofType(b, 'AWS::DynamoDB::Table')[0]![0];
    const migrate = ofType(b, 'AWS::StepFunctions::StateMachine').find(([id]) => id.includes('Migrate'))![0];
    expect(actions(statements).sort()).toEqual(['cloudformation:DescribeStacks', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'states:DescribeExecution']);
    expect(JSON.stringify(statements.find((s) => actions([s]).includes('dynamodb:UpdateItem'))!.Resource)).toContain(`"${table}"`);
    const describe = JSON.stringify(statements.find((s) => actions([s]).includes('states:DescribeExecution'))!.Resource);
    expect(describe).toContain(`{"Fn::GetAtt":["${migrate}","Name"]},":*"`);
    expect(describe).not.toContain('Clone');
  });
});
