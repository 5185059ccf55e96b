/**
 * Test helpers: the app synthesized without bundling, and its state machine definitions resolved
 * into plain ASL JSON (Fn::Join / Ref / Fn::GetAtt replaced by fake ARNs), with each Lambda ARN
 * mapped to its step through the function's ENV_MIGRATOR_STEP variable.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EnvironmentMigratorStack } from '../../infra/migrator-stack';
import type { StepName } from '../../lambdas/steps';

export const REGION = 'eu-west-1';
export const ACCOUNT = '123456789012';

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

export interface AslState {
  Type: string;
  Resource?: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Retry?: { ErrorEquals: string[]; IntervalSeconds?: number; MaxAttempts?: number; BackoffRate?: number; JitterStrategy?: string }[];
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string | null }[];
  Choices?: { Next: string }[];
  TimeoutSeconds?: number;
  ItemProcessor?: AslDefinition;
  Iterator?: AslDefinition;
  [key: string]: unknown;
}
export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
}

export interface Synthesized {
  template: Template;
  json: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
  migrate: AslDefinition;
  clone: AslDefinition;
  /** Fake ARN of each resource by logical ID. */
  arns: Record<string, string>;
  /** Lambda ARN → step. */
  steps: Map<string, StepName>;
}

let cached: Synthesized | undefined;

/** Synthesizes the app once per test file, without bundling. */
export function synth(): Synthesized {
  if (cached) return cached;
  process.env.ENV_MIGRATOR_SKIP_BUNDLING = '1';
  const app = new App();
  const stack = new EnvironmentMigratorStack(app, 'EnvMigrator', { env: { account: ACCOUNT, region: REGION } });
  const template = Template.fromStack(stack);
  const json = template.toJSON() as Synthesized['json'];

  const arns: Record<string, string> = {};
  const refs: Record<string, string> = {};
  const steps = new Map<string, StepName>();
  for (const [id, r] of Object.entries(json.Resources)) {
    const service = r.Type.split('::')[1]!.toLowerCase();
    arns[id] =
      r.Type === 'AWS::Lambda::Function'
        ? `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`
        : r.Type === 'AWS::StepFunctions::StateMachine'
          ? `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${id}`
          : `arn:aws:${service}:${REGION}:${ACCOUNT}:${id}`;
    // Ref gives the ARN for these types and the name for the others (CloudFormation resource reference).
    refs[id] = ['AWS::SNS::Topic', 'AWS::StepFunctions::StateMachine'].includes(r.Type) ? arns[id] : id;
    const env = (r.Properties?.Environment as { Variables?: Record<string, string> } | undefined)?.Variables;
    if (r.Type === 'AWS::Lambda::Function' && env?.ENV_MIGRATOR_STEP) steps.set(arns[id], env.ENV_MIGRATOR_STEP as StepName);
  }
  const definition = (pattern: RegExp): AslDefinition => {
    const ids = Object.keys(json.Resources).filter((id) => json.Resources[id]!.Type === 'AWS::StepFunctions::StateMachine' && pattern.test(id));
    if (ids.length !== 1) throw new Error(`expected one state machine matching ${pattern}, found ${ids.join(', ')}`);
    return JSON.parse(resolve(json.Resources[ids[0]!]!.Properties!.DefinitionString as Json, arns, refs)) as AslDefinition;
  };
  cached = { template, json, migrate: definition(/^Migrate/), clone: definition(/^Clone/), arns, steps };
  return cached;
}

/** Resolves the intrinsic functions CDK puts in a DefinitionString. */
export function resolve(value: Json, arns: Record<string, string>, refs: Record<string, string>): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    if ('Ref' in value) {
      const name = String(value.Ref);
      const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::URLSuffix': 'amazonaws.com' };
      const resolved = pseudo[name] ?? refs[name];
      if (resolved === undefined) throw new Error(`unknown Ref ${name}`);
      return resolved;
    }
    if ('Fn::GetAtt' in value) {
      const [name] = value['Fn::GetAtt'] as [string, string];
      const resolved = arns[name];
      if (resolved === undefined) throw new Error(`unknown Fn::GetAtt ${name}`);
      return resolved;
    }
    if ('Fn::Join' in value) {
      const [sep, parts] = value['Fn::Join'] as [string, Json[]];
      return parts.map((p) => resolve(p, arns, refs)).join(sep);
    }
  }
  throw new Error(`unsupported value in a DefinitionString: ${JSON.stringify(value)}`);
}

/** Every state of a definition, nested Map processors included, with its name. */
export function* allStates(definition: AslDefinition): Generator<[string, AslState]> {
  for (const [name, state] of Object.entries(definition.States)) {
    yield [name, state];
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner) yield* allStates(inner);
  }
}
