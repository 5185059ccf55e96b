import { readFileSync } from 'node:fs';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { App, Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { snapshotPrefix } from '../../lambdas/shared/naming';
import { MIGRATION_TIMEOUT_SECONDS, SLOT_OPERATION_TIMEOUT_SECONDS, STEPS, STEP_NAMES, type StepName } from '../../lambdas/steps';
import { samplePolicyDocument } from '../../infra/environment-role';
import { templateBucketOf } from '../../infra/schedule-validation';
import { DOCUMENT_STEPS, SNAPSHOT_NAME_PREFIX } from '../../infra/step-permissions';
import { EnvironmentMigrator } from '../../infra/environment-migrator';
import { synth, synthStack } from './synth';

// Every construction below builds the step functions without bundling.
process.env.ENV_MIGRATOR_SKIP_BUNDLING = '1';

type Resource = { Type: string; Properties?: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };

const SCHEDULE_INPUT = { stackName: 'orders-prod', targetVersion: '1.4.0', templateUrl: 'https://artifacts-bucket.s3.eu-west-1.amazonaws.com/env/1.4.0.yaml' };

// The deployment a team would make: emails, a schedule, a template bucket. Synthesized once.
const full = synthStack({
  managedStackPrefixes: ['orders-', 'billing-'],
  notificationEmails: ['ops@example.com', 'oncall@example.com'],
  templateBucketNames: ['artifacts-bucket'],
  logRetention: logs.RetentionDays.THREE_MONTHS,
  schedule: { expression: 'cron(0 3 ? * SUN *)', timeZone: 'Europe/Paris', input: SCHEDULE_INPUT },
});

function resourcesOf(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.toJSON().Resources as Record<string, Resource>).filter(([, r]) => r.Type === type);
}

function functionOf(template: Template, step: string): [string, Resource] {
  const found = resourcesOf(template, 'AWS::Lambda::Function').filter(
    ([, r]) => (r.Properties?.Environment as { Variables?: Record<string, string> } | undefined)?.Variables?.ENV_MIGRATOR_STEP === step,
  );
  expect(found, `functions of step ${step}`).toHaveLength(1);
  return found[0]!;
}

/** The statements of the policies attached to the role of a step's function. */
function stepStatements(template: Template, step: string): Statement[] {
  const roleRef = (functionOf(template, step)[1].Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return resourcesOf(template, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties!.Roles as { Ref: string }[]).some((r) => r.Ref === roleRef))
    .flatMap(([, p]) => (p.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** The key the notification topic is encrypted with. */
function topicKeyOf(template: Template): [string, Resource] {
  const [, topic] = resourcesOf(template, 'AWS::SNS::Topic')[0]!;
  const keyId = (topic.Properties!.KmsMasterKeyId as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return resourcesOf(template, 'AWS::KMS::Key').find(([id]) => id === keyId)!;
}

const actionsOf = (statements: Statement[]): string[] => [...new Set(statements.flatMap((s) => [s.Action].flat()))].sort();

/** Every policy statement of the template: IAM policies, role inline policies, key and topic policies. */
function allStatements(template: Template): Statement[] {
  return Object.values(template.toJSON().Resources as Record<string, Resource>).flatMap((r) => {
    const p = r.Properties ?? {};
    const docs = [p.PolicyDocument, p.KeyPolicy, ...((p.Policies as { PolicyDocument: unknown }[] | undefined) ?? []).map((x) => x.PolicyDocument)];
    return docs.flatMap((d) => ((d as { Statement?: Statement[] } | undefined)?.Statement ?? []));
  });
}

/**
 * The IAM actions an SDK command needs (Service Authorization Reference; S3 and KMS: "Required
 * permissions for Amazon S3 API operations" — CopyObject and multipart copies of SSE-KMS objects
 * decrypt the source and generate a data key for the destination; HeadObject with ChecksumMode on
 * an SSE-KMS object needs kms:Decrypt).
 */
const COMMAND_ACTIONS: Record<string, string[]> = {
  DescribeStacks: ['cloudformation:DescribeStacks'],
  ListStackResources: ['cloudformation:ListStackResources'],
  GetTemplate: ['cloudformation:GetTemplate'],
  GetTemplateSummary: ['cloudformation:GetTemplateSummary'],
  ValidateTemplate: ['cloudformation:ValidateTemplate'],
  DescribeSecret: ['secretsmanager:DescribeSecret'],
  CreateStack: ['cloudformation:CreateStack', 'cloudformation:TagResource', 'iam:PassRole'],
  DeleteStack: ['cloudformation:DeleteStack', 'iam:PassRole'],
  DescribeStackEvents: ['cloudformation:DescribeStackEvents'],
  DescribeDBInstances: ['rds:DescribeDBInstances'],
  CreateDBSnapshot: ['rds:CreateDBSnapshot', 'rds:AddTagsToResource'],
  DescribeDBSnapshots: ['rds:DescribeDBSnapshots'],
  DeleteDBSnapshot: ['rds:DeleteDBSnapshot'],
  DescribeAutoScalingGroups: ['autoscaling:DescribeAutoScalingGroups'],
  SuspendProcesses: ['autoscaling:SuspendProcesses'],
  ResumeProcesses: ['autoscaling:ResumeProcesses'],
  EnterStandby: ['autoscaling:EnterStandby'],
  ExitStandby: ['autoscaling:ExitStandby'],
  UpdateAutoScalingGroup: ['autoscaling:UpdateAutoScalingGroup'],
  CreateOrUpdateTags: ['autoscaling:CreateOrUpdateTags'],
  DeleteTags: ['autoscaling:DeleteTags'],
  ListObjectsV2: ['s3:ListBucket'],
  // A version addressed by VersionId needs the *Version actions as well.
  HeadObject: ['s3:GetObject', 's3:GetObjectVersion', 'kms:Decrypt'],
  CopyObject: ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectTagging', 's3:GetObjectVersionTagging', 's3:PutObject', 's3:PutObjectTagging', 'kms:Decrypt', 'kms:GenerateDataKey'],
  GetObjectTagging: ['s3:GetObjectTagging', 's3:GetObjectVersionTagging'],
  CreateMultipartUpload: ['s3:PutObject', 's3:PutObjectTagging', 'kms:GenerateDataKey'],
  UploadPartCopy: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 'kms:Decrypt', 'kms:GenerateDataKey'],
  CreateJob: ['s3:CreateJob', 'iam:PassRole'],
  DescribeJob: ['s3:DescribeJob'],
  CompleteMultipartUpload: ['s3:PutObject'],
  UploadPart: ['s3:PutObject', 'kms:GenerateDataKey'],
  AbortMultipartUpload: ['s3:AbortMultipartUpload'],
  GetBucketEncryption: ['s3:GetEncryptionConfiguration'],
  DescribeKey: ['kms:DescribeKey'],
  ListObjectVersions: ['s3:ListBucketVersions'],
  GetBucketVersioning: ['s3:GetBucketVersioning'],
  GetObjectLockConfiguration: ['s3:GetBucketObjectLockConfiguration'],
  DescribeAccountAttributes: ['rds:DescribeAccountAttributes'],
  GetObject: ['s3:GetObject'],
  PutObject: ['s3:PutObject'],
  DeleteObject: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
  DeleteObjects: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
  GetSecretValue: ['secretsmanager:GetSecretValue'],
  GetItem: ['dynamodb:GetItem'],
  DescribeExecution: ['states:DescribeExecution'],
  ListResourceRecordSets: ['route53:ListResourceRecordSets'],
  ChangeResourceRecordSets: ['route53:ChangeResourceRecordSets'],
  GetChange: ['route53:GetChange'],
  // Service Authorization Reference (EventBridge Scheduler): CreateSchedule also needs iam:PassRole of the target's role.
  CreateSchedule: ['scheduler:CreateSchedule', 'iam:PassRole'],
  GetSchedule: ['scheduler:GetSchedule'],
  DeleteSchedule: ['scheduler:DeleteSchedule'],
  // Live sync. CreateChangeSet with RoleARN needs iam:PassRole of that role (as CreateStack).
  CreateChangeSet: ['cloudformation:CreateChangeSet', 'iam:PassRole'],
  DescribeChangeSet: ['cloudformation:DescribeChangeSet'],
  ExecuteChangeSet: ['cloudformation:ExecuteChangeSet'],
  GetMetricData: ['cloudwatch:GetMetricData'],
};

/**
 * Commands a step's modules import but the step never sends: record-switch uses the pure record
 * helpers of lambdas/shared/entry-point.ts (retargeted, slotEndpoint), never its readEntryRecords.
 */
const IMPORTED_NOT_SENT: Partial<Record<StepName, string[]>> = {
  'record-switch': ['route53:ListResourceRecordSets'],
};

/**
 * Blue/green actions granted only with the construct's `entryPoints` (PermissionScope hostedZoneIds,
 * retireScheduleGroupName, retireScheduleRoleArn): all granted in the local deployment, which has the
 * sample's entry point; none in a deployment without entry points (`full` here).
 */
const UNWIRED_ACTIONS: Partial<Record<StepName, string[]>> = {
  'entry-point': ['route53:ListResourceRecordSets'],
  'switch-entry-point': ['route53:ListResourceRecordSets', 'route53:ChangeResourceRecordSets'],
  'schedule-retire': ['scheduler:CreateSchedule', 'scheduler:GetSchedule', 'iam:PassRole'],
  'close-switch-record': ['scheduler:DeleteSchedule'],
};

/**
 * Blue/green steps that only read documents of the workflow bucket (getJsonDocument, or a GetObject
 * of the switch record): lambdas/shared/documents.ts, which they import, also writes, but they never do.
 */
const DOCUMENT_READERS: readonly StepName[] = ['read-verified-copy', 'read-switch-record'];
/** Where in the workflow bucket each blue/green slot-operation step reads or writes. */
const SLOT_OPERATION_PREFIXES: Partial<Record<StepName, string[]>> = {
  'read-verified-copy': ['/runs/*'],
  'read-switch-record': ['/entry-points/*', '/runs/*'],
  'close-switch-record': ['/entry-points/*'],
};

/**
 * Calls made through one shared module into another, which commandsOf does not follow (following every
 * shared import would credit a step with what other functions of a module call).
 */
const INDIRECT_ACTIONS: Partial<Record<StepName, string[]>> = {
  // Its results are written through checksum-job.ts PartitionedLines → documents.ts putDocument.
  'checksum-job-status': ['s3:PutObject'],
};

/** Actions a command may need elsewhere that a step's use of it does not (verify-bucket's manifests are multipart uploads without tags). */
const NOT_NEEDED: Partial<Record<StepName, string[]>> = {
  'verify-bucket': ['s3:PutObjectTagging'],
};

/** What a step that keeps documents in the workflow bucket is granted besides its own calls (infra/step-permissions.ts documentGrants). */
const DOCUMENT_ACTIONS = ['s3:GetObject', 's3:PutObject', 'kms:Decrypt', 'kms:GenerateDataKey'];
/** The checksum job steps use the workflow bucket's key for the manifests and reports they keep under checksum-jobs/. */
const WORKFLOW_KEY_ACTIONS: Partial<Record<StepName, string[]>> = {
  'start-checksum-job': ['kms:Decrypt'],
  'checksum-job-status': ['kms:Decrypt', 'kms:GenerateDataKey'],
  // A template over 51,200 bytes, put under templates/ and read back by CloudFormation with create-stack's credentials.
  'create-stack': ['kms:Decrypt', 'kms:GenerateDataKey'],
  // Blue/green: the clone output retire reads, the switch records rollback reads and closes.
  'read-verified-copy': ['kms:Decrypt'],
  'read-switch-record': ['kms:Decrypt'],
  'close-switch-record': ['kms:Decrypt', 'kms:GenerateDataKey'],
};

/** The SDK commands a step's code sends: its core, handler and the modules they import (its folder's, lambdas/shared), transitively. */
function commandsOf(step: string): Set<string> {
  const commands = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(new URL(`../../lambdas/${file}`, import.meta.url), 'utf8');
    for (const m of text.matchAll(/new (\w+)Command\(|paginate(\w+)\(/g)) commands.add((m[1] ?? m[2])!);
    for (const m of text.matchAll(/from '\.\.?\/(?:\.\.\/)?shared\/([\w-]+)'/g)) visit(`shared/${m[1]}.ts`);
    // A step's own modules beside its core (lambdas/discover/deletion-preflight.ts...).
    if (!file.startsWith('shared/')) for (const m of text.matchAll(/from '\.\/([\w-]+)'/g)) visit(`${file.slice(0, file.lastIndexOf('/'))}/${m[1]}.ts`);
  };
  for (const file of ['core.ts', 'handler.ts']) visit(`${step}/${file}`);
  return commands;
}

describe('the step functions', () => {
  it('run Node.js 22 on arm64 with the step timeout and memory, X-Ray tracing, source maps, Powertools settings and the step name', () => {
    const { template } = synth();
    expect(resourcesOf(template, 'AWS::Lambda::Function')).toHaveLength(STEP_NAMES.length);
    for (const step of STEP_NAMES) {
      const p = functionOf(template, step)[1].Properties!;
      expect(p.Runtime, step).toBe('nodejs22.x');
      expect(p.Architectures, step).toEqual(['arm64']);
      expect(p.Timeout, step).toBe(STEPS[step].timeoutSeconds);
      expect(p.MemorySize, step).toBe(STEPS[step].memoryMb);
      expect(p.TracingConfig, step).toEqual({ Mode: 'Active' });
      expect((p.Environment as { Variables: Record<string, string> }).Variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'env-migrator',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ENV_MIGRATOR_STEP: step,
        NODE_OPTIONS: '--enable-source-maps',
      });
    }
  });

  it('log to a log group of their own with the configured retention (one month by default)', () => {
    for (const [template, days] of [
      [synth().template, 30],
      [full.template, 90],
    ] as const) {
      const groups = Object.fromEntries(resourcesOf(template, 'AWS::Logs::LogGroup'));
      for (const step of STEP_NAMES) {
        const ref = ((functionOf(template, step)[1].Properties!.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup).Ref;
        expect(groups[ref]?.Properties?.RetentionInDays, step).toBe(days);
      }
      // The functions' groups and the four state machines' groups, nothing without retention.
      expect(Object.keys(groups)).toHaveLength(STEP_NAMES.length + 4);
      for (const g of Object.values(groups)) expect(g.Properties?.RetentionInDays).toBe(days);
    }
  });

  it('each have a role of their own, with no managed policy', () => {
    const roles = new Set(STEP_NAMES.map((step) => JSON.stringify(functionOf(synth().template, step)[1].Properties!.Role)));
    expect(roles.size).toBe(STEP_NAMES.length);
    for (const [, role] of resourcesOf(synth().template, 'AWS::IAM::Role')) expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
  });

  it.each(STEP_NAMES)('%s is granted exactly the actions of the AWS calls its code makes', (step) => {
    const expected = new Set<string>();
    for (const command of commandsOf(step)) {
      const actions = COMMAND_ACTIONS[command];
      expect(actions, `IAM actions of ${command}, called by ${step}: add them to COMMAND_ACTIONS and to infra/step-permissions.ts`).toBeDefined();
      for (const a of actions!) expected.add(a);
    }
    if (DOCUMENT_STEPS.includes(step)) for (const a of DOCUMENT_ACTIONS) expected.add(a);
    for (const a of WORKFLOW_KEY_ACTIONS[step] ?? []) expected.add(a);
    for (const a of IMPORTED_NOT_SENT[step] ?? []) expected.delete(a);
    if (DOCUMENT_READERS.includes(step)) expected.delete('s3:PutObject');
    for (const a of NOT_NEEDED[step] ?? []) expected.delete(a);
    for (const a of INDIRECT_ACTIONS[step] ?? []) expected.add(a);
    const own = (statements: Statement[]) =>
      actionsOf(statements).filter((a) => !['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords'].includes(a));
    // The local deployment (local/synth.ts) has the sample's entry point: every blue/green call is wired.
    expect(own(stepStatements(synth().template, step))).toEqual([...expected].sort());
    // The team's deployment has none: the entry point and retire steps are granted no zone and no schedule.
    for (const a of UNWIRED_ACTIONS[step] ?? []) expected.delete(a);
    // CloudFormation reads a TemplateURL with the caller's credentials: only where templates may come from S3.
    const withTemplates = step === 'create-stack' || step === 'discover' ? [...expected, 's3:GetObject'] : [...expected];
    expect(own(stepStatements(full.template, step))).toEqual([...new Set(withTemplates)].sort());
  });

  it('may create and delete stacks only through the CloudFormation role, and pass that role to CloudFormation only', () => {
    const { template } = synth();
    const [roleId] = resourcesOf(template, 'AWS::IAM::Role').find(([, r]) =>
      JSON.stringify(r.Properties?.AssumeRolePolicyDocument).includes('cloudformation.amazonaws.com'),
    )!;
    const roleArn = { 'Fn::GetAtt': [roleId, 'Arn'] };
    for (const step of STEP_NAMES) {
      const statements = stepStatements(template, step);
      const vars = (functionOf(template, step)[1].Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
      const passRole = statements.filter((s) => [s.Action].flat().includes('iam:PassRole'));
      if (step === 'create-stack' || step === 'delete-stack' || step === 'plan-promotion') {
        expect(vars.CFN_ROLE_ARN, step).toEqual(roleArn);
        expect(passRole, step).toEqual([
          { Effect: 'Allow', Action: 'iam:PassRole', Resource: roleArn, Condition: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } } },
        ]);
        const writes = statements.filter((s) => [s.Action].flat().some((a) => ['cloudformation:CreateStack', 'cloudformation:DeleteStack', 'cloudformation:CreateChangeSet'].includes(a)));
        expect(writes.length, step).toBe(1);
        expect(writes[0]!.Condition?.StringEquals, step).toEqual({ 'cloudformation:RoleArn': roleArn });
      } else if (step === 'start-checksum-job') {
        // The Batch Operations role, to Batch Operations only.
        expect(vars.CFN_ROLE_ARN, step).toBeUndefined();
        expect(passRole, step).toEqual([
          { Effect: 'Allow', Action: 'iam:PassRole', Resource: vars.CHECKSUM_JOB_ROLE_ARN, Condition: { StringEquals: { 'iam:PassedToService': 'batchoperations.s3.amazonaws.com' } } },
        ]);
      } else if (step === 'schedule-retire') {
        // Blue/green (the local deployment has an entry point): the retire schedules' role, to Scheduler only.
        const [schedulerRoleId] = resourcesOf(template, 'AWS::IAM::Role').find(([, r]) => JSON.stringify(r.Properties?.AssumeRolePolicyDocument).includes('scheduler.amazonaws.com'))!;
        expect(vars.CFN_ROLE_ARN, step).toBeUndefined();
        expect(passRole, step).toEqual([
          { Effect: 'Allow', Action: 'iam:PassRole', Resource: { 'Fn::GetAtt': [schedulerRoleId, 'Arn'] }, Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } } },
        ]);
      } else {
        expect(vars.CFN_ROLE_ARN, step).toBeUndefined();
        expect(passRole, step).toEqual([]);
      }
    }
  });

  it('reach environments only through ARN patterns of the managed prefixes, except where AWS has no resource-level permission', () => {
    const star = new Set(['s3:CreateJob', 'autoscaling:DescribeAutoScalingGroups', 'cloudformation:GetTemplateSummary', 'cloudformation:ValidateTemplate', 'rds:DescribeDBSnapshots', 'rds:DescribeAccountAttributes', 'cloudwatch:GetMetricData', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords']);
    const join = (r: unknown) => JSON.stringify(r);
    for (const step of STEP_NAMES) {
      for (const s of stepStatements(full.template, step)) {
        for (const resource of [s.Resource].flat()) {
          const text = join(resource);
          if (resource === '*') {
            for (const a of [s.Action].flat()) expect(star.has(a), `${step}: ${a} on *`).toBe(true);
            continue;
          }
          if (/:cloudformation:|:s3:::|:rds:.*:db:|:autoScalingGroup:|:secretsmanager:/.test(text) && !text.includes('artifacts-bucket')) {
            expect(text, `${step}: ${text}`).toMatch(/(orders|billing)-\*/);
          }
          // Keys are used only through S3 or RDS; DescribeKey (the preflight resolving a bucket's key alias) reads metadata only.
          const metadataOnly = [s.Action].flat().every((a) => a === 'kms:DescribeKey');
          if (text.includes(':kms:') && !metadataOnly) expect(s.Condition?.StringEquals?.['kms:ViaService'], step).toBeDefined();
        }
      }
    }
  });

  it('use a CloudFormation role given by ARN instead of creating one', () => {
    const { template } = synthStack({ managedStackPrefixes: ['orders-'], cloudFormationRoleArn: 'arn:aws:iam::123456789012:role/my-cfn-role' });
    const cfnRoles = resourcesOf(template, 'AWS::IAM::Role').filter(([, r]) => JSON.stringify(r.Properties?.AssumeRolePolicyDocument).includes('cloudformation.amazonaws.com'));
    expect(cfnRoles).toEqual([]);
    for (const step of ['create-stack', 'delete-stack']) {
      expect(stepStatements(template, step).filter((s) => s.Action === 'iam:PassRole').map((s) => s.Resource)).toEqual(['arn:aws:iam::123456789012:role/my-cfn-role']);
    }
  });
});

describe('the permissions', () => {
  it('grant no wildcard action in any policy: IAM policies, roles, the key policies, the topic and bucket policies', () => {
    for (const template of [synth().template, full.template]) {
      // A Deny is no grant: the workflow bucket's enforceSSL statement denies s3:* without TLS.
      const statements = allStatements(template).filter((s) => s.Effect === 'Allow');
      expect(statements.length).toBeGreaterThan(40);
      // A Deny grants nothing: the work bucket denies every S3 action without TLS (s3:*, the documented form).
      const isTlsDeny = (s: Statement) => (s as { Effect?: string }).Effect === 'Deny' && JSON.stringify(s).includes('"aws:SecureTransport":"false"');
      for (const s of statements) if (!isTlsDeny(s)) for (const action of [s.Action].flat()) expect(action, JSON.stringify(s).slice(0, 300)).not.toContain('*');
    }
  });

  it('pass cdk-nag AwsSolutions with no unacknowledged finding, every acknowledgement with a reason', () => {
    for (const stack of [full.stack, Stack.of(synthStack({ managedStackPrefixes: ['orders-'] }).stack)]) {
      const report = new AwsSolutionsChecks().validateScope(stack);
      expect(report.violations.map((v) => `${v.ruleName} on ${v.violatingResources.map((r) => r.resourceLogicalId).join(', ')}`)).toEqual([]);
    }
    const reasons = full.stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules').flatMap((m) => Object.values(m.data as Record<string, unknown>)));
    expect(reasons.length).toBeGreaterThan(16);
    for (const reason of reasons) expect(JSON.stringify(reason).length).toBeGreaterThan(40);
  });

  it('ship a sample CloudFormation role policy equal to the default role for the prefix orders-', () => {
    const file = JSON.parse(readFileSync(new URL('../../examples/cloudformation-role-policy.json', import.meta.url), 'utf8')) as unknown;
    expect(file).toEqual(samplePolicyDocument(['orders-']));
  });

  it('name the snapshots the way the snapshot ARN pattern expects', () => {
    expect(snapshotPrefix('1a2b3c4d').startsWith(SNAPSHOT_NAME_PREFIX)).toBe(true);
  });
});

describe('the workflow bucket', () => {
  const bucketOf = (template: Template) => {
    const buckets = resourcesOf(template, 'AWS::S3::Bucket');
    expect(buckets).toHaveLength(1);
    return buckets[0]!;
  };

  it('is encrypted with a rotated key of its own, refuses requests without TLS, blocks public access and is kept when the stack is deleted', () => {
    const t = full.template;
    const [bucketId, bucket] = bucketOf(t);
    const keyId = (
      (bucket.Properties!.BucketEncryption as { ServerSideEncryptionConfiguration: { ServerSideEncryptionByDefault: { KMSMasterKeyID: { 'Fn::GetAtt': [string, string] } } }[] })
        .ServerSideEncryptionConfiguration[0]!.ServerSideEncryptionByDefault.KMSMasterKeyID
    )['Fn::GetAtt'][0];
    const [, key] = resourcesOf(t, 'AWS::KMS::Key').find(([id]) => id === keyId)!;
    expect(key.Properties?.EnableKeyRotation).toBe(true);
    expect(keyId).not.toBe(topicKeyOf(t)[0]);
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' }, BucketKeyEnabled: true }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
    t.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it("expires the runs' documents after 90 days (or documentRetentionDays) and aborts incomplete uploads after a day", () => {
    const rules = (template: Template) => (bucketOf(template)[1].Properties!.LifecycleConfiguration as { Rules: unknown[] }).Rules;
    expect(rules(full.template)).toEqual([
      expect.objectContaining({ Prefix: 'runs/', ExpirationInDays: 90, Status: 'Enabled' }),
      expect.objectContaining({ Prefix: 'templates/', ExpirationInDays: 2, Status: 'Enabled' }),
      expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }),
    ]);
    const { template } = synthStack({ managedStackPrefixes: ['orders-'], documentRetentionDays: 30 });
    expect(rules(template)[0]).toMatchObject({ Prefix: 'runs/', ExpirationInDays: 30 });
    expect(() => synthStack({ managedStackPrefixes: ['orders-'], documentRetentionDays: 0 })).toThrowError(/documentRetentionDays/);
  });

  it('is named to every step function (WORKFLOW_BUCKET) and in the stack outputs', () => {
    const t = synth().template;
    const [bucketId] = bucketOf(t);
    for (const step of STEP_NAMES) {
      const vars = (functionOf(t, step)[1].Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(vars.WORKFLOW_BUCKET, step).toEqual({ Ref: bucketId });
    }
    expect(synth().json.Outputs?.WorkflowBucketName).toEqual({ Value: { Ref: bucketId } });
  });

  it('is readable and writable under runs/ only, and only by the steps that keep documents (verify-bucket and the checksum job steps under checksum-jobs/ too, record-switch writing under entry-points/)', () => {
    const t = full.template;
    const [bucketId] = bucketOf(t);
    const bucketKeyId = (bucketOf(t)[1].Properties!.BucketEncryption as { ServerSideEncryptionConfiguration: { ServerSideEncryptionByDefault: { KMSMasterKeyID: { 'Fn::GetAtt': [string, string] } } }[] })
      .ServerSideEncryptionConfiguration[0]!.ServerSideEncryptionByDefault.KMSMasterKeyID['Fn::GetAtt'][0];
    const mentions = (s: Statement, id: string) => JSON.stringify(s.Resource).includes(`"${id}"`);
    for (const step of STEP_NAMES) {
      const onBucket = stepStatements(t, step).filter((s) => mentions(s, bucketId));
      const onKey = stepStatements(t, step).filter((s) => mentions(s, bucketKeyId));
      if (step in WORKFLOW_KEY_ACTIONS) {
        // The checksum job steps and create-stack (large templates): their own prefix of the bucket, never runs/.
        const prefixes = SLOT_OPERATION_PREFIXES[step];
        if (prefixes) {
          const granted = onBucket.flatMap((st) => [st.Resource].flat().map((r) => JSON.stringify(r)));
          expect(granted.length, step).toBe(prefixes.length);
          for (const prefix of prefixes) expect(granted.some((r) => r.includes(`"${prefix}"`)), `${step} ${prefix}`).toBe(true);
          continue;
        }
        for (const st of onBucket) expect(JSON.stringify(st.Resource), step).toContain(step === 'create-stack' ? '/templates/*' : '/checksum-jobs/*');
        continue;
      }
      if (!DOCUMENT_STEPS.includes(step)) {
        expect([...onBucket, ...onKey], step).toEqual([]);
        continue;
      }
      const prefixOf = (p: string, action = ['s3:GetObject', 's3:PutObject']) =>
        expect.objectContaining({ Effect: 'Allow', Action: action, Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, p]] } });
      // verify-bucket also writes the checksum jobs' manifests (multipart, aborted on failure) and reads their results, under checksum-jobs/ only.
      const manifests = prefixOf('/checksum-jobs/*', ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload']);
      // record-switch also writes the entry point's switch record, under entry-points/ only (PutObject).
      const switchRecords = expect.objectContaining({ Effect: 'Allow', Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/entry-points/*']] } });
      expect(onBucket, step).toEqual(
        step === 'verify-bucket' ? [manifests, prefixOf('/runs/*')] : step === 'record-switch' ? [prefixOf('/runs/*'), switchRecords] : [prefixOf('/runs/*')],
      );
      expect(onKey, step).toEqual([expect.objectContaining({ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: { 'Fn::GetAtt': [bucketKeyId, 'Arn'] } })]);
    }
    expect(DOCUMENT_STEPS).toContain('compare-statistics');
  });
});

describe('the state machines', () => {
  it('are Standard, log every event to CloudWatch Logs without execution data, trace with X-Ray and time out after 48 hours (Retire and Rollback after 12)', () => {
    const machines = resourcesOf(synth().template, 'AWS::StepFunctions::StateMachine');
    expect(machines.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['Clone', 'Migrate', 'Retire', 'Rollback']);
    for (const [, m] of machines) {
      expect(m.Properties).toMatchObject({
        StateMachineType: 'STANDARD',
        LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false, Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } } }] },
        TracingConfiguration: { Enabled: true },
      });
    }
    expect(synth().migrate.TimeoutSeconds).toBe(MIGRATION_TIMEOUT_SECONDS);
    expect(synth().clone.TimeoutSeconds).toBe(MIGRATION_TIMEOUT_SECONDS);
    expect(synth().retire.TimeoutSeconds).toBe(SLOT_OPERATION_TIMEOUT_SECONDS);
    expect(synth().rollback.TimeoutSeconds).toBe(SLOT_OPERATION_TIMEOUT_SECONDS);
  });

  it('log execution data only when includeExecutionDataInLogs is set', () => {
    const { template } = synthStack({ managedStackPrefixes: ['orders-'], includeExecutionDataInLogs: true });
    for (const [, m] of resourcesOf(template, 'AWS::StepFunctions::StateMachine')) {
      expect((m.Properties!.LoggingConfiguration as { IncludeExecutionData: boolean }).IncludeExecutionData).toBe(true);
    }
  });
});

describe('the alerts', () => {
  it('go to a KMS-encrypted topic that refuses publishing without TLS, with one email subscription per address', () => {
    const t = full.template;
    const [topicId, topic] = resourcesOf(t, 'AWS::SNS::Topic')[0]!;
    const [keyId, key] = topicKeyOf(t);
    expect(topic.Properties?.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(key.Properties?.EnableKeyRotation).toBe(true);
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    const emails = resourcesOf(t, 'AWS::SNS::Subscription').map(([, s]) => s.Properties);
    expect(emails).toEqual([
      expect.objectContaining({ Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: topicId } }),
      expect.objectContaining({ Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: { Ref: topicId } }),
    ]);
    expect(resourcesOf(synth().template, 'AWS::SNS::Subscription')).toEqual([]);
  });

  it('let CloudWatch alarms and the Migrate state machine use the topic key', () => {
    const t = full.template;
    const [, key] = topicKeyOf(t);
    expect((key.Properties!.KeyPolicy as { Statement: Statement[] }).Statement).toContainEqual(
      expect.objectContaining({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey'] }),
    );
    const [migrateRoleId] = resourcesOf(t, 'AWS::IAM::Role').find(([id]) => id.startsWith('MigrateRole'))!;
    // Inline and, past IAM's inline size limit, CDK's overflow managed policies.
    const migrateStatements = [...resourcesOf(t, 'AWS::IAM::Policy'), ...resourcesOf(t, 'AWS::IAM::ManagedPolicy').filter(([, p]) => p.Properties?.Roles)]
      .filter(([, p]) => (p.Properties!.Roles as { Ref: string }[]).some((r) => r.Ref === migrateRoleId))
      .flatMap(([, p]) => (p.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
    expect(actionsOf(migrateStatements)).toEqual(expect.arrayContaining(['sns:Publish', 'kms:Decrypt', 'kms:GenerateDataKey']));
  });

  it("alarm on Migrate's, Retire's and Rollback's failed, timed-out and aborted executions and on every step function's errors, all to the topic", () => {
    const t = full.template;
    const [topicId] = resourcesOf(t, 'AWS::SNS::Topic')[0]!;
    const alarms = resourcesOf(t, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!);
    // No entryPoints here: no retire schedule group, so no alarm on dropped retire schedules (test/infra/bg-construct.test.ts).
    expect(alarms).toHaveLength(3 * 3 + STEP_NAMES.length);
    for (const a of alarms) {
      expect(a.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(a).toMatchObject({ Threshold: 1, EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching', Statistic: 'Sum' });
    }
    for (const machine of ['Migrate', 'Retire', 'Rollback']) {
      const [machineId] = resourcesOf(t, 'AWS::StepFunctions::StateMachine').find(([id]) => id.startsWith(machine))!;
      for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
        expect(alarms.filter((a) => a.Namespace === 'AWS/States' && a.MetricName === metric && JSON.stringify(a.Dimensions).includes(machineId)), `${machine} ${metric}`).toHaveLength(1);
      }
    }
    for (const step of STEP_NAMES) {
      const [fnId] = functionOf(t, step);
      expect(alarms.filter((a) => a.Namespace === 'AWS/Lambda' && a.MetricName === 'Errors' && JSON.stringify(a.Dimensions).includes(fnId)), step).toHaveLength(1);
    }
  });
});

describe('the schedule', () => {
  it('is absent unless configured', () => {
    expect(resourcesOf(synth().template, 'AWS::Scheduler::Schedule')).toEqual([]);
  });

  it('starts Migrate with the input it was given, in its time zone, with a role that may start Migrate only', () => {
    const t = full.template;
    const [, schedule] = resourcesOf(t, 'AWS::Scheduler::Schedule')[0]!;
    const [migrateId] = resourcesOf(t, 'AWS::StepFunctions::StateMachine').find(([id]) => id.startsWith('Migrate'))!;
    expect(schedule.Properties).toMatchObject({ ScheduleExpression: 'cron(0 3 ? * SUN *)', ScheduleExpressionTimezone: 'Europe/Paris', State: 'ENABLED' });
    const target = schedule.Properties!.Target as { Arn: unknown; Input: string; RoleArn: { 'Fn::GetAtt': [string, string] } };
    expect(target.Arn).toEqual({ Ref: migrateId });
    expect(JSON.parse(target.Input)).toEqual({ ...SCHEDULE_INPUT, retainOriginalSnapshots: false });
    const roleStatements = resourcesOf(t, 'AWS::IAM::Policy')
      .filter(([, p]) => (p.Properties!.Roles as { Ref: string }[]).some((r) => r.Ref === target.RoleArn['Fn::GetAtt'][0]))
      .flatMap(([, p]) => (p.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
    expect(roleStatements).toEqual([{ Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: migrateId } }]);
  });

  it('keeps the original snapshots when retainOriginalSnapshots is set and the input does not say', () => {
    const { template } = synthStack({
      managedStackPrefixes: ['orders-'],
      retainOriginalSnapshots: true,
      schedule: { expression: 'rate(7 days)', input: { stackName: 'orders-prod', targetVersion: '1.4.0' } },
    });
    const [, schedule] = resourcesOf(template, 'AWS::Scheduler::Schedule')[0]!;
    expect(JSON.parse((schedule.Properties!.Target as { Input: string }).Input)).toMatchObject({ retainOriginalSnapshots: true });
  });

  /** Constructing is enough: validation happens before anything is synthesized. */
  const construct = (schedule: ConstructorParameters<typeof EnvironmentMigrator>[2]['schedule'], templateBucketNames?: string[]) => () =>
    new EnvironmentMigrator(new Stack(new App(), 'S'), 'M', { managedStackPrefixes: ['orders-'], schedule, templateBucketNames });

  it('fails synthesis when its input would be rejected, naming every bad field', () => {
    const bad = { stackName: '9orders', targetVersion: '', waits: { snapshotSeconds: -1 }, colour: 'blue' } as never;
    expect(construct({ expression: 'rate(1 day)', input: bad })).toThrowError(/input\.stackName.*\n.*input\.targetVersion[\s\S]*input\.waits\.snapshotSeconds[\s\S]*colour/);
  });

  it('fails synthesis on a bad expression, an unknown time zone, a stack outside the managed prefixes or an unreadable template bucket', () => {
    const input = { stackName: 'orders-prod', targetVersion: '1.4.0' };
    expect(construct({ expression: 'every sunday', input })).toThrowError(/expression: "every sunday"/);
    expect(construct({ expression: 'rate(1 days)', input })).toThrowError(/singular/);
    expect(construct({ expression: 'cron(0 3 * * ?)', input })).toThrowError(/expression/);
    expect(construct({ expression: 'rate(1 day)', timeZone: 'Mars/Olympus', input })).toThrowError(/timeZone/);
    expect(construct({ expression: 'rate(1 day)', input: { stackName: 'billing-prod', targetVersion: '1' } })).toThrowError(/managed prefix/);
    expect(construct({ expression: 'rate(1 day)', input: SCHEDULE_INPUT })).toThrowError(/artifacts-bucket is not in templateBucketNames/);
    expect(construct({ expression: 'at(2030-01-05T03:00:00)', input: SCHEDULE_INPUT }, ['artifacts-bucket'])).not.toThrow();
  });

  it('reads the bucket of every S3 URL form', () => {
    expect(templateBucketOf('https://my-bucket.s3.eu-west-1.amazonaws.com/a/b.yaml')).toBe('my-bucket');
    expect(templateBucketOf('https://my.dotted.bucket.s3.amazonaws.com/b.yaml')).toBe('my.dotted.bucket');
    expect(templateBucketOf('https://my-bucket.s3-eu-west-1.amazonaws.com/b.yaml')).toBe('my-bucket');
    expect(templateBucketOf('https://s3.eu-west-1.amazonaws.com/my-bucket/b.yaml')).toBe('my-bucket');
    expect(templateBucketOf('https://s3.amazonaws.com/my-bucket/b.yaml')).toBe('my-bucket');
  });
});

describe('the construct', () => {
  it('refuses to be built without managed prefixes or with a prefix no stack name can start with', () => {
    const build = (managedStackPrefixes: string[]) => () => new EnvironmentMigrator(new Stack(new App(), 'S'), 'M', { managedStackPrefixes });
    expect(build([])).toThrowError(/managedStackPrefixes is required/);
    expect(build(['orders_'])).toThrowError(/"orders_" is not the start of a stack name/);
    expect(build(['*'])).toThrowError(/not the start of a stack name/);
  });

  it('refuses a notification address that is not an email address', () => {
    expect(() => new EnvironmentMigrator(new Stack(new App(), 'S'), 'M', { managedStackPrefixes: ['orders-'], notificationEmails: ['ops'] })).toThrowError(/"ops"/);
  });

  it('keeps the environment locks in an on-demand table keyed by stack name, with TTL and point-in-time recovery', () => {
    synth().template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'stackName', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('outputs both state machine ARNs, the topic ARN and the lock table name', () => {
    const outputs = full.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const id = (type: string, prefix = '') => resourcesOf(full.template, type).find(([i]) => i.startsWith(prefix))![0];
    expect(outputs.MigrateStateMachineArn?.Value).toEqual({ Ref: id('AWS::StepFunctions::StateMachine', 'Migrate') });
    expect(outputs.CloneStateMachineArn?.Value).toEqual({ Ref: id('AWS::StepFunctions::StateMachine', 'Clone') });
    expect(outputs.NotificationTopicArn?.Value).toEqual({ Ref: id('AWS::SNS::Topic') });
    expect(outputs.LockTableName?.Value).toEqual({ Ref: id('AWS::DynamoDB::Table') });
  });

  it('keeps an imported role immutable: nothing is added to a role it does not own', () => {
    const stack = new Stack(new App(), 'S');
    const role = iam.Role.fromRoleArn(stack, 'R', 'arn:aws:iam::123456789012:role/theirs', { mutable: false });
    new EnvironmentMigrator(stack, 'M', { managedStackPrefixes: ['orders-'], cloudFormationRole: role });
    expect(resourcesOf(Template.fromStack(stack), 'AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p.Properties?.Roles).includes('theirs'))).toEqual([]);
  });
});
