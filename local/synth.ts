/**
 * Synthesizes the CDK app in-process, without bundling the Lambda code (the local executor runs the
 * handlers from source), and returns the CloudFormation template: the same definitions `cdk deploy`
 * would upload.
 */
import { App } from 'aws-cdk-lib';
import { EnvironmentMigratorStack } from '../infra/migrator-stack';
import type { SynthesizedTemplate } from './definitions';

let cached: SynthesizedTemplate | undefined;

export async function synthesizeTemplate(): Promise<SynthesizedTemplate> {
  if (cached) return cached;
  process.env.ENV_MIGRATOR_SKIP_BUNDLING = '1';
  // CDK's built-in template validation (a WASM engine, seconds per synth) is for `cdk synth`/deploy and
  // the infra tests; here we only read the definitions back.
  const app = new App({ builtinCloudFormationValidation: false });
  // IAM is not simulated: the prefix only has to be valid (the sample environment is orders-prod).
  const stack = new EnvironmentMigratorStack(app, 'EnvMigrator', { managedStackPrefixes: ['orders-'] });
  const assembly = app.synth();
  cached = assembly.getStackArtifact(stack.artifactId).template as SynthesizedTemplate;
  return cached;
}
