/**
 * The new template, checked in the preflight (issue 10 items 1 and 4; docs/design.md invariant 9): before
 * the standby, everything that would stop either clone from being created is found here, not in clone 2
 * after the original is deleted. Reads the new template as CloudFormation reads it (ValidateTemplate,
 * GetTemplateSummary of its TemplateURL: nothing is parsed by hand), pairs the current stack's buckets
 * and databases with it by logical ID and type, and checks that every parameter of both templates
 * gets a value from what the input gives.
 */
import {
  GetTemplateSummaryCommand,
  ValidateTemplateCommand,
  type CloudFormationClient,
  type ParameterDeclaration,
  type ResourceIdentifierSummary,
} from '@aws-sdk/client-cloudformation';
import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { BucketRef, NewTemplateCheck, StackParameter } from '../shared/contracts';
import type { CfnTemplate } from '../shared/cfn-template';

const BUCKET = 'AWS::S3::Bucket';
const DB = 'AWS::RDS::DBInstance';
const VERSION_PARAMETER = 'EnvironmentVersion';
const SNAPSHOT_SUFFIX = 'SnapshotIdentifier';
/** How DescribeStacks shows a NoEcho parameter's value (create-stack's MASKED_VALUE). */
const MASKED = '****';

export interface NewTemplateClients {
  cfn: CloudFormationClient;
  /** DescribeSecret only: the preflight proves each secret exists without ever reading its value. */
  secrets: SecretsManagerClient;
}

/** The current stack, as discover found it. */
export interface CurrentStack {
  stackName: string;
  /** Its original template, parsed; undefined when it could not be read (discover reports that). */
  template?: CfnTemplate;
  /** DescribeStacks' parameters: NoEcho values show as ****. */
  parameters: StackParameter[];
  buckets: BucketRef[];
  dbLogicalIds: string[];
}

/** One declared parameter, as ValidateTemplate / GetTemplateSummary or the parsed template give it. */
export interface DeclaredParameter {
  key: string;
  hasDefault: boolean;
  noEcho: boolean;
}

/** The new template as CloudFormation summarises it. */
export interface NewTemplate {
  /** Where it comes from, in words (its URL, or "the current template"). */
  source: string;
  parameters: DeclaredParameter[];
  /** logical ID → type, for the types GetTemplateSummary lists (those that support import: buckets and DB instances do). */
  resources: Map<string, string>;
}

/**
 * Discover's part for Migrate's current environment: every problem that would stop clone 1 (the
 * current template) or clone 2 (the new one) from being created, each naming the resource or
 * parameter and what to do. Returns [] when both can be created. A template CloudFormation refuses
 * (ValidationError: malformed, unreadable URL, over 1 MB) is a problem, reported alone for that
 * template; other errors (throttling, access to CloudFormation itself) are thrown for the step's retry.
 */
export async function newTemplateProblems(clients: NewTemplateClients, current: CurrentStack, check: NewTemplateCheck): Promise<string[]> {
  return (await checkNewTemplate(clients, current, check)).problems;
}

/** newTemplateProblems, with the new template as read (undefined when it could not be): the live-sync preflight reads its parameters. */
export async function checkNewTemplate(clients: NewTemplateClients, current: CurrentStack, check: NewTemplateCheck): Promise<{ problems: string[]; target?: NewTemplate }> {
  const problems: string[] = [];
  let target: NewTemplate | undefined;
  if (check.templateUrl) {
    const read = await readNewTemplate(clients.cfn, check.templateUrl);
    if (typeof read === 'string') problems.push(read);
    else target = read;
  } else if (current.template) {
    target = { source: `the current template of ${current.stackName}`, parameters: declaredIn(current.template), resources: resourcesIn(current.template) };
  }
  if (target) problems.push(...pairingProblems(current, target), ...parameterProblems(current, target, check));
  problems.push(...(await secretProblems(clients.secrets, check.secretParameters)));
  return { problems, ...(target ? { target } : {}) };
}

/** ValidateTemplate then GetTemplateSummary of the URL; the ValidationError's message as a problem when CloudFormation refuses it. */
async function readNewTemplate(cfn: CloudFormationClient, url: string): Promise<NewTemplate | string> {
  try {
    const validated = await cfn.send(new ValidateTemplateCommand({ TemplateURL: url }));
    const summary = await cfn.send(new GetTemplateSummaryCommand({ TemplateURL: url }));
    const defaults = new Map((validated.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p]));
    return {
      source: `the new template ${url}`,
      parameters: (summary.Parameters ?? []).map((p) => declared(p, defaults.get(p.ParameterKey ?? '')?.DefaultValue)),
      resources: resourcesOf(summary.ResourceIdentifierSummaries ?? []),
    };
  } catch (err) {
    if ((err as { name?: unknown } | undefined)?.name !== 'ValidationError') throw err;
    return `the new template ${url} cannot be used: CloudFormation answers "${err instanceof Error ? err.message : String(err)}"`;
  }
}

function declared(p: ParameterDeclaration, validatedDefault: string | undefined): DeclaredParameter {
  return { key: p.ParameterKey ?? '', hasDefault: p.DefaultValue !== undefined || validatedDefault !== undefined, noEcho: p.NoEcho === true };
}

function resourcesOf(summaries: ResourceIdentifierSummary[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of summaries) for (const id of s.LogicalResourceIds ?? []) if (s.ResourceType) out.set(id, s.ResourceType);
  return out;
}

function declaredIn(template: CfnTemplate): DeclaredParameter[] {
  return Object.entries(template.Parameters ?? {}).map(([key, def]) => ({ key, hasDefault: def.Default !== undefined, noEcho: def.NoEcho === true || def.NoEcho === 'true' }));
}

function resourcesIn(template: CfnTemplate): Map<string, string> {
  return new Map(Object.entries(template.Resources).map(([id, r]) => [id, r.Type]));
}

/**
 * Every bucket and database of the current stack needs a resource of the same logical ID and type in
 * the new template: clone 2 pairs by logical ID, and a renamed bucket would be a new, empty one while
 * the data stays behind in the temporary copy. Pure.
 */
export function pairingProblems(current: CurrentStack, target: NewTemplate): string[] {
  const problems: string[] = [];
  const known = new Set([...current.buckets.map((b) => b.logicalId), ...current.dbLogicalIds]);
  const unpaired = (type: string) =>
    [...target.resources].filter(([id, t]) => t === type && !known.has(id)).map(([id]) => id);
  const check = (logicalId: string, type: string, what: string) => {
    const found = target.resources.get(logicalId);
    if (found === type) return;
    const others = unpaired(type);
    const hint = others.length ? ` (its ${what}s not in ${current.stackName}: ${others.join(', ')}; a renamed ${what} is a new, empty one)` : '';
    problems.push(
      found
        ? `${what} ${logicalId} of ${current.stackName} is a ${found} in ${target.source}, not a ${type}: its data would have nowhere to go`
        : `${what} ${logicalId} (${type}) of ${current.stackName} has no partner in ${target.source}${hint}: its data would have nowhere to go; resources pair by logical ID`,
    );
  };
  for (const b of current.buckets) check(b.logicalId, BUCKET, 'bucket');
  for (const id of current.dbLogicalIds) check(id, DB, 'database');
  return problems;
}

/**
 * Every parameter of the new template gets a value, in create-stack's order (lambdas/create-stack
 * planParameters): `parameters`, `secretParameters`, the snapshot of a database, the target version,
 * the current stack's value, the template's default. A NoEcho value cannot be carried over (DescribeStacks
 * shows ****), in either clone: it must come from `secretParameters`, and never from `parameters`,
 * whose values are in the execution's history and logs. Names the input gives that no template
 * declares are refused too: a typo must not be dropped silently. Pure.
 */
export function parameterProblems(current: CurrentStack, target: NewTemplate, check: NewTemplateCheck): string[] {
  const problems: string[] = [];
  const give = (key: string) => `store it in Secrets Manager and name the secret in secretParameters ({"${key}": "<secret ARN>"})`;
  const currentValues = new Map(current.parameters.map((p) => [p.key, p.value]));
  const currentDeclared = current.template ? declaredIn(current.template) : current.parameters.map((p) => ({ key: p.key, hasDefault: true, noEcho: p.value === MASKED }));
  const noEchoNow = new Set(currentDeclared.filter((p) => p.noEcho || currentValues.get(p.key) === MASKED).map((p) => p.key));
  const snapshotParameters = new Set(current.dbLogicalIds.map((id) => `${id}${SNAPSHOT_SUFFIX}`));
  const secret = (key: string) => Object.prototype.hasOwnProperty.call(check.secretParameters, key);
  const given = (key: string) => Object.prototype.hasOwnProperty.call(check.parameters, key);
  const reported = new Set<string>();
  const noEcho = (key: string, why: string) => {
    if (reported.has(key)) return;
    reported.add(key);
    problems.push(`parameter ${key} ${why}; ${give(key)}`);
  };

  // Clone 1 creates the copy from the current template with the current values: a NoEcho one has none to give.
  for (const key of noEchoNow) {
    if (!secret(key)) noEcho(key, `of ${current.stackName} is NoEcho: CloudFormation shows its value as ${MASKED} and never gives it back, so the copy cannot be created with it`);
  }

  const declaredKeys = new Set(target.parameters.map((p) => p.key));
  if (!declaredKeys.has(VERSION_PARAMETER)) problems.push(`${target.source} declares no parameter ${VERSION_PARAMETER} (template contract): the new environment could not say its version`);
  for (const key of snapshotParameters) {
    if (!declaredKeys.has(key)) problems.push(`${target.source} declares no parameter ${key}: database ${key.slice(0, -SNAPSHOT_SUFFIX.length)} would start empty (template contract)`);
  }
  for (const p of target.parameters) {
    if (given(p.key)) {
      if (p.noEcho) noEcho(p.key, `is NoEcho in ${target.source} but given in parameters, whose values are kept in the execution's history and logs`);
      continue;
    }
    if (secret(p.key) || snapshotParameters.has(p.key) || p.key === VERSION_PARAMETER) continue;
    if (currentValues.has(p.key)) {
      if (noEchoNow.has(p.key) || p.noEcho) noEcho(p.key, `of ${current.stackName} is NoEcho: CloudFormation shows its value as ${MASKED} and never gives it back, so it cannot be carried over`);
      continue;
    }
    if (!p.hasDefault) {
      problems.push(`parameter ${p.key} of ${target.source} has no default and gets no value: give it in parameters${p.noEcho ? ' (it is NoEcho: in secretParameters instead)' : ''}`);
    }
  }
  const declaredAnywhere = new Set([...declaredKeys, ...currentDeclared.map((p) => p.key)]);
  for (const key of Object.keys(check.parameters)) {
    if (!declaredKeys.has(key)) problems.push(`parameters.${key}: ${target.source} declares no parameter ${key}`);
  }
  for (const key of Object.keys(check.secretParameters)) {
    if (!declaredAnywhere.has(key)) problems.push(`secretParameters.${key}: neither the current template of ${current.stackName} nor ${target.source} declares a parameter ${key}`);
  }
  return problems;
}

/**
 * Each secret of `secretParameters` exists and the workflow may see it (DescribeSecret: metadata,
 * never the value, which only create-stack reads). Not found or access denied is a problem naming
 * the parameter; any other error is thrown for the step's retry.
 */
async function secretProblems(secrets: SecretsManagerClient, secretParameters: Record<string, string>): Promise<string[]> {
  const problems: string[] = [];
  for (const [key, arn] of Object.entries(secretParameters)) {
    try {
      await secrets.send(new DescribeSecretCommand({ SecretId: arn }));
    } catch (err) {
      const name = (err as { name?: unknown } | undefined)?.name;
      if (name === 'ResourceNotFoundException') problems.push(`secretParameters.${key}: secret ${arn} does not exist`);
      else if (name === 'AccessDeniedException') problems.push(`secretParameters.${key}: the workflow may not read secret ${arn} (AccessDenied): deploy it with that secret in parameterSecretArns`);
      else throw err;
    }
  }
  return problems;
}
