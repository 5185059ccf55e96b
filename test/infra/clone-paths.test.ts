/**
 * The routing of the synthesized Clone definition, every task stubbed: snapshots before the stack,
 * every bucket copied to the end and verified, the smoke test only when configured, and the outcome
 * EQUAL only when statistics and every bucket agree (for 0, 1 or many buckets).
 */
import { describe, expect, it } from 'vitest';
import type {
  BucketPair,
  CloneInput,
  CloneOutput,
  CopyBucketEvent,
  CreateStackEvent,
  DeleteStackEvent,
  DiscoverEvent,
  VerifyBucketResult,
} from '../../lambdas/shared/contracts';
import { sumCopyTotals } from '../../lambdas/shared/copy-totals';
import { callsOf, named, runStubbed, statesRun, type Stubs } from './run-stubbed';
import { synth } from './synth';

const EXECUTION = { id: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1', name: 'run-1' };

function cloneInput(overrides: Partial<CloneInput> = {}): CloneInput {
  return {
    sourceStackName: 'orders',
    destinationStackName: 'orders-tmp-1a2b3c4d',
    targetVersion: '1.0.0',
    parameters: { InstanceType: 't4g.small' },
    statistics: { outputKey: 'StatisticsUrl', timeoutSeconds: 10 },
    waits: { snapshotSeconds: 7200, stackCreateSeconds: 3600, stackDeleteSeconds: 3600, standbySeconds: 600, smokeTestSeconds: 600, replicaCatchUpSeconds: 1800 },
    phase: 'c1',
    runId: '1a2b3c4d',
    execution: EXECUTION,
    ...overrides,
  };
}

const pairs = (n: number): BucketPair[] => Array.from({ length: n }, (_, i) => ({ logicalId: `Bucket${i}`, sourceBucket: `src-${i}`, destinationBucket: `dst-${i}` }));
const waitState = { label: 'x', startedAt: '2025-01-01T00:00:00Z', timeoutSeconds: 60, elapsedSeconds: 0, nextDelaySeconds: 5, attempt: 1 };

interface WorldOptions {
  buckets?: number;
  /** Copy invocations each bucket needs (CONTINUE until the last). */
  copyRounds?: number;
  /** Key ranges split-bucket cuts each bucket into (1: the whole bucket, {}). */
  ranges?: number;
  mismatchBucket?: string;
  statistics?: 'EQUAL' | 'MISMATCH';
  steps?: Stubs['steps'];
}

function world(o: WorldOptions = {}): Stubs {
  const rounds = o.copyRounds ?? 1;
  let snapshotChecks = 0;
  return {
    steps: {
      discover: (e) => {
        const event = e as unknown as DiscoverEvent;
        if (event.pairWith) return { ...event.pairWith, stackName: event.stackName, stackId: 'arn:new', bucketPairs: pairs(o.buckets ?? 2) };
        return {
          stackName: event.stackName,
          stackId: 'arn:source',
          stackStatus: 'CREATE_COMPLETE',
          templateBody: '{"Resources":{}}',
          parameters: [],
          outputs: {},
          tags: {},
          autoScalingGroups: [],
          dbInstances: [{ logicalId: 'Db', dbInstanceIdentifier: 'orders-db', allocatedStorageGb: 20, engine: 'postgres' }],
          buckets: [],
          environmentVersion: '1.0.0',
        };
      },
      snapshot: (e) => ({ snapshots: [{ logicalId: 'Db', dbInstanceIdentifier: 'orders-db', snapshotIdentifier: `em-1a2b3c4d-${String(e.phase)}-db` }] }),
      'snapshot-status': () => ({ status: ++snapshotChecks < 3 ? 'PENDING' : 'READY', wait: waitState }),
      'create-stack': (e) => ({ stackName: e.destinationStackName, stackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orders-tmp-1a2b3c4d/1', alreadyExisted: false }),
      'stack-status': () => ({ status: 'READY', stackStatus: 'CREATE_COMPLETE', failures: [], wait: waitState }),
      'split-bucket': () => ({
        ranges: (o.ranges ?? 1) === 1 ? [{}] : Array.from({ length: o.ranges as number }, (_, i) => ({ ...(i > 0 ? { after: `r${i}` } : {}), ...(i < (o.ranges as number) - 1 ? { upTo: `r${i + 1}` } : {}) })),
        estimatedEntries: 1,
        requests: 1,
      }),
      'copy-bucket': (e) => {
        const event = e as unknown as CopyBucketEvent;
        const invocations = (event.continuation?.invocations ?? 0) + 1;
        return {
          status: invocations < rounds ? 'CONTINUE' : 'DONE',
          pair: event.pair,
          continuation: { lastKey: `k${invocations}`, totals: { objectsCopied: invocations, objectsSkipped: 0, bytesCopied: 0, multipartObjects: 0, deleteMarkersCopied: 0, versionsCleared: 0, requests: invocations }, invocations },
        };
      },
      'verify-bucket': (e) => {
        const pair = e.pair as BucketPair;
        const manifest = { objects: 1, versions: 1, deleteMarkers: 0, bytes: 1, digest: { sum: '0'.repeat(64), count: 1 } };
        return {
          status: pair.logicalId === o.mismatchBucket ? 'MISMATCH' : 'EQUAL',
          pair,
          source: manifest,
          destination: manifest,
          comparedBy: { etag: 1, checksum: 0, hashed: 0, notComparable: 0 },
          differences: [],
          differenceCount: 0,
          ...(e.bucketTotals ? { copyTotals: sumCopyTotals(e.bucketTotals as never) } : {}),
        } satisfies VerifyBucketResult;
      },
      'smoke-test': () => ({ status: 'READY', probe: { url: 'https://new/health', httpStatus: 200 }, wait: waitState }),
      'compare-statistics': () => ({ status: o.statistics ?? 'EQUAL', source: { url: 'a', ok: true }, destination: { url: 'b', ok: true }, differences: [], summary: 's' }),
      'delete-stack': (e) => ({ status: 'DONE', stackName: e.stackName, bucketsEmptied: [], deleteStarted: true }),
      ...o.steps,
    },
    integrations: {},
  };
}

const run = (stubs: Stubs, input: CloneInput = cloneInput()) => runStubbed(synth().clone, input, stubs);

describe('Clone', () => {
  it('copies an environment and reports EQUAL when statistics and every bucket agree', async () => {
    const o = await run(world({ buckets: 2 }));
    expect(o.error).toBeUndefined();
    const out = o.output as CloneOutput;
    expect(out).toMatchObject({
      outcome: 'EQUAL',
      sourceStackName: 'orders',
      destinationStackName: 'orders-tmp-1a2b3c4d',
      destinationStackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orders-tmp-1a2b3c4d/1',
      version: '1.0.0',
      snapshots: [{ snapshotIdentifier: 'em-1a2b3c4d-c1-db' }],
      statistics: { status: 'EQUAL' },
    });
    expect(out.verification.map((v) => v.pair.logicalId)).toEqual(['Bucket0', 'Bucket1']);
    expect(out.copies).toHaveLength(2);
    expect(out.verification.map((v) => v.status)).toEqual(['EQUAL', 'EQUAL']);
    const order = statesRun(o);
    expect(order.indexOf('Snapshot the source databases')).toBeLessThan(order.indexOf('Create the destination stack'));
    expect(callsOf(o, 'snapshot-status')).toHaveLength(3);
  });

  it.each([0, 1, 3])('tallies the verification of %i bucket(s) as an array', async (n) => {
    const o = await run(world({ buckets: n }));
    const out = o.output as CloneOutput;
    expect(out.outcome).toBe('EQUAL');
    expect(out.copies).toHaveLength(n);
    expect(out.verification).toHaveLength(n);
  });

  it('reports MISMATCH when a single bucket differs, even with equal statistics', async () => {
    const o = await run(world({ buckets: 3, mismatchBucket: 'Bucket1' }));
    expect((o.output as CloneOutput).outcome).toBe('MISMATCH');
  });

  it('reports MISMATCH when the statistics differ, and still succeeds (the caller decides)', async () => {
    const o = await run(world({ statistics: 'MISMATCH' }));
    expect(o.error).toBeUndefined();
    expect((o.output as CloneOutput).outcome).toBe('MISMATCH');
  });

  it('invokes the copy again with the continuation until the bucket is done, then verifies it once', async () => {
    const o = await run(world({ buckets: 1, copyRounds: 3 }));
    const copies = callsOf(o, 'copy-bucket');
    expect(copies.map((c) => c.state)).toEqual(['Copy objects', 'Copy more objects', 'Copy more objects']);
    expect(copies[0]!.input).not.toHaveProperty('continuation');
    expect((copies[2]!.input as unknown as CopyBucketEvent).continuation).toMatchObject({ lastKey: 'k2', invocations: 2 });
    // `cancellation`: {} for a Clone run alone (nothing to read); Migrate's clones give the lock's key.
    // `mirror`: the destination is this run's own new bucket; what the source lacks does not belong in it.
    // `range`: {} for a bucket split-bucket found fits in one range (the whole bucket).
    expect(copies[0]!.input).toEqual({ pair: pairs(1)[0], objectVersions: 'all', mirror: true, range: {}, execution: EXECUTION, cancellation: {} });
    expect(callsOf(o, 'verify-bucket')).toHaveLength(1);
    // The totals of the last of the three invocations (each stub invocation copies its number of objects).
    expect((o.output as CloneOutput).copies[0]!.objectsCopied).toBe(3);
  });

  it('copies each key range the split returns in its own iterations, then verifies the whole bucket once with every range\'s totals, reported summed', async () => {
    const o = await run(world({ buckets: 1, ranges: 3, copyRounds: 2 }));
    const copies = callsOf(o, 'copy-bucket').map((c) => c.input as unknown as CopyBucketEvent);
    expect(copies.filter((c) => c.continuation === undefined).map((c) => c.range)).toEqual([{ upTo: 'r1' }, { after: 'r1', upTo: 'r2' }, { after: 'r2' }]);
    expect(copies).toHaveLength(6);
    const verify = callsOf(o, 'verify-bucket');
    expect(verify).toHaveLength(1);
    expect(verify[0]!.input.bucketTotals).toHaveLength(3);
    // Each range's last invocation reports 2 objects copied: 3 ranges, 6.
    expect((o.output as CloneOutput).copies[0]).toMatchObject({ objectsCopied: 6, requests: 6 });
  });

  it('creates the destination from the snapshots, passing the template URL only when given', async () => {
    const without = await run(world());
    const request = callsOf(without, 'create-stack')[0]!.input as unknown as CreateStackEvent;
    expect(request).toMatchObject({
      destinationStackName: 'orders-tmp-1a2b3c4d',
      targetVersion: '1.0.0',
      parameterOverrides: { InstanceType: 't4g.small' },
      snapshots: [{ snapshotIdentifier: 'em-1a2b3c4d-c1-db' }],
      source: { stackName: 'orders', stackId: 'arn:source' },
      execution: EXECUTION,
    });
    expect(request).not.toHaveProperty('templateUrl');

    const withUrl = await run(world(), cloneInput({ templateUrl: 'https://s3.amazonaws.com/t/v2.yaml' }));
    expect((callsOf(withUrl, 'create-stack')[0]!.input as unknown as CreateStackEvent).templateUrl).toBe('https://s3.amazonaws.com/t/v2.yaml');
  });

  it('runs the smoke test only when configured, and requires its output from both stacks', async () => {
    const without = await run(world());
    expect(callsOf(without, 'smoke-test')).toHaveLength(0);
    expect(callsOf(without, 'discover').map((c) => c.input.requiredOutputs)).toEqual([['StatisticsUrl'], ['StatisticsUrl']]);

    const smokeTest = { outputKey: 'ServiceUrl', path: '/health', expectedStatus: 200, timeoutSeconds: 5 };
    const withSmoke = await run(world(), cloneInput({ smokeTest }));
    expect(callsOf(withSmoke, 'smoke-test')[0]!.input).toEqual({ stackName: 'orders-tmp-1a2b3c4d', smokeTest, execution: EXECUTION, cancellation: {}, timeoutSeconds: 600 });
    expect(callsOf(withSmoke, 'discover').map((c) => c.input.requiredOutputs)).toEqual([
      ['StatisticsUrl', 'ServiceUrl'],
      ['StatisticsUrl', 'ServiceUrl'],
    ]);
  });

  it('fails with SnapshotFailed and the reason when a snapshot fails', async () => {
    const o = await run(world({ steps: { 'snapshot-status': () => ({ status: 'FAILED', reason: 'em-1a2b3c4d-c1-db: failed', wait: waitState }) } }));
    expect(o.error).toEqual({ name: 'SnapshotFailed', cause: 'em-1a2b3c4d-c1-db: failed' });
    expect(callsOf(o, 'create-stack')).toHaveLength(0);
  });

  it('deletes a destination whose creation failed, then fails with the stack events as the cause', async () => {
    const failures = [{ logicalId: 'Db', resourceType: 'AWS::RDS::DBInstance', status: 'CREATE_FAILED', reason: 'snapshot not found' }];
    const o = await run(
      world({
        steps: {
          'stack-status': (e) =>
            e.operation === 'CREATE'
              ? { status: 'FAILED', stackStatus: 'ROLLBACK_COMPLETE', failures, wait: waitState }
              : { status: 'READY', stackStatus: 'DELETE_COMPLETE', failures: [], wait: waitState },
        },
      }),
    );
    expect(o.error?.name).toBe('StackCreateFailed');
    expect(o.error?.cause).toContain('snapshot not found');
    const deletion = callsOf(o, 'delete-stack')[0]!.input as unknown as DeleteStackEvent;
    expect(deletion).toMatchObject({ stackName: 'orders-tmp-1a2b3c4d', execution: EXECUTION });
    expect(deletion.reason).toContain('ROLLBACK_COMPLETE');
    expect(callsOf(o, 'copy-bucket')).toHaveLength(0);
  });

  it('fails (for the caller to compensate) when a step fails, without retrying permanent errors', async () => {
    const o = await run(world({ steps: { 'verify-bucket': () => { throw named('AwsAccessDenied', 'no s3:GetObject'); } } }));
    expect(o.error?.name).toBe('AwsAccessDenied');
    expect(callsOf(o, 'compare-statistics')).toHaveLength(0);
  });
});
