import { readFileSync } from 'node:fs';
import { AutoScalingClient, DescribeAutoScalingInstancesCommand, EnterStandbyCommand, UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateDBSnapshotCommand, RDSClient } from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import { SimAccount } from '../../local/sim/account';
import { type TimingProfile, ZERO_TIMING } from '../../local/sim/core';
import { environmentData, sameData } from '../../local/sim/environment-data';
import { simulatedAccountPerTest } from '../fixtures/sim-account';

const V1_3 = readFileSync(new URL('../../examples/environment.yaml', import.meta.url), 'utf8');
const V1_4 = readFileSync(new URL('../../examples/environment-v1.4.0.yaml', import.meta.url), 'utf8');
const PARAMETERS = { VpcId: 'vpc-0123', SubnetIds: 'subnet-a,subnet-b', EnvironmentVersion: '1.3.0' };

let account: SimAccount;

const sim = simulatedAccountPerTest();
const advance = sim.advance;

function setUp(timing?: TimingProfile): void {
  account = sim.setUp(timing);
}


function physical(stackName: string, logicalId: string): string {
  const r = account.cloudformation.resourcesOf(stackName).find((x) => x.logicalId === logicalId);
  if (!r) throw new Error(`no ${logicalId} in ${stackName}`);
  return r.physicalId;
}

function output(stackName: string, key: string): string {
  const value = account.cloudformation.stackByName(stackName)?.outputs[key];
  if (!value) throw new Error(`no output ${key} on ${stackName}`);
  return value;
}

/** The sample environment with data: 3 customers, 2 orders, 2 uploads, 1 report. */
function seedEnvironment(name = 'orders', template = V1_3): void {
  account.cloudformation.createStackNow(name, template, PARAMETERS, { team: 'orders' });
  account.rds.setTables(physical(name, 'OrdersDb'), {
    customers: [{ id: 1 }, { id: 2 }, { id: 3 }],
    orders: [{ id: 'o1', customer: 1 }, { id: 'o2', customer: 3 }],
  });
  account.s3.putObjectDirect(physical(name, 'UploadsBucket'), 'a.png', { body: 'png-a' });
  account.s3.putObjectDirect(physical(name, 'UploadsBucket'), 'big/video.mp4', { size: 6 * 1024 ** 3, seedId: 'video' });
  account.s3.putObjectDirect(physical(name, 'ReportsBucket'), '2025/q1.csv', { body: 'q1' });
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (the load balancer's own HTML pages).
  }
  return { status: response.status, body };
}

describe('environment endpoints', () => {
  it('serve statistics from the statistics function: rows per table and objects per bucket, and the stack they describe', async () => {
    setUp();
    seedEnvironment();
    const stats = await getJson(output('orders', 'StatisticsUrl'));
    expect(stats).toEqual({
      status: 200,
      body: {
        environment: { stackId: account.cloudformation.stackByName('orders')!.stackId },
        data: { customers: { count: 3 }, orders: { count: 2 }, objects: { UploadsBucket: { count: 2 }, ReportsBucket: { count: 1 } } },
      },
    });
  });

  it('answer statistics for the stack whose function answers, naming it: a copy whose target group reaches the original names the original', async () => {
    setUp();
    seedEnvironment('orders');
    seedEnvironment('orders-copy');
    const cfn = account.cloudformation;
    const [originalId, copyId] = [cfn.stackByName('orders')!.stackId, cfn.stackByName('orders-copy')!.stackId];
    const original = [...cfn.functions.values()].find((f) => f.stackId === originalId)!;
    for (const tg of cfn.targetGroups.values()) if (tg.stackId === copyId && tg.targetType === 'lambda') tg.targets = [original.arn];
    expect(((await getJson(output('orders-copy', 'StatisticsUrl'))).body as { environment: unknown }).environment).toEqual({ stackId: originalId });
    // A function without STACK_ID (an application that does not say) answers the data alone.
    delete original.environment.STACK_ID;
    expect(Object.keys((await getJson(output('orders-copy', 'StatisticsUrl'))).body as object)).toEqual(['data']);
  });

  it('answer /health with the environment version while instances are InService, and 503 once all are in Standby', async () => {
    setUp();
    seedEnvironment();
    const health = `${output('orders', 'ServiceUrl')}/health`;
    expect(await getJson(health)).toEqual({ status: 200, body: { status: 'ok', version: '1.3.0' } });
    expect((await getJson(`${output('orders', 'ServiceUrl')}/nothing-here`)).status).toBe(404);

    const group = account.autoscaling.group(physical('orders', 'Asg'));
    const client = new AutoScalingClient({ maxAttempts: 1 });
    await client.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: group?.name, MinSize: 0 }));
    await client.send(
      new EnterStandbyCommand({ AutoScalingGroupName: group?.name, InstanceIds: group?.instances.map((i) => i.id), ShouldDecrementDesiredCapacity: true }),
    );
    expect((await getJson(health)).status).toBe(503);
    // Statistics do not depend on the instances.
    expect((await getJson(output('orders', 'StatisticsUrl'))).status).toBe(200);
  });

  it('answer 503 while the database is restoring and while no instance is InService yet', async () => {
    setUp({ ...ZERO_TIMING, stackCreateSeconds: 100, restoreFixedSeconds: 200, restoreSecondsPerGb: 1, instanceLaunchSeconds: 60, snapshotFixedSeconds: 10 });
    seedEnvironment();
    await new RDSClient({ maxAttempts: 1 }).send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: physical('orders', 'OrdersDb'), DBSnapshotIdentifier: 'orders-c1' }));
    advance(10);
    await new CloudFormationClient({ maxAttempts: 1 }).send(
      new CreateStackCommand({
        StackName: 'orders-tmp',
        TemplateBody: V1_3,
        Capabilities: ['CAPABILITY_IAM'],
        Parameters: [...Object.entries(PARAMETERS).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })), { ParameterKey: 'OrdersDbSnapshotIdentifier', ParameterValue: 'orders-c1' }],
      }),
    );
    // The load balancer answers as soon as it exists, but nothing behind it is ready.
    const tmpStackId = account.cloudformation.stackByName('orders-tmp')?.stackId;
    const lb = [...account.cloudformation.loadBalancers.values()].find((l) => l.stackId === tmpStackId) as { dnsName: string };
    const stats = await getJson(`http://${lb.dnsName}/statistics`);
    expect(stats.status).toBe(503);
    expect(stats.body).toEqual({ message: 'database OrdersDb is creating' });
    expect((await getJson(`http://${lb.dnsName}/health`)).status).toBe(503);
    advance(100 + 200 + 100);
    expect(account.cloudformation.stackByName('orders-tmp')?.status).toBe('CREATE_COMPLETE');
    expect(await getJson(output('orders-tmp', 'StatisticsUrl'))).toEqual({
      status: 200,
      body: { environment: { stackId: tmpStackId }, data: { customers: { count: 3 }, orders: { count: 2 }, objects: { UploadsBucket: { count: 0 }, ReportsBucket: { count: 0 } } } },
    });
    expect((await getJson(`${output('orders-tmp', 'ServiceUrl')}/health`)).status).toBe(200);
  });

  it('answer stale zero counts under the staleStatisticsForStack fault, for that stack only', async () => {
    setUp();
    seedEnvironment('orders');
    seedEnvironment('orders-tmp');
    account.faults.silent.staleStatisticsForStack = 'orders-tmp';
    const stale = await getJson(output('orders-tmp', 'StatisticsUrl'));
    expect(stale.body).toMatchObject({ data: { customers: { count: 0 }, orders: { count: 0 }, objects: { UploadsBucket: { count: 0 }, ReportsBucket: { count: 0 } } } });
    expect((await getJson(output('orders', 'StatisticsUrl'))).body).toMatchObject({ data: { customers: { count: 3 } } });
  });

  it('prefix table names with the database logical ID when a stack has several databases', async () => {
    setUp();
    const body = `
Resources:
  Lb: { Type: AWS::ElasticLoadBalancingV2::LoadBalancer }
  Fn: { Type: AWS::Lambda::Function, Properties: { Runtime: nodejs22.x, Handler: index.handler } }
  Tg: { Type: AWS::ElasticLoadBalancingV2::TargetGroup, Properties: { TargetType: lambda, Targets: [{ Id: !GetAtt Fn.Arn }] } }
  Listener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref Lb
      Port: 80
      DefaultActions: [{ Type: forward, TargetGroupArn: !Ref Tg }]
  UsersDb: { Type: AWS::RDS::DBInstance, DeletionPolicy: Delete, Properties: { Engine: postgres, AllocatedStorage: '20' } }
  BillingDb: { Type: AWS::RDS::DBInstance, DeletionPolicy: Delete, Properties: { Engine: mysql, AllocatedStorage: '20' } }
Outputs:
  StatisticsUrl: { Value: !Sub 'http://\${Lb.DNSName}/statistics' }
`;
    account.cloudformation.createStackNow('multi', body);
    account.rds.setTables(physical('multi', 'UsersDb'), { users: [{ id: 1 }] });
    account.rds.setTables(physical('multi', 'BillingDb'), { invoices: [{ id: 1 }, { id: 2 }] });
    expect((await getJson(output('multi', 'StatisticsUrl'))).body).toEqual({ data: { 'UsersDb.users': { count: 1 }, 'BillingDb.invoices': { count: 2 } } });
  });

  it('honour the request signal: an aborted request rejects with an AbortError, as fetch does', async () => {
    setUp({ ...ZERO_TIMING, latencyMs: { 'HTTP.application': 2000 } });
    seedEnvironment();
    const url = output('orders', 'StatisticsUrl');
    const controller = new AbortController();
    const pending = fetch(url, { signal: controller.signal });
    setTimeout(() => controller.abort(), 5);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await expect(fetch(url, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('refuse connections on a port without a listener', async () => {
    setUp();
    seedEnvironment();
    const host = new URL(output('orders', 'ServiceUrl')).host;
    await expect(fetch(`http://${host}:8080/health`)).rejects.toThrow(TypeError);
  });
});

describe('sample templates', () => {
  it('1.4.0 deploys with its visible changes: the HealthUrl output and t3.medium instances by default', async () => {
    setUp();
    seedEnvironment('orders', V1_4);
    expect(output('orders', 'HealthUrl')).toBe(`${output('orders', 'ServiceUrl')}/health`);
    const instances = await new AutoScalingClient({ maxAttempts: 1 }).send(new DescribeAutoScalingInstancesCommand({}));
    expect(new Set(instances.AutoScalingInstances?.map((i) => i.InstanceType))).toEqual(new Set(['t3.medium']));
    expect(account.autoscaling.group(physical('orders', 'Asg'))?.tags).toMatchObject({ EnvironmentVersion: '1.3.0', team: 'orders', 'aws:cloudformation:stack-name': 'orders' });
  });
});

describe('environment data helpers', () => {
  it('find equal data equal, whatever the row key order and the object ETags', () => {
    setUp();
    seedEnvironment('orders');
    seedEnvironment('orders-tmp');
    // Same rows, keys in another order; the big object copied multipart (another ETag, same bytes).
    account.rds.setTables(physical('orders-tmp', 'OrdersDb'), {
      orders: [{ customer: 3, id: 'o2' }, { customer: 1, id: 'o1' }],
      customers: [{ id: 3 }, { id: 1 }, { id: 2 }],
    });
    replaceObject(physical('orders-tmp', 'UploadsBucket'), 'big/video.mp4', { size: 6 * 1024 ** 3, seedId: 'video', multipartParts: 8 });
    const original = environmentData(account, 'orders');
    const copy = environmentData(account, 'orders-tmp');
    expect(copy.buckets.UploadsBucket?.['big/video.mp4']?.etag).not.toBe(original.buckets.UploadsBucket?.['big/video.mp4']?.etag);
    expect(sameData(original, copy)).toEqual({ equal: true, differences: [] });
  });

  /** The one version of `key` written again differently (UploadsBucket is versioned: a plain PUT would add a version). */
  function replaceObject(bucket: string, key: string, opts: Parameters<typeof account.s3.putObjectDirect>[2]): void {
    account.s3.deleteObjectDirect(bucket, key, account.s3.getObjectRecord(bucket, key)!.versionId);
    account.s3.putObjectDirect(bucket, key, opts);
  }

  it('name every missing row, missing object and changed object', () => {
    setUp();
    seedEnvironment('orders');
    seedEnvironment('orders-tmp');
    account.rds.setTables(physical('orders-tmp', 'OrdersDb'), { customers: [{ id: 1 }, { id: 2 }], orders: [{ id: 'o1', customer: 1 }, { id: 'o2', customer: 3 }] });
    replaceObject(physical('orders-tmp', 'UploadsBucket'), 'a.png', { body: 'png-b' });
    account.s3.putObjectDirect(physical('orders-tmp', 'ReportsBucket'), 'extra.csv', { body: 'x' });
    const result = sameData(environmentData(account, 'orders'), environmentData(account, 'orders-tmp'));
    expect(result.equal).toBe(false);
    expect(result.differences).toEqual([
      'databases.OrdersDb.customers: 1 row(s) missing, e.g. {"id":3}',
      'buckets.UploadsBucket/a.png: content differs',
      'buckets.ReportsBucket/extra.csv: extra object',
      // The history check says the same per version.
      'buckets.UploadsBucket/a.png: version 1 of 1: content differs',
      'buckets.ReportsBucket/extra.csv: extra history (1 version(s))',
    ]);
    const contained = sameData(environmentData(account, 'orders'), environmentData(account, 'orders-tmp'), { allowExtra: true });
    expect(contained.differences).not.toContain('buckets.ReportsBucket/extra.csv: extra object');
  });
});
