/**
 * Preflight of the deletion (issue 10, item 3; invariant 9): everything that would make deleting the
 * current stack fail half-way, or leave data behind silently, found before the standby. Migrate deletes
 * the original only after its copy is verified, hours into the downtime, and once its buckets are
 * emptied a failed DeleteStack leaves the data in the temporary stack alone: whatever can be known
 * beforehand is refused here, with nothing touched.
 */
import type { Stack, StackResourceSummary } from '@aws-sdk/client-cloudformation';
import { DescribeAccountAttributesCommand, DescribeDBInstancesCommand, type RDSClient } from '@aws-sdk/client-rds';
import { GetBucketVersioningCommand, GetObjectLockConfigurationCommand, type S3Client } from '@aws-sdk/client-s3';
import type { CfnTemplate } from '../shared/cfn-template';
import type { DeletionPlanItem } from '../shared/contracts';

export interface DeletionPreflightClients {
  rds: RDSClient;
  s3: S3Client;
}

export interface DeletionPreflightInput {
  stack: Stack;
  /** The stack's template (undefined when it could not be read: the caller reports that). */
  template: CfnTemplate | undefined;
  resources: StackResourceSummary[];
  /** Logical IDs the input accepts to migrate without their data (acceptUncopiedResources). */
  accepted: string[];
}

export interface DeletionPreflight {
  /** One sentence per problem, each with its remedy; any problem fails the preflight. */
  problems: string[];
  /** What the deletion does beyond the copy, resource by resource (for the output and the notification). */
  plan: DeletionPlanItem[];
}

/**
 * Stateful resource types the workflow does not copy (it copies AWS::S3::Bucket and
 * AWS::RDS::DBInstance): each holds data the new environment would not have. Types outside this list
 * and outside the copied ones are taken for stateless (security groups, roles, load balancers...).
 */
export const UNCOPIED_STATEFUL_TYPES: ReadonlySet<string> = new Set([
  'AWS::DynamoDB::Table',
  'AWS::DynamoDB::GlobalTable',
  'AWS::EFS::FileSystem',
  'AWS::FSx::FileSystem',
  'AWS::RDS::DBCluster',
  'AWS::DocDB::DBCluster',
  'AWS::Neptune::DBCluster',
  'AWS::Redshift::Cluster',
  'AWS::RedshiftServerless::Namespace',
  'AWS::ElastiCache::ReplicationGroup',
  'AWS::ElastiCache::CacheCluster',
  'AWS::ElastiCache::ServerlessCache',
  'AWS::MemoryDB::Cluster',
  'AWS::OpenSearchService::Domain',
  'AWS::Elasticsearch::Domain',
  'AWS::EC2::Volume',
  'AWS::SQS::Queue',
  'AWS::Kinesis::Stream',
  'AWS::MSK::Cluster',
  'AWS::AmazonMQ::Broker',
  'AWS::Timestream::Table',
  'AWS::Keyspaces::Table',
  'AWS::QLDB::Ledger',
  'AWS::Cognito::UserPool',
  'AWS::ECR::Repository',
  'AWS::CodeCommit::Repository',
  'AWS::Backup::BackupVault',
  'AWS::S3Express::DirectoryBucket',
  'AWS::Lightsail::Database',
]);

/** Resources that are whole stacks of their own: deleting the parent deletes them and what they hold. */
const NESTED_STACK_TYPES = new Set(['AWS::CloudFormation::Stack', 'AWS::Serverless::Application']);

const DB = 'AWS::RDS::DBInstance';
const BUCKET = 'AWS::S3::Bucket';

type Policy = 'Delete' | 'Retain' | 'RetainExceptOnCreate' | 'Snapshot';

/**
 * The deletion preflight of Migrate's current stack (discover with `deletesStack`), run before the
 * standby. Checks: termination protection; DeletionProtection of each database (on the instance or
 * in the template, which the temporary copy is created from); Object Lock and MFA delete on each
 * bucket; room in the manual DB snapshot quota for every snapshot of both clones and every final
 * snapshot DeletionPolicy Snapshot takes; nested stacks; stateful resources it does not copy, unless
 * accepted. Returns every problem with its remedy, and the plan: each resource the deletion retains,
 * snapshots, or (accepted) does not copy. Throws what the AWS calls throw (read-only calls).
 */
export async function deletionPreflight(clients: DeletionPreflightClients, input: DeletionPreflightInput): Promise<DeletionPreflight> {
  const { stack, template, accepted } = input;
  const stackName = stack.StackName ?? '';
  const problems: string[] = [];
  const plan: DeletionPlanItem[] = [];
  const live = input.resources.filter((r) => r.ResourceStatus !== 'DELETE_COMPLETE' && r.PhysicalResourceId && r.LogicalResourceId);

  if (stack.EnableTerminationProtection) {
    problems.push(
      `stack ${stackName} has termination protection enabled: the migration deletes it once its copy is verified, and DeleteStack would refuse then, with the instances in standby. ` +
        `Disable it (aws cloudformation update-termination-protection --no-enable-termination-protection --stack-name ${stackName}), run the migration, then enable it on the new stack`,
    );
  }

  const policyOf = (r: StackResourceSummary): Policy | undefined => deletionPolicy(template, r.LogicalResourceId ?? '', r.ResourceType ?? '');
  let snapshotsOnDelete = 0;
  let databases = 0;
  const uncopied = new Set<string>();
  for (const r of live) {
    const logicalId = r.LogicalResourceId as string;
    const physicalId = r.PhysicalResourceId as string;
    const type = r.ResourceType ?? '';
    const policy = policyOf(r);
    const item = (kind: DeletionPlanItem['kind'], fate: string) => plan.push({ kind, logicalId, resourceType: type, physicalId, fate });

    if (NESTED_STACK_TYPES.has(type)) {
      problems.push(
        `resource ${logicalId} of stack ${stackName} is a nested stack (${type}, ${physicalId}): the migration copies only the buckets and databases of the stack itself, ` +
          `and deleting ${stackName} would delete the nested stack with whatever it holds. Move its resources into ${stackName}, or migrate the nested stack on its own`,
      );
      continue;
    }
    if (UNCOPIED_STATEFUL_TYPES.has(type)) {
      uncopied.add(logicalId);
      const original =
        policy === 'Retain' || policy === 'RetainExceptOnCreate'
          ? `the original's is left behind with its data (DeletionPolicy ${policy})`
          : policy === 'Snapshot'
            ? "the original's is deleted after CloudFormation takes a final snapshot of it (DeletionPolicy Snapshot)"
            : `the original's is deleted with ${stackName}, and its data with it`;
      if (accepted.includes(logicalId)) {
        item('NOT_COPIED', `not copied (acceptUncopiedResources): the new environment gets a new, empty ${type}; ${original}`);
      } else {
        problems.push(
          `resource ${logicalId} of stack ${stackName} (${type}, ${physicalId}) holds data the migration does not copy: the new environment would get a new, empty one and ${original}. ` +
            `Copy its data yourself (a backup restored into the new environment), or, to migrate without it, list it in the input: "acceptUncopiedResources": ["${logicalId}"]`,
        );
      }
      continue;
    }
    if (policy === 'Retain' || policy === 'RetainExceptOnCreate') {
      item('RETAINED', `kept by DeletionPolicy ${policy}: left behind with its data when ${stackName} is deleted${type === BUCKET ? ' (not emptied)' : ''}, and likewise the temporary copy's; delete them yourself once no longer needed`);
    } else if (policy === 'Snapshot') {
      item('FINAL_SNAPSHOT', `DeletionPolicy Snapshot: CloudFormation takes a final snapshot before deleting it, of the original and of the temporary copy; both snapshots stay (delete them yourself once no longer needed)`);
      if (type === DB) snapshotsOnDelete += 2;
    }

    if (type === DB) {
      databases += 1;
      problems.push(...(await databaseProblems(clients.rds, template, logicalId, physicalId, stackName, policy)));
    } else if (type === BUCKET) {
      problems.push(...(await bucketProblems(clients.s3, logicalId, physicalId, stackName, policy)));
    }
  }
  for (const id of accepted) {
    if (!uncopied.has(id)) problems.push(`acceptUncopiedResources names ${id}, which is not a resource of stack ${stackName} the migration leaves uncopied: remove it (a typo would accept nothing)`);
  }
  if (databases > 0) {
    const quota = await snapshotQuotaProblem(clients.rds, databases, snapshotsOnDelete);
    if (quota) problems.push(quota);
  }
  return { problems, plan };
}

/**
 * The DeletionPolicy CloudFormation applies when it deletes the stack: the template's, else its
 * default, Snapshot for AWS::RDS::DBCluster and for AWS::RDS::DBInstance without DBClusterIdentifier
 * ("DeletionPolicy attribute", CloudFormation user guide), else Delete. A policy given by an intrinsic
 * function cannot be resolved here: undefined.
 */
function deletionPolicy(template: CfnTemplate | undefined, logicalId: string, type: string): Policy | undefined {
  const def = template?.Resources[logicalId];
  const stated: unknown = def?.DeletionPolicy;
  if (typeof stated === 'string') return stated as Policy;
  if (stated !== undefined) return undefined;
  if (type === 'AWS::RDS::DBCluster' || (type === DB && def?.Properties?.DBClusterIdentifier === undefined)) return 'Snapshot';
  return 'Delete';
}

/**
 * RDS DeletionProtection: "The database can't be deleted when deletion protection is enabled"
 * (ModifyDBInstance, DeletionProtection), so CloudFormation's deletion of the stack would fail on the
 * database after the buckets were emptied. The template's own DeletionProtection counts too: the
 * temporary copy is created from the current template and is deleted at the end. A retained database
 * is never deleted by CloudFormation, so its instance's protection does not matter.
 */
async function databaseProblems(rds: RDSClient, template: CfnTemplate | undefined, logicalId: string, identifier: string, stackName: string, policy: Policy | undefined): Promise<string[]> {
  const inTemplate: unknown = template?.Resources[logicalId]?.Properties?.DeletionProtection;
  const templateProtects = inTemplate === true || inTemplate === 'true';
  let instanceProtects = false;
  try {
    const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }));
    instanceProtects = out?.DBInstances?.[0]?.DeletionProtection === true;
  } catch (err) {
    // Discover reports a missing database itself.
    if (!(err instanceof Error && err.name === 'DBInstanceNotFoundFault')) throw err;
  }
  const retained = policy === 'Retain' || policy === 'RetainExceptOnCreate';
  if (!templateProtects && !(instanceProtects && !retained)) return [];
  const where = [instanceProtects ? 'on the instance' : '', templateProtects ? 'in the template (the temporary copy would have it too)' : ''].filter(Boolean).join(' and ');
  return [
    `database ${logicalId} (${identifier}) of stack ${stackName} has deletion protection enabled ${where}: deleting ${stackName} would fail on it (DELETE_FAILED) after its buckets were emptied. ` +
      `Disable it (aws rds modify-db-instance --db-instance-identifier ${identifier} --no-deletion-protection --apply-immediately)` +
      `${templateProtects ? ` and remove DeletionProtection: true from ${logicalId} in the current template (update the stack); set it in the new template version instead` : ''}, then run the migration again`,
  ];
}

/**
 * S3 Object Lock: a locked version cannot be deleted before its retention ends (S3 user guide,
 * "Locking objects with Object Lock"), neither in the original nor in the temporary copy (created from
 * the same template): neither could be emptied. MFA delete: only the root user with an MFA code can
 * delete a version (S3 user guide, "Configuring MFA delete"); a retained bucket is never emptied.
 */
async function bucketProblems(s3: S3Client, logicalId: string, bucket: string, stackName: string, policy: Policy | undefined): Promise<string[]> {
  const problems: string[] = [];
  let locked = false;
  try {
    const out = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
    locked = out?.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled';
  } catch (err) {
    if (!(err instanceof Error && err.name === 'ObjectLockConfigurationNotFoundError')) throw err;
  }
  if (locked) {
    problems.push(
      `bucket ${logicalId} (${bucket}) of stack ${stackName} has S3 Object Lock enabled: its locked versions cannot be deleted before their retention ends, so neither it nor the temporary copy's bucket could be emptied and deleting them would fail half-way. ` +
        `Move the bucket out of the environment's stack (DeletionPolicy: Retain, then remove it from the template and reference it by name), then run the migration again`,
    );
  }
  const retained = policy === 'Retain' || policy === 'RetainExceptOnCreate';
  const versioning = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
  if (versioning?.MFADelete === 'Enabled' && !retained) {
    problems.push(
      `bucket ${logicalId} (${bucket}) of stack ${stackName} has MFA delete enabled: only the root user with an MFA code can delete its versions, so emptying it before the deletion would fail with the instances in standby. ` +
        `Disable MFA delete (as the root user: aws s3api put-bucket-versioning --bucket ${bucket} --versioning-configuration Status=Enabled,MFADelete=Disabled --mfa "<device serial> <code>"), ` +
        `or set DeletionPolicy: Retain on ${logicalId} (kept with its data, never emptied), then run the migration again`,
    );
  }
  return problems;
}

/**
 * Room in the account's manual DB snapshot quota (DescribeAccountAttributes, ManualSnapshots: used and
 * max): both clones snapshot every database and keep the snapshots until the clean-up (clone 2's stay
 * while the new stack restores from them), and each DeletionPolicy Snapshot database adds a final
 * snapshot when the original and when the temporary copy are deleted. A full quota fails
 * CreateDBSnapshot with SnapshotQuotaExceeded, or the stack's deletion, mid-migration.
 */
async function snapshotQuotaProblem(rds: RDSClient, databases: number, onDelete: number): Promise<string | undefined> {
  const out = await rds.send(new DescribeAccountAttributesCommand({}));
  const quota = out?.AccountQuotas?.find((q) => q.AccountQuotaName === 'ManualSnapshots');
  if (quota?.Max === undefined || quota.Used === undefined) return undefined;
  const needed = 2 * databases + onDelete;
  if (quota.Used + needed <= quota.Max) return undefined;
  return (
    `the account's manual DB snapshot quota is too small: ${quota.Used} of ${quota.Max} used, and the migration needs ${needed} more ` +
    `(${2 * databases} for both clones' snapshots of ${databases} database(s)${onDelete ? `, ${onDelete} final snapshots DeletionPolicy Snapshot takes when the original and the temporary copy are deleted` : ''}). ` +
    `Delete manual snapshots no longer needed, or ask for a higher "Manual DB instance snapshots" quota (Service Quotas), then run the migration again`
  );
}
