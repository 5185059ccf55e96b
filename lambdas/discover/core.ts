import {
  GetTemplateCommand,
  ListStackResourcesCommand,
  type CloudFormationClient,
  type StackResourceSummary,
} from '@aws-sdk/client-cloudformation';
import { DescribeKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { DescribeDBInstancesCommand, type DBInstance, type RDSClient } from '@aws-sdk/client-rds';
import { GetBucketEncryptionCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AsgRef, BucketPair, BucketRef, DbInstanceRef, DiscoverEvent, Discovery, LiveSyncPlan } from '../shared/contracts';
import { PreflightFailed } from '../shared/errors';
import { describeStack } from '../shared/stacks';
import { parseTemplate, type CfnTemplate } from '../shared/cfn-template';
import { checkNewTemplate } from './new-template';
import { liveSyncPlan, type LiveSyncDatabase } from './live-sync';
import { deletionPreflight } from './deletion-preflight';

export interface DiscoverClients {
  cfn: CloudFormationClient;
  rds: RDSClient;
  /** Bucket default encryption, read only when the stack owns a KMS key that deleting it would delete. */
  s3: S3Client;
  /** Resolves a bucket's key given as an alias (DescribeKey), only in that same case. */
  kms: KMSClient;
  /** DescribeSecret of each `secretParameters` secret (never its value), only with `newTemplate`. */
  secrets: SecretsManagerClient;
}

/** The template contract: the parameter that carries the environment's version. */
export const VERSION_PARAMETER = 'EnvironmentVersion';
/** The template contract: a DB with logical id X restores from the snapshot given in parameter `XSnapshotIdentifier`. */
export const snapshotParameterOf = (dbLogicalId: string): string => `${dbLogicalId}SnapshotIdentifier`;

/** CreateStack's TemplateBody limit (API_CreateStack): a larger body is not returned in the Discovery. */
const TEMPLATE_BODY_MAX_BYTES = 51_200;
const ASG = 'AWS::AutoScaling::AutoScalingGroup';
const DB = 'AWS::RDS::DBInstance';
const BUCKET = 'AWS::S3::Bucket';
const KMS_KEY = 'AWS::KMS::Key';

/**
 * Discover + preflight, run on the current stack before anything changes, and on a clone's
 * destination (with `pairWith`) before any data is copied. Reads the stack, its original template,
 * its resources and its databases, checks everything the workflow relies on, and returns the
 * Discovery. Throws PreflightFailed listing EVERY problem found (not just the first), so one run
 * tells the operator all there is to fix.
 */
export async function discover(clients: DiscoverClients, event: DiscoverEvent): Promise<Discovery> {
  const { stackName } = event;
  const stack = await describeStack(clients.cfn, stackName);
  if (!stack) throw new PreflightFailed([`stack ${stackName} does not exist`]);

  const problems: string[] = [];
  const status = stack.StackStatus ?? 'UNKNOWN';
  const statusProblem = checkStackStatus(stackName, status, stack.StackStatusReason);
  if (statusProblem) problems.push(statusProblem);

  const templateBody = await getOriginalTemplate(clients.cfn, stackName);
  let template: CfnTemplate | undefined;
  try {
    template = parseTemplate(templateBody);
  } catch (err) {
    problems.push(`the template of stack ${stackName} cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }

  const resources = await listResources(clients.cfn, stackName);
  const autoScalingGroups: AsgRef[] = [];
  const buckets: BucketRef[] = [];
  const dbResources: { logicalId: string; physicalId: string }[] = [];
  const keyResources: { logicalId: string; keyId: string }[] = [];
  for (const r of resources) {
    if (r.ResourceStatus === 'DELETE_COMPLETE') continue;
    if (r.ResourceType === KMS_KEY && r.PhysicalResourceId) keyResources.push({ logicalId: r.LogicalResourceId ?? '', keyId: r.PhysicalResourceId });
    if (r.ResourceType !== ASG && r.ResourceType !== DB && r.ResourceType !== BUCKET) continue;
    const logicalId = r.LogicalResourceId ?? '';
    const physicalId = r.PhysicalResourceId;
    if (!physicalId) {
      problems.push(`resource ${logicalId} (${r.ResourceType}) of stack ${stackName} has no physical id (status ${r.ResourceStatus ?? 'unknown'})`);
      continue;
    }
    if (r.ResourceType === ASG) autoScalingGroups.push({ logicalId, autoScalingGroupName: physicalId });
    else if (r.ResourceType === BUCKET) buckets.push({ logicalId, bucketName: physicalId });
    else dbResources.push({ logicalId, physicalId });
  }

  const dbInstances: DbInstanceRef[] = [];
  /** logical ID → the KMS key (ARN, as RDS gives it) encrypting the database's storage. */
  const dbKeys = new Map<string, string>();
  /** Every database with what RDS says of it, for the live-sync preflight. */
  const databases: LiveSyncDatabase[] = [];
  for (const db of dbResources) {
    const instance = await describeDbInstance(clients.rds, db.physicalId);
    databases.push({ logicalId: db.logicalId, dbInstanceIdentifier: db.physicalId, ...(instance ? { instance } : {}) });
    if (!instance) {
      problems.push(`database ${db.logicalId} (${db.physicalId}) of stack ${stackName} does not exist in RDS`);
      continue;
    }
    if (instance.DBInstanceStatus !== 'available') {
      problems.push(`database ${db.logicalId} (${db.physicalId}) is ${instance.DBInstanceStatus ?? 'in an unknown state'}, not available: it cannot be snapshotted`);
    }
    if (instance.DBClusterIdentifier) {
      // CreateDBSnapshot does not apply to Aurora instances: the cluster volume holds the data.
      problems.push(`database ${db.logicalId} (${db.physicalId}) belongs to Aurora cluster ${instance.DBClusterIdentifier}: only DB instance snapshots are supported`);
    }
    if (instance.KmsKeyId) dbKeys.set(db.logicalId, instance.KmsKeyId);
    dbInstances.push({
      logicalId: db.logicalId,
      dbInstanceIdentifier: db.physicalId,
      allocatedStorageGb: instance.AllocatedStorage ?? 0,
      engine: instance.Engine ?? 'unknown',
    });
  }

  // Declared parameters: the template's, plus the stack's own list (the same set when both are readable).
  const stackParameters = (stack.Parameters ?? []).map((p) => ({ key: p.ParameterKey ?? '', value: p.ParameterValue ?? '' }));
  const declared = new Set([...Object.keys(template?.Parameters ?? {}), ...stackParameters.map((p) => p.key)]);
  if (!declared.has(VERSION_PARAMETER)) {
    problems.push(`the template of stack ${stackName} declares no parameter ${VERSION_PARAMETER} (template contract)`);
  }
  for (const db of dbResources) {
    const parameter = snapshotParameterOf(db.logicalId);
    if (!declared.has(parameter)) {
      problems.push(`the template of stack ${stackName} declares no parameter ${parameter}: database ${db.logicalId} could not be restored from a snapshot (template contract)`);
    }
  }

  const outputs: Record<string, string> = {};
  for (const o of stack.Outputs ?? []) if (o.OutputKey) outputs[o.OutputKey] = o.OutputValue ?? '';
  for (const key of event.requiredOutputs ?? []) {
    if (!(key in outputs)) problems.push(`stack ${stackName} has no output ${key}, which the migration reads`);
  }

  // A fixed physical name makes a clone beside the original impossible (bucket and DB names are
  // unique). A destination is not cloned here, so only a source is held to this.
  if (template && !event.pairWith) problems.push(...fixedNameProblems(stackName, template));

  if (event.deletesStack) {
    const doomed = keyResources.filter((k) => !retainedByTemplate(template, k.logicalId));
    if (doomed.length) problems.push(...(await doomedKeyProblems(clients, stackName, stack.StackId ?? '', doomed, dbInstances, dbKeys, buckets)));
  }
  // Everything that would make the stack's deletion fail half-way, or leave data behind silently.
  const deletion = event.deletesStack ? await deletionPreflight(clients, { stack, template, resources, accepted: event.acceptUncopiedResources ?? [] }) : undefined;
  problems.push(...(deletion?.problems ?? []));

  let bucketPairs: BucketPair[] | undefined;
  if (event.pairWith) {
    const paired = pairWithSource(event.pairWith, stackName, buckets, dbInstances);
    problems.push(...paired.problems);
    bucketPairs = paired.bucketPairs;
  }

  // Migrate's current environment: both clones' templates and parameters, before the standby (issue 10 items 1, 4).
  let liveSync: LiveSyncPlan | undefined;
  if (event.newTemplate) {
    const checked = await checkNewTemplate(clients, { stackName, template, parameters: stackParameters, buckets, dbLogicalIds: dbResources.map((d) => d.logicalId) }, event.newTemplate);
    problems.push(...checked.problems);
    // The replicas are created from the new template with blue/green (the idle slot), from the
    // stack's own with the double clone (clone 1 recreates the current version).
    const replicaTemplate =
      event.newTemplate.strategy === 'blue-green'
        ? checked.target && { source: checked.target.source, parameters: new Set(checked.target.parameters.map((p) => p.key)) }
        : template && { source: `the current template of ${stackName}`, parameters: declared };
    liveSync = liveSyncPlan(event.newTemplate, databases, replicaTemplate);
  }

  if (problems.length > 0) throw new PreflightFailed(problems);

  const versionParameter = (stack.Parameters ?? []).find((p) => p.ParameterKey === VERSION_PARAMETER);
  const tags: Record<string, string> = {};
  for (const t of stack.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';

  return {
    stackName,
    stackId: stack.StackId ?? '',
    stackStatus: status,
    // A body over CreateStack's TemplateBody limit stays out of the step's result (create-stack reads it).
    ...(Buffer.byteLength(templateBody, 'utf8') <= TEMPLATE_BODY_MAX_BYTES ? { templateBody } : {}),
    parameters: stackParameters,
    outputs,
    tags,
    autoScalingGroups,
    dbInstances,
    buckets,
    // An SSM-typed parameter holds the SSM key; its value is the resolved one.
    environmentVersion: versionParameter?.ResolvedValue ?? versionParameter?.ParameterValue ?? '',
    ...(bucketPairs ? { bucketPairs } : {}),
    ...(deletion ? { deletionPlan: deletion.plan } : {}),
    ...(liveSync ? { liveSync } : {}),
  };
}

/**
 * A stack can be migrated only when its last operation completed: *_COMPLETE, except
 * DELETE_COMPLETE (gone) and ROLLBACK_COMPLETE (its creation failed; it holds nothing to keep).
 * Returns the problem, or undefined when the status is fine.
 */
export function checkStackStatus(stackName: string, status: string, reason?: string): string | undefined {
  const why = reason ? ` (${reason})` : '';
  if (status.endsWith('_IN_PROGRESS')) return `stack ${stackName} is ${status}: an operation is in progress, wait for it to finish${why}`;
  if (status === 'DELETE_COMPLETE') return `stack ${stackName} does not exist (DELETE_COMPLETE)`;
  if (status === 'ROLLBACK_COMPLETE') return `stack ${stackName} is ROLLBACK_COMPLETE: its creation failed, there is no environment to migrate${why}`;
  if (!status.endsWith('_COMPLETE')) return `stack ${stackName} is ${status}: only a stack whose last operation completed can be migrated${why}`;
  return undefined;
}

/**
 * A key CloudFormation keeps when it deletes the stack: DeletionPolicy Retain or RetainExceptOnCreate
 * (the stack was created, so the latter retains too). A policy the template does not state as one of
 * these (absent, Delete, an intrinsic function, an unreadable template) counts as deleted: at worst a
 * refusal, never a key lost.
 */
function retainedByTemplate(template: CfnTemplate | undefined, logicalId: string): boolean {
  const policy: unknown = template?.Resources[logicalId]?.DeletionPolicy;
  return policy === 'Retain' || policy === 'RetainExceptOnCreate';
}

/**
 * Item 3 of the preflight: keys of this stack that deleting it will schedule for deletion (the
 * AWS::KMS::Key's PendingWindowInDays, 7 to 30 days), and the databases and buckets encrypted with
 * them. A database restored from a snapshot keeps the snapshot's key ("the specified KmsKeyId property
 * is also inherited from the snapshot", AWS::RDS::DBInstance reference, KmsKeyId), so every copy the
 * migration makes depends on the key, and its data becomes unrecoverable once the key is deleted (RDS
 * puts the instance in inaccessible-encryption-credentials). A bucket's SSE-KMS default key is named by
 * key ID, key ARN, alias name or alias ARN (S3 API reference, ServerSideEncryptionByDefault,
 * KMSMasterKeyID); aliases are resolved with DescribeKey. One problem per key, naming its users and
 * the remedy.
 */
async function doomedKeyProblems(
  clients: DiscoverClients,
  stackName: string,
  stackId: string,
  keys: { logicalId: string; keyId: string }[],
  dbInstances: DbInstanceRef[],
  dbKeys: Map<string, string>,
  buckets: BucketRef[],
): Promise<string[]> {
  // Ref of an AWS::KMS::Key is its key ID; its ARN is built in the stack's partition, region and account.
  const [, partition = 'aws', , region = '', account = ''] = stackId.split(':');
  const arnOf = (keyId: string) => `arn:${partition}:kms:${region}:${account}:key/${keyId}`;
  const users = new Map<string, string[]>(keys.map((k) => [k.keyId, []]));
  for (const db of dbInstances) {
    const keyId = await keyIdOf(clients.kms, dbKeys.get(db.logicalId));
    if (keyId && users.has(keyId)) users.get(keyId)?.push(`database ${db.logicalId} (${db.dbInstanceIdentifier})`);
  }
  for (const b of buckets) {
    const keyId = await keyIdOf(clients.kms, await bucketKeyOf(clients.s3, b.bucketName));
    if (keyId && users.has(keyId)) users.get(keyId)?.push(`bucket ${b.logicalId} (${b.bucketName}, SSE-KMS default encryption)`);
  }
  const problems: string[] = [];
  for (const k of keys) {
    const used = users.get(k.keyId) ?? [];
    if (!used.length) continue;
    problems.push(
      `KMS key ${k.logicalId} (${arnOf(k.keyId)}) belongs to stack ${stackName} and encrypts ${used.join(' and ')}; ` +
        `deleting ${stackName} would schedule the key for deletion, and every copy the migration restores keeps that key, ` +
        `so the migrated data would become unreadable when the key's waiting period ends. ` +
        `Set DeletionPolicy: Retain and UpdateReplacePolicy: Retain on ${k.logicalId} (and update the stack), ` +
        `or move the key out of the environment's stack, then run the migration again`,
    );
  }
  return problems;
}

/** The key ID a key reference names: a key ARN or key ID directly, an alias (name or ARN) through DescribeKey; undefined when it names no existing key. */
async function keyIdOf(kms: KMSClient, ref: string | undefined): Promise<string | undefined> {
  if (!ref) return undefined;
  const keyArn = /^arn:[^:]+:kms:[^:]*:[^:]*:key\/(.+)$/.exec(ref);
  if (keyArn) return keyArn[1];
  if (!ref.startsWith('alias/') && !ref.startsWith('arn:')) return ref;
  try {
    const out = await kms.send(new DescribeKeyCommand({ KeyId: ref }));
    return out.KeyMetadata?.KeyId;
  } catch (err) {
    if (err instanceof Error && err.name === 'NotFoundException') return undefined;
    throw err;
  }
}

/** The KMS key of a bucket's SSE-KMS default encryption; undefined for SSE-S3, none, or the AWS managed key (no KMSMasterKeyID). */
async function bucketKeyOf(s3: S3Client, bucket: string): Promise<string | undefined> {
  try {
    const out = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    for (const rule of out.ServerSideEncryptionConfiguration?.Rules ?? []) {
      const byDefault = rule.ApplyServerSideEncryptionByDefault;
      if (byDefault?.SSEAlgorithm?.startsWith('aws:kms') && byDefault.KMSMasterKeyID) return byDefault.KMSMasterKeyID;
    }
    return undefined;
  } catch (err) {
    if (err instanceof Error && err.name === 'ServerSideEncryptionConfigurationNotFoundError') return undefined;
    throw err;
  }
}

function fixedNameProblems(stackName: string, template: CfnTemplate): string[] {
  const problems: string[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const property = resource.Type === BUCKET ? 'BucketName' : resource.Type === DB ? 'DBInstanceIdentifier' : undefined;
    if (property && resource.Properties?.[property] !== undefined) {
      problems.push(
        `${resource.Type === BUCKET ? 'bucket' : 'database'} ${logicalId} of stack ${stackName} has a fixed ${property}: a clone cannot be created beside it (names are unique); let CloudFormation generate the name`,
      );
    }
  }
  return problems;
}

function pairWithSource(
  source: Discovery,
  destination: string,
  buckets: BucketRef[],
  dbInstances: DbInstanceRef[],
): { problems: string[]; bucketPairs: BucketPair[] } {
  const problems: string[] = [];
  const bucketPairs: BucketPair[] = [];
  if (source.stackName === destination) problems.push(`stack ${destination} cannot be paired with itself`);
  const destBuckets = new Map(buckets.map((b) => [b.logicalId, b.bucketName]));
  for (const b of source.buckets) {
    const partner = destBuckets.get(b.logicalId);
    if (partner === undefined) {
      problems.push(`bucket ${b.logicalId} of ${source.stackName} has no partner in ${destination}: its data would be lost`);
    } else if (partner === b.bucketName) {
      problems.push(`bucket ${b.logicalId} of ${source.stackName} and of ${destination} is the same bucket ${partner}: it cannot be copied onto itself`);
    } else {
      bucketPairs.push({ logicalId: b.logicalId, sourceBucket: b.bucketName, destinationBucket: partner });
    }
  }
  const destDbs = new Set(dbInstances.map((d) => d.logicalId));
  for (const d of source.dbInstances) {
    if (!destDbs.has(d.logicalId)) {
      problems.push(`database ${d.logicalId} of ${source.stackName} has no partner in ${destination}: its data would be lost`);
    }
  }
  return { problems, bucketPairs };
}


async function getOriginalTemplate(cfn: CloudFormationClient, stackName: string): Promise<string> {
  // 'Original' is the template as written (with its Transform, if any), which is what a clone is created from.
  const out = await cfn.send(new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Original' }));
  return out.TemplateBody ?? '';
}

async function listResources(cfn: CloudFormationClient, stackName: string): Promise<StackResourceSummary[]> {
  const all: StackResourceSummary[] = [];
  let token: string | undefined;
  do {
    const out = await cfn.send(new ListStackResourcesCommand({ StackName: stackName, NextToken: token }));
    all.push(...(out.StackResourceSummaries ?? []));
    token = out.NextToken;
  } while (token);
  return all;
}

async function describeDbInstance(rds: RDSClient, id: string): Promise<DBInstance | undefined> {
  try {
    const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
    return out.DBInstances?.[0];
  } catch (err) {
    if (err instanceof Error && err.name === 'DBInstanceNotFoundFault') return undefined;
    throw err;
  }
}
