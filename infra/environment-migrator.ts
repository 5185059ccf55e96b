/**
 * EnvironmentMigrator: the whole product as one construct, to add to your own CDK app or to deploy
 * with the standalone app (infra/app.ts). It holds one Lambda function per workflow step, the Clone
 * and Migrate state machines, the environment lock table, the KMS-encrypted notification topic with
 * its email subscriptions, the alarms that publish to it, the CloudFormation service role (or yours),
 * the workflow's bucket for the documents that must not travel in the execution state, and, when
 * asked, the EventBridge Scheduler schedule that starts Migrate.
 */
import { Aws, Duration, RemovalPolicy, TimeZone } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { MigrationInputRaw } from '../lambdas/shared/contracts';
import { WORKFLOW_BUCKET_ENV } from '../lambdas/shared/documents';
import { MIGRATION_TIMEOUT_SECONDS, STEP_NAMES, type StepName } from '../lambdas/steps';
import type { StepFunctions } from '../statemachine/building-blocks';
import { buildCloneDefinition } from '../statemachine/clone';
import { buildMigrateDefinition } from '../statemachine/migrate';
import { environmentRoleStatements } from './environment-role';
import { StepFunction } from './lambda-step';
import { acknowledge, acknowledgeWildcards, ENVIRONMENT_ROLE_WILDCARDS, GENERATED_WILDCARDS, STEP_WILDCARDS, WORKFLOW_BUCKET_ACCESS_LOGS_REASON } from './nag-acknowledgments';
import { validateSchedule } from './schedule-validation';
import { CHECKSUM_JOB_PREFIX, DOCUMENT_PREFIX, TEMPLATE_OBJECT_PREFIX, documentGrants, resourcePatterns, stepGrants, type PermissionScope } from './step-permissions';

/** A migration started on a schedule by EventBridge Scheduler. */
export interface MigrationSchedule {
  /**
   * When: `cron(minutes hours day-of-month month day-of-week year)`, `rate(value unit)` or
   * `at(yyyy-mm-ddThh:mm:ss)`, as EventBridge Scheduler reads them.
   */
  readonly expression: string;
  /** IANA time zone the expression is read in, e.g. `Europe/Paris` (default UTC). */
  readonly timeZone?: string;
  /**
   * The execution input, exactly what you would pass to StartExecution. It is validated at synth time
   * with the workflow's own validation, so a bad input fails `cdk synth`, not the scheduled run.
   */
  readonly input: MigrationInputRaw;
  /** Create the schedule disabled (default: enabled). */
  readonly enabled?: boolean;
  /** A description shown in the Scheduler console. */
  readonly description?: string;
}

export interface EnvironmentMigratorProps {
  /**
   * Stack name prefixes of the environments this deployment may migrate, e.g. `['orders-']`. Every
   * permission of the workflow on stacks, buckets, databases and Auto Scaling groups is limited to
   * resources whose names start with one of them (their temporary copies share the prefix).
   */
  readonly managedStackPrefixes: string[];
  /** Email addresses subscribed to the notification topic (each must confirm the subscription). */
  readonly notificationEmails?: string[];
  /** Start Migrate on a schedule (default: none). */
  readonly schedule?: MigrationSchedule;
  /**
   * Keep the original environment's snapshots after a successful scheduled migration as a backup
   * (sets `retainOriginalSnapshots` in the schedule's input when the input does not say). Default false:
   * the migration deletes every snapshot it made once the new environment is verified.
   */
  readonly retainOriginalSnapshots?: boolean;
  /** Retention of every log group: the step functions' and the state machines' (default one month). */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The role CloudFormation assumes to create and delete environments (CreateStack/DeleteStack
   * RoleARN). The step functions may only pass this role; they hold none of the permissions of the
   * resources in your template. Default: a role for environments like examples/environment.yaml
   * (examples/cloudformation-role-policy.json), limited to the managed prefixes.
   */
  readonly cloudFormationRole?: iam.IRole;
  /**
   * Buckets the new templates (`templateUrl`) are read from. CloudFormation reads a TemplateURL with
   * the caller's credentials, so create-stack is granted s3:GetObject on these only. Default: none
   * (migrations keep the current template unless this is set).
   */
  readonly templateBucketNames?: string[];
  /**
   * Secrets the statistics request header may come from (`statistics.header.secretArn`). Default:
   * the secrets of this account and region whose names start with a managed prefix.
   */
  readonly statisticsSecretArns?: string[];
  /**
   * Secrets `secretParameters` may name (the values of NoEcho parameters): the preflight may describe
   * them and create-stack read them, nothing else. Default: the secrets of this account and region
   * whose names start with a managed prefix (e.g. `orders-prod/db-password` for the prefix `orders-`).
   */
  readonly parameterSecretArns?: string[];
  /**
   * Log each state's input and output in the state machines' logs. They hold stack outputs, parameter
   * values and statistics: off by default.
   */
  readonly includeExecutionDataInLogs?: boolean;
  /**
   * Days the workflow's documents (statistics documents, difference lists, bucket manifests, under
   * `runs/<execution>/` of the workflow bucket) are kept before S3 expires them (default 90: long
   * enough to investigate a migration after the fact, well beyond Migrate's 48-hour timeout).
   */
  readonly documentRetentionDays?: number;
}

/** Days a template put in the workflow bucket for CreateStack (templates/) is kept. */
export const TEMPLATE_RETENTION_DAYS = 2;

/** Default of documentRetentionDays. */
export const DOCUMENT_RETENTION_DAYS = 90;

/** Stack name prefixes: what a stack name may start with (a letter, then letters, digits, hyphens). */
const PREFIX_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,99}$/;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** What the account's IAM policies may do with the topic key (key policy; "*" there means this key). */
const KEY_ACCOUNT_ACTIONS = [
  'kms:DescribeKey',
  'kms:GetKeyPolicy',
  'kms:PutKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:EnableKeyRotation',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:DisableKey',
  'kms:UpdateKeyDescription',
  'kms:ListResourceTags',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ListGrants',
  'kms:CreateGrant',
  'kms:RevokeGrant',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:GenerateDataKey',
];

/**
 * The key policy statement both of the construct's keys start with, written out instead of CDK's
 * default (`kms:*` for the account): the account's IAM policies may administer the key and use it,
 * with every action named.
 */
function accountKeyStatement(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'AccountAdministersAndUsesTheKey',
    principals: [new iam.AccountRootPrincipal()],
    actions: KEY_ACCOUNT_ACTIONS,
    resources: ['*'],
  });
}

/** Steps that start or follow S3 Batch Operations checksum jobs (env CHECKSUM_JOB_ROLE_ARN). */
const CHECKSUM_JOB_STEPS: readonly StepName[] = ['start-checksum-job', 'checksum-job-status'];

/** Steps that call CreateStack / DeleteStack and pass the CloudFormation role (env CFN_ROLE_ARN). */
const STACK_STEPS: readonly StepName[] = ['create-stack', 'delete-stack'];

export class EnvironmentMigrator extends Construct {
  readonly migrateStateMachine: sfn.StateMachine;
  readonly cloneStateMachine: sfn.StateMachine;
  readonly topic: sns.Topic;
  readonly topicKey: kms.Key;
  /**
   * The workflow's own bucket: documents too large for the 256 KiB execution state, referenced from
   * it by key (docs/design.md invariant 10). Each step that reads or writes them sees `runs/*` only.
   */
  readonly workflowBucket: s3.Bucket;
  readonly workflowBucketKey: kms.Key;
  readonly lockTable: dynamodb.Table;
  readonly steps: Record<StepName, StepFunction>;
  readonly cloudFormationRole: iam.IRole;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly schedule?: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: EnvironmentMigratorProps) {
    super(scope, id);
    const prefixes = checkPrefixes(props.managedStackPrefixes);
    const emails = props.notificationEmails ?? [];
    const badEmail = emails.find((e) => !EMAIL_PATTERN.test(e));
    if (badEmail !== undefined) throw new Error(`EnvironmentMigrator: notificationEmails: "${badEmail}" is not an email address`);
    const templateBucketNames = props.templateBucketNames ?? [];
    if (props.schedule) validateSchedule(props.schedule, { prefixes, templateBucketNames });
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    this.cloudFormationRole = props.cloudFormationRole ?? this.defaultCloudFormationRole(prefixes);
    const permissionScope: PermissionScope = {
      stackPrefixes: prefixes,
      partition: Aws.PARTITION,
      region: Aws.REGION,
      account: Aws.ACCOUNT_ID,
      cloudFormationRoleArn: this.cloudFormationRole.roleArn,
      templateBucketNames,
      statisticsSecretArns:
        props.statisticsSecretArns ?? prefixes.map((prefix) => `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${prefix}*`),
      parameterSecretArns:
        props.parameterSecretArns ?? prefixes.map((prefix) => `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${prefix}*`),
      // BRIDGE until H3 adds the workflow bucket to this construct: its ARN replaces this one.
    };

    const retentionDays = props.documentRetentionDays ?? DOCUMENT_RETENTION_DAYS;
    if (!Number.isInteger(retentionDays) || retentionDays < 1) {
      throw new Error(`EnvironmentMigrator: documentRetentionDays must be a whole number of days, at least 1 (got ${retentionDays})`);
    }
    // Encrypted like the topic, with a customer managed key whose policy names every action.
    this.workflowBucketKey = new kms.Key(this, 'WorkflowDocumentsKey', {
      description: "Encrypts the env-migrator workflow's documents (statistics, difference lists, bucket manifests)",
      enableKeyRotation: true,
      policy: new iam.PolicyDocument({
        statements: [
          accountKeyStatement(),
        ],
      }),
    });
    // Kept on stack deletion like the lock table and the keys: it may hold the only record of what a
    // failed migration compared. Versioning is off: a document is written once per key and run.
    this.workflowBucket = new s3.Bucket(this, 'WorkflowDocuments', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.workflowBucketKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { id: 'ExpireRunDocuments', prefix: `${DOCUMENT_PREFIX}/`, expiration: Duration.days(retentionDays) },
        // Templates over 51,200 bytes that create-stack handed to CloudFormation by TemplateURL: needed
        // only while CreateStack reads them (a retry puts them again); two days outlast Migrate's 48 hours.
        { id: 'ExpireLargeTemplates', prefix: TEMPLATE_OBJECT_PREFIX, expiration: Duration.days(TEMPLATE_RETENTION_DAYS) },
        { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    const documents = { bucketArn: this.workflowBucket.bucketArn, keyArn: this.workflowBucketKey.keyArn };
    permissionScope.templateStore = documents;
    // Checksum jobs keep their manifests and reports in the same bucket, under their own prefix.
    const checksumJobs = this.checksumJobResources(prefixes, this.workflowBucket, this.workflowBucketKey);
    permissionScope.checksumJobs = { workBucketArn: this.workflowBucket.bucketArn, roleArn: checksumJobs.role.roleArn, keyArn: this.workflowBucketKey.keyArn };

    const steps = {} as Record<StepName, StepFunction>;
    const fns = {} as StepFunctions;
    for (const step of STEP_NAMES) {
      const fn = new StepFunction(this, `Step-${step}`, {
        step,
        logRetention,
        environment: {
          [WORKFLOW_BUCKET_ENV]: this.workflowBucket.bucketName,
          ...(STACK_STEPS.includes(step) ? { CFN_ROLE_ARN: this.cloudFormationRole.roleArn } : {}),
          ...(CHECKSUM_JOB_STEPS.includes(step) ? { CHECKSUM_JOB_ROLE_ARN: checksumJobs.role.roleArn } : {}),
        },
      });
      for (const grant of [...stepGrants(step, permissionScope), ...documentGrants(step, documents)]) fn.role.addToPolicy(grant.statement);
      steps[step] = fn;
      fns[step] = fn.function;
    }
    this.steps = steps;

    // Customer managed, so its key policy can let CloudWatch alarms publish (an AWS managed key
    // cannot be shared with them: "Encryption at rest", Amazon SNS developer guide). The policy is
    // written out instead of CDK's default (`kms:*` for the account): the account's IAM policies may
    // administer the key and use it, with every action named.
    this.topicKey = new kms.Key(this, 'NotificationsKey', {
      description: 'Encrypts the env-migrator notification topic',
      enableKeyRotation: true,
      policy: new iam.PolicyDocument({
        statements: [
          accountKeyStatement(),
          new iam.PolicyStatement({
            sid: 'CloudWatchAlarmsPublish',
            principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
            actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
            resources: ['*'],
            conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
          }),
        ],
      }),
    });
    this.topic = new sns.Topic(this, 'Notifications', { displayName: 'env-migrator', enforceSSL: true, masterKey: this.topicKey });
    for (const email of emails) this.topic.addSubscription(new subscriptions.EmailSubscription(email));

    this.lockTable = new dynamodb.Table(this, 'EnvironmentLocks', {
      partitionKey: { name: 'stackName', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    });

    const timeout = Duration.seconds(MIGRATION_TIMEOUT_SECONDS);
    const machineLogs = (name: string): sfn.LogOptions => ({
      destination: new logs.LogGroup(this, `${name}Logs`, { retention: logRetention }),
      level: sfn.LogLevel.ALL,
      includeExecutionData: props.includeExecutionDataInLogs ?? false,
    });
    this.cloneStateMachine = new sfn.StateMachine(this, 'Clone', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(buildCloneDefinition(new Construct(this, 'CloneStates'), fns)),
      timeout,
      tracingEnabled: true,
      logs: machineLogs('Clone'),
      comment: 'Copies an environment (stack, databases, buckets) into a new stack and verifies the copy',
    });
    this.migrateStateMachine = new sfn.StateMachine(this, 'Migrate', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(
        buildMigrateDefinition(new Construct(this, 'MigrateStates'), {
          fns,
          cloneStateMachine: this.cloneStateMachine,
          lockTable: this.lockTable,
          topic: this.topic,
        }),
      ),
      timeout,
      tracingEnabled: true,
      logs: machineLogs('Migrate'),
      comment: 'Migrates an environment to a new template version without losing data (double clone)',
    });
    // Publishing to an encrypted topic: SNS encrypts with the key on the publisher's behalf.
    this.topicKey.grant(this.migrateStateMachine, 'kms:Decrypt', 'kms:GenerateDataKey');

    this.addAlarms(steps);
    if (props.schedule) this.schedule = this.addSchedule(props.schedule, props.retainOriginalSnapshots ?? false);
    this.suppressJustifiedFindings();
  }

  private defaultCloudFormationRole(prefixes: string[]): iam.Role {
    const role = new iam.Role(this, 'EnvironmentDeployRole', {
      assumedBy: new iam.ServicePrincipal('cloudformation.amazonaws.com'),
      description: 'Used by CloudFormation to create and delete the environments env-migrator clones',
    });
    const statements = environmentRoleStatements({ stackPrefixes: prefixes, partition: Aws.PARTITION, region: Aws.REGION, account: Aws.ACCOUNT_ID });
    role.attachInlinePolicy(new iam.Policy(this, 'EnvironmentDeployPolicy', { statements }));
    return role;
  }

  /**
   * Everything that needs a person goes to the topic: a Migrate execution that failed (every failure
   * path ends in a Fail state after notifying), timed out or was aborted (those two end without the
   * workflow's own notification: the alarm is the only one), and any step function error.
   */
  private addAlarms(steps: Record<StepName, StepFunction>): void {
    const action = new cwActions.SnsAction(this.topic);
    const alarm = (id: string, metric: cloudwatch.Metric, description: string) => {
      const a = new cloudwatch.Alarm(this, id, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(action);
      this.alarms.push(a);
    };
    const sum = { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM };
    const migrate = this.migrateStateMachine;
    alarm('MigrateFailedAlarm', migrate.metricFailed(sum), 'A migration failed: the notification says where the data is.');
    alarm(
      'MigrateTimedOutAlarm',
      migrate.metricTimedOut(sum),
      'A migration reached its 48-hour timeout: no notification was sent by the workflow and the environment lock stays until its TTL. Check both stacks.',
    );
    alarm('MigrateAbortedAlarm', migrate.metricAborted(sum), 'A migration was stopped by hand: no notification was sent by the workflow. Check both stacks and the lock.');
    for (const step of STEP_NAMES) {
      alarm(
        `StepErrors-${step}`,
        steps[step].function.metricErrors(sum),
        `Step ${step} failed an invocation (the workflow may have retried or handled it; the Migrate alarms say whether a migration failed).`,
      );
    }
  }

  private addSchedule(schedule: MigrationSchedule, retainOriginalSnapshots: boolean): scheduler.Schedule {
    const input: MigrationInputRaw = { retainOriginalSnapshots, ...schedule.input };
    return new scheduler.Schedule(this, 'Schedule', {
      schedule: scheduler.ScheduleExpression.expression(schedule.expression, schedule.timeZone ? TimeZone.of(schedule.timeZone) : undefined),
      target: new schedulerTargets.StepFunctionsStartExecution(this.migrateStateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject(input),
        // A migration that cannot start within the hour waits for the next occurrence rather than
        // starting at an unplanned time.
        maxEventAge: Duration.hours(1),
        retryAttempts: 3,
      }),
      enabled: schedule.enabled ?? true,
      description: schedule.description ?? `env-migrator: migrate ${schedule.input.stackName} to ${schedule.input.targetVersion}`,
    });
  }

  /**
   * What S3 Batch Operations Compute checksum jobs need: a bucket of the workflow for their manifests,
   * completion reports and result documents (SSE-S3: "Completion reports are always encrypted with
   * Amazon S3 managed keys"; expired after 30 days, they matter only during a migration), and the role
   * the jobs run as: read the managed buckets' object versions (and decrypt SSE-KMS ones through S3),
   * read the manifests and write the reports under CHECKSUM_JOB_PREFIX. Nothing else.
   */
  private checksumJobResources(prefixes: string[], bucket: s3.IBucket, key: kms.IKey): { role: iam.Role } {
    const objects = resourcePatterns({
      stackPrefixes: prefixes,
      partition: Aws.PARTITION,
      region: Aws.REGION,
      account: Aws.ACCOUNT_ID,
      cloudFormationRoleArn: '',
      templateBucketNames: [],
      statisticsSecretArns: [],
    }).objects;
    const role = new iam.Role(this, 'ChecksumJobRole', {
      description: 'S3 Batch Operations Compute checksum jobs of env-migrator: read managed buckets, write reports',
      assumedBy: new iam.ServicePrincipal('batchoperations.s3.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } } }),
    });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: objects }));
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [`arn:${Aws.PARTITION}:kms:${Aws.REGION}:${Aws.ACCOUNT_ID}:key/*`],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } },
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject'], resources: [bucket.arnForObjects(`${CHECKSUM_JOB_PREFIX}*`)] }),
    );
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetBucketLocation'], resources: [bucket.bucketArn] }));
    // The workflow bucket is SSE-KMS with its own key: reading manifests and writing reports use it.
    role.addToPolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [key.keyArn] }));
    acknowledgeWildcards(role, [
      ...STEP_WILDCARDS,
      [/^<[A-Za-z0-9]+\.Arn>\/checksum-jobs\/\*$/, 'Checksum job manifests and reports, named per execution under checksum-jobs/.'],
    ]);
    return { role };
  }

  /** cdk-nag AwsSolutions findings that are the design, on the narrowest construct, with their reasons. */
  private suppressJustifiedFindings(): void {
    for (const step of STEP_NAMES) {
      acknowledge(
        this.steps[step].function,
        'AwsSolutions-L1',
        'Node.js 22 is the runtime the steps are built and tested with (package.json engines and the node devDependency); moving on is a tested change, not a default.',
      );
      acknowledgeWildcards(this.steps[step].role, STEP_WILDCARDS);
    }
    acknowledgeWildcards(this.migrateStateMachine, GENERATED_WILDCARDS);
    acknowledgeWildcards(this.cloneStateMachine, GENERATED_WILDCARDS);
    acknowledge(this.workflowBucket, 'AwsSolutions-S1', WORKFLOW_BUCKET_ACCESS_LOGS_REASON);
    const deployPolicy = this.node.tryFindChild('EnvironmentDeployPolicy');
    if (deployPolicy) acknowledgeWildcards(deployPolicy, ENVIRONMENT_ROLE_WILDCARDS);
  }
}

function checkPrefixes(prefixes: string[] | undefined): string[] {
  if (!prefixes || prefixes.length === 0) {
    throw new Error('EnvironmentMigrator: managedStackPrefixes is required: the stack name prefixes it may migrate, e.g. ["orders-"]');
  }
  for (const prefix of prefixes) {
    if (!PREFIX_PATTERN.test(prefix)) {
      throw new Error(`EnvironmentMigrator: managedStackPrefixes: "${prefix}" is not the start of a stack name (a letter, then letters, digits and hyphens)`);
    }
  }
  return [...new Set(prefixes)];
}
