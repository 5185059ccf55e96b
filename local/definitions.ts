/**
 * The state machine definitions exactly as CDK synthesizes them, made runnable locally: the
 * DefinitionString of each AWS::StepFunctions::StateMachine in the synthesized template is resolved
 * (Fn::Join, Ref, Fn::GetAtt) with the ARNs these resources get in the simulated account, and each
 * Lambda ARN is mapped to its step through the function's ENV_MIGRATOR_STEP variable.
 */
import type { StepName } from '../lambdas/steps';

export interface SynthesizedTemplate {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

export interface AccountIdentity {
  region: string;
  accountId: string;
}

export interface LocalStateMachine {
  logicalId: string;
  name: string;
  arn: string;
  /** The resolved ASL definition (JSON text). */
  definition: string;
}

export interface LocalDeployment {
  migrate: LocalStateMachine;
  clone: LocalStateMachine;
  /** Blue/green: the retire run (started by a migration's schedule) and the rollback. */
  retire: LocalStateMachine;
  rollback: LocalStateMachine;
  /** Lambda function ARN → step. */
  functions: Map<string, StepName>;
  /** Step → Lambda timeout in seconds (from the template, as deployed). */
  timeouts: Map<StepName, number>;
  /** Step → Lambda memory size in MB (from the template, as deployed). */
  memorySizes: Map<StepName, number>;
  topicArn: string;
  lockTableName: string;
  /** The workflow's bucket (documents kept out of the execution state): the steps' WORKFLOW_BUCKET. */
  workflowBucketName: string;
  /** The role S3 Batch Operations checksum jobs run as: the checksum steps' CHECKSUM_JOB_ROLE_ARN. */
  checksumJobRoleArn: string;
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

function arnFor(type: string, logicalId: string, id: AccountIdentity): { ref: string; arn: string } {
  const base = (service: string, resource: string) => `arn:aws:${service}:${id.region}:${id.accountId}:${resource}`;
  switch (type) {
    case 'AWS::Lambda::Function': {
      const arn = base('lambda', `function:${logicalId}`);
      return { ref: logicalId, arn };
    }
    case 'AWS::StepFunctions::StateMachine': {
      const arn = base('states', `stateMachine:${logicalId}`);
      return { ref: arn, arn };
    }
    case 'AWS::SNS::Topic': {
      const arn = base('sns', logicalId);
      return { ref: arn, arn };
    }
    case 'AWS::DynamoDB::Table':
      return { ref: logicalId, arn: base('dynamodb', `table/${logicalId}`) };
    default:
      return { ref: logicalId, arn: base('sim', logicalId) };
  }
}

/** Resolves the intrinsic functions CDK uses in a DefinitionString. */
function resolve(value: Json, template: SynthesizedTemplate, id: AccountIdentity, named: Record<string, string>): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    if ('Ref' in value) {
      const name = String(value.Ref);
      const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': id.region, 'AWS::AccountId': id.accountId, 'AWS::URLSuffix': 'amazonaws.com' };
      if (pseudo[name]) return pseudo[name];
      const res = template.Resources[name];
      if (!res) throw new Error(`DefinitionString refers to unknown resource ${name}`);
      return named[name] ?? arnFor(res.Type, name, id).ref;
    }
    if ('Fn::GetAtt' in value) {
      const [name, attr] = value['Fn::GetAtt'] as [string, string];
      const res = template.Resources[name];
      if (!res) throw new Error(`DefinitionString refers to unknown resource ${name}`);
      if (attr === 'Arn') return named[name] ?? arnFor(res.Type, name, id).arn;
      if (attr === 'Name' || attr === 'TopicName') return name;
      throw new Error(`Unsupported Fn::GetAtt ${name}.${attr} in a definition`);
    }
    if ('Fn::Join' in value) {
      const [sep, parts] = value['Fn::Join'] as [string, Json[]];
      return parts.map((p) => resolve(p, template, id, named)).join(sep);
    }
  }
  throw new Error(`Unsupported value in DefinitionString: ${JSON.stringify(value).slice(0, 200)}`);
}

function findOne(template: SynthesizedTemplate, type: string, pattern: RegExp): string {
  const ids = Object.entries(template.Resources)
    .filter(([logicalId, r]) => r.Type === type && pattern.test(logicalId))
    .map(([logicalId]) => logicalId);
  if (ids.length !== 1) throw new Error(`Expected one ${type} matching ${pattern}, found ${ids.length}: ${ids.join(', ')}`);
  return ids[0]!;
}

/** Names of deployed resources to use instead of the local ones (run-local against a real account). */
export interface ResourceOverrides {
  topicArn?: string;
  lockTableName?: string;
  workflowBucketName?: string;
}

/**
 * The name the workflow bucket gets locally: CloudFormation would generate
 * `<stack>-<logical id>-<suffix>` in lowercase; the logical ID, lowercased, is unique and a valid name.
 */
export function localBucketName(logicalId: string): string {
  return `envmigrator-${logicalId.toLowerCase()}`.slice(0, 63);
}

/** Reads the state machines, the step functions, the topic, the lock table and the workflow bucket out of a synthesized template. */
export function localDeployment(template: SynthesizedTemplate, id: AccountIdentity, overrides: ResourceOverrides = {}): LocalDeployment {
  const topic = findOne(template, 'AWS::SNS::Topic', /./);
  const table = findOne(template, 'AWS::DynamoDB::Table', /./);
  const bucket = findOne(template, 'AWS::S3::Bucket', /WorkflowDocuments/);
  const jobRole = findOne(template, 'AWS::IAM::Role', /ChecksumJobRole/);
  const named: Record<string, string> = {};
  if (overrides.topicArn) named[topic] = overrides.topicArn;
  if (overrides.lockTableName) named[table] = overrides.lockTableName;
  const machine = (pattern: RegExp): LocalStateMachine => {
    const logicalId = findOne(template, 'AWS::StepFunctions::StateMachine', pattern);
    const props = template.Resources[logicalId]!.Properties ?? {};
    const definition = resolve(props.DefinitionString as Json, template, id, named);
    JSON.parse(definition);
    return { logicalId, name: logicalId, arn: arnFor('AWS::StepFunctions::StateMachine', logicalId, id).arn, definition };
  };
  const functions = new Map<string, StepName>();
  const timeouts = new Map<StepName, number>();
  const memorySizes = new Map<StepName, number>();
  for (const [logicalId, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const env = (r.Properties?.Environment as { Variables?: Record<string, string> } | undefined)?.Variables;
    const step = env?.ENV_MIGRATOR_STEP as StepName | undefined;
    if (!step) continue;
    functions.set(arnFor(r.Type, logicalId, id).arn, step);
    timeouts.set(step, Number(r.Properties?.Timeout ?? 3));
    // Lambda's default when MemorySize is absent.
    memorySizes.set(step, Number(r.Properties?.MemorySize ?? 128));
  }
  return {
    migrate: machine(/^Migrate/i),
    clone: machine(/^Clone/i),
    retire: machine(/^Retire/i),
    rollback: machine(/^Rollback/i),
    functions,
    timeouts,
    memorySizes,
    topicArn: named[topic] ?? arnFor('AWS::SNS::Topic', topic, id).arn,
    lockTableName: named[table] ?? table,
    workflowBucketName: overrides.workflowBucketName ?? localBucketName(bucket),
    // IAM names the role after its logical ID here; the construct passes its real ARN.
    checksumJobRoleArn: `arn:aws:iam::${id.accountId}:role/${jobRole}`,
  };
}
