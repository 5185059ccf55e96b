/**
 * Least privilege for the step functions: each step gets the actions its code calls (lambdas/<step>/
 * and the lambdas/shared helpers it uses), on the resources of the environments this deployment may
 * manage. Environments are only known by name at run time, so resources are ARN patterns built from
 * the managed stack name prefixes and from how CloudFormation names what it creates:
 *
 * - stacks: `arn:…:cloudformation:<region>:<account>:stack/<prefix>*\/*` (the temporary stack is
 *   `<stack>-tmp-<runId>`, so it shares the prefix);
 * - buckets: CloudFormation generates `<stack name, lowercased>-<logical id>-<random>`, so
 *   `arn:…:s3:::<prefix lowercased>*`;
 * - DB instances: generated identifiers also start with the lowercased stack name, and RDS ARNs hold
 *   identifiers lowercase: `arn:…:rds:<region>:<account>:db:<prefix lowercased>*`;
 * - snapshots: this workflow names them `em-<runId>-<phase>-<logical id>` (lambdas/shared/naming.ts):
 *   `arn:…:rds:<region>:<account>:snapshot:em-*`;
 * - Auto Scaling groups: generated names start with the stack name:
 *   `arn:…:autoscaling:<region>:<account>:autoScalingGroup:*:autoScalingGroupName/<prefix>*`.
 *
 * Where AWS supports no resource-level permission for an action (DescribeAutoScalingGroups,
 * GetTemplateSummary of a template URL or body, DescribeDBSnapshots without an identifier, X-Ray) the
 * resource is `*`; where the resource's ARN cannot be predicted (the KMS key of an SSE-KMS bucket)
 * a condition narrows it. No action is ever a wildcard. Sources: Service Authorization Reference,
 * "Actions, resources, and condition keys for" CloudFormation, Amazon RDS, Amazon S3, Amazon EC2
 * Auto Scaling, AWS KMS, AWS Secrets Manager.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type { StepName } from '../lambdas/steps';

/** Where every document of the workflow bucket lives (lambdas/shared/documents.ts documentKey: `runs/<execution>/...`). */
export const DOCUMENT_PREFIX = 'runs';

/**
 * Steps that keep documents in the workflow bucket (their code imports lambdas/shared/documents.ts,
 * directly or through manifest.ts): each writes its own and reads back what an earlier step of the
 * run wrote. A step not listed here gets nothing on the bucket or its key. Add a step here when its
 * code starts keeping documents (the infra test compares every step's grants with its SDK calls).
 */
export const DOCUMENT_STEPS: readonly StepName[] = ['compare-statistics', 'verify-bucket', 'recheck-original', 'delete-stack', 'record-switch'];

/**
 * Where the switch records of blue/green entry points live (lambdas/shared/documents.ts
 * ENTRY_POINT_PREFIX): outside `runs/`, kept as long as the previous slot is.
 */
export const ENTRY_POINT_DOCUMENT_PREFIX = 'entry-points';

/** The workflow bucket and the key that encrypts it (tokens in the construct). */
export interface DocumentStore {
  bucketArn: string;
  keyArn: string;
}

/**
 * What a document step may do with the workflow bucket: read and write objects under `runs/` only
 * (never list, never delete: documents expire by the bucket's lifecycle rule), and have S3 use the
 * bucket key for it (SSE-KMS: PutObject needs kms:GenerateDataKey, GetObject kms:Decrypt; "Using
 * server-side encryption with AWS KMS keys", Amazon S3 User Guide).
 */
export function documentGrants(step: StepName, store: DocumentStore): Grant[] {
  if (!DOCUMENT_STEPS.includes(step)) return [];
  return [
    {
      why: "keep this run's documents (statistics, difference lists, manifests) in the workflow bucket and read them back",
      statement: allow(['s3:GetObject', 's3:PutObject'], [`${store.bucketArn}/${DOCUMENT_PREFIX}/*`]),
    },
    // Only the step that writes the switch record: the record of an entry point is replaced by its next switch.
    ...(step === 'record-switch'
      ? [{ why: 'write the switch record of the entry point (what rollback reads), outside the expiring run documents', statement: allow(['s3:PutObject'], [`${store.bucketArn}/${ENTRY_POINT_DOCUMENT_PREFIX}/*`]) }]
      : []),
    { why: "encrypt and decrypt the workflow's documents (SSE-KMS with the bucket's key)", statement: allow(['kms:Decrypt', 'kms:GenerateDataKey'], [store.keyArn]) },
  ];
}

/**
 * Steps a loop calls again and again and that obey `env-migrator cancel` themselves: given a
 * `cancellation`, each reads the environment's lock first (lambdas/shared/cancel-request.ts). Their
 * handlers wrap the core in obeyingCancel; the construct gives them LOCK_TABLE and GetItem on the table.
 */
export const CANCEL_CHECK_STEPS: readonly StepName[] = [
  'standby-status',
  'snapshot-status',
  'stack-status',
  'copy-bucket',
  'verify-bucket',
  'checksum-job-status',
  'smoke-test',
  'inventory-buckets',
  'recheck-original',
  'switch-status',
  'probe-entry-point',
  'replica-status',
];

/** What a cancel-checking step may do with the lock table: read an item (its cancel request), nothing else. */
export function cancelCheckGrants(step: StepName, lockTableArn: string): Grant[] {
  if (!CANCEL_CHECK_STEPS.includes(step)) return [];
  return [{ why: "read the environment lock's cancel request (env-migrator cancel) before each call of a loop", statement: allow(['dynamodb:GetItem'], [lockTableArn]) }];
}

/** Every manual snapshot this workflow makes starts with this (lambdas/shared/naming.ts snapshotPrefix). */
export const SNAPSHOT_NAME_PREFIX = 'em-';
/** Every change set this workflow makes starts with this (lambdas/shared/naming.ts promotionChangeSetName). */
export const CHANGE_SET_NAME_PREFIX = 'em-';

/** What the ARN patterns are built from. Region and account may be CDK tokens. */
export interface PermissionScope {
  /** Stack name prefixes this deployment may manage, as given (stack names are case-sensitive). */
  stackPrefixes: readonly string[];
  partition: string;
  region: string;
  account: string;
  /** The role CloudFormation uses for CreateStack/DeleteStack (RoleARN); the only role the steps may pass. */
  cloudFormationRoleArn: string;
  /** Buckets the `templateUrl` templates come from (CloudFormation reads TemplateURL with the caller's credentials). */
  templateBucketNames: readonly string[];
  /** Secrets the statistics request header may be read from. */
  statisticsSecretArns: readonly string[];
  /** Secrets `secretParameters` may name (NoEcho parameter values): DescribeSecret in the preflight, GetSecretValue in create-stack. */
  parameterSecretArns?: readonly string[];
  /**
   * The workflow bucket and its key, where create-stack puts a template too large for TemplateBody
   * (under TEMPLATE_OBJECT_PREFIX) for CloudFormation to read by TemplateURL with create-stack's credentials.
   */
  templateStore?: { bucketArn: string; keyArn: string };
  /**
   * S3 Batch Operations checksum jobs (start-checksum-job, checksum-job-status): the workflow's bucket
   * that holds their manifests, reports and result documents under CHECKSUM_JOB_PREFIX, and the role
   * the jobs run as (the only role those steps may pass, and only to Batch Operations).
   */
  checksumJobs?: { workBucketArn: string; roleArn: string; keyArn: string };
  /**
   * Blue/green: the Route 53 hosted zones whose entry point records the steps may read and switch
   * (bare ids, `Z…`). Absent or empty: the entry point steps are granted no zone.
   */
  hostedZoneIds?: readonly string[];
  /**
   * Blue/green: the entry point record names, when known at deployment: the switch may then change
   * only those (condition route53:ChangeResourceRecordSetsNormalizedRecordNames). Absent: any record
   * of the hosted zones, still only A and CNAME records by DELETE and CREATE.
   */
  entryPointRecordNames?: readonly string[];
  /** Blue/green: the schedule group of the retire schedules (lambdas/schedule-retire RETIRE_SCHEDULE_GROUP). */
  retireScheduleGroupName?: string;
  /** Blue/green: the role EventBridge Scheduler assumes to start the retire run (the only role schedule-retire may pass). */
  retireScheduleRoleArn?: string;
  /**
   * Blue/green: the workflow bucket and its key, where Retire reads the clone output a migration kept
   * (under runs/) and Rollback reads and closes the entry points' switch records (under entry-points/).
   */
  workflowStore?: { bucketArn: string; keyArn: string };
}

/** Every retire schedule is named `em-retire-<runId>` (lambdas/schedule-retire retireScheduleName). */
export const RETIRE_SCHEDULE_NAME_PREFIX = 'em-retire-';

/**
 * A record name as the condition key route53:ChangeResourceRecordSetsNormalizedRecordNames holds it:
 * lowercase, no trailing dot, characters other than a-z, 0-9, -, _ and . as `\ddd` octal escapes
 * (Route 53 Developer Guide, "Using IAM policy conditions for fine-grained access control",
 * "Normalizing the Route 53 condition key values").
 */
export function normalizedRecordName(name: string): string {
  return name
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/[^a-z0-9_.-]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}


/** Where create-stack puts templates over 51,200 bytes in the workflow bucket (lambdas/shared/documents.ts TEMPLATE_PREFIX). */
export const TEMPLATE_OBJECT_PREFIX = 'templates/';

/** Where checksum jobs' manifests, completion reports and result documents live in the work bucket. */
export const CHECKSUM_JOB_PREFIX = 'checksum-jobs/';

/** ARN patterns of the managed environments' resources. */
export function resourcePatterns(scope: PermissionScope) {
  const { partition: p, region: r, account: a } = scope;
  const lower = scope.stackPrefixes.map((prefix) => prefix.toLowerCase());
  return {
    stacks: scope.stackPrefixes.map((prefix) => `arn:${p}:cloudformation:${r}:${a}:stack/${prefix}*/*`),
    buckets: lower.map((prefix) => `arn:${p}:s3:::${prefix}*`),
    objects: lower.map((prefix) => `arn:${p}:s3:::${prefix}*/*`),
    databases: lower.map((prefix) => `arn:${p}:rds:${r}:${a}:db:${prefix}*`),
    snapshots: [`arn:${p}:rds:${r}:${a}:snapshot:${SNAPSHOT_NAME_PREFIX}*`],
    groups: scope.stackPrefixes.map((prefix) => `arn:${p}:autoscaling:${r}:${a}:autoScalingGroup:*:autoScalingGroupName/${prefix}*`),
    templateObjects: scope.templateBucketNames.map((bucket) => `arn:${p}:s3:::${bucket}/*`),
  };
}

const allow = (actions: string[], resources: string[], conditions?: Record<string, Record<string, unknown>>): iam.PolicyStatement =>
  new iam.PolicyStatement({ actions, resources, ...(conditions ? { conditions } : {}) });

/** Statements of one step's role, with the reason for each (the table in the README is made from these). */
export interface Grant {
  why: string;
  statement: iam.PolicyStatement;
}

/**
 * The grants of one step. Only create-stack and delete-stack touch the CloudFormation role: they may
 * pass it to CloudFormation and nothing else, and they may create or delete a stack only through it
 * (condition cloudformation:RoleArn), never with their own credentials.
 */
export function stepGrants(step: StepName, scope: PermissionScope): Grant[] {
  const arns = resourcePatterns(scope);
  const describeStacks = (why: string): Grant => ({ why, statement: allow(['cloudformation:DescribeStacks'], arns.stacks) });
  const throughRole = { StringEquals: { 'cloudformation:RoleArn': scope.cloudFormationRoleArn } };
  const passRole: Grant = {
    why: 'hand the CloudFormation service role to CloudFormation (RoleARN), and only to it',
    statement: allow(['iam:PassRole'], [scope.cloudFormationRoleArn], { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } }),
  };
  // Objects of SSE-KMS buckets: S3 decrypts (GetObject, HeadObject with checksums, copy source) and
  // encrypts (copy destination) with the bucket's key on the caller's behalf. The key is the
  // environment's own, unknown here: any key of this account, used only through S3.
  const kmsThroughS3 = (actions: string[], why: string): Grant => ({
    why,
    statement: allow(actions, [`arn:${scope.partition}:kms:${scope.region}:${scope.account}:key/*`], {
      StringEquals: { 'kms:ViaService': `s3.${scope.region}.amazonaws.com` },
    }),
  });
  const describeGroups: Grant = {
    why: 'read the groups, their instances and our standby tags (DescribeAutoScalingGroups has no resource-level permission)',
    statement: allow(['autoscaling:DescribeAutoScalingGroups'], ['*']),
  };
  const bucketEncryption: Grant = {
    why: 'tell SSE-KMS buckets (ETags are not MD5s there) from the others',
    statement: allow(['s3:GetEncryptionConfiguration'], arns.buckets),
  };

  const zones = (scope.hostedZoneIds ?? []).map((id) => `arn:${scope.partition}:route53:::hostedzone/${id.replace(/^\/hostedzone\//, '')}`);
  const readRecords: Grant[] = zones.length
    ? [{ why: "read the entry point's record (ListResourceRecordSets) in the hosted zones this deployment may switch", statement: allow(['route53:ListResourceRecordSets'], zones) }]
    : [];

  const jobObjects = scope.checksumJobs ? [`${scope.checksumJobs.workBucketArn}/${CHECKSUM_JOB_PREFIX}*`] : [];

  switch (step) {
    case 'validate-input':
    case 'compose-notification':
      return [];
    case 'start-checksum-job':
      if (!scope.checksumJobs) return [];
      return [
        { why: "read the manifest's ETag (HeadObject), which CreateJob requires", statement: allow(['s3:GetObject', 's3:GetObjectVersion'], jobObjects) },
        { why: "read the manifest in the workflow bucket (SSE-KMS with the bucket's key)", statement: allow(['kms:Decrypt'], [scope.checksumJobs.keyArn]) },
        // Service Authorization Reference (Amazon S3): CreateJob supports no resource-level permission.
        { why: 'create the Compute checksum job (no resource-level permission)', statement: allow(['s3:CreateJob'], ['*']) },
        {
          why: 'hand the Batch Operations role to the job, and only to S3 Batch Operations',
          statement: allow(['iam:PassRole'], [scope.checksumJobs.roleArn], { StringEquals: { 'iam:PassedToService': 'batchoperations.s3.amazonaws.com' } }),
        },
      ];
    case 'checksum-job-status':
      if (!scope.checksumJobs) return [];
      return [
        { why: "follow the job's status and progress", statement: allow(['s3:DescribeJob'], [`arn:${scope.partition}:s3:${scope.region}:${scope.account}:job/*`]) },
        { why: 'read the completion report and write the result document beside it', statement: allow(['s3:GetObject', 's3:PutObject'], jobObjects) },
        { why: "the workflow bucket's key (SSE-KMS)", statement: allow(['kms:Decrypt', 'kms:GenerateDataKey'], [scope.checksumJobs.keyArn]) },
      ];
    case 'discover':
      return [
        {
          why: 'read the stack, its original template and its resources (preflight)',
          statement: allow(['cloudformation:DescribeStacks', 'cloudformation:GetTemplate', 'cloudformation:ListStackResources'], arns.stacks),
        },
        { why: 'check each database is available and not Aurora, and read its KMS key', statement: allow(['rds:DescribeDBInstances'], arns.databases) },
        { why: "read each bucket's default encryption key (a key of the stack it is deleted with?)", statement: allow(['s3:GetEncryptionConfiguration'], arns.buckets) },
        {
          why: 'deletion preflight: Object Lock and MFA delete would stop the emptying of a bucket half-way',
          statement: allow(['s3:GetBucketObjectLockConfiguration', 's3:GetBucketVersioning'], arns.buckets),
        },
        // DescribeAccountAttributes has no resource-level permission (Service Authorization Reference, Amazon RDS).
        { why: 'deletion preflight: room in the manual DB snapshot quota for both clones', statement: allow(['rds:DescribeAccountAttributes'], ['*']) },
        {
          // DescribeKey authorizes on the key an alias resolves to; environment keys are unknown here.
          why: "resolve a bucket's key alias to its key (DescribeKey reads metadata only: no cryptographic use)",
          statement: allow(['kms:DescribeKey'], [`arn:${scope.partition}:kms:${scope.region}:${scope.account}:key/*`]),
        },
        {
          // Service Authorization Reference (CloudFormation): neither supports a resource-level permission.
          why: 'read the new template as CloudFormation does (ValidateTemplate, GetTemplateSummary of its TemplateURL) before the standby',
          statement: allow(['cloudformation:ValidateTemplate', 'cloudformation:GetTemplateSummary'], ['*']),
        },
        ...(arns.templateObjects.length
          ? [{ why: "CloudFormation reads the new template's TemplateURL with the caller's credentials", statement: allow(['s3:GetObject'], arns.templateObjects) }]
          : []),
        ...(scope.parameterSecretArns?.length
          ? [{ why: 'prove each secretParameters secret exists (DescribeSecret: metadata, never the value)', statement: allow(['secretsmanager:DescribeSecret'], [...scope.parameterSecretArns]) }]
          : []),
      ];
    case 'standby-enter':
      return [
        describeGroups,
        {
          // A group's env-migrator:execution tag may name any execution that ever created its stack
          // (Migrate's, or a Clone started on its own): only their ARNs, unknown until run time, are known.
          why: "is the execution whose tag is on a group still running? (a claim of one that has ended is taken over)",
          statement: allow(['states:DescribeExecution'], [`arn:${scope.partition}:states:${scope.region}:${scope.account}:execution:*:*`]),
        },
        {
          why: 'suspend scaling, lower the min size, put the instances in Standby and record what was changed as group tags',
          statement: allow(
            ['autoscaling:SuspendProcesses', 'autoscaling:UpdateAutoScalingGroup', 'autoscaling:EnterStandby', 'autoscaling:CreateOrUpdateTags'],
            arns.groups,
          ),
        },
      ];
    case 'standby-exit':
      return [
        describeGroups,
        {
          why: 'bring the instances back InService, restore the min size, resume scaling and remove our tags',
          statement: allow(
            ['autoscaling:ExitStandby', 'autoscaling:UpdateAutoScalingGroup', 'autoscaling:ResumeProcesses', 'autoscaling:DeleteTags'],
            arns.groups,
          ),
        },
      ];
    case 'standby-status':
      return [describeGroups];
    case 'snapshot':
      return [
        {
          why: 'snapshot the source databases under our deterministic names, tagged with the execution (tags on create need AddTagsToResource)',
          statement: allow(['rds:CreateDBSnapshot', 'rds:AddTagsToResource'], [...arns.databases, ...arns.snapshots]),
        },
        { why: 'a snapshot of that name already exists: is it ours (a retry)?', statement: allow(['rds:DescribeDBSnapshots'], arns.snapshots) },
      ];
    case 'snapshot-status':
      return [{ why: 'wait for the snapshots to be available', statement: allow(['rds:DescribeDBSnapshots'], arns.snapshots) }];
    case 'delete-snapshots':
      return [
        {
          // The sweep lists every manual snapshot (RDS has no name-prefix filter): a request naming no
          // snapshot is authorised against "*". It reads metadata only; deletion stays on em-*.
          why: "find this execution's snapshots, by name and by sweeping the manual snapshots for its tag",
          statement: allow(['rds:DescribeDBSnapshots'], ['*']),
        },
        { why: 'delete the snapshots this execution made (checked against its tag first)', statement: allow(['rds:DeleteDBSnapshot'], arns.snapshots) },
      ];
    case 'create-stack':
      return [
        {
          why: 'create the destination stack, only through the CloudFormation service role',
          statement: allow(['cloudformation:CreateStack'], arns.stacks, throughRole),
        },
        {
          // Apart from CreateStack: the RoleArn key is not in TagResource's request context, and a
          // condition on a missing key never matches.
          why: 'tag the new stack with the execution, the environment and the version (tags given to CreateStack)',
          statement: allow(['cloudformation:TagResource'], arns.stacks),
        },
        describeStacks('the stack already exists: was it created by this execution (a retry)?'),
        {
          why: "read the source's own template when no templateUrl is given (Clone keeps the body out of its state)",
          statement: allow(['cloudformation:GetTemplate'], arns.stacks),
        },
        {
          why: 'read the parameters the new template declares, from its TemplateURL or the source template body (GetTemplateSummary of either names no stack)',
          statement: allow(['cloudformation:GetTemplateSummary'], ['*']),
        },
        passRole,
        ...(arns.templateObjects.length
          ? [{ why: 'CloudFormation reads TemplateURL with the caller\'s credentials', statement: allow(['s3:GetObject'], arns.templateObjects) }]
          : []),
        ...(scope.parameterSecretArns?.length
          ? [{ why: 'read the values of the secretParameters (NoEcho parameters) into CreateStack, and nowhere else', statement: allow(['secretsmanager:GetSecretValue'], [...scope.parameterSecretArns]) }]
          : []),
        ...(scope.templateStore
          ? [
              {
                // CloudFormation reads a TemplateURL with the caller's credentials (AWS re:Post knowledge
                // center, "cfn-s3-access-denied-error": the CreateStack identity needs s3:GetObject).
                why: 'put a template over 51,200 bytes in the workflow bucket under templates/, where CloudFormation reads it back as TemplateURL with these credentials',
                statement: allow(['s3:PutObject', 's3:GetObject'], [`${scope.templateStore.bucketArn}/${TEMPLATE_OBJECT_PREFIX}*`]),
              },
              { why: "encrypt and decrypt that template (SSE-KMS with the workflow bucket's key)", statement: allow(['kms:Decrypt', 'kms:GenerateDataKey'], [scope.templateStore.keyArn]) },
            ]
          : []),
      ];
    case 'plan-promotion':
      return [
        describeStacks("read the destination stack's parameters and that this execution created it"),
        {
          // Service Authorization Reference (CloudFormation): CreateChangeSet authorizes on the stack,
          // with the keys cloudformation:ChangeSetName and cloudformation:RoleArn.
          why: "plan the promotion of the read replicas: a change set named em-*, only through the CloudFormation service role",
          statement: allow(['cloudformation:CreateChangeSet'], arns.stacks, {
            StringEquals: { 'cloudformation:RoleArn': scope.cloudFormationRoleArn },
            StringLike: { 'cloudformation:ChangeSetName': `${CHANGE_SET_NAME_PREFIX}*` },
          }),
        },
        { why: 'a change set of that name already exists: is it on this stack (a retry)?', statement: allow(['cloudformation:DescribeChangeSet'], arns.stacks) },
        passRole,
      ];
    case 'promotion-status':
      return [{ why: 'wait for the promotion change set and read what it would change', statement: allow(['cloudformation:DescribeChangeSet'], arns.stacks) }];
    case 'promote-replicas':
      return [
        { why: "read the promotion change set's execution status", statement: allow(['cloudformation:DescribeChangeSet'], arns.stacks) },
        describeStacks("is the stack's last change set this one (a retry)?"),
        {
          why: 'execute the promotion change set planned and checked before the standby (em-* only)',
          statement: allow(['cloudformation:ExecuteChangeSet'], arns.stacks, { StringLike: { 'cloudformation:ChangeSetName': `${CHANGE_SET_NAME_PREFIX}*` } }),
        },
      ];
    case 'replica-status':
      return [
        { why: "read each read replica's replication status (StatusInfos) and state", statement: allow(['rds:DescribeDBInstances'], arns.databases) },
        // Service Authorization Reference (Amazon CloudWatch): GetMetricData supports no resource-level permission.
        { why: 'read the replicas\' AWS/RDS ReplicaLag metric (no resource-level permission)', statement: allow(['cloudwatch:GetMetricData'], ['*']) },
      ];
    case 'stack-status':
      return [
        {
          why: 'follow the stack operation; on failure, collect the failed events and resources for the notification',
          statement: allow(['cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents', 'cloudformation:ListStackResources'], arns.stacks),
        },
      ];
    case 'inventory-buckets':
      return [
        {
          why: 'count every version and delete marker of the current stack\'s buckets and read their versioning (preflight)',
          statement: allow(['s3:ListBucketVersions', 's3:GetBucketVersioning'], arns.buckets),
        },
        { why: 'read the archive status of Intelligent-Tiering objects and versions (HeadObject)', statement: allow(['s3:GetObject', 's3:GetObjectVersion'], arns.objects) },
        kmsThroughS3(['kms:Decrypt'], 'HeadObject of an SSE-KMS object'),
      ];
    case 'recheck-original':
      return [
        {
          why: 'find the original stack, its statistics URL and its buckets',
          statement: allow(['cloudformation:DescribeStacks', 'cloudformation:ListStackResources'], arns.stacks),
        },
        { why: 'list every version and delete marker of the original\'s buckets again', statement: allow(['s3:ListBucketVersions'], arns.buckets) },
        ...(scope.statisticsSecretArns.length
          ? [{ why: 'read the statistics request header from its secret', statement: allow(['secretsmanager:GetSecretValue'], [...scope.statisticsSecretArns]) }]
          : []),
      ];
    case 'delete-stack':
      return [
        {
          why: 'check the stack is one this run may delete, list its buckets and read which ones the template retains',
          statement: allow(['cloudformation:DescribeStacks', 'cloudformation:ListStackResources', 'cloudformation:GetTemplate'], arns.stacks),
        },
        { why: 'delete the stack, only through the CloudFormation service role', statement: allow(['cloudformation:DeleteStack'], arns.stacks, throughRole) },
        passRole,
        { why: 'empty its buckets (every object version) once their copy is verified', statement: allow(['s3:ListBucketVersions'], arns.buckets) },
        { why: 'delete the object versions (DeleteObjects)', statement: allow(['s3:DeleteObject', 's3:DeleteObjectVersion'], arns.objects) },
      ];
    case 'split-bucket':
      return [
        {
          why: "list the source bucket's first page and probe its key distribution (ListObjectVersions with KeyMarker), to cut it into key ranges copied in parallel",
          statement: allow(['s3:ListBucketVersions'], arns.buckets),
        },
      ];
    case 'copy-bucket':
      return [
        {
          why: "list both buckets' histories (ListObjectVersions, resume after the last copied key) and read whether the destination keeps versions",
          statement: allow(['s3:ListBucketVersions', 's3:GetBucketVersioning'], arns.buckets),
        },
        bucketEncryption,
        {
          why: 'read every source version and its tags; write copies with tags (CopyObject, multipart UploadPartCopy), delete markers (DeleteObject), and abort a failed upload',
          statement: allow(
            ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectTagging', 's3:GetObjectVersionTagging', 's3:PutObject', 's3:PutObjectTagging', 's3:DeleteObject', 's3:AbortMultipartUpload'],
            arns.objects,
          ),
        },
        {
          why: "clear a key's versions in the destination (this run's own bucket) when an earlier attempt left a history that is not a prefix of the source's",
          statement: allow(['s3:DeleteObjectVersion'], arns.objects),
        },
        kmsThroughS3(['kms:Decrypt', 'kms:GenerateDataKey'], 'read and write objects of SSE-KMS buckets'),
      ];
    case 'verify-bucket':
      return [
        { why: "list both buckets' histories (ListObjectVersions)", statement: allow(['s3:ListBucketVersions'], arns.buckets) },
        bucketEncryption,
        {
          why: "read every version's metadata, checksums and tags (HeadObject, GetObjectTagging), and the bytes of versions nothing else can compare (GetObject, hashed)",
          statement: allow(['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectTagging', 's3:GetObjectVersionTagging'], arns.objects),
        },
        kmsThroughS3(['kms:Decrypt'], 'HeadObject with ChecksumMode on an SSE-KMS object needs kms:Decrypt'),
        // The workflow bucket's key is granted with the documents (DOCUMENT_STEPS).
        ...(jobObjects.length
          ? [
              {
                // A manifest of a million versions is written in a multipart upload (lambdas/shared/streamed-object.ts);
                // AbortMultipartUpload is an action of its own ("Multipart upload API and permissions", S3 user guide).
                why: "write the checksum jobs' manifests of versions it cannot prove itself (in parts, abandoned on failure), and read the jobs' results",
                statement: allow(['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'], jobObjects),
              },
            ]
          : []),
      ];
    case 'entry-point':
      return [describeStacks("read both slots' ServiceUrl and ServiceHostedZoneId outputs"), ...readRecords];
    case 'switch-entry-point':
      if (!zones.length) return [];
      return [
        ...readRecords,
        {
          // Service Authorization Reference (Amazon Route 53): ChangeResourceRecordSets takes the
          // multivalued keys ChangeResourceRecordSetsActions, ...RecordTypes and ...NormalizedRecordNames;
          // the Developer Guide's examples use ForAllValues:StringEquals. Never UPSERT: the switch only
          // DELETEs the record as read and CREATEs its successor, so it cannot overwrite another's change.
          why: "switch the entry point: DELETE the record as read and CREATE it pointing at the other slot, in one batch (A and CNAME records only, never UPSERT)",
          statement: allow(['route53:ChangeResourceRecordSets'], zones, {
            'ForAllValues:StringEquals': {
              'route53:ChangeResourceRecordSetsActions': ['CREATE', 'DELETE'],
              'route53:ChangeResourceRecordSetsRecordTypes': ['A', 'CNAME'],
              ...(scope.entryPointRecordNames?.length
                ? { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': scope.entryPointRecordNames.map(normalizedRecordName) }
                : {}),
            },
          }),
        },
      ];
    case 'switch-status':
      // Change ids are made by Route 53 at the switch: only the pattern is known.
      return [{ why: 'follow the switch until it has reached every Route 53 name server (GetChange)', statement: allow(['route53:GetChange'], [`arn:${scope.partition}:route53:::change/*`]) }];
    case 'schedule-retire':
      if (!scope.retireScheduleGroupName || !scope.retireScheduleRoleArn) return [];
      return [
        {
          why: "schedule the retire run of the previous slot (one-time schedule em-retire-<runId>), and read it back when a retry finds the name taken",
          statement: allow(
            ['scheduler:CreateSchedule', 'scheduler:GetSchedule'],
            [`arn:${scope.partition}:scheduler:${scope.region}:${scope.account}:schedule/${scope.retireScheduleGroupName}/${RETIRE_SCHEDULE_NAME_PREFIX}*`],
          ),
        },
        {
          // Service Authorization Reference (EventBridge Scheduler): CreateSchedule needs iam:PassRole with iam:PassedToService scheduler.amazonaws.com.
          why: 'hand the retire schedule its role, and only to EventBridge Scheduler',
          statement: allow(['iam:PassRole'], [scope.retireScheduleRoleArn], { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } }),
        },
      ];
    case 'validate-slot-operation':
      return [];
    case 'read-verified-copy':
      if (!scope.workflowStore) return [];
      return [
        { why: 'read the clone output the migration kept (the proof delete-stack checks before retiring the previous slot)', statement: allow(['s3:GetObject'], [`${scope.workflowStore.bucketArn}/${DOCUMENT_PREFIX}/*`]) },
        { why: "decrypt it (SSE-KMS with the workflow bucket's key)", statement: allow(['kms:Decrypt'], [scope.workflowStore.keyArn]) },
      ];
    case 'read-switch-record':
      return [
        {
          why: 'check both slots are still the stacks the switch left, read the live one\'s statistics URL and list its Auto Scaling groups',
          statement: allow(['cloudformation:DescribeStacks', 'cloudformation:ListStackResources'], arns.stacks),
        },
        ...(scope.workflowStore
          ? [
              {
                why: "read the entry point's switch record and the live slot's statistics document read at the switch",
                statement: allow(['s3:GetObject'], [`${scope.workflowStore.bucketArn}/${ENTRY_POINT_DOCUMENT_PREFIX}/*`, `${scope.workflowStore.bucketArn}/${DOCUMENT_PREFIX}/*`]),
              },
              { why: "decrypt them (SSE-KMS with the workflow bucket's key)", statement: allow(['kms:Decrypt'], [scope.workflowStore.keyArn]) },
            ]
          : []),
        ...(scope.statisticsSecretArns.length
          ? [{ why: 'read the statistics request header from its secret', statement: allow(['secretsmanager:GetSecretValue'], [...scope.statisticsSecretArns]) }]
          : []),
      ];
    case 'probe-entry-point':
      return [
        describeStacks("read the expected slot's statistics and service URLs, asked through the entry point's name"),
        ...(scope.statisticsSecretArns.length
          ? [{ why: 'read the statistics request header from its secret', statement: allow(['secretsmanager:GetSecretValue'], [...scope.statisticsSecretArns]) }]
          : []),
      ];
    case 'close-switch-record':
      return [
        ...(scope.workflowStore
          ? [
              {
                why: "read the entry point's switch record and write it back marked rolled back",
                statement: allow(['s3:GetObject', 's3:PutObject'], [`${scope.workflowStore.bucketArn}/${ENTRY_POINT_DOCUMENT_PREFIX}/*`]),
              },
              { why: "decrypt and encrypt it (SSE-KMS with the workflow bucket's key)", statement: allow(['kms:Decrypt', 'kms:GenerateDataKey'], [scope.workflowStore.keyArn]) },
            ]
          : []),
        ...(scope.retireScheduleGroupName
          ? [
              {
                why: 'delete the retire schedule of the switch rolled back (the slot it would retire is live again)',
                statement: allow(['scheduler:DeleteSchedule'], [`arn:${scope.partition}:scheduler:${scope.region}:${scope.account}:schedule/${scope.retireScheduleGroupName}/${RETIRE_SCHEDULE_NAME_PREFIX}*`]),
              },
            ]
          : []),
      ];
    case 'smoke-test':
      return [describeStacks("read the copy's service URL from its outputs")];
    case 'record-switch':
      // The documents (the switch record, the clone's output) are granted with DOCUMENT_STEPS.
      return [describeStacks("read where the new slot answers (ServiceUrl, ServiceHostedZoneId) and that it is the clone's stack")];
    case 'compare-statistics':
      return [
        describeStacks('read both statistics URLs from the stack outputs'),
        ...(scope.statisticsSecretArns.length
          ? [
              {
                why: 'read the statistics request header from its secret',
                statement: allow(['secretsmanager:GetSecretValue'], [...scope.statisticsSecretArns]),
              },
            ]
          : []),
      ];
  }
}
