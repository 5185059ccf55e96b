/**
 * The CDK app: one stack, EnvMigrator. `npx cdk synth` bundles every step with the local esbuild;
 * ENV_MIGRATOR_SKIP_BUNDLING=1 synthesizes without bundling (tests, reading the definitions).
 */
import { App } from 'aws-cdk-lib';
import { EnvironmentMigratorStack } from './migrator-stack';

const app = new App();
new EnvironmentMigratorStack(app, 'EnvMigrator', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
app.synth();
