/**
 * grantRecover: exactly what `env-migrator recover` calls (cli/recover-core.ts), on the resources it
 * calls them on: the lock table, Clone's StartExecution, the executions of both machines, and the
 * stacks (the migrator's own output, the managed environments). No Migrate StartExecution, no stop, no redrive.
 */
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { expect, it } from 'vitest';
import { EnvironmentMigrator } from '../../infra/environment-migrator';

process.env.ENV_MIGRATOR_SKIP_BUNDLING = '1';

type Statement = { Action: string | string[]; Resource: unknown };

it("gives env-migrator recover what it calls only: the lock's GetItem, PutItem and DeleteItem, Clone's StartExecution, reading both machines' executions, DescribeStacks on the migrator and the managed environments", () => {
  const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'eu-west-1' } });
  const migrator = new EnvironmentMigrator(stack, 'Migrator', { managedStackPrefixes: ['orders-'] });
  const role = new iam.Role(stack, 'OpsRole', { assumedBy: new iam.AccountRootPrincipal() });
  migrator.grantRecover(role);
  // The role's policy resolved alone: synthesizing the whole stack would cost seconds for nothing more.
  const statements = (stack.resolve((role.node.tryFindChild('DefaultPolicy') as iam.Policy).document.toJSON()) as { Statement: Statement[] }).Statement;
  const logicalId = (c: Construct) => stack.getLogicalId(c.node.defaultChild as CfnElement);
  const of = (action: string) => JSON.stringify(statements.filter((s) => [s.Action].flat().includes(action)).map((s) => s.Resource));
  expect(statements.flatMap((s) => [s.Action].flat()).sort()).toEqual([
    'cloudformation:DescribeStacks',
    'dynamodb:DeleteItem',
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'states:DescribeExecution',
    'states:GetExecutionHistory',
    'states:StartExecution',
  ]);
  const clone = logicalId(migrator.cloneStateMachine);
  const migrate = logicalId(migrator.migrateStateMachine);
  expect(of('states:StartExecution')).toContain(`"Ref":"${clone}"`);
  expect(of('states:StartExecution')).not.toContain(migrate);
  expect(of('states:GetExecutionHistory')).toContain(`{"Fn::GetAtt":["${clone}","Name"]},":*"`);
  expect(of('states:GetExecutionHistory')).toContain(`{"Fn::GetAtt":["${migrate}","Name"]},":*"`);
  expect(of('dynamodb:PutItem')).toContain(logicalId(migrator.lockTable));
  expect(of('cloudformation:DescribeStacks')).toContain(':stack/orders-*/*');
});
