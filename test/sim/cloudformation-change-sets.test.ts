/**
 * Change sets in the simulated CloudFormation: created asynchronously, planned by the same rule the
 * update applies (a clean promotion vs a DBName that flips), executed as that update, OBSOLETE once the
 * stack was updated otherwise, the others deleted by an execution.
 */
import { readFileSync } from 'node:fs';
import {
  type Change,
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  ListChangeSetsCommand,
  type Parameter,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import type { SimAccount } from '../../local/sim/account';
import { type TimingProfile, ZERO_TIMING } from '../../local/sim/core';
import { errorWithStatusOf, simulatedAccountPerTest } from '../fixtures/sim-account';

const ENVIRONMENT = readFileSync(new URL('../../examples/environment.yaml', import.meta.url), 'utf8');
const PARAMETERS = { VpcId: 'vpc-0123', SubnetIds: 'subnet-a,subnet-b', EnvironmentVersion: '1.3.0' };
const CAPABILITIES = ['CAPABILITY_IAM' as const];
const ROWS = { customers: [{ id: 1, name: 'Ada' }, { id: 2, name: 'Grace' }] };
const TIMED: TimingProfile = { ...ZERO_TIMING, stackCreateSeconds: 180, promoteSeconds: 300 };

let account: SimAccount;
const sim = simulatedAccountPerTest();
const cfn = () => new CloudFormationClient({ maxAttempts: 1 });
const dbOf = (stack: string) => account.cloudformation.resourcesOf(stack).find((r) => r.logicalId === 'OrdersDb')!.physicalId;
const stackStatus = async (stack: string) => (await cfn().send(new DescribeStacksCommand({ StackName: stack }))).Stacks?.[0]?.StackStatus;
const describe_ = (name: string, includeValues = false) => cfn().send(new DescribeChangeSetCommand({ StackName: 'orders-live', ChangeSetName: name, IncludePropertyValues: includeValues }));

/** Every parameter of orders-live UsePreviousValue, except those given. */
function parameters(values: Record<string, string>): Parameter[] {
  return Object.keys(account.cloudformation.stackByName('orders-live')?.parameters ?? {}).map((ParameterKey) =>
    ParameterKey in values ? { ParameterKey, ParameterValue: values[ParameterKey] } : { ParameterKey, UsePreviousValue: true },
  );
}

/** orders-prod with data, orders-live its read replica environment (complete). */
function replicaEnvironment(timing: TimingProfile = ZERO_TIMING): { source: string; replica: string } {
  account = sim.setUp(timing);
  account.cloudformation.createStackNow('orders-prod', ENVIRONMENT, PARAMETERS);
  const source = dbOf('orders-prod');
  account.rds.setTables(source, ROWS);
  account.cloudformation.createStackNow('orders-live', ENVIRONMENT, { ...PARAMETERS, OrdersDbSourceDBInstanceIdentifier: source });
  return { source, replica: dbOf('orders-live') };
}

/** The promotion as the workflow asks for it: the previous template, the replica parameter emptied. */
function promotion(name: string, source: string | undefined) {
  return new CreateChangeSetCommand({
    StackName: 'orders-live',
    ChangeSetName: name,
    ChangeSetType: 'UPDATE',
    UsePreviousTemplate: true,
    Capabilities: CAPABILITIES,
    Parameters: parameters({ OrdersDbSourceDBInstanceIdentifier: '', ...(source ? { OrdersDbPromotedFrom: source } : {}) }),
  });
}

const resourceChange = (changes: Change[] | undefined, logicalId: string) => changes?.find((c) => c.ResourceChange?.LogicalResourceId === logicalId)?.ResourceChange;

describe('CreateChangeSet / DescribeChangeSet', () => {
  it('is created asynchronously: CREATE_PENDING, CREATE_IN_PROGRESS (UNAVAILABLE, no changes yet), then CREATE_COMPLETE and AVAILABLE', async () => {
    const { source } = replicaEnvironment(TIMED);
    const created = await cfn().send(promotion('promote', source));
    expect(created.Id).toMatch(/^arn:aws:cloudformation:us-east-1:\d{12}:changeSet\/promote\//);
    expect(created.StackId).toBe(account.cloudformation.stackByName('orders-live')?.stackId);
    let cs = await describe_('promote');
    expect([cs.Status, cs.ExecutionStatus, cs.Changes]).toEqual(['CREATE_PENDING', 'UNAVAILABLE', []]);
    sim.advance(2);
    cs = await describe_('promote');
    expect([cs.Status, cs.ExecutionStatus]).toEqual(['CREATE_IN_PROGRESS', 'UNAVAILABLE']);
    sim.advance(15);
    cs = await cfn().send(new DescribeChangeSetCommand({ ChangeSetName: created.Id }));
    expect([cs.Status, cs.ExecutionStatus, cs.ChangeSetName]).toEqual(['CREATE_COMPLETE', 'AVAILABLE', 'promote']);
    expect(cs.Parameters).toContainEqual({ ParameterKey: 'OrdersDbSourceDBInstanceIdentifier', ParameterValue: '' });
    expect(await stackStatus('orders-live')).toBe('CREATE_COMPLETE');
  });

  it('a clean promotion: only OrdersDb is modified, Replacement Conditional for SourceDBInstanceIdentifier (removed, a parameter caused it), nothing that always replaces', async () => {
    const { source, replica } = replicaEnvironment();
    await cfn().send(promotion('promote', source));
    const cs = await describe_('promote', true);
    expect(cs.Changes?.map((c) => c.ResourceChange?.LogicalResourceId)).toEqual(['OrdersDb']);
    const db = resourceChange(cs.Changes, 'OrdersDb')!;
    expect(db).toMatchObject({ Action: 'Modify', PhysicalResourceId: replica, ResourceType: 'AWS::RDS::DBInstance', Replacement: 'Conditional', Scope: ['Properties'] });
    const byName = Object.fromEntries((db.Details ?? []).map((d) => [d.Target?.Name, d]));
    expect(Object.keys(byName).sort()).toEqual(['BackupRetentionPeriod', 'MasterUserPassword', 'SourceDBInstanceIdentifier']);
    expect(byName.SourceDBInstanceIdentifier).toMatchObject({
      Target: { Attribute: 'Properties', Name: 'SourceDBInstanceIdentifier', RequiresRecreation: 'Conditionally', AttributeChangeType: 'Remove', BeforeValue: source },
      Evaluation: 'Static',
      ChangeSource: 'ParameterReference',
      CausingEntity: 'OrdersDbSourceDBInstanceIdentifier',
    });
    expect(byName.MasterUserPassword?.Target?.RequiresRecreation).toBe('Never');
    expect((db.Details ?? []).every((d) => d.Target?.RequiresRecreation !== 'Always')).toBe(true);
    // Without IncludePropertyValues no values are shown.
    const plain = resourceChange((await describe_('promote')).Changes, 'OrdersDb')!;
    expect(plain.Details?.find((d) => d.Target?.Name === 'SourceDBInstanceIdentifier')?.Target).toEqual({ Attribute: 'Properties', Name: 'SourceDBInstanceIdentifier', RequiresRecreation: 'Conditionally' });
  });

  it('a DBName that flips from NoValue to a value: Replacement True, DBName (and the other create-only ones) RequiresRecreation Always, the old one ReplaceAndDelete', async () => {
    const { replica } = replicaEnvironment();
    await cfn().send(promotion('promote-trap', undefined));
    const db = resourceChange((await describe_('promote-trap')).Changes, 'OrdersDb')!;
    expect(db).toMatchObject({ Action: 'Modify', PhysicalResourceId: replica, Replacement: 'True', PolicyAction: 'ReplaceAndDelete' });
    const always = (db.Details ?? []).filter((d) => d.Target?.RequiresRecreation === 'Always').map((d) => d.Target?.Name);
    expect(always.sort()).toEqual(['DBName', 'MasterUsername', 'StorageEncrypted']);
    const dbName = db.Details?.find((d) => d.Target?.Name === 'DBName');
    expect(dbName).toMatchObject({ Evaluation: 'Static', ChangeSource: 'ParameterReference', CausingEntity: 'OrdersDbSourceDBInstanceIdentifier' });
  });

  it('FAILED with AWS\'s reason when nothing would change; name rules, duplicates and UsePreviousValue are checked at once', async () => {
    replicaEnvironment();
    await cfn().send(new CreateChangeSetCommand({ StackName: 'orders-live', ChangeSetName: 'nothing', UsePreviousTemplate: true, Capabilities: CAPABILITIES, Parameters: parameters({}) }));
    const cs = await describe_('nothing');
    expect([cs.Status, cs.ExecutionStatus, cs.StatusReason]).toEqual(['FAILED', 'UNAVAILABLE', "The submitted information didn't contain changes. Submit different information to create a change set."]);
    expect(await errorWithStatusOf(cfn().send(new CreateChangeSetCommand({ StackName: 'orders-live', ChangeSetName: 'nothing', UsePreviousTemplate: true, Capabilities: CAPABILITIES })))).toMatchObject({ name: 'AlreadyExistsException' });
    expect(await errorWithStatusOf(cfn().send(new CreateChangeSetCommand({ StackName: 'orders-live', ChangeSetName: '1-bad_name', UsePreviousTemplate: true })))).toMatchObject({ name: 'ValidationError' });
    expect(await errorWithStatusOf(cfn().send(new CreateChangeSetCommand({ StackName: 'orders-live', ChangeSetName: 'caps', UsePreviousTemplate: true, Parameters: parameters({ InstanceType: 't3.large' }) })))).toMatchObject({ name: 'InsufficientCapabilitiesException' });
    expect(await errorWithStatusOf(cfn().send(new CreateChangeSetCommand({ StackName: 'orders-live', ChangeSetName: 'unknown', UsePreviousTemplate: true, Capabilities: CAPABILITIES, Parameters: [{ ParameterKey: 'Nope', UsePreviousValue: true }] })))).toMatchObject({ name: 'ValidationError' });
    expect(await errorWithStatusOf(describe_('never-made'))).toMatchObject({ name: 'ChangeSetNotFoundException', status: 404 });
  });
});

describe('ExecuteChangeSet', () => {
  it('runs exactly the planned update: the replica is promoted in place; the change set ends EXECUTE_COMPLETE, the other change sets are deleted, a second execution is refused', async () => {
    const { source, replica } = replicaEnvironment(TIMED);
    const { Id } = await cfn().send(promotion('promote', source));
    await cfn().send(new CreateChangeSetCommand({ StackName: 'orders-live', ChangeSetName: 'bigger', UsePreviousTemplate: true, Capabilities: CAPABILITIES, Parameters: parameters({ InstanceType: 't3.large' }) }));
    sim.advance(60);
    await cfn().send(new ExecuteChangeSetCommand({ ChangeSetName: 'promote', StackName: 'orders-live', ClientRequestToken: 'em-run-1-promote' }));
    // A retry with the same token is the same request.
    await cfn().send(new ExecuteChangeSetCommand({ ChangeSetName: Id, ClientRequestToken: 'em-run-1-promote' }));
    expect((await describe_('promote')).ExecutionStatus).toBe('EXECUTE_IN_PROGRESS');
    expect(await stackStatus('orders-live')).toBe('UPDATE_IN_PROGRESS');
    expect(await errorWithStatusOf(describe_('bigger'))).toMatchObject({ name: 'ChangeSetNotFoundException' });
    expect((await cfn().send(new ListChangeSetsCommand({ StackName: 'orders-live' }))).Summaries?.map((s) => s.ChangeSetName)).toEqual(['promote']);
    sim.advance(301);
    expect(await stackStatus('orders-live')).toBe('UPDATE_COMPLETE');
    expect((await describe_('promote')).ExecutionStatus).toBe('EXECUTE_COMPLETE');
    expect((await cfn().send(new DescribeStacksCommand({ StackName: 'orders-live' }))).Stacks?.[0]?.ChangeSetId).toBe(Id);
    expect(account.cloudformation.stackByName('orders-live')?.parameters).toMatchObject({ OrdersDbSourceDBInstanceIdentifier: '', OrdersDbPromotedFrom: source });
    expect(dbOf('orders-live')).toBe(replica);
    expect(account.rds.instance(replica)).toMatchObject({ status: 'available', tables: ROWS });
    expect(account.rds.instance(replica)?.replicaOf).toBeUndefined();
    const again = await errorWithStatusOf(cfn().send(new ExecuteChangeSetCommand({ ChangeSetName: Id })));
    expect(again).toMatchObject({ name: 'InvalidChangeSetStatusException', status: 400 });
    expect(again.message).toMatch(/EXECUTE_COMPLETE/);
  });

  it('is refused while the change set is being created, and once it is OBSOLETE (the stack updated by other means since)', async () => {
    const { source, replica } = replicaEnvironment(TIMED);
    await cfn().send(promotion('promote', source));
    expect(await errorWithStatusOf(cfn().send(new ExecuteChangeSetCommand({ ChangeSetName: 'promote', StackName: 'orders-live' })))).toMatchObject({ name: 'InvalidChangeSetStatusException' });
    sim.advance(60);
    await cfn().send(new UpdateStackCommand({ StackName: 'orders-live', UsePreviousTemplate: true, Capabilities: CAPABILITIES, Parameters: parameters({ InstanceType: 't3.large' }) }));
    sim.advance(600);
    expect((await describe_('promote')).ExecutionStatus).toBe('OBSOLETE');
    const refused = await errorWithStatusOf(cfn().send(new ExecuteChangeSetCommand({ ChangeSetName: 'promote', StackName: 'orders-live' })));
    expect(refused).toMatchObject({ name: 'InvalidChangeSetStatusException' });
    expect(refused.message).toMatch(/OBSOLETE/);
    expect(account.rds.instance(replica)?.replicaOf).toBe(source);
    // Deleted, it is gone; the stack is untouched.
    await cfn().send(new DeleteChangeSetCommand({ ChangeSetName: 'promote', StackName: 'orders-live' }));
    expect(await errorWithStatusOf(describe_('promote'))).toMatchObject({ name: 'ChangeSetNotFoundException' });
  });

  it('executing the trap does what it said: the promoted database is replaced by an empty one', async () => {
    const { replica } = replicaEnvironment();
    await cfn().send(promotion('promote-trap', undefined));
    await cfn().send(new ExecuteChangeSetCommand({ ChangeSetName: 'promote-trap', StackName: 'orders-live' }));
    expect(await stackStatus('orders-live')).toBe('UPDATE_COMPLETE');
    expect(dbOf('orders-live')).not.toBe(replica);
    expect(account.rds.instance(dbOf('orders-live'))?.tables).toEqual({});
  });
});
