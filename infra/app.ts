/**
 * The standalone CDK app: one stack, EnvMigrator, configured by context values.
 *
 *   npx cdk deploy -c managedStackPrefix=orders- -c notificationEmail=ops@example.com
 *
 * Required: managedStackPrefix. Optional: notificationEmail, templateBucket, statisticsSecretArn
 * (comma-separated lists allowed), cloudFormationRoleArn, logRetentionDays, includeExecutionData=true,
 * retainOriginalSnapshots=true, and a schedule: scheduleExpression + scheduleInputFile (a JSON file
 * holding the execution input) [+ scheduleTimeZone]. Values can also sit in cdk.json "context".
 * `npx cdk synth` bundles every step with the local esbuild; ENV_MIGRATOR_SKIP_BUNDLING=1
 * synthesizes without bundling.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { EnvironmentMigratorStack } from './migrator-stack';
import type { MigrationSchedule } from './environment-migrator';

const app = new App();

function list(name: string): string[] {
  const value: unknown = app.node.tryGetContext(name);
  if (value === undefined || value === null || value === '') return [];
  const items = Array.isArray(value) ? value.map(String) : String(value).split(',');
  return items.map((s) => s.trim()).filter(Boolean);
}
function text(name: string): string | undefined {
  const value: unknown = app.node.tryGetContext(name);
  return value === undefined || value === null || value === '' ? undefined : String(value);
}
const flag = (name: string): boolean | undefined => (text(name) === undefined ? undefined : text(name) === 'true');

const managedStackPrefixes = list('managedStackPrefix');
if (managedStackPrefixes.length === 0) {
  throw new Error('Pass the stack name prefixes this deployment may migrate: -c managedStackPrefix=orders- (comma-separated for several)');
}

const retentionDays = text('logRetentionDays');
const logRetention = retentionDays === undefined ? undefined : (Number(retentionDays) as logs.RetentionDays);
if (logRetention !== undefined && !Object.values(logs.RetentionDays).includes(logRetention)) {
  throw new Error(`logRetentionDays=${retentionDays} is not a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)`);
}

let schedule: MigrationSchedule | undefined;
const scheduleExpression = text('scheduleExpression');
const scheduleInputFile = text('scheduleInputFile');
if (scheduleExpression || scheduleInputFile) {
  if (!scheduleExpression || !scheduleInputFile) throw new Error('A schedule needs both -c scheduleExpression=... and -c scheduleInputFile=input.json');
  schedule = {
    expression: scheduleExpression,
    timeZone: text('scheduleTimeZone'),
    input: JSON.parse(readFileSync(scheduleInputFile, 'utf8')) as MigrationSchedule['input'],
  };
}

new EnvironmentMigratorStack(app, 'EnvMigrator', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: 'env-migrator: migrates stateful CloudFormation environments to a new template version without losing data',
  managedStackPrefixes,
  notificationEmails: list('notificationEmail'),
  templateBucketNames: list('templateBucket'),
  statisticsSecretArns: list('statisticsSecretArn').length ? list('statisticsSecretArn') : undefined,
  logRetention,
  includeExecutionDataInLogs: flag('includeExecutionData'),
  retainOriginalSnapshots: flag('retainOriginalSnapshots'),
  schedule,
  cloudFormationRoleArn: text('cloudFormationRoleArn'),
});
app.synth();
