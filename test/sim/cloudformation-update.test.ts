import { readFileSync } from 'node:fs';
import { CloudFormationClient, DescribeStacksCommand, type Parameter, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateDBSnapshotCommand, DeleteDBSnapshotCommand, RDSClient } from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import type { SimAccount } from '../../local/sim/account';
import { type TimingProfile, ZERO_TIMING } from '../../local/sim/core';
import { errorOf, simulatedAccountPerTest } from '../fixtures/sim-account';

const ENVIRONMENT = readFileSync(new URL('../../examples/environment.yaml', import.meta.url), 'utf8');
const PARAMETERS = { VpcId: 'vpc-0123', SubnetIds: 'subnet-a,subnet-b', EnvironmentVersion: '1.3.0' };
const KEYS = ['VpcId', 'SubnetIds', 'EnvironmentVersion', 'InstanceType', 'DesiredCapacity', 'OrdersDbSnapshotIdentifier', 'DbDriverLayerArn', 'LatestAmiId'];
const CAPABILITIES = ['CAPABILITY_IAM' as const];
const ROWS = { customers: [{ id: 1, name: 'Ada' }, { id: 2, name: 'Grace' }] };
/** A replacement-requiring change of OrdersDb: a custom DBInstanceIdentifier ("Update requires: Replacement"). */
const RENAMED_DB = ENVIRONMENT.replace('    Properties:\n      Engine: postgres\n', '    Properties:\n      DBInstanceIdentifier: orders-prod-orders-v2\n      Engine: postgres\n');

const TIMED: TimingProfile = { ...ZERO_TIMING, stackCreateSeconds: 180, stackDeleteSeconds: 120, dbDeleteSeconds: 300, restoreFixedSeconds: 400 };

let account: SimAccount;
const sim = simulatedAccountPerTest();
const cfn = () => new CloudFormationClient({ maxAttempts: 1 });

/** Every parameter UsePreviousValue, except those given. */
function parameters(values: Record<string, string> = {}): Parameter[] {
  return KEYS.map((ParameterKey) => (ParameterKey in values ? { ParameterKey, ParameterValue: values[ParameterKey] } : { ParameterKey, UsePreviousValue: true }));
}

const dbOf = (stack: string) => account.cloudformation.resourcesOf(stack).find((r) => r.logicalId === 'OrdersDb')!.physicalId;
const status = async (stack: string) => (await cfn().send(new DescribeStacksCommand({ StackName: stack }))).Stacks?.[0]?.StackStatus;

/** orders-prod restored from snapshot `snap-1` of a seeded database, as a migration leaves it. */
async function restoredEnvironment(timing?: TimingProfile): Promise<void> {
  account = sim.setUp(timing);
  account.cloudformation.createStackNow('seed', ENVIRONMENT, PARAMETERS);
  account.rds.setTables(dbOf('seed'), ROWS);
  await new RDSClient({}).send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: dbOf('seed'), DBSnapshotIdentifier: 'snap-1' }));
  sim.advance(3600);
  account.cloudformation.createStackNow('orders-prod', ENVIRONMENT, { ...PARAMETERS, OrdersDbSnapshotIdentifier: 'snap-1' });
}

describe('UpdateStack', () => {
  it('goes UPDATE_IN_PROGRESS then UPDATE_COMPLETE in simulated time; an in-place change keeps the database and its data', async () => {
    await restoredEnvironment(TIMED);
    const db = dbOf('orders-prod');
    await cfn().send(new UpdateStackCommand({ StackName: 'orders-prod', UsePreviousTemplate: true, Parameters: parameters({ InstanceType: 't3.large' }), Capabilities: CAPABILITIES }));
    expect(await status('orders-prod')).toBe('UPDATE_IN_PROGRESS');
    sim.advance(600);
    expect(await status('orders-prod')).toBe('UPDATE_COMPLETE');
    expect(account.cloudformation.stackByName('orders-prod')?.parameters).toMatchObject({ InstanceType: 't3.large', OrdersDbSnapshotIdentifier: 'snap-1' });
    expect(dbOf('orders-prod')).toBe(db);
    expect(account.rds.instance(db)?.tables).toEqual(ROWS);
  });

  it('DBSnapshotIdentifier unchanged: the database is not restored again, writes since the restore stay', async () => {
    await restoredEnvironment();
    const db = dbOf('orders-prod');
    const later = { customers: [...ROWS.customers, { id: 3, name: 'Edsger' }] };
    account.rds.setTables(db, later);
    await cfn().send(new UpdateStackCommand({ StackName: 'orders-prod', TemplateBody: ENVIRONMENT.replace('!Ref AWS::NoValue, 7]', '!Ref AWS::NoValue, 14]'), Parameters: parameters(), Capabilities: CAPABILITIES }));
    expect(await status('orders-prod')).toBe('UPDATE_COMPLETE');
    expect(dbOf('orders-prod')).toBe(db);
    expect(account.rds.instance(db)?.tables).toEqual(later);
  });

  it('DBSnapshotIdentifier removed: an EMPTY database replaces the restored one, which is deleted', async () => {
    await restoredEnvironment();
    const db = dbOf('orders-prod');
    await cfn().send(new UpdateStackCommand({ StackName: 'orders-prod', UsePreviousTemplate: true, Parameters: parameters({ OrdersDbSnapshotIdentifier: '' }), Capabilities: CAPABILITIES }));
    expect(await status('orders-prod')).toBe('UPDATE_COMPLETE');
    expect(dbOf('orders-prod')).not.toBe(db);
    expect(account.rds.instance(dbOf('orders-prod'))?.tables).toEqual({});
    expect(account.rds.instance(db)?.status ?? 'gone').toMatch(/deleting|gone/);
  });

  it('DBSnapshotIdentifier changed: the replacement is restored from the new snapshot', async () => {
    await restoredEnvironment();
    account.rds.setTables(dbOf('seed'), { customers: [{ id: 9 }] });
    await new RDSClient({}).send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: dbOf('seed'), DBSnapshotIdentifier: 'snap-2' }));
    await cfn().send(new UpdateStackCommand({ StackName: 'orders-prod', UsePreviousTemplate: true, Parameters: parameters({ OrdersDbSnapshotIdentifier: 'snap-2' }), Capabilities: CAPABILITIES }));
    expect(account.rds.instance(dbOf('orders-prod'))?.tables).toEqual({ customers: [{ id: 9 }] });
  });

  it('a replacement restores from the snapshot the stack names: while it is kept, the data is there', async () => {
    await restoredEnvironment();
    await cfn().send(new UpdateStackCommand({ StackName: 'orders-prod', TemplateBody: RENAMED_DB, Parameters: parameters(), Capabilities: CAPABILITIES }));
    expect(await status('orders-prod')).toBe('UPDATE_COMPLETE');
    expect(dbOf('orders-prod')).toBe('orders-prod-orders-v2');
    expect(account.rds.instance('orders-prod-orders-v2')?.tables).toEqual(ROWS);
  });

  it('a replacement whose snapshot was deleted fails (UPDATE_FAILED) and rolls back: the database and its data stay, never an empty one', async () => {
    await restoredEnvironment();
    const original = dbOf('orders-prod');
    await new RDSClient({}).send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: 'snap-1' }));
    await cfn().send(new UpdateStackCommand({ StackName: 'orders-prod', TemplateBody: RENAMED_DB, Parameters: parameters(), Capabilities: CAPABILITIES }));
    expect(await status('orders-prod')).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(dbOf('orders-prod')).toBe(original);
    expect(account.rds.instance(original)?.tables).toEqual(ROWS);
    expect(account.rds.instance('orders-prod-orders-v2')).toBeUndefined();
  });

  it('refuses an update that changes nothing, UsePreviousValue for an unknown key, and a stack in progress', async () => {
    account = sim.setUp(TIMED);
    account.cloudformation.createStackNow('orders-prod', ENVIRONMENT, PARAMETERS);
    expect((await errorOf(cfn().send(new UpdateStackCommand({ StackName: 'orders-prod', UsePreviousTemplate: true, Parameters: parameters(), Capabilities: CAPABILITIES })))).message).toBe(
      'No updates are to be performed.',
    );
    const unknown = [...parameters(), { ParameterKey: 'Nope', UsePreviousValue: true }];
    expect((await errorOf(cfn().send(new UpdateStackCommand({ StackName: 'orders-prod', UsePreviousTemplate: true, Parameters: unknown, Capabilities: CAPABILITIES })))).name).toBe('ValidationError');
    await cfn().send(new UpdateStackCommand({ StackName: 'orders-prod', UsePreviousTemplate: true, Parameters: parameters({ InstanceType: 't3.large' }), Capabilities: CAPABILITIES }));
    expect((await errorOf(cfn().send(new UpdateStackCommand({ StackName: 'orders-prod', UsePreviousTemplate: true, Parameters: parameters({ InstanceType: 't3.xlarge' }), Capabilities: CAPABILITIES })))).message).toMatch(
      /is in UPDATE_IN_PROGRESS state and can not be updated/,
    );
  });
});
