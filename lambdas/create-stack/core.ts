import {
  CreateStackCommand,
  GetTemplateCommand,
  GetTemplateSummaryCommand,
  type CloudFormationClient,
  type Parameter,
  type Tag,
} from '@aws-sdk/client-cloudformation';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CreateStackEvent, CreateStackResult, SnapshotRef } from '../shared/contracts';
import { PROMOTED_FROM_PARAMETER_SUFFIX, REPLICA_SOURCE_PARAMETER_SUFFIX, SNAPSHOT_PARAMETER_SUFFIX } from '../shared/cfn-template';
import { putDocument, templateKey } from '../shared/documents';
import { PreflightFailed, ResourceConflict } from '../shared/errors';
import { CAPABILITIES, describeStack, requestToken, tagMap } from '../shared/stacks';
import { TAGS } from '../steps';

export interface CreateStackDeps {
  cfn: CloudFormationClient;
  /** Service role CloudFormation assumes (env CFN_ROLE_ARN); absent: the caller's own credentials. */
  roleArn?: string;
  /** GetSecretValue of the event's secretParameters: values go into CreateStack's request only. */
  secrets: SecretsManagerClient;
  /** PutObject of a template too large for TemplateBody, into `templateBucket` (the workflow bucket). */
  s3: S3Client;
  /** The workflow bucket's name (WORKFLOW_BUCKET), read only when a template needs it. */
  templateBucket: () => string;
}

/** The template contract: every environment template declares its version as this parameter. */
export const VERSION_PARAMETER = 'EnvironmentVersion';
export { SNAPSHOT_PARAMETER_SUFFIX };
/** How DescribeStacks shows the value of a NoEcho parameter: the real value cannot be read back. */
export const MASKED_VALUE = '****';
/** CreateStack takes at most 51,200 bytes of TemplateBody; larger templates must come by TemplateURL (API_CreateStack). */
export const TEMPLATE_BODY_MAX_BYTES = 51_200;

export { CAPABILITIES };

/**
 * The parameters the new stack is created with, or every reason it cannot be created without losing
 * data or settings. Pure: `declared` is the list of parameter names of the new template.
 * Per declared parameter, first match wins: with `liveSync`, the read-replica parameters of each
 * database (liveSyncValues); the caller's override; the snapshot of the database whose logical ID
 * prefixes `SnapshotIdentifier`; the target version; the source stack's value; else nothing
 * (CloudFormation applies the template default).
 */
export function planParameters(event: CreateStackEvent, declared: string[]): { parameters: Parameter[]; problems: string[]; secrets: { key: string; secretArn: string }[] } {
  const declaredSet = new Set(declared);
  const sourceValues = new Map(event.source.parameters.map((p) => [p.key, p.value]));
  const snapshotByParameter = new Map(event.snapshots.map((s) => [`${s.logicalId}${SNAPSHOT_PARAMETER_SUFFIX}`, s]));
  const live = event.liveSync ? liveSyncValues(event, declaredSet) : undefined;
  const problems: string[] = live ? [...live.problems] : snapshotProblems(event, declaredSet, snapshotByParameter);
  if (!declaredSet.has(VERSION_PARAMETER)) {
    problems.push(`the new template has no parameter ${VERSION_PARAMETER}`);
  }

  const parameters: Parameter[] = [];
  const secrets: { key: string; secretArn: string }[] = [];
  for (const key of declared) {
    const value = live?.values.has(key) ? { value: live.values.get(key) as string, from: 'replica' as const } : resolveParameter(key, event, snapshotByParameter, sourceValues);
    if (value === undefined) continue;
    if (value.from === 'secret') {
      // Read by createStack just before CreateStack: the value is never part of a plan that could be logged.
      secrets.push({ key, secretArn: value.value });
      continue;
    }
    if (value.from === 'source' && value.value === MASKED_VALUE) {
      problems.push(
        `parameter ${key} of ${event.source.stackName} is NoEcho (CloudFormation shows it as ${MASKED_VALUE}) and cannot be copied: name a Secrets Manager secret holding it in secretParameters`,
      );
      continue;
    }
    parameters.push({ ParameterKey: key, ParameterValue: value.value });
  }
  return { parameters, problems, secrets };
}

/** Every database of the source restores from a snapshot of itself (the snapshots may come from Clone's caller, not only from its own snapshot step). */
function snapshotProblems(event: CreateStackEvent, declaredSet: Set<string>, snapshotByParameter: Map<string, SnapshotRef>): string[] {
  const problems: string[] = [];
  const snapshotOf = new Map(event.snapshots.map((s) => [s.logicalId, s]));
  for (const db of event.source.dbInstances) {
    const snapshot = snapshotOf.get(db.logicalId);
    if (!snapshot) {
      problems.push(`database ${db.logicalId} of ${event.source.stackName} has no snapshot: it would start empty`);
    } else if (snapshot.dbInstanceIdentifier.toLowerCase() !== db.dbInstanceIdentifier.toLowerCase()) {
      problems.push(
        `snapshot ${snapshot.snapshotIdentifier} is of ${snapshot.dbInstanceIdentifier}, not of database ${db.logicalId} (${db.dbInstanceIdentifier}) of ${event.source.stackName}`,
      );
    }
  }
  for (const [parameter, snapshot] of snapshotByParameter) {
    if (!declaredSet.has(parameter)) {
      problems.push(`the new template has no parameter ${parameter}: database ${snapshot.logicalId} would start empty`);
    }
  }
  return problems;
}

/**
 * Live sync (CreateStackEvent.liveSync): each database of the source gets a read replica in the new
 * stack: `<LogicalId>SourceDBInstanceIdentifier` = the source database's identifier,
 * `<LogicalId>SnapshotIdentifier` and `<LogicalId>PromotedFrom` emptied where declared (a replica is
 * made from its source, never from a snapshot: DBSnapshotIdentifier and SourceDBInstanceIdentifier
 * exclude each other, AWS::RDS::DBInstance reference). These values win over everything else, the
 * input's parameters included: a database given another value would start empty or from the wrong
 * source, so an override of one of them is a problem, as is a template without the replica
 * parameter or snapshots given as well.
 */
function liveSyncValues(event: CreateStackEvent, declaredSet: Set<string>): { values: Map<string, string>; problems: string[] } {
  const values = new Map<string, string>();
  const problems: string[] = [];
  if (event.snapshots.length) {
    problems.push(
      `a live sync creates every database as a read replica of its source, but snapshots were given too (${event.snapshots.map((s) => s.snapshotIdentifier).join(', ')}): give one or the other`,
    );
  }
  for (const db of event.source.dbInstances) {
    const replicaSource = `${db.logicalId}${REPLICA_SOURCE_PARAMETER_SUFFIX}`;
    if (!declaredSet.has(replicaSource)) {
      problems.push(
        `the new template has no parameter ${replicaSource}: database ${db.logicalId} cannot start as a read replica of ${db.dbInstanceIdentifier} (template contract, live sync)`,
      );
      continue;
    }
    values.set(replicaSource, db.dbInstanceIdentifier);
    for (const suffix of [SNAPSHOT_PARAMETER_SUFFIX, PROMOTED_FROM_PARAMETER_SUFFIX]) {
      if (declaredSet.has(`${db.logicalId}${suffix}`)) values.set(`${db.logicalId}${suffix}`, '');
    }
  }
  for (const key of values.keys()) {
    if (event.parameterOverrides[key] !== undefined || event.secretParameters?.[key] !== undefined) {
      problems.push(`parameter ${key} is set by the live sync (the database's read replica); remove it from the input's parameters`);
    }
  }
  return { values, problems };
}

function resolveParameter(
  key: string,
  event: CreateStackEvent,
  snapshotByParameter: Map<string, { snapshotIdentifier: string }>,
  sourceValues: Map<string, string>,
): { value: string; from: 'override' | 'secret' | 'snapshot' | 'version' | 'source' } | undefined {
  const override = event.parameterOverrides[key];
  if (override !== undefined) return { value: override, from: 'override' };
  // The secret's ARN, not its value: createStack reads it.
  const secretArn = event.secretParameters?.[key];
  if (secretArn !== undefined) return { value: secretArn, from: 'secret' };
  const snapshot = snapshotByParameter.get(key);
  if (snapshot) return { value: snapshot.snapshotIdentifier, from: 'snapshot' };
  if (key === VERSION_PARAMETER) return { value: event.targetVersion, from: 'version' };
  const sourceValue = sourceValues.get(key);
  if (sourceValue !== undefined) return { value: sourceValue, from: 'source' };
  return undefined;
}

/**
 * Tags of the new stack: who created it (the execution, which makes a retry recognise its own
 * stack), which environment and version it holds, what it was cloned from, then the source's own
 * tags. `aws:` tags are reserved by AWS and cannot be set; our own keys are never copied, so a
 * clone of a clone carries this execution's values, not the previous one's.
 */
export function stackTags(event: CreateStackEvent): Tag[] {
  const ours = new Set<string>(Object.values(TAGS));
  const tags: Tag[] = [
    { Key: TAGS.execution, Value: event.execution.id },
    { Key: TAGS.environment, Value: event.source.tags[TAGS.environment] ?? event.source.stackName },
    { Key: TAGS.version, Value: event.targetVersion },
    { Key: TAGS.sourceStack, Value: event.source.stackName },
  ];
  for (const [key, value] of Object.entries(event.source.tags)) {
    if (ours.has(key) || key.toLowerCase().startsWith('aws:')) continue;
    tags.push({ Key: key, Value: value });
  }
  return tags;
}

/**
 * The source's own template as CloudFormation stored it (GetTemplate, stage Original, of the source's
 * stack ID: the very stack discovered, even if another took its name since), unless the event
 * carries it. Clone keeps the body out of its state (256 KiB limit) and lets this step read it.
 */
async function sourceTemplate(cfn: CloudFormationClient, event: CreateStackEvent): Promise<string> {
  if (event.source.templateBody !== undefined) return event.source.templateBody;
  const out = await cfn.send(new GetTemplateCommand({ StackName: event.source.stackId, TemplateStage: 'Original' }));
  return out.TemplateBody ?? '';
}

/**
 * Names of the parameters the new template declares, as CloudFormation itself reads them
 * (GetTemplateSummary): from the template in S3, or from the source's own template body. A body
 * CloudFormation cannot read (ValidationError) is a problem to report, not a failure to retry.
 */
async function declaredParameters(cfn: CloudFormationClient, event: CreateStackEvent, template: TemplateSource): Promise<{ declared?: string[]; problems: string[] }> {
  const namesOf = (summary: { Parameters?: { ParameterKey?: string }[] }) =>
    (summary.Parameters ?? []).flatMap((p) => (p.ParameterKey ? [p.ParameterKey] : []));
  try {
    return { declared: namesOf(await cfn.send(new GetTemplateSummaryCommand(template))), problems: [] };
  } catch (err) {
    if ((err as { name?: unknown } | undefined)?.name !== 'ValidationError') throw err;
    const which = event.templateUrl ? `the template ${event.templateUrl}` : `the template of ${event.source.stackName}`;
    return { problems: [`${which} cannot be read: ${err instanceof Error ? err.message : String(err)}`] };
  }
}

/** How CreateStack (and GetTemplateSummary) is given the template: one of the two. */
type TemplateSource = { TemplateURL: string; TemplateBody?: undefined } | { TemplateBody: string; TemplateURL?: undefined };

/**
 * The template as CreateStack takes it: the given URL; the source's body when it fits TemplateBody
 * (51,200 bytes); else the body put in the workflow bucket under `templates/` (a lifecycle rule
 * expires it) and given as TemplateURL, which takes up to 1 MB (API_CreateStack). CloudFormation reads
 * a TemplateURL with the caller's credentials, so this step may read that prefix too (infra).
 */
async function templateSource(deps: CreateStackDeps, event: CreateStackEvent): Promise<TemplateSource> {
  if (event.templateUrl) return { TemplateURL: event.templateUrl };
  const body = await sourceTemplate(deps.cfn, event);
  if (Buffer.byteLength(body, 'utf8') <= TEMPLATE_BODY_MAX_BYTES) return { TemplateBody: body };
  const bucket = deps.templateBucket();
  const key = templateKey(event.execution, `${event.destinationStackName}.template`);
  await putDocument(deps.s3, bucket, key, body, 'text/plain');
  const region = await deps.s3.config.region();
  // Virtual-hosted style, the form CloudFormation documents for TemplateURL; the key holds only URL-safe characters.
  return { TemplateURL: `https://${bucket}.s3.${region}.amazonaws.com/${key}` };
}

/**
 * The values of the secret parameters, read with GetSecretValue (SecretString) right before
 * CreateStack: they exist only in this request, never in the step's result, the state or a log line.
 * A secret that does not exist or holds no string is a problem naming the parameter, not the value.
 */
async function secretValues(secrets: SecretsManagerClient, wanted: { key: string; secretArn: string }[]): Promise<{ parameters: Parameter[]; problems: string[] }> {
  const parameters: Parameter[] = [];
  const problems: string[] = [];
  for (const { key, secretArn } of wanted) {
    try {
      const out = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
      if (out.SecretString === undefined) problems.push(`secret ${secretArn} of parameter ${key} holds no SecretString (a binary secret cannot be a parameter value)`);
      else parameters.push({ ParameterKey: key, ParameterValue: out.SecretString });
    } catch (err) {
      if ((err as { name?: unknown } | undefined)?.name !== 'ResourceNotFoundException') throw err;
      problems.push(`secret ${secretArn} of parameter ${key} does not exist`);
    }
  }
  return { parameters, problems };
}

function isAlreadyExists(err: unknown): boolean {
  return !!err && typeof err === 'object' && (err as { name?: unknown }).name === 'AlreadyExistsException';
}

/**
 * Clone step 3: starts creating the destination stack from the new template (or the source's own,
 * read with GetTemplate when the event does not carry it), its databases restored from this clone's snapshots. Returns the stack ID without waiting: the
 * state machine polls stack-status. A stack of that name already tagged with this execution is a
 * retry and counts as created (`alreadyExisted`).
 * With `liveSync` the databases start as read replicas of the source's instead (planParameters).
 * Throws PreflightFailed (listing every problem) before any write when a database would start empty
 * (no snapshot of it, or its snapshot missing from the template's parameters; live sync: no replica
 * parameter, or snapshots given too) or from another's,
 * the template lacks EnvironmentVersion or a NoEcho value cannot be carried over; ResourceConflict
 * when the name is taken by a stack this execution did not create.
 */
export async function createStack(deps: CreateStackDeps, event: CreateStackEvent): Promise<CreateStackResult> {
  const template = await templateSource(deps, event);
  const { declared, problems: templateProblems } = await declaredParameters(deps.cfn, event, template);
  // An unreadable template declares nothing we can trust: report that alone, not every parameter as missing.
  const plan = declared ? planParameters(event, declared) : { parameters: [], problems: [], secrets: [] };
  const problems = [...templateProblems, ...plan.problems];
  if (problems.length) throw new PreflightFailed(problems);
  const secret = await secretValues(deps.secrets, plan.secrets);
  if (secret.problems.length) throw new PreflightFailed(secret.problems);
  const parameters = [...plan.parameters, ...secret.parameters];

  const stackName = event.destinationStackName;
  try {
    const out = await deps.cfn.send(
      new CreateStackCommand({
        StackName: stackName,
        ...template,
        Parameters: parameters,
        Capabilities: [...CAPABILITIES],
        ...(deps.roleArn ? { RoleARN: deps.roleArn } : {}),
        Tags: stackTags(event),
        ClientRequestToken: requestToken('create', event.execution.id, stackName),
      }),
    );
    if (!out.StackId) throw new Error(`CreateStack for ${stackName} returned no StackId`);
    return { stackName, stackId: out.StackId, alreadyExisted: false };
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const existing = await describeStack(deps.cfn, stackName);
    // Gone again between the two calls: report the original conflict rather than guess.
    if (!existing?.StackId) throw err;
    if (tagMap(existing.Tags)[TAGS.execution] !== event.execution.id) {
      throw new ResourceConflict(`a stack named ${stackName} already exists and was not created by this migration (${existing.StackId})`);
    }
    return { stackName, stackId: existing.StackId, alreadyExisted: true };
  }
}
