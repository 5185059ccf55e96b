/**
 * Test helpers: the app synthesized without bundling, exactly as the local runner synthesizes it
 * (local/synth.ts), and its state machine definitions resolved into plain ASL JSON by the local
 * runner's own resolution (local/definitions.ts), with each Lambda ARN mapped to its step.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { localDeployment, type SynthesizedTemplate } from '../../local/definitions';
import { synthesizeTemplate } from '../../local/synth';
import { EnvironmentMigratorStack, type EnvironmentMigratorStackProps } from '../../infra/migrator-stack';
import type { StepName } from '../../lambdas/steps';

export const REGION = 'eu-west-1';
export const ACCOUNT = '123456789012';

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
  Branches?: AslDefinition[];
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
  json: SynthesizedTemplate & { Outputs?: Record<string, unknown> };
  migrate: AslDefinition;
  clone: AslDefinition;
  retire: AslDefinition;
  rollback: AslDefinition;
  /** Lambda ARN → step. */
  steps: Map<string, StepName>;
}

// Synthesized once per test file (module), before any test runs.
const json = (await synthesizeTemplate()) as Synthesized['json'];
const deployment = localDeployment(json, { region: REGION, accountId: ACCOUNT });
const synthesized: Synthesized = {
  template: Template.fromJSON(json as unknown as Record<string, unknown>),
  json,
  migrate: JSON.parse(deployment.migrate.definition) as AslDefinition,
  clone: JSON.parse(deployment.clone.definition) as AslDefinition,
  retire: JSON.parse(deployment.retire.definition) as AslDefinition,
  rollback: JSON.parse(deployment.rollback.definition) as AslDefinition,
  steps: deployment.functions,
};

/** The app as the local runner synthesizes it (no bundling), with its definitions. */
export function synth(): Synthesized {
  return synthesized;
}

/** A stack synthesized (without bundling) with the given props, for the props' own tests. */
export function synthStack(props: Omit<EnvironmentMigratorStackProps, 'env'>): { stack: EnvironmentMigratorStack; template: Template } {
  process.env.ENV_MIGRATOR_SKIP_BUNDLING = '1';
  const stack = new EnvironmentMigratorStack(new App(), 'EnvMigrator', { ...props, env: { account: ACCOUNT, region: REGION } });
  return { stack, template: Template.fromStack(stack) };
}

/** Every state of a definition, nested Map processors included, with its name. */
export function* allStates(definition: AslDefinition): Generator<[string, AslState]> {
  for (const [name, state] of Object.entries(definition.States)) {
    yield [name, state];
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner) yield* allStates(inner);
    for (const branch of state.Branches ?? []) yield* allStates(branch);
  }
}
