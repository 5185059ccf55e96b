/**
 * AWS::RDS::DBInstance read replicas through the simulated CloudFormation: created from
 * SourceDBInstanceIdentifier, promoted in place when an update removes it, replaced when the template
 * makes an inherited property appear (the trap the live sync's change-set check guards against).
 */
import { readFileSync } from 'node:fs';
import { CloudFormationClient, CreateStackCommand, DescribeStackEventsCommand, DescribeStacksCommand, type Parameter, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import type { SimAccount } from '../../local/sim/account';
import { type TimingProfile, ZERO_TIMING } from '../../local/sim/core';
import { simulatedAccountPerTest } from '../fixtures/sim-account';

const ENVIRONMENT = readFileSync(new URL('../../examples/environment.yaml', import.meta.url), 'utf8');
const PARAMETERS = { VpcId: 'vpc-0123', SubnetIds: 'subnet-a,subnet-b', EnvironmentVersion: '1.3.0' };
const CAPABILITIES = ['CAPABILITY_IAM' as const];
const ROWS = { customers: [{ id: 1, name: 'Ada' }, { id: 2, name: 'Grace' }] };
/** Replicas 30 s behind a written source, a promotion of 300 s, stacks of 180 s. */
const TIMED: TimingProfile = { ...ZERO_TIMING, stackCreateSeconds: 180, restoreFixedSeconds: 400, snapshotFixedSeconds: 60, replicaLagSeconds: 30, replicaCatchUpRate: 2, promoteSeconds: 300, dbDeleteSeconds: 300 };

let account: SimAccount;
const sim = simulatedAccountPerTest();
const cfn = () => new CloudFormationClient({ maxAttempts: 1 });
const dbOf = (stack: string) => account.cloudformation.resourcesOf(stack).find((r) => r.logicalId === 'OrdersDb')!.physicalId;
const status = async (stack: string) => (await cfn().send(new DescribeStacksCommand({ StackName: stack }))).Stacks?.[0]?.StackStatus;
const keys = () => Object.keys(account.cloudformation.stackByName('orders-live')?.parameters ?? {});

/** Every parameter of orders-live UsePreviousValue, except those given. */
function parameters(values: Record<string, string>): Parameter[] {
  return keys().map((ParameterKey) => (ParameterKey in values ? { ParameterKey, ParameterValue: values[ParameterKey] } : { ParameterKey, UsePreviousValue: true }));
}

/** orders-prod serving with data; orders-live, its OrdersDb a read replica of orders-prod's, complete. */
function replicaEnvironment(timing: TimingProfile = ZERO_TIMING): { source: string; replica: string } {
  account = sim.setUp(timing);
  account.cloudformation.createStackNow('orders-prod', ENVIRONMENT, PARAMETERS);
  const source = dbOf('orders-prod');
  account.rds.setTables(source, ROWS);
  account.cloudformation.createStackNow('orders-live', ENVIRONMENT, { ...PARAMETERS, OrdersDbSourceDBInstanceIdentifier: source });
  return { source, replica: dbOf('orders-live') };
}

describe('AWS::RDS::DBInstance with SourceDBInstanceIdentifier', () => {
  it('is created as a read replica of the source: CREATE_COMPLETE only once RDS has the replica available, with the source data', async () => {
    account = sim.setUp(TIMED);
    account.cloudformation.createStackNow('orders-prod', ENVIRONMENT, PARAMETERS);
    const source = dbOf('orders-prod');
    account.rds.setTables(source, ROWS);
    await cfn().send(new CreateStackCommand({ StackName: 'orders-live', TemplateBody: ENVIRONMENT, Capabilities: CAPABILITIES, Parameters: Object.entries({ ...PARAMETERS, OrdersDbSourceDBInstanceIdentifier: source }).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })) }));
    const replica = account.rds.instance(dbOf('orders-live'))!;
    expect(replica.replicaOf).toBe(source);
    expect(account.rds.instance(source)?.replicas).toEqual([replica.identifier]);
    // The stack waits for the replica (a snapshot of the source and a restore), as for a restore.
    sim.advance((replica.readyAt - Date.now()) / 1000 - 1);
    expect(await status('orders-live')).toBe('CREATE_IN_PROGRESS');
    sim.advance(3600);
    expect(await status('orders-live')).toBe('CREATE_COMPLETE');
    expect(account.rds.instance(replica.identifier)?.tables).toEqual(ROWS);
  });

  it('fails the resource given a snapshot as well (a replica cannot be created from one), and rolls back: no replica left', async () => {
    const { source } = replicaEnvironment();
    account.rds.setTables(source, ROWS);
    await cfn().send(
      new CreateStackCommand({
        StackName: 'orders-both',
        TemplateBody: ENVIRONMENT,
        Capabilities: CAPABILITIES,
        Parameters: Object.entries({ ...PARAMETERS, OrdersDbSourceDBInstanceIdentifier: source, OrdersDbSnapshotIdentifier: 'snap-1' }).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
      }),
    );
    const events = (await cfn().send(new DescribeStackEventsCommand({ StackName: 'orders-both' }))).StackEvents ?? [];
    expect(events.find((e) => e.LogicalResourceId === 'OrdersDb' && e.ResourceStatus === 'CREATE_FAILED')?.ResourceStatusReason).toMatch(/SourceDBInstanceIdentifier and DBSnapshotIdentifier cannot be specified together/);
    expect(await status('orders-both')).toBe('ROLLBACK_COMPLETE');
    expect(account.rds.instance(source)?.replicas).toHaveLength(1);
  });

  it('fails the resource when the template gives a replica what it inherits (DBName, MasterUserPassword...)', async () => {
    const { source } = replicaEnvironment();
    const careless = ENVIRONMENT.replace('DBName: !If [OrdersDbInherits, !Ref AWS::NoValue, orders]', 'DBName: orders');
    await cfn().send(new CreateStackCommand({ StackName: 'orders-careless', TemplateBody: careless, Capabilities: CAPABILITIES, Parameters: Object.entries({ ...PARAMETERS, OrdersDbSourceDBInstanceIdentifier: source }).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })) }));
    const events = (await cfn().send(new DescribeStackEventsCommand({ StackName: 'orders-careless' }))).StackEvents ?? [];
    expect(events.find((e) => e.LogicalResourceId === 'OrdersDb' && e.ResourceStatus === 'CREATE_FAILED')?.ResourceStatusReason).toMatch(/inherits DBName from its source/);
  });
});

describe('UpdateStack of a read replica', () => {
  it('SourceDBInstanceIdentifier removed: the replica is promoted in place, UPDATE_COMPLETE at the promotion end, its data as applied when it started', async () => {
    const { source, replica } = replicaEnvironment(TIMED);
    sim.advance(3600);
    expect(account.rds.instance(replica)?.tables).toEqual(ROWS);
    // The source keeps being written; the replica is replicaLagSeconds behind when the promotion starts.
    account.rds.setTables(source, { customers: [...ROWS.customers, { id: 3, name: 'Edsger' }] });
    await cfn().send(new UpdateStackCommand({ StackName: 'orders-live', UsePreviousTemplate: true, Capabilities: CAPABILITIES, Parameters: parameters({ OrdersDbSourceDBInstanceIdentifier: '', OrdersDbPromotedFrom: source }) }));
    expect(await status('orders-live')).toBe('UPDATE_IN_PROGRESS');
    expect(account.rds.instance(replica)?.status).toBe('modifying');
    sim.advance(299);
    expect(await status('orders-live')).toBe('UPDATE_IN_PROGRESS');
    sim.advance(2);
    expect(await status('orders-live')).toBe('UPDATE_COMPLETE');
    expect(dbOf('orders-live')).toBe(replica);
    const promoted = account.rds.instance(replica)!;
    expect(promoted.replicaOf).toBeUndefined();
    expect(promoted.status).toBe('available');
    // Frozen as applied: the write the replica had not applied yet is not in it, never.
    sim.advance(3600);
    expect(account.rds.instance(replica)?.tables).toEqual(ROWS);
    expect(account.rds.instance(source)?.replicas).toEqual([]);
    // Once promoted, the template's BackupRetentionPeriod and MasterUserPassword apply in place.
    expect(account.rds.instance(replica)?.backupRetentionPeriod).toBe(7);
  });

  it('the trap: a template whose DBName appears when the replica parameter empties REPLACES the promoted database by an empty one, and the replica is deleted', async () => {
    const { source, replica } = replicaEnvironment();
    // OrdersDbPromotedFrom left empty: OrdersDbInherits turns false, DBName/MasterUsername/StorageEncrypted appear.
    await cfn().send(new UpdateStackCommand({ StackName: 'orders-live', UsePreviousTemplate: true, Capabilities: CAPABILITIES, Parameters: parameters({ OrdersDbSourceDBInstanceIdentifier: '' }) }));
    expect(await status('orders-live')).toBe('UPDATE_COMPLETE');
    const now = dbOf('orders-live');
    expect(now).not.toBe(replica);
    expect(account.rds.instance(now)?.tables).toEqual({});
    expect(account.rds.instance(replica)?.status ?? 'gone').toMatch(/deleting|gone/);
    expect(account.rds.instance(source)?.tables).toEqual(ROWS);
  });

  it('SourceDBInstanceIdentifier pointed at another source: a new replica of that source replaces it (no promotion)', async () => {
    const { replica } = replicaEnvironment();
    account.cloudformation.createStackNow('orders-other', ENVIRONMENT, PARAMETERS);
    const other = dbOf('orders-other');
    account.rds.setTables(other, { customers: [{ id: 9 }] });
    await cfn().send(new UpdateStackCommand({ StackName: 'orders-live', UsePreviousTemplate: true, Capabilities: CAPABILITIES, Parameters: parameters({ OrdersDbSourceDBInstanceIdentifier: other }) }));
    expect(await status('orders-live')).toBe('UPDATE_COMPLETE');
    const now = dbOf('orders-live');
    expect(now).not.toBe(replica);
    expect(account.rds.instance(now)?.replicaOf).toBe(other);
    expect(account.rds.instance(now)?.tables).toEqual({ customers: [{ id: 9 }] });
  });

  it('deleting the stack deletes the replica without a final snapshot (read replicas ignore deletion policies)', async () => {
    const { source } = replicaEnvironment();
    const snapshotsBefore = account.rds.listSnapshots().length;
    const template = ENVIRONMENT.replace('    DeletionPolicy: Delete\n    UpdateReplacePolicy: Delete\n    Properties:\n      Engine: postgres', '    DeletionPolicy: Snapshot\n    UpdateReplacePolicy: Delete\n    Properties:\n      Engine: postgres');
    expect(template).not.toBe(ENVIRONMENT);
    account.cloudformation.createStackNow('orders-snap', template, { ...PARAMETERS, OrdersDbSourceDBInstanceIdentifier: source });
    const replica = dbOf('orders-snap');
    expect(account.rds.instance(replica)?.replicaOf).toBe(source);
    account.cloudformation.deleteStackNow('orders-snap');
    expect(account.rds.listSnapshots()).toHaveLength(snapshotsBefore);
    expect(account.rds.instance(replica)?.status ?? 'gone').toMatch(/deleting|gone/);
  });
});
