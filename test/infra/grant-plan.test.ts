/**
 * grantPlan: what `env-migrator plan` calls (cli/plan-core.ts: discover and the bucket inventory), read
 * only, on the environments of managedStackPrefixes; grantRead stays as it was.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { EnvironmentMigrator } from '../../infra/environment-migrator';

process.env.ENV_MIGRATOR_SKIP_BUNDLING = '1';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

describe('grantPlan', () => {
  it("grants the plan's read calls on the managed environments, and no write", () => {
    const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'eu-west-1' } });
    const migrator = new EnvironmentMigrator(stack, 'Migrator', { managedStackPrefixes: ['orders-'], templateBucketNames: ['my-artifacts'] });
    const operator = new iam.Role(stack, 'OperatorRole', { assumedBy: new iam.AccountRootPrincipal() });
    migrator.grantPlan(operator);

    const policies = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).filter((p) =>
      (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref.startsWith('OperatorRole')),
    );
    const statements = policies.flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    const actions = [...new Set(statements.flatMap((s) => [s.Action].flat()))].sort();
    // Every call cli/plan-core.ts makes (the commands of lambdas/discover and lambdas/inventory-buckets).
    for (const a of [
      'cloudformation:DescribeStacks',
      'cloudformation:GetTemplate',
      'cloudformation:ListStackResources',
      'cloudformation:ValidateTemplate',
      'cloudformation:GetTemplateSummary',
      'rds:DescribeDBInstances',
      'rds:DescribeAccountAttributes',
      's3:ListBucketVersions',
      's3:GetBucketVersioning',
      's3:GetEncryptionConfiguration',
      's3:GetBucketObjectLockConfiguration',
      's3:GetObject',
      'kms:DescribeKey',
      'secretsmanager:DescribeSecret',
    ]) {
      expect(actions).toContain(a);
    }
    const writes = actions.filter((a) => !/^[a-z0-9]+:(Describe|Get|List|Validate)/.test(a) && a !== 'kms:Decrypt');
    expect(writes).toEqual([]);
    const buckets = statements.find((s) => [s.Action].flat().includes('s3:ListBucketVersions'))!;
    expect(JSON.stringify(buckets.Resource)).toContain(':s3:::orders-*');
    const template = statements.find((s) => JSON.stringify(s.Resource).includes('my-artifacts'))!;
    expect([template.Action].flat()).toEqual(['s3:GetObject']);
  });
});
