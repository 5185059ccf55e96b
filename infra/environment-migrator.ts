/**
 * EnvironmentMigrator: the whole product as one construct, to add to your own CDK app or to deploy
 * with the standalone app (infra/app.ts). It holds one Lambda function per workflow step, the Clone
 * and Migrate state machines, the environment lock table, the KMS-encrypted notification topic with
 * its email subscriptions, the alarms that publish to it, the CloudFormation service role (or yours),
 * the workflow's bucket for the documents that must not travel in the execution state, and, when
 * asked, the EventBridge Scheduler schedule that starts Migrate.
 */
import { Annotations, ArnFormat, AspectPriority, Aspects, Aws, Duration, Lazy, RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { KEEP_PREVIOUS_HOURS, type MigrationInputRaw } from '../lambdas/shared/contracts';
import { WORKFLOW_BUCKET_ENV } from '../lambdas/shared/documents';
import { LOCK_TABLE_ENV } from '../lambdas/shared/cancel-request';
import { MIGRATION_TIMEOUT_SECONDS, RETIRE_SCHEDULE_GROUP_ENV, RETIRE_SCHEDULE_GROUP_NAME, SLOT_OPERATION_TIMEOUT_SECONDS, STEP_NAMES, type StepName } from '../lambdas/steps';
import type { StepFunctions } from '../statemachine/building-blocks';
import { buildCloneDefinition } from '../statemachine/clone';
import { buildMigrateDefinition } from '../statemachine/migrate';
import { buildRetireDefinition } from '../statemachine/retire';
import { buildRollbackDefinition } from '../statemachine/rollback';
import { environmentRoleStatements } from './environment-role';
import { StepFunction, type StepFunctionProps } from './lambda-step';
import {
  acknowledge,
  acknowledgeWildcards,
  ENVIRONMENT_ROLE_WILDCARDS,
  GENERATED_WILDCARDS,
  STEP_WILDCARDS,
  VPC_STEP_WILDCARDS,
  WORKFLOW_BUCKET_ACCESS_LOGS_REASON,
} from './nag-acknowledgments';
import { validateSchedule } from './schedule-validation';
import { CHECKSUM_JOB_PREFIX, DOCUMENT_PREFIX, TEMPLATE_OBJECT_PREFIX, CANCEL_CHECK_STEPS, cancelCheckGrants, documentGrants, resourcePatterns, stepGrants, type PermissionScope } from './step-permissions';

/** A migration started on a schedule by EventBridge Scheduler. */
export interface MigrationSchedule {
  /**
   * When: `cron(minutes hours day-of-month month day-of-week year)`, `rate(value unit)` or
   * `at(yyyy-mm-ddThh:mm:ss)`, as EventBridge Scheduler reads them.
   */
  readonly expression: string;
  /**
   * IANA time zone the expression is read in, e.g. `Europe/Paris`.
   *
   * @default - UTC
   */
  readonly timeZone?: string;
  /**
   * The execution input, exactly what you would pass to StartExecution. It is validated at synth time
   * with the workflow's own validation, so a bad input fails `cdk synth`, not the scheduled run.
   */
  readonly input: MigrationInputRaw;
  /**
   * Whether the schedule is enabled (false: defined, but it starts nothing until enabled).
   *
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * A description shown in the Scheduler console.
   *
   * @default - `env-migrator: migrate <stackName> to <targetVersion>`
   */
  readonly description?: string;
}

export interface EnvironmentMigratorProps {
  /**
   * Stack name prefixes of the environments this deployment may migrate, e.g. `['orders-']`. Every
   * permission of the workflow on stacks, buckets, databases and Auto Scaling groups is limited to
   * resources whose names start with one of them (their temporary copies share the prefix).
   */
  readonly managedStackPrefixes: string[];
  /**
   * Email addresses subscribed to the notification topic (each must confirm the subscription). With
   * `notificationTopic`, these are subscribed to that topic; nothing else is.
   *
   * @default - no subscription: add your own to the topic (`topic` property, NotificationTopicArn output)
   */
  readonly notificationEmails?: string[];
  /**
   * An existing topic for the workflow's notifications and the alarms, instead of one the construct
   * defines. Migrate is granted sns:Publish on it, and kms:Decrypt and kms:GenerateDataKey on its
   * `masterKey` when the topic names one (import an encrypted topic with
   * `sns.Topic.fromTopicAttributes(this, 'Topic', { topicArn, keyArn })`). The alarms publish to it too:
   * CloudWatch needs the key policy of an encrypted topic to let `cloudwatch.amazonaws.com` use the key;
   * the construct adds that statement to a key defined in the same app, and warns at synth otherwise.
   * Nothing is subscribed to it unless `notificationEmails` says so.
   *
   * @default - a topic the construct defines, encrypted with `encryptionKey` or a key of its own,
   * refusing publications without TLS
   */
  readonly notificationTopic?: sns.ITopic;
  /**
   * The KMS key that encrypts the workflow bucket and the notification topic the construct defines
   * (not a `notificationTopic` of yours, which keeps its own). Its key policy must let this account's
   * IAM policies use it (the default key policy does): the steps, the checksum jobs' role and Migrate
   * are granted what they use, on this key only. For the topic's alarms, its policy must also let
   * `cloudwatch.amazonaws.com` use it: added to a key defined in the same app, a synth warning otherwise.
   * The lock table keeps DynamoDB's AWS owned key either way.
   *
   * @default - two keys the construct defines, rotated yearly: one for the workflow bucket, one for
   * the notification topic
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * What happens to what holds state when it leaves the stack (the stack deleted, or the construct
   * removed): the workflow bucket, the lock table, the log groups of the steps and the state machines,
   * and the KMS keys the construct defines (never a key or topic of yours). `RemovalPolicy.DESTROY`
   * deletes them with the stack, except a workflow bucket that still holds documents: CloudFormation
   * cannot delete a bucket that is not empty. `RemovalPolicy.SNAPSHOT` is refused (none of them can
   * be snapshotted).
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * The VPC to run the steps that call an environment's own endpoints in (its statistics URL and its
   * smoke test URL: compare-statistics, smoke-test and recheck-original), so they can reach an
   * internal load balancer. Those steps call AWS APIs as well (CloudFormation, S3, Secrets Manager,
   * KMS through S3, X-Ray): their subnets need a route to them, a NAT gateway or VPC endpoints.
   * Their roles are given the network interface actions Lambda needs. Every other step runs outside
   * any VPC.
   *
   * @default - no VPC: every step runs in Lambda's own network and reaches public endpoints only
   */
  readonly vpc?: ec2.IVpc;
  /**
   * The subnets of `vpc` those steps run in.
   *
   * @default - the VPC's private subnets (CDK's default placement of a Lambda function)
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Security groups of the steps in `vpc`. Let them reach the endpoints (e.g.
   * `loadBalancer.connections.allowFrom(migrator, ec2.Port.tcp(443))`: the construct is IConnectable).
   *
   * @default - one security group the construct defines for the three steps, all outbound traffic allowed
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /**
   * Start Migrate on a schedule.
   *
   * @default - no schedule
   */
  readonly schedule?: MigrationSchedule;
  /**
   * Keep the original environment's snapshots after a successful scheduled migration as a backup
   * (sets `retainOriginalSnapshots` in the schedule's input when the input does not say).
   *
   * @default false - the migration deletes every snapshot it made once the new environment is verified
   */
  readonly retainOriginalSnapshots?: boolean;
  /**
   * Retention of every log group: the step functions' and the state machines'.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The role CloudFormation assumes to create and delete environments (CreateStack/DeleteStack
   * RoleARN). The step functions may only pass this role; they hold none of the permissions of the
   * resources in your template.
   *
   * @default - a role for environments like examples/environment.yaml
   * (examples/cloudformation-role-policy.json), limited to the managed prefixes
   */
  readonly cloudFormationRole?: iam.IRole;
  /**
   * Buckets the new templates (`templateUrl`) are read from. CloudFormation reads a TemplateURL with
   * the caller's credentials, so create-stack is granted s3:GetObject on these only.
   *
   * @default - none: no template can be read from S3, migrations keep the current template
   */
  readonly templateBucketNames?: string[];
  /**
   * Secrets the statistics request header may come from (`statistics.header.secretArn`).
   *
   * @default - the secrets of this account and region whose names start with a managed prefix
   */
  readonly statisticsSecretArns?: string[];
  /**
   * Secrets `secretParameters` may name (the values of NoEcho parameters): the preflight may describe
   * them and create-stack read them, nothing else.
   *
   * @default - the secrets of this account and region whose names start with a managed prefix
   * (e.g. `orders-prod/db-password` for the prefix `orders-`)
   */
  readonly parameterSecretArns?: string[];
  /**
   * Log each state's input and output in the state machines' logs. They hold stack outputs, parameter
   * values and statistics.
   *
   * @default false
   */
  readonly includeExecutionDataInLogs?: boolean;
  /**
   * Days the workflow's documents (statistics documents, difference lists, bucket manifests, under
   * `runs/<execution>/` of the workflow bucket) are kept before S3 expires them: long enough to
   * investigate a migration after the fact, well beyond Migrate's 48-hour timeout.
   *
   * @default 90
   */
  readonly documentRetentionDays?: number;
  /**
   * Blue/green (strategy `blue-green`): the Route 53 entry points this deployment may read and switch,
   * each a hosted zone and the record names in it. The entry point steps are granted these zones only,
   * and the switch only these records (A and CNAME, by DELETE and CREATE). The construct then also
   * defines the schedule group of the retire runs and the role EventBridge Scheduler starts them with.
   * Requires `documentRetentionDays` to outlast a previous slot's longest retention (rollback reads
   * the statistics documents of the switch).
   *
   * @default - none: a blue-green migration is refused by IAM at its first Route 53 call
   */
  readonly entryPoints?: EntryPointGrant[];
}

/** One hosted zone of blue/green entry points (EnvironmentMigratorProps.entryPoints). */
export interface EntryPointGrant {
  /** The hosted zone id (`Z…`; a `/hostedzone/` prefix is accepted). */
  readonly hostedZoneId: string;
  /** The entry point records of that zone (DNS names, e.g. `orders.example.com`). */
  readonly recordNames: string[];
}

/** The schedule group of the retire schedules (lambdas/schedule-retire RETIRE_SCHEDULE_GROUP). */
export const RETIRE_SCHEDULE_GROUP = RETIRE_SCHEDULE_GROUP_NAME;

/**
 * Steps that call an environment's own endpoints over HTTP (lambdas/shared/http.ts: the statistics
 * URL, the smoke test URL): the only ones placed in `vpc`.
 */
export const ENDPOINT_STEPS: readonly StepName[] = ['smoke-test', 'compare-statistics', 'recheck-original', 'read-switch-record', 'probe-entry-point'];

/**
 * What Lambda needs to attach a function to a VPC ("Configuring a Lambda function to access resources
 * in a VPC", Lambda developer guide: "ec2:DescribeNetworkInterfaces – This action only works if it's
 * allowed on all resources"; the same actions as the AWSLambdaVPCAccessExecutionRole managed policy,
 * which the steps' own roles do not carry).
 */
const VPC_ACCESS_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

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

/**
 * The key policy statement that lets CloudWatch alarms publish to a topic encrypted with the key
 * ("Encryption at rest", Amazon SNS developer guide), limited to this account's alarms.
 */
function alarmsUseKeyStatement(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'CloudWatchAlarmsPublish',
    principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
    resources: ['*'],
    conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
  });
}

/** Steps that start or follow S3 Batch Operations checksum jobs (env CHECKSUM_JOB_ROLE_ARN). */
const CHECKSUM_JOB_STEPS: readonly StepName[] = ['start-checksum-job', 'checksum-job-status'];

/** Steps that call CreateStack / DeleteStack / CreateChangeSet and pass the CloudFormation role (env CFN_ROLE_ARN). */
const STACK_STEPS: readonly StepName[] = ['create-stack', 'delete-stack', 'plan-promotion'];

/**
 * The migrator: its public surface is made of interfaces (IStateMachine, ITopic, IBucket, ITable,
 * IKey…), so what a user may bring (a topic, a key) and what the construct defines look the same.
 * Permissions for people and pipelines: grantStartMigration, grantRead, grantUnlock and grantCancel. In a VPC (`vpc`), the
 * construct is IConnectable: its `connections` are the security groups of the steps that call the
 * environments' endpoints.
 */
export class EnvironmentMigrator extends Construct implements ec2.IConnectable {
  /** The Migrate state machine: one execution is one migration (see README "Execution input"). */
  readonly migrateStateMachine: sfn.IStateMachine;
  /** The Clone state machine, started by Migrate twice per migration and usable alone. */
  readonly cloneStateMachine: sfn.IStateMachine;
  /** Blue/green: the Retire state machine, started by the one-time schedule a migration creates at its switch. */
  readonly retireStateMachine: sfn.StateMachine;
  /** Blue/green: the Rollback state machine (`env-migrator rollback`). */
  readonly rollbackStateMachine: sfn.StateMachine;
  /** Where every outcome other than success and every alarm is sent: the construct's, or `notificationTopic`. */
  readonly topic: sns.ITopic;
  /** The key the topic is encrypted with, when known (a `notificationTopic` imported without its key leaves it undefined). */
  readonly topicKey?: kms.IKey;
  /**
   * The workflow's own bucket: documents too large for the 256 KiB execution state, referenced from
   * it by key (docs/design.md invariant 10). Each step that reads or writes them sees `runs/*` only.
   */
  readonly workflowBucket: s3.IBucket;
  /** The key of the workflow bucket: the construct's, or `encryptionKey`. */
  readonly workflowBucketKey: kms.IKey;
  /** One item per environment being migrated (docs/design.md invariant 6). */
  readonly lockTable: dynamodb.ITable;
  /** Each step's Lambda function, by step name (lambdas/steps.ts). */
  readonly functions: Readonly<Record<StepName, lambda.IFunction>>;
  /** The role CloudFormation creates and deletes environments with: the construct's, or `cloudFormationRole`. */
  readonly cloudFormationRole: iam.IRole;
  /** Every alarm the construct defines (Migrate failed, timed out, aborted; one per step's errors), all sending to `topic`. */
  readonly alarms: cloudwatch.IAlarm[] = [];
  /** The schedule that starts Migrate, when `schedule` was given. */
  readonly schedule?: scheduler.ISchedule;

  /** Blue/green (`entryPoints`): the schedule group of the retire schedules. */
  readonly retireScheduleGroup?: scheduler.IScheduleGroup;
  /** Blue/green (`entryPoints`): the role EventBridge Scheduler assumes to start the retire run. */
  readonly retireSchedulerRole?: iam.IRole;

  /** The concrete state machines: their names make the execution ARNs of grantRead. */
  private readonly migrate: sfn.StateMachine;
  private readonly clone: sfn.StateMachine;
  /** The steps' functions with their roles and log groups (infra/lambda-step.ts): internal. */
  private readonly steps: Record<StepName, StepFunction>;
  private readonly endpointConnections?: ec2.Connections;
  /** The environments' resources the steps may reach (managedStackPrefixes...): what grantPlan grants reads on. */
  private readonly permissionScope: PermissionScope;

  constructor(scope: Construct, id: string, props: EnvironmentMigratorProps) {
    super(scope, id);
    const prefixes = checkPrefixes(props.managedStackPrefixes);
    const emails = props.notificationEmails ?? [];
    const badEmail = emails.find((e) => !EMAIL_PATTERN.test(e));
    if (badEmail !== undefined) throw new Error(`EnvironmentMigrator: notificationEmails: "${badEmail}" is not an email address`);
    const templateBucketNames = props.templateBucketNames ?? [];
    if (props.schedule) validateSchedule(props.schedule, { prefixes, templateBucketNames });
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const removalPolicy = checkRemovalPolicy(props.removalPolicy);
    const network = this.endpointNetwork(props);
    if (network) this.endpointConnections = new ec2.Connections({ securityGroups: network.securityGroups });

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
    this.permissionScope = permissionScope;
    const retentionDaysGiven = props.documentRetentionDays ?? DOCUMENT_RETENTION_DAYS;
    if (props.entryPoints?.length) this.blueGreenResources(props.entryPoints, permissionScope, retentionDaysGiven);

    const retentionDays = props.documentRetentionDays ?? DOCUMENT_RETENTION_DAYS;
    if (!Number.isInteger(retentionDays) || retentionDays < 1) {
      throw new Error(`EnvironmentMigrator: documentRetentionDays must be a whole number of days, at least 1 (got ${retentionDays})`);
    }
    // Encrypted like the topic, with a customer managed key whose policy names every action.
    this.workflowBucketKey =
      props.encryptionKey ??
      new kms.Key(this, 'WorkflowDocumentsKey', {
        description: "Encrypts the env-migrator workflow's documents (statistics, difference lists, bucket manifests)",
        enableKeyRotation: true,
        removalPolicy,
        policy: new iam.PolicyDocument({
          statements: [
            accountKeyStatement(),
          ],
        }),
      });
    // Kept on stack deletion like the lock table and the keys (unless removalPolicy says otherwise): it
    // may hold the only record of what a failed migration compared. Versioning is off: a document is
    // written once per key and run.
    const workflowBucket = new s3.Bucket(this, 'WorkflowDocuments', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.workflowBucketKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
      lifecycleRules: [
        { id: 'ExpireRunDocuments', prefix: `${DOCUMENT_PREFIX}/`, expiration: Duration.days(retentionDays) },
        // Templates over 51,200 bytes that create-stack handed to CloudFormation by TemplateURL: needed
        // only while CreateStack reads them (a retry puts them again); two days outlast Migrate's 48 hours.
        { id: 'ExpireLargeTemplates', prefix: TEMPLATE_OBJECT_PREFIX, expiration: Duration.days(TEMPLATE_RETENTION_DAYS) },
        { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    this.workflowBucket = workflowBucket;
    const documents = { bucketArn: workflowBucket.bucketArn, keyArn: this.workflowBucketKey.keyArn };
    permissionScope.templateStore = documents;
    permissionScope.workflowStore = documents;
    // Checksum jobs keep their manifests and reports in the same bucket, under their own prefix.
    const checksumJobs = this.checksumJobResources(prefixes, workflowBucket, this.workflowBucketKey);
    permissionScope.checksumJobs = { workBucketArn: workflowBucket.bucketArn, roleArn: checksumJobs.role.roleArn, keyArn: this.workflowBucketKey.keyArn };

    // Before the steps: the loop steps read cancel requests from it (CANCEL_CHECK_STEPS).
    this.lockTable = new dynamodb.Table(this, 'EnvironmentLocks', {
      partitionKey: { name: 'stackName', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy,
    });

    const steps = {} as Record<StepName, StepFunction>;
    const fns = {} as StepFunctions;
    for (const step of STEP_NAMES) {
      const inVpc = network !== undefined && ENDPOINT_STEPS.includes(step);
      const fn = new StepFunction(this, `Step-${step}`, {
        step,
        logRetention,
        environment: {
          [WORKFLOW_BUCKET_ENV]: workflowBucket.bucketName,
          ...(STACK_STEPS.includes(step) ? { CFN_ROLE_ARN: this.cloudFormationRole.roleArn } : {}),
          ...(CHECKSUM_JOB_STEPS.includes(step) ? { CHECKSUM_JOB_ROLE_ARN: checksumJobs.role.roleArn } : {}),
          ...(CANCEL_CHECK_STEPS.includes(step) ? { [LOCK_TABLE_ENV]: this.lockTable.tableName } : {}),
          // The steps that create (schedule-retire) and delete (close-switch-record) retire schedules: the group they are in.
          ...((step === 'schedule-retire' || step === 'close-switch-record') && this.retireScheduleGroup ? { [RETIRE_SCHEDULE_GROUP_ENV]: RETIRE_SCHEDULE_GROUP } : {}),
        },
        ...(inVpc ? network : {}),
      });
      for (const grant of [...stepGrants(step, permissionScope), ...documentGrants(step, documents), ...cancelCheckGrants(step, this.lockTable.tableArn)]) {
        fn.role.addToPolicy(grant.statement);
      }
      // The role is passed to the function, so CDK adds no VPC policy of its own; the function depends
      // on the role and its policy, so the actions are there when Lambda checks them at creation.
      if (inVpc) fn.role.addToPolicy(new iam.PolicyStatement({ actions: VPC_ACCESS_ACTIONS, resources: ['*'] }));
      if (props.removalPolicy !== undefined) fn.logGroup.applyRemovalPolicy(removalPolicy);
      steps[step] = fn;
      fns[step] = fn.function;
    }
    this.steps = steps;
    this.functions = fns;

    const { topic, key: topicKey } = this.notificationTopic(props, emails, removalPolicy);
    this.topic = topic;
    this.topicKey = topicKey;


    const timeout = Duration.seconds(MIGRATION_TIMEOUT_SECONDS);
    const machineLogs = (name: string): sfn.LogOptions => ({
      destination: new logs.LogGroup(this, `${name}Logs`, { retention: logRetention, removalPolicy }),
      level: sfn.LogLevel.ALL,
      includeExecutionData: props.includeExecutionDataInLogs ?? false,
    });
    this.clone = new sfn.StateMachine(this, 'Clone', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(buildCloneDefinition(new Construct(this, 'CloneStates'), fns, this.lockTable)),
      timeout,
      tracingEnabled: true,
      logs: machineLogs('Clone'),
      comment: 'Copies an environment (stack, databases, buckets) into a new stack and verifies the copy',
    });
    this.migrate = new sfn.StateMachine(this, 'Migrate', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(
        buildMigrateDefinition(new Construct(this, 'MigrateStates'), {
          fns,
          cloneStateMachine: this.clone,
          lockTable: this.lockTable,
          topic: this.topic,
          ...(this.retireSchedulerRole ? { retire: { stateMachineArn: this.retireMachineArnToken(), schedulerRoleArn: this.retireSchedulerRole.roleArn } } : {}),
        }),
      ),
      timeout,
      tracingEnabled: true,
      logs: machineLogs('Migrate'),
      comment: 'Migrates an environment to a new template version without losing data (double clone)',
    });
    this.cloneStateMachine = this.clone;
    this.migrateStateMachine = this.migrate;
    // Blue/green (issue 11): the retire run a migration's schedule starts, and `env-migrator rollback`.
    const slotOperation = { fns, lockTable: this.lockTable, topic: this.topic };
    const slotTimeout = Duration.seconds(SLOT_OPERATION_TIMEOUT_SECONDS);
    this.retireStateMachine = new sfn.StateMachine(this, 'Retire', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(buildRetireDefinition(new Construct(this, 'RetireStates'), slotOperation)),
      timeout: slotTimeout,
      tracingEnabled: true,
      logs: machineLogs('Retire'),
      comment: 'Blue/green: deletes the previous slot after its retention, only while the entry point points elsewhere',
    });
    this.rollbackStateMachine = new sfn.StateMachine(this, 'Rollback', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(buildRollbackDefinition(new Construct(this, 'RollbackStates'), slotOperation)),
      timeout: slotTimeout,
      tracingEnabled: true,
      logs: machineLogs('Rollback'),
      comment: 'Blue/green: switches the entry point back to the previous slot, never discarding writes silently',
    });
    for (const machine of [this.retireStateMachine, this.rollbackStateMachine]) this.topicKey?.grant(machine, 'kms:Decrypt', 'kms:GenerateDataKey');
    // Publishing to an encrypted topic: SNS encrypts with the key on the publisher's behalf.
    this.topicKey?.grant(this.migrate, 'kms:Decrypt', 'kms:GenerateDataKey');

    this.addAlarms(steps);
    if (props.schedule) this.schedule = this.addSchedule(props.schedule, props.retainOriginalSnapshots ?? false);
    this.suppressJustifiedFindings(network !== undefined);
  }

  /**
   * Blue/green resources, with `entryPoints`: the hosted zones and records the entry point steps may
   * use (PermissionScope), the schedule group of the retire schedules, and the role EventBridge
   * Scheduler assumes to start a retire run: trusted by scheduler.amazonaws.com for this account's
   * schedules only (aws:SourceAccount, "Set up the execution role", EventBridge Scheduler User Guide,
   * against the confused deputy), allowed states:StartExecution on the retire state machine and
   * nothing else. The run documents a switch record references (statistics under `runs/`) must
   * outlast the longest retention of a previous slot plus Migrate's own 48 hours.
   */
  private blueGreenResources(entryPoints: EntryPointGrant[], scope: PermissionScope, retentionDays: number): void {
    const zones = entryPoints.map((e, i) => {
      const id = e.hostedZoneId.replace(/^\/hostedzone\//, '');
      if (!/^[A-Z0-9]{1,32}$/.test(id)) throw new Error(`EnvironmentMigrator: entryPoints[${i}].hostedZoneId: "${e.hostedZoneId}" is not a Route 53 hosted zone id`);
      if (!e.recordNames.length) throw new Error(`EnvironmentMigrator: entryPoints[${i}].recordNames: name at least one record of zone ${id}`);
      return id;
    });
    const neededDays = Math.ceil(KEEP_PREVIOUS_HOURS.max / 24 + MIGRATION_TIMEOUT_SECONDS / 86400);
    if (retentionDays < neededDays) {
      throw new Error(
        `EnvironmentMigrator: documentRetentionDays ${retentionDays} is shorter than a previous slot may be kept (${KEEP_PREVIOUS_HOURS.max / 24} days) plus a migration (${MIGRATION_TIMEOUT_SECONDS / 3600} hours): rollback would find the statistics of its switch expired; keep them at least ${neededDays} days`,
      );
    }
    scope.hostedZoneIds = [...new Set(zones)];
    scope.entryPointRecordNames = [...new Set(entryPoints.flatMap((e) => e.recordNames))];
    const group = new scheduler.ScheduleGroup(this, 'RetireSchedules', { scheduleGroupName: RETIRE_SCHEDULE_GROUP });
    const role = new iam.Role(this, 'RetireSchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } } }),
      description: 'EventBridge Scheduler starts the env-migrator retire run of a previous blue/green slot',
    });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [this.retireMachineArnToken()] }));
    (this as { retireScheduleGroup?: scheduler.IScheduleGroup }).retireScheduleGroup = group;
    (this as { retireSchedulerRole?: iam.IRole }).retireSchedulerRole = role;
    scope.retireScheduleGroupName = RETIRE_SCHEDULE_GROUP;
    scope.retireScheduleRoleArn = role.roleArn;
  }

  /**
   * The Retire state machine's ARN, resolved at synth: the Scheduler role and Migrate's definition
   * (schedule-retire's target) are built before the machine (it needs the steps), so they refer to it lazily.
   */
  private retireMachineArnToken(): string {
    return Lazy.string({ produce: () => this.retireStateMachine.stateMachineArn });
  }

  /**
   * The network of the steps that call the environments' endpoints, with `vpc`: the security groups
   * given, or one the construct defines for the three of them.
   */
  private endpointNetwork(props: EnvironmentMigratorProps): Required<Pick<StepFunctionProps, 'vpc' | 'securityGroups'>> & Pick<StepFunctionProps, 'vpcSubnets'> | undefined {
    if (!props.vpc) {
      if (props.vpcSubnets || props.securityGroups) {
        throw new Error('EnvironmentMigrator: vpcSubnets and securityGroups place the endpoint steps in a VPC: give the vpc too');
      }
      return undefined;
    }
    if (props.securityGroups && props.securityGroups.length === 0) {
      throw new Error('EnvironmentMigrator: securityGroups is empty: give at least one security group, or leave it out for one the construct defines');
    }
    const securityGroups = props.securityGroups ?? [
      new ec2.SecurityGroup(this, 'EndpointStepsSecurityGroup', {
        vpc: props.vpc,
        // CloudFormation refuses an apostrophe in a security group description.
        description: 'env-migrator steps that call the statistics and smoke test endpoints of environments',
        allowAllOutbound: true,
      }),
    ];
    return { vpc: props.vpc, vpcSubnets: props.vpcSubnets, securityGroups };
  }

  /**
   * The topic every notification and alarm goes to, and its key when known. The construct's own:
   * encrypted with `encryptionKey` or a key of its own whose policy lets CloudWatch alarms use it (an
   * AWS managed key cannot be shared with them: "Encryption at rest", Amazon SNS developer guide).
   * A topic of the user's: used as is, only the emails asked for subscribed.
   */
  private notificationTopic(props: EnvironmentMigratorProps, emails: string[], removalPolicy: RemovalPolicy): { topic: sns.ITopic; key?: kms.IKey } {
    let topic: sns.ITopic;
    let key: kms.IKey | undefined;
    if (props.notificationTopic) {
      topic = props.notificationTopic;
      key = topic.masterKey;
      if (key) this.allowAlarmsToUse(key);
    } else {
      if (props.encryptionKey) {
        key = props.encryptionKey;
        this.allowAlarmsToUse(key);
      } else {
        // The policy is written out instead of CDK's default (`kms:*` for the account): the account's
        // IAM policies may administer the key and use it, with every action named.
        key = new kms.Key(this, 'NotificationsKey', {
          description: 'Encrypts the env-migrator notification topic',
          enableKeyRotation: true,
          removalPolicy,
          policy: new iam.PolicyDocument({ statements: [accountKeyStatement(), alarmsUseKeyStatement()] }),
        });
      }
      topic = new sns.Topic(this, 'Notifications', { displayName: 'env-migrator', enforceSSL: true, masterKey: key });
    }
    for (const email of emails) topic.addSubscription(new subscriptions.EmailSubscription(email));
    return { topic, key };
  }

  /** The key policy statement CloudWatch alarms need to publish to a topic encrypted with `key`, or a warning where it cannot be added. */
  private allowAlarmsToUse(key: kms.IKey): void {
    const { statementAdded } = key.addToResourcePolicy(alarmsUseKeyStatement(), true);
    if (!statementAdded) {
      Annotations.of(this).addWarningV2(
        'env-migrator:alarm-key-policy',
        `the notification topic's key (${key.node.path}) is not defined in this app: its key policy must let the service principal cloudwatch.amazonaws.com use kms:Decrypt and kms:GenerateDataKey, or the alarms cannot publish to the topic`,
      );
    }
  }

  /**
   * Lets `grantee` start migrations: states:StartExecution on Migrate, and cloudformation:DescribeStacks
   * on this construct's stack, where `env-migrator start --migrator-stack` reads the
   * MigrateStateMachineArn output (the standalone stack has it). Following the execution is grantRead.
   */
  grantStartMigration(grantee: iam.IGrantable): iam.Grant {
    const stack = Stack.of(this);
    const readOutputs = iam.Grant.addToPrincipal({
      grantee,
      actions: ['cloudformation:DescribeStacks'],
      resourceArns: [stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${stack.stackName}/*` })],
    });
    return this.migrate.grantStartExecution(grantee).combine(readOutputs);
  }

  /**
   * Lets `grantee` describe and follow the executions of Migrate and of the Clone executions it starts
   * (`env-migrator watch`, `status`, `start --wait`, `report`, the console): states:DescribeExecution,
   * states:GetExecutionHistory and states:DescribeStateMachineForExecution (the definition an execution
   * ran, for `report`; the machines are not KMS-encrypted, so no kms:Decrypt) on their executions,
   * states:ListExecutions and states:DescribeStateMachine on both state machines. Nothing that starts
   * or stops anything.
   */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    const machines = [this.migrate, this.clone];
    const stack = Stack.of(this);
    const executions = machines.map((m) =>
      stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${m.stateMachineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    );
    return iam.Grant.addToPrincipal({ grantee, actions: ['states:DescribeExecution', 'states:GetExecutionHistory', 'states:DescribeStateMachineForExecution'], resourceArns: executions }).combine(
      iam.Grant.addToPrincipal({ grantee, actions: ['states:ListExecutions', 'states:DescribeStateMachine'], resourceArns: machines.map((m) => m.stateMachineArn) }),
    );
  }

  /**
   * Lets `grantee` run `env-migrator unlock`: dynamodb:GetItem and dynamodb:DeleteItem on the lock
   * table (the CLI deletes only on the condition that the item still names the ended holder),
   * states:DescribeExecution on Migrate's executions (to prove the holder no longer runs), and
   * cloudformation:DescribeStacks on this construct's stack (the LockTableName output). No PutItem:
   * nobody but Migrate takes a lock.
   */
  grantUnlock(grantee: iam.IGrantable): iam.Grant {
    const executions = this.executionsOf(this.migrate);
    return this.lockTable
      .grant(grantee, 'dynamodb:GetItem', 'dynamodb:DeleteItem')
      .combine(iam.Grant.addToPrincipal({ grantee, actions: ['states:DescribeExecution'], resourceArns: [executions] }))
      .combine(this.grantDescribeOwnStack(grantee));
  }

  /**
   * Lets `grantee` run `env-migrator recover` (cli/recover-core.ts): states:DescribeExecution and
   * states:GetExecutionHistory on Migrate's and Clone's executions (the failed migration's record, the
   * earlier recoveries, following the recovery), states:StartExecution on Clone (the recovery itself:
   * Clone's own role does the work), dynamodb:GetItem, PutItem and DeleteItem on the lock table (taken
   * as Migrate takes it, released on the condition that it still names the recovery), and
   * cloudformation:DescribeStacks on this construct's stack (the LockTableName output) and on the
   * managed environments (the temporary stack must be the complete one the migration made, the
   * original's name free).
   */
  grantRecover(grantee: iam.IGrantable): iam.Grant {
    const executions = [this.executionsOf(this.migrate), this.executionsOf(this.clone)];
    return this.lockTable
      .grant(grantee, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem')
      .combine(this.clone.grantStartExecution(grantee))
      .combine(iam.Grant.addToPrincipal({ grantee, actions: ['states:DescribeExecution', 'states:GetExecutionHistory'], resourceArns: executions }))
      .combine(this.grantDescribeOwnStack(grantee, resourcePatterns(this.permissionScope).stacks));
  }

  /**
   * Lets `grantee` run `env-migrator cancel` (cli/cancel-core.ts), exactly what it calls:
   * states:DescribeExecution on Migrate's executions (running? which stack?), dynamodb:UpdateItem
   * (the request, conditional on the lock's owner) and GetItem (who holds it, on a refusal) on the
   * lock table, and cloudformation:DescribeStacks on this construct's stack (the LockTableName output).
   * No StopExecution: the execution stops itself at a safe point.
   */
  grantCancel(grantee: iam.IGrantable): iam.Grant {
    const executions = this.executionsOf(this.migrate);
    return this.lockTable
      .grant(grantee, 'dynamodb:GetItem', 'dynamodb:UpdateItem')
      .combine(iam.Grant.addToPrincipal({ grantee, actions: ['states:DescribeExecution'], resourceArns: [executions] }))
      .combine(this.grantDescribeOwnStack(grantee));
  }

  /** The ARN pattern of a state machine's executions (`execution:<name>:*`). */
  private executionsOf(machine: sfn.StateMachine): string {
    return Stack.of(this).formatArn({ service: 'states', resource: 'execution', resourceName: `${machine.stateMachineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  }

  /** cloudformation:DescribeStacks on this construct's stack (the LockTableName output the CLI reads), and on `more`. */
  private grantDescribeOwnStack(grantee: iam.IGrantable, more: string[] = []): iam.Grant {
    const stack = Stack.of(this);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['cloudformation:DescribeStacks'],
      resourceArns: [stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${stack.stackName}/*` }), ...more],
    });
  }

  /**
   * Lets `grantee` run `env-migrator plan`: the read calls of Migrate's preflight, exactly the
   * `discover` and `inventory-buckets` steps' own statements (infra/step-permissions.ts) on the
   * environments of managedStackPrefixes: read the stack, its template and resources, its databases and
   * the snapshot quota, each bucket's configuration and versions, the new template, DescribeKey and
   * DescribeSecret. Besides: the lock (GetItem on the lock table, found through this stack's
   * LockTableName output: DescribeStacks on it) and the buckets' daily storage metrics
   * (cloudwatch:GetMetricStatistics, on "*": the action has no resource type, Service Authorization
   * Reference, "Actions, resources, and condition keys for Amazon CloudWatch"). Kept apart from
   * grantRead, which only follows executions: these read the environments' data (bucket listings).
   * With `entryPoints` (blue/green), also the `entry-point` step's own statements: the record
   * (route53:ListResourceRecordSets on those hosted zones) and both slots' outputs; its lock GetItem
   * covers the record's and the idle slot's keys (the grant is on the table, every key).
   */
  grantPlan(grantee: iam.IGrantable): iam.Grant {
    const steps: StepName[] = ['discover', 'inventory-buckets', 'entry-point'];
    const statements = steps.flatMap((step) => stepGrants(step, this.permissionScope)).map((g) => g.statement);
    return statements
      .map((statement) => iam.Grant.addToPrincipal({ grantee, actions: statement.actions, resourceArns: statement.resources, conditions: statement.conditions as Record<string, Record<string, unknown>> }))
      .reduce((all, grant) => all.combine(grant))
      .combine(this.lockTable.grant(grantee, 'dynamodb:GetItem'))
      .combine(iam.Grant.addToPrincipal({ grantee, actions: ['cloudwatch:GetMetricStatistics'], resourceArns: ['*'] }))
      .combine(this.grantDescribeOwnStack(grantee));
  }

  /**
   * The security groups of the steps that call the environments' endpoints, to open the way to them:
   * `loadBalancer.connections.allowFrom(migrator, ec2.Port.tcp(443))`. Only with `vpc`.
   */
  get connections(): ec2.Connections {
    if (!this.endpointConnections) {
      throw new Error('EnvironmentMigrator: connections exist only when a vpc is given (the endpoint steps run outside any VPC otherwise)');
    }
    return this.endpointConnections;
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
    const migrate = this.migrate;
    alarm('MigrateFailedAlarm', migrate.metricFailed(sum), 'A migration failed: the notification says where the data is.');
    alarm(
      'MigrateTimedOutAlarm',
      migrate.metricTimedOut(sum),
      'A migration reached its 48-hour timeout: no notification was sent by the workflow and the environment lock stays until its TTL. Check both stacks.',
    );
    alarm('MigrateAbortedAlarm', migrate.metricAborted(sum), 'A migration was stopped by hand: no notification was sent by the workflow. Check both stacks and the lock.');
    // Blue/green's slot operations notify their own failures; a timeout or a stop ends without any.
    for (const [name, machine] of [
      ['Retire', this.retireStateMachine],
      ['Rollback', this.rollbackStateMachine],
    ] as const) {
      const what = name === 'Retire' ? 'A retire run (deleting a previous blue/green slot)' : 'A rollback (switching an entry point back)';
      alarm(`${name}FailedAlarm`, machine.metricFailed(sum), `${what} failed: its notification says what it did and what is left.`);
      alarm(`${name}TimedOutAlarm`, machine.metricTimedOut(sum), `${what} reached its timeout: no notification was sent by the workflow, and its locks stay until they expire. Check the entry point record and both slots.`);
      alarm(`${name}AbortedAlarm`, machine.metricAborted(sum), `${what} was stopped by hand: no notification was sent by the workflow. Check the entry point record, both slots and the locks.`);
    }
    // A retire schedule whose start of the Retire machine was dropped after Scheduler's retries: the
    // previous slot then stays in standby (and billed) until someone retires it by hand. AWS/Scheduler
    // InvocationDroppedCount per schedule group (EventBridge Scheduler user guide, "Monitoring with
    // CloudWatch metrics"; aws-cdk-lib ScheduleGroup.metricDropped).
    if (this.retireScheduleGroup instanceof scheduler.ScheduleGroup) {
      alarm(
        'RetireScheduleDroppedAlarm',
        this.retireScheduleGroup.metricDropped(sum),
        'A retire schedule could not start the retire run: the previous blue/green slot it was for stays in standby until it is retired by hand (the migration notification names it).',
      );
    }
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
      target: new schedulerTargets.StepFunctionsStartExecution(this.migrate, {
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
  private suppressJustifiedFindings(endpointStepsInVpc: boolean): void {
    for (const step of STEP_NAMES) {
      acknowledge(
        this.steps[step].function,
        'AwsSolutions-L1',
        'Node.js 22 is the runtime the steps are built and tested with (package.json engines and the node devDependency); moving on is a tested change, not a default.',
      );
      const inVpc = endpointStepsInVpc && ENDPOINT_STEPS.includes(step);
      acknowledgeWildcards(this.steps[step].role, inVpc ? [...VPC_STEP_WILDCARDS, ...STEP_WILDCARDS] : STEP_WILDCARDS);
    }
    acknowledgeWildcards(this.migrate, GENERATED_WILDCARDS);
    // Migrate's role holds one Lambda invoke statement per step it runs (both strategies'): past IAM's
    // 10,240-character inline policy limit CDK moves the rest into managed OverflowPolicy<n> at synth
    // (a Role aspect), after this constructor: acknowledged once it exists, with the same reasons.
    Aspects.of(this.migrate).add({ visit: (node) => node instanceof iam.CfnManagedPolicy && acknowledgeWildcards(node, GENERATED_WILDCARDS) }, { priority: AspectPriority.READONLY });
    acknowledgeWildcards(this.clone, GENERATED_WILDCARDS);
    acknowledgeWildcards(this.retireStateMachine, GENERATED_WILDCARDS);
    acknowledgeWildcards(this.rollbackStateMachine, GENERATED_WILDCARDS);
    acknowledge(this.workflowBucket, 'AwsSolutions-S1', WORKFLOW_BUCKET_ACCESS_LOGS_REASON);
    const deployPolicy = this.node.tryFindChild('EnvironmentDeployPolicy');
    if (deployPolicy) acknowledgeWildcards(deployPolicy, ENVIRONMENT_ROLE_WILDCARDS);
  }
}

function checkRemovalPolicy(policy: RemovalPolicy | undefined): RemovalPolicy {
  if (policy === RemovalPolicy.SNAPSHOT) {
    throw new Error(
      'EnvironmentMigrator: removalPolicy: RemovalPolicy.SNAPSHOT cannot apply to the workflow bucket, the lock table, the log groups or the keys: use RETAIN (the default), RETAIN_ON_UPDATE_OR_DELETE or DESTROY',
    );
  }
  return policy ?? RemovalPolicy.RETAIN;
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
