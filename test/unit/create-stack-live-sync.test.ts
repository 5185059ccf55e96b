import { CloudFormationClient, CreateStackCommand, GetTemplateSummaryCommand } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createStack, planParameters, type CreateStackDeps } from '../../lambdas/create-stack/core';
import type { CreateStackEvent, Discovery } from '../../lambdas/shared/contracts';
import { PreflightFailed } from '../../lambdas/shared/errors';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };
const STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orders-prod-tmp-1a2b3c4d/abc';
const TEMPLATE = 'Resources: {}\n';

function source(overrides: Partial<Discovery> = {}): Discovery {
  return {
    stackName: 'orders-prod',
    stackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orders-prod/src',
    stackStatus: 'UPDATE_COMPLETE',
    templateBody: TEMPLATE,
    parameters: [
      { key: 'EnvironmentVersion', value: '1.3.0' },
      { key: 'OrdersDbSnapshotIdentifier', value: 'old-snapshot' },
      { key: 'OrdersDbSourceDBInstanceIdentifier', value: '' },
      { key: 'OrdersDbPromotedFrom', value: 'the-one-before' },
      { key: 'InstanceType', value: 't3.large' },
    ],
    outputs: {},
    tags: {},
    autoScalingGroups: [],
    dbInstances: [
      { logicalId: 'OrdersDb', dbInstanceIdentifier: 'orders-prod-ordersdb-abc', allocatedStorageGb: 20, engine: 'postgres' },
      { logicalId: 'AuditDb', dbInstanceIdentifier: 'orders-prod-auditdb-def', allocatedStorageGb: 20, engine: 'mysql' },
    ],
    buckets: [],
    environmentVersion: '1.3.0',
    ...overrides,
  };
}

const event = (overrides: Partial<CreateStackEvent> = {}): CreateStackEvent => ({
  source: source(),
  destinationStackName: 'orders-prod-tmp-1a2b3c4d',
  targetVersion: '1.4.0',
  parameterOverrides: {},
  snapshots: [],
  liveSync: true,
  execution: EXECUTION,
  ...overrides,
});

const DECLARED = [
  'EnvironmentVersion',
  'OrdersDbSnapshotIdentifier',
  'OrdersDbSourceDBInstanceIdentifier',
  'OrdersDbPromotedFrom',
  'AuditDbSnapshotIdentifier',
  'AuditDbSourceDBInstanceIdentifier',
  'InstanceType',
];

const cfnMock = mockClient(CloudFormationClient);
const deps = (): CreateStackDeps => ({
  cfn: new CloudFormationClient({}),
  secrets: new SecretsManagerClient({}),
  s3: new S3Client({ region: 'eu-west-1' }),
  templateBucket: () => 'envmigrator-workflowdocuments',
});

const valuesOf = (parameters: { ParameterKey?: string; ParameterValue?: string }[]) => Object.fromEntries(parameters.map((p) => [p.ParameterKey, p.ParameterValue]));

beforeEach(() => {
  cfnMock.reset();
  cfnMock.on(CreateStackCommand).resolves({ StackId: STACK_ID });
  cfnMock.on(GetTemplateSummaryCommand).resolves({ Parameters: DECLARED.map((ParameterKey) => ({ ParameterKey })) });
});

describe('create-stack with liveSync', () => {
  it('creates every database as a read replica of its source: replica parameter = source identifier, snapshot and PromotedFrom emptied', async () => {
    await createStack(deps(), event());
    const input = cfnMock.commandCalls(CreateStackCommand)[0]!.args[0].input;
    expect(valuesOf(input.Parameters ?? [])).toEqual({
      EnvironmentVersion: '1.4.0',
      OrdersDbSnapshotIdentifier: '',
      OrdersDbSourceDBInstanceIdentifier: 'orders-prod-ordersdb-abc',
      OrdersDbPromotedFrom: '',
      AuditDbSnapshotIdentifier: '',
      AuditDbSourceDBInstanceIdentifier: 'orders-prod-auditdb-def',
      InstanceType: 't3.large',
    });
  });

  it('leaves PromotedFrom and SnapshotIdentifier alone where the template does not declare them', () => {
    const { parameters, problems } = planParameters(event(), ['EnvironmentVersion', 'OrdersDbSourceDBInstanceIdentifier', 'AuditDbSourceDBInstanceIdentifier']);
    expect(problems).toEqual([]);
    expect(valuesOf(parameters)).toEqual({
      EnvironmentVersion: '1.4.0',
      OrdersDbSourceDBInstanceIdentifier: 'orders-prod-ordersdb-abc',
      AuditDbSourceDBInstanceIdentifier: 'orders-prod-auditdb-def',
    });
  });

  it('refuses, before creating anything, a template without the replica parameter of a database', async () => {
    cfnMock.on(GetTemplateSummaryCommand).resolves({ Parameters: DECLARED.filter((p) => p !== 'AuditDbSourceDBInstanceIdentifier').map((ParameterKey) => ({ ParameterKey })) });
    const err = await createStack(deps(), event()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreflightFailed);
    expect((err as PreflightFailed).problems).toEqual([
      'the new template has no parameter AuditDbSourceDBInstanceIdentifier: database AuditDb cannot start as a read replica of orders-prod-auditdb-def (template contract, live sync)',
    ]);
    expect(cfnMock.commandCalls(CreateStackCommand)).toHaveLength(0);
  });

  it('refuses snapshots given with liveSync', () => {
    const { problems } = planParameters(
      event({ snapshots: [{ logicalId: 'OrdersDb', dbInstanceIdentifier: 'orders-prod-ordersdb-abc', snapshotIdentifier: 'em-1a2b3c4d-c1-ordersdb' }] }),
      DECLARED,
    );
    expect(problems).toEqual([
      'a live sync creates every database as a read replica of its source, but snapshots were given too (em-1a2b3c4d-c1-ordersdb): give one or the other',
    ]);
  });

  it('refuses an input parameter that would override a replica parameter', () => {
    const { problems } = planParameters(event({ parameterOverrides: { OrdersDbSourceDBInstanceIdentifier: 'someone-else' } }), DECLARED);
    expect(problems).toEqual(['parameter OrdersDbSourceDBInstanceIdentifier is set by the live sync (the database\'s read replica); remove it from the input\'s parameters']);
  });

  it('does not ask for snapshots: no database is reported as starting empty', () => {
    expect(planParameters(event(), DECLARED).problems).toEqual([]);
  });

  it('without liveSync still restores from snapshots and reports a database without one', () => {
    const { problems } = planParameters(event({ liveSync: false }), DECLARED);
    expect(problems).toEqual([
      'database OrdersDb of orders-prod has no snapshot: it would start empty',
      'database AuditDb of orders-prod has no snapshot: it would start empty',
    ]);
  });
});
