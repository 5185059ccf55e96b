/**
 * The routing of the synthesized Migrate definition, every task stubbed: each outcome takes the
 * path the design says, with the safety invariants visible in the calls (what is deleted, what
 * survives, one notification per outcome, the lock released when ours).
 */
import { MIGRATION_TIMEOUT_SECONDS } from '../../lambdas/steps';
import { describe, expect, it } from 'vitest';
import type {
  CloneInput,
  CloneOutput,
  ComposeNotificationEvent,
  DeleteSnapshotsEvent,
  SnapshotEvent,
  DeleteStackEvent,
  MigrationOutput,
  StandbyExitEvent,
  ValidateInputResult,
} from '../../lambdas/shared/contracts';
import { EXECUTION_ARN, callsOf, named, runStubbed, statesRun, type Outcome, type Stubs } from './run-stubbed';
import { synth } from './synth';

const STACK = 'orders';
const TEMP = 'orders-tmp-1a2b3c4d';

function validated(overrides: Partial<ValidateInputResult['input']> = {}): ValidateInputResult {
  return {
    input: {
      stackName: STACK,
      targetVersion: '2.0.0',
      parameters: { InstanceType: 't4g.small' },
      secretParameters: {},
      statistics: { outputKey: 'StatisticsUrl', timeoutSeconds: 10 },
      waits: { snapshotSeconds: 7200, stackCreateSeconds: 3600, stackDeleteSeconds: 3600, standbySeconds: 600, smokeTestSeconds: 600, replicaCatchUpSeconds: 1800 },
      retainOriginalSnapshots: false,
      objectVersions: 'all',
      acceptUncopiedResources: [],
      strategy: 'double-clone',
      liveSync: false,
      liveSyncFallback: 'refuse',
      ...overrides,
    },
    execution: { id: EXECUTION_ARN, name: 'run-1' },
    tempStackName: TEMP,
    runId: '1a2b3c4d',
    lockExpiresAt: 1_900_000_000,
  };
}

function cloneOutput(input: CloneInput, outcome: CloneOutput['outcome'] = 'EQUAL'): CloneOutput {
  const status = outcome;
  return {
    outcome,
    sourceStackName: input.sourceStackName,
    destinationStackName: input.destinationStackName,
    destinationStackId: `arn:aws:cloudformation:eu-west-1:123456789012:stack/${input.destinationStackName}/${input.phase}`,
    destinationDbInstances: [{ logicalId: 'Db', dbInstanceIdentifier: `db-${input.phase}`, allocatedStorageGb: 20, engine: 'postgres' }],
    version: input.targetVersion,
    snapshots: [{ logicalId: 'Db', dbInstanceIdentifier: 'db', snapshotIdentifier: `em-1a2b3c4d-${input.phase}-db` }],
    copies: [],
    verification: [],
    statistics: {
      status,
      source: { url: 'https://a/stats', ok: true, dataSha256: 'a'.repeat(64), values: 1, bytes: 40, document: { bucket: 'wf', key: 'runs/x/statistics/a-to-b/source.json', bytes: 40, sha256: 'ab'.repeat(32) } },
      destination: { url: 'https://b/stats', ok: true, dataSha256: (outcome === 'EQUAL' ? 'a' : 'b').repeat(64), values: 1, bytes: 40, document: { bucket: 'wf', key: 'runs/x/statistics/a-to-b/destination.json', bytes: 40, sha256: 'ab'.repeat(32) } },
      differences: [],
      differenceCount: outcome === 'EQUAL' ? 0 : 1,
      summary: outcome === 'EQUAL' ? 'statistics equal (1 value)' : '1 value differs: data.customers.count 57 → 56',
    },
  };
}

const INVENTORY_COUNTS = { currentObjects: 3, noncurrentVersions: 1, deleteMarkers: 1, bytes: 30, archived: 0 };

/** A world where everything works; each test breaks one thing. */
function world(overrides: { steps?: Stubs['steps']; integrations?: Stubs['integrations'] } = {}, input = validated()): Stubs {
  return {
    steps: {
      'validate-input': () => input,
      discover: (e) => ({
        stackName: e.stackName,
        stackId: `arn:aws:cloudformation:eu-west-1:123456789012:stack/${STACK}/original`,
        stackStatus: 'UPDATE_COMPLETE',
        templateBody: '{}',
        parameters: [],
        outputs: { StatisticsUrl: 'https://a/stats' },
        tags: {},
        autoScalingGroups: [{ logicalId: 'Asg', autoScalingGroupName: 'orders-asg' }],
        dbInstances: [],
        buckets: [{ logicalId: 'Uploads', bucketName: 'orders-uploads' }],
        environmentVersion: '1.0.0',
        deletionPlan: [{ kind: 'RETAINED', logicalId: 'Archive', resourceType: 'AWS::S3::Bucket', physicalId: 'orders-archive', fate: 'kept by DeletionPolicy Retain' }],
        liveSync: { requested: false, possible: false, reasons: [] },
      }),
      'standby-enter': () => ({ groups: [{ autoScalingGroupName: 'orders-asg', originalMinSize: 2, originalDesiredCapacity: 2, instanceIds: ['i-1'], suspendedProcesses: ['Launch'] }] }),
      'standby-status': () => ({ status: 'READY', wait: { label: 'x', startedAt: '2025-01-01T00:00:00Z', timeoutSeconds: 600, elapsedSeconds: 0, nextDelaySeconds: 5, attempt: 1 } }),
      'standby-exit': (e) => ({ groups: [], standby: (e as unknown as StandbyExitEvent).standby ?? { groups: [] } }),
      'delete-stack': (e) => ({ status: 'DONE', stackName: e.stackName, bucketsEmptied: [], deleteStarted: true }),
      snapshot: (e) => ({
        snapshots: (e as unknown as SnapshotEvent).dbInstances.map((d) => ({
          logicalId: d.logicalId,
          dbInstanceIdentifier: d.dbInstanceIdentifier,
          snapshotIdentifier: `em-1a2b3c4d-${(e as unknown as SnapshotEvent).phase}-${d.logicalId.toLowerCase()}`,
        })),
      }),
      'stack-status': () => ({ status: 'READY', stackStatus: 'DELETE_COMPLETE', failures: [], wait: { nextDelaySeconds: 20, attempt: 1 } }),
      'delete-snapshots': (e) => ({ deleted: (e as unknown as DeleteSnapshotsEvent).snapshots.map((s) => s.snapshotIdentifier), alreadyGone: [], notDeletable: [] }),
      'compose-notification': (e) => ({ subject: `[env-migrator] ${String(e.outcome)}`, message: 'message', details: '{}' }),
      'inventory-buckets': (e) => ({ status: 'DONE', bucket: e.bucket, versioning: 'Enabled', counts: INVENTORY_COUNTS, notCarried: 0, continuation: { counts: INVENTORY_COUNTS, archivedKeys: [], invocations: 1 } }),
      'recheck-original': () => ({ status: 'UNCHANGED', buckets: [], continuation: { bucketIndex: 0, done: [], invocations: 1 } }),
      ...overrides.steps,
    },
    integrations: {
      'dynamodb:putItem': () => ({}),
      'dynamodb:getItem': () => ({ Item: { owner: { S: 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:other' }, startedAt: { S: '2025-01-01T00:00:00Z' } } }),
      'dynamodb:deleteItem': () => ({}),
      'sns:publish': () => ({ MessageId: 'm-1' }),
      'states:startExecution.sync:2': (p) => ({ Output: cloneOutput(p.Input as CloneInput), Status: 'SUCCEEDED' }),
      'aws-sdk:sfn:stopExecution': () => ({ StopDate: 1 }),
      ...overrides.integrations,
    },
  };
}

const run = (stubs: Stubs, input: unknown = { stackName: STACK, targetVersion: '2.0.0' }) => runStubbed(synth().migrate, input, stubs);

const notice = (o: Outcome): ComposeNotificationEvent => {
  const composed = callsOf(o, 'compose-notification');
  expect(composed, 'exactly one notification is composed').toHaveLength(1);
  return composed[0]!.input as unknown as ComposeNotificationEvent;
};
const deletedStacks = (o: Outcome): string[] => callsOf(o, 'delete-stack').map((c) => (c.input as unknown as DeleteStackEvent).stackName);
const clonesStarted = (o: Outcome): CloneInput[] => callsOf(o, 'states:startExecution.sync:2').map((c) => c.input.Input as CloneInput);

/** What every ending of a validated input shares: the lock released, then one notification published. */
function expectNotifiedAndUnlocked(o: Outcome): void {
  expect(callsOf(o, 'sns:publish')).toHaveLength(1);
  const release = callsOf(o, 'dynamodb:deleteItem');
  expect(release).toHaveLength(1);
  expect(release[0]!.input).toMatchObject({ Key: { stackName: { S: STACK } }, ConditionExpression: '#owner = :me', ExpressionAttributeValues: { ':me': { S: EXECUTION_ARN } } });
  const order = statesRun(o);
  // Released first, so that the notification can say when it could not be.
  expect(order.indexOf('Release the lock')).toBeLessThan(order.indexOf('Compose the notification'));
}

describe('Migrate', () => {
  it('migrates: clone, verify, delete the current, clone to the new version, clean up, unlock, and report for pipelines', async () => {
    const o = await run(world());
    expect(o.error).toBeUndefined();
    expect(o.output).toEqual({
      outcome: 'SUCCEEDED',
      stackName: STACK,
      stackId: `arn:aws:cloudformation:eu-west-1:123456789012:stack/${STACK}/c2`,
      version: '2.0.0',
      previousVersion: '1.0.0',
      statistics: { dataSha256: 'a'.repeat(64), values: 1, document: { bucket: 'wf', key: 'runs/x/statistics/a-to-b/destination.json', bytes: 40, sha256: 'ab'.repeat(32) }, summary: 'statistics equal (1 value)' },
      // The new stack's DbSnapshotIdentifier names clone 2's snapshot: kept while the stack references it.
      snapshotsRetained: ['em-1a2b3c4d-c2-db'],
      executionArn: EXECUTION_ARN,
      objectVersions: 'all',
      buckets: [{ bucket: { logicalId: 'Uploads', bucketName: 'orders-uploads' }, versioning: 'Enabled', counts: INVENTORY_COUNTS, notCarried: 0 }],
      deletionPlan: [{ kind: 'RETAINED', logicalId: 'Archive', resourceType: 'AWS::S3::Bucket', physicalId: 'orders-archive', fate: 'kept by DeletionPolicy Retain' }],
      liveSync: { requested: false, possible: false, reasons: [] },
    } satisfies MigrationOutput);
    expect(callsOf(o, 'delete-snapshots').map((c) => (c.input as unknown as DeleteSnapshotsEvent).keep)).toEqual([
      [{ logicalId: 'Db', dbInstanceIdentifier: 'db', snapshotIdentifier: 'em-1a2b3c4d-c2-db' }],
    ]);
    expect(notice(o)).toMatchObject({ outcome: 'SUCCEEDED', snapshotsInUse: [{ logicalId: 'Db', snapshotIdentifier: 'em-1a2b3c4d-c2-db' }] });
    expect(deletedStacks(o)).toEqual([STACK, TEMP]);
    const [c1, c2] = clonesStarted(o);
    expect(c1).toEqual({
      sourceStackName: STACK,
      destinationStackName: TEMP,
      targetVersion: '1.0.0',
      parameters: {},
      // Both clones get the secret parameters (ARNs): the current template's NoEcho values cannot be carried over.
      secretParameters: {},
      statistics: validated().input.statistics,
      waits: validated().input.waits,
      objectVersions: 'all',
      phase: 'c1',
      runId: '1a2b3c4d',
      execution: { id: EXECUTION_ARN, name: 'run-1' },
      // The clone obeys a cancel request on this execution's lock (env-migrator cancel).
      cancellation: { stackName: STACK },
    });
    expect(c2).toMatchObject({ sourceStackName: TEMP, destinationStackName: STACK, targetVersion: '2.0.0', parameters: { InstanceType: 't4g.small' }, secretParameters: {}, phase: 'c2' });
    // Clone 2 waits for the snapshots of the temporary copy taken while the current one was deleted.
    expect(c2!.snapshots).toEqual([{ logicalId: 'Db', dbInstanceIdentifier: 'db-c1', snapshotIdentifier: 'em-1a2b3c4d-c2-db' }]);
    expect(c2).not.toHaveProperty('templateUrl');
    expect(c2).not.toHaveProperty('smokeTest');
    // One sweep by name and tag finds both clones' snapshots; only the one the new stack restores from is kept.
    expect(callsOf(o, 'delete-snapshots').map((c) => c.input)).toEqual([
      { snapshots: [], execution: { id: EXECUTION_ARN, name: 'run-1' }, runId: '1a2b3c4d', keep: [{ logicalId: 'Db', dbInstanceIdentifier: 'db', snapshotIdentifier: 'em-1a2b3c4d-c2-db' }] },
    ]);
    expect(notice(o)).toMatchObject({ outcome: 'SUCCEEDED', stackName: STACK, survivor: STACK, version: '2.0.0' });
    expectNotifiedAndUnlocked(o);
  });

  it('deletes the current environment only with the verified copy as proof and its expected stack ID', async () => {
    const o = await run(world());
    const deletion = callsOf(o, 'delete-stack').find((c) => c.state === 'Delete the current environment')!.input as unknown as DeleteStackEvent;
    expect(deletion.expectedStackId).toBe(`arn:aws:cloudformation:eu-west-1:123456789012:stack/${STACK}/original`);
    expect(deletion.verifiedCopy).toMatchObject({ outcome: 'EQUAL', sourceStackName: STACK, destinationStackName: TEMP });
    const order = statesRun(o);
    expect(order.indexOf('Clone the environment to a temporary stack')).toBeLessThan(order.indexOf('Delete the current environment'));
  });

  it("snapshots the temporary copy for clone 2 only once the current environment's deletion is under way, while it runs", async () => {
    const o = await run(world());
    const order = statesRun(o);
    const snapshotted = order.indexOf('Snapshot the temporary copy');
    expect(order.indexOf('Delete the current environment')).toBeLessThan(snapshotted);
    expect(snapshotted).toBeLessThan(order.indexOf('Check the current environment'));
    expect(callsOf(o, 'snapshot').map((c) => c.input)).toEqual([
      {
        sourceStackName: TEMP,
        dbInstances: [{ logicalId: 'Db', dbInstanceIdentifier: 'db-c1', allocatedStorageGb: 20, engine: 'postgres' }],
        phase: 'c2',
        runId: '1a2b3c4d',
        execution: { id: EXECUTION_ARN, name: 'run-1' },
      },
    ]);
  });

  it('keeps the temporary stack when the snapshot of it fails (phase B: the current environment is being deleted)', async () => {
    const o = await run(world({ steps: { snapshot: () => { throw named('AwsAccessDenied', 'not allowed to snapshot'); } } }));
    expect(o.error?.name).toBe('AwsAccessDenied');
    expect(deletedStacks(o)).toEqual([STACK]);
    expect(clonesStarted(o)).toHaveLength(1);
    expect(notice(o)).toMatchObject({ survivor: TEMP, failedState: 'Snapshot the temporary copy' });
    expectNotifiedAndUnlocked(o);
  });

  it('carries the template URL and the smoke test to the clones that need them', async () => {
    const input = validated({ templateUrl: 'https://s3.amazonaws.com/templates/v2.yaml', smokeTest: { outputKey: 'ServiceUrl', path: '/health', expectedStatus: 200, timeoutSeconds: 5 } });
    const o = await run(world({}, input));
    const [c1, c2] = clonesStarted(o);
    expect(c1).not.toHaveProperty('templateUrl');
    expect(c1!.smokeTest).toEqual(input.input.smokeTest);
    expect(c2).toMatchObject({ templateUrl: 'https://s3.amazonaws.com/templates/v2.yaml', smokeTest: input.input.smokeTest });
    expect(callsOf(o, 'discover')[0]!.input.requiredOutputs).toEqual(['StatisticsUrl', 'ServiceUrl']);
  });

  it('keeps the original snapshots when asked, and reports them for pipelines', async () => {
    const o = await run(world({}, validated({ retainOriginalSnapshots: true })));
    expect(callsOf(o, 'delete-snapshots').map((c) => (c.input as unknown as DeleteSnapshotsEvent).keep)).toEqual([
      [
        { logicalId: 'Db', dbInstanceIdentifier: 'db', snapshotIdentifier: 'em-1a2b3c4d-c1-db' },
        { logicalId: 'Db', dbInstanceIdentifier: 'db', snapshotIdentifier: 'em-1a2b3c4d-c2-db' },
      ],
    ]);
    expect((o.output as MigrationOutput).snapshotsRetained).toEqual(['em-1a2b3c4d-c1-db', 'em-1a2b3c4d-c2-db']);
  });

  it('rejects a bad input before any AWS call, notifies naming the stack, and leaves the lock alone', async () => {
    const o = await run(world({ steps: { 'validate-input': () => { throw named('InputInvalid', 'Input rejected: targetVersion: required'); } } }), { stackName: STACK });
    expect(o.error).toEqual({ name: 'InputInvalid', cause: 'Input rejected: targetVersion: required' });
    expect(notice(o)).toMatchObject({ outcome: 'REJECTED_INPUT', stackName: STACK, survivor: null, failedState: 'Validate the input', error: { Error: 'InputInvalid' } });
    expect(callsOf(o, 'sns:publish')).toHaveLength(1);
    expect(statesRun(o)).toEqual(['Validate the input', 'Compose the notification', 'Publish the notification']);
  });

  it('rejects an input that is not even an object, with a notification all the same', async () => {
    const o = await run(world({ steps: { 'validate-input': () => { throw named('InputInvalid', 'Input rejected: (input): expected object'); } } }), ['not', 'an', 'object']);
    expect(o.error?.name).toBe('InputInvalid');
    expect(notice(o)).toMatchObject({ outcome: 'REJECTED_INPUT', stackName: '(no valid stack name in the input)', execution: { id: EXECUTION_ARN, name: 'run-1' } });
    expect(callsOf(o, 'sns:publish')).toHaveLength(1);
  });

  it('fails fast when another migration holds the lock, naming it, without touching its lock', async () => {
    const o = await run(world({ integrations: { 'dynamodb:putItem': () => { throw named('DynamoDB.ConditionalCheckFailedException', 'The conditional request failed'); } } }));
    expect(o.error?.name).toBe('MigrationInProgress');
    expect(o.error?.cause).toContain('arn:aws:states:eu-west-1:123456789012:execution:Migrate:other');
    expect(notice(o)).toMatchObject({ outcome: 'MIGRATION_IN_PROGRESS', survivor: STACK });
    expect(callsOf(o, 'dynamodb:deleteItem')).toHaveLength(0);
    expect(callsOf(o, 'discover')).toHaveLength(0);
    expect(callsOf(o, 'sns:publish')).toHaveLength(1);
  });

  it('takes the lock conditionally: free, ours, or expired', async () => {
    const o = await run(world());
    expect(callsOf(o, 'dynamodb:putItem')[0]!.input).toMatchObject({
      Item: { stackName: { S: STACK }, owner: { S: EXECUTION_ARN }, expiresAt: { N: '1900000000' } },
      ConditionExpression: 'attribute_not_exists(stackName) OR #owner = :me OR #expiresAt < :now',
      ExpressionAttributeValues: { ':me': { S: EXECUTION_ARN }, ':now': { N: String(1_900_000_000 - MIGRATION_TIMEOUT_SECONDS) } },
    });
  });

  it('preserves the current environment when the temporary copy differs: deletes the copy, restores service, alerts', async () => {
    const o = await run(world({ integrations: { 'states:startExecution.sync:2': (p) => ({ Output: cloneOutput(p.Input as CloneInput, 'MISMATCH') }) } }));
    expect(o.error?.name).toBe('StatisticsMismatch');
    expect(deletedStacks(o)).toEqual([TEMP]);
    expect(callsOf(o, 'standby-exit')[0]!.input).toMatchObject({ standby: { groups: [{ autoScalingGroupName: 'orders-asg' }] } });
    expect(notice(o)).toMatchObject({
      outcome: 'PRESERVED_AFTER_FIRST_CLONE_MISMATCH',
      survivor: STACK,
      statistics: { status: 'MISMATCH' },
      compensation: { deleteTemporaryStack: { status: 'DONE', target: TEMP }, exitStandby: { status: 'DONE' } },
    });
    expectNotifiedAndUnlocked(o);
  });

  it('keeps the temporary stack, the only copy, when the new environment differs', async () => {
    const o = await run(world({ integrations: { 'states:startExecution.sync:2': (p) => ({ Output: cloneOutput(p.Input as CloneInput, (p.Input as CloneInput).phase === 'c2' ? 'MISMATCH' : 'EQUAL') }) } }));
    expect(o.error?.name).toBe('StatisticsMismatch');
    expect(deletedStacks(o)).toEqual([STACK, STACK]);
    expect(deletedStacks(o)).not.toContain(TEMP);
    expect(notice(o)).toMatchObject({ outcome: 'PRESERVED_AFTER_SECOND_CLONE_MISMATCH', survivor: TEMP, compensation: { deleteNewStack: { status: 'DONE' } } });
    expectNotifiedAndUnlocked(o);
  });

  it('undoes everything when the first clone fails, and the current environment keeps the data (phase A)', async () => {
    const o = await run(world({ integrations: { 'states:startExecution.sync:2': () => { throw named('States.TaskFailed', '{"Error":"PreflightFailed"}'); } } }));
    expect(o.error).toEqual({ name: 'States.TaskFailed', cause: '{"Error":"PreflightFailed"}' });
    expect(deletedStacks(o)).toEqual([TEMP]);
    expect(callsOf(o, 'standby-exit')).toHaveLength(1);
    expect(notice(o)).toMatchObject({ outcome: 'FAILED_AND_COMPENSATED', survivor: STACK, failedState: 'Clone the environment to a temporary stack', error: { Error: 'States.TaskFailed' } });
    // The clone is stopped before its work is undone: left running, it would recreate the temporary
    // stack; so is a live sync's PREPARE (none here: stopping it changes nothing).
    expect(callsOf(o, 'aws-sdk:sfn:stopExecution').map((c) => c.input.ExecutionArn)).toEqual([
      expect.stringMatching(/:execution:[^:]+:1a2b3c4d-c1$/),
      expect.stringMatching(/:execution:[^:]+:1a2b3c4d-live$/),
    ]);
    expect(statesRun(o).indexOf('Stop the first clone')).toBeLessThan(statesRun(o).indexOf('Remove the temporary stack'));
    // A failed clone never reports its snapshots: the sweep finds them by name and tag.
    expect(callsOf(o, 'delete-snapshots').map((c) => c.input)).toEqual([{ snapshots: [], execution: { id: EXECUTION_ARN, name: 'run-1' }, runId: '1a2b3c4d' }]);
    expectNotifiedAndUnlocked(o);
  });

  it('proves the original unchanged right before deleting it, relisting across invocations, with the verified copy and the discovered stack ID', async () => {
    let calls = 0;
    const o = await run(
      world({
        steps: {
          'recheck-original': (e) => {
            calls++;
            if (calls === 1) expect(e).not.toHaveProperty('continuation');
            else expect(e.continuation).toEqual({ bucketIndex: 0, done: [], invocations: 1 });
            return { status: calls === 1 ? 'CONTINUE' : 'UNCHANGED', buckets: [], continuation: { bucketIndex: 0, done: [], invocations: calls } };
          },
        },
      }),
    );
    expect(o.error).toBeUndefined();
    const order = statesRun(o);
    expect(order.filter((s) => s.startsWith('Prove'))).toEqual(['Prove the original unchanged', 'Prove more of the original unchanged']);
    // Between the proof and the deletion only the last safe point's read of a cancel request runs.
    expect(order.indexOf('Prove more of the original unchanged')).toBe(order.indexOf('Delete the current environment') - 2);
    expect(order[order.indexOf('Delete the current environment') - 1]).toBe('Read any cancel request (Begin deleting the current environment)');
    expect(callsOf(o, 'recheck-original')[0]!.input).toMatchObject({
      stackName: STACK,
      expectedStackId: `arn:aws:cloudformation:eu-west-1:123456789012:stack/${STACK}/original`,
      verifiedCopy: { outcome: 'EQUAL', sourceStackName: STACK, destinationStackName: TEMP },
    });
  });

  it('undoes the migration when the original changed after its verification: nothing of it deleted, back in service, one notification (phase A)', async () => {
    const o = await run(world({ steps: { 'recheck-original': () => { throw named('OriginalChangedAfterVerification', 'orders changed: bucket orders-uploads: added "late"'); } } }));
    expect(o.error).toEqual({ name: 'OriginalChangedAfterVerification', cause: 'orders changed: bucket orders-uploads: added "late"' });
    expect(deletedStacks(o)).toEqual([TEMP]);
    expect(callsOf(o, 'standby-exit')).toHaveLength(1);
    expect(notice(o)).toMatchObject({ outcome: 'FAILED_AND_COMPENSATED', survivor: STACK, failedState: 'Prove the original unchanged', error: { Error: 'OriginalChangedAfterVerification' } });
    expectNotifiedAndUnlocked(o);
  });

  it('undoes the migration when the deletion of the original is refused before anything was deleted (phase A, not B)', async () => {
    const o = await run(
      world({ steps: { 'delete-stack': (e) => { if (e.stackName === STACK) throw named('DeletionRefused', 'version not in its manifest'); return { status: 'DONE', stackName: e.stackName, bucketsEmptied: [], deleteStarted: true }; } } }),
    );
    expect(o.error?.name).toBe('DeletionRefused');
    expect(deletedStacks(o)).toEqual([STACK, TEMP]);
    expect(callsOf(o, 'standby-exit')).toHaveLength(1);
    expect(notice(o)).toMatchObject({ outcome: 'FAILED_AND_COMPENSATED', survivor: STACK, failedState: 'Delete the current environment' });
    expectNotifiedAndUnlocked(o);
  });

  it('counts every bucket before the standby and refuses an archived object there, touching nothing', async () => {
    const o = await run(world({ steps: { 'inventory-buckets': () => { throw named('PreflightFailed', 'Preflight failed: bucket orders-uploads holds 1 object version(s) in an archive storage class'); } } }));
    expect(o.error?.name).toBe('PreflightFailed');
    expect(callsOf(o, 'standby-enter')).toHaveLength(0);
    expect(clonesStarted(o)).toHaveLength(0);
    expect(callsOf(o, 'inventory-buckets')[0]!.input).toMatchObject({ bucket: { logicalId: 'Uploads', bucketName: 'orders-uploads' }, objectVersions: 'all' });
    expect(notice(o)).toMatchObject({ outcome: 'FAILED_AND_COMPENSATED', survivor: STACK, failedState: "Count each bucket's objects" });
    expectNotifiedAndUnlocked(o);
  });

  it('returns the instances to service even when standby-enter failed before recording them', async () => {
    const o = await run(world({ steps: { 'standby-enter': () => { throw named('AwsRequestFailed', 'ValidationError: below min size'); } } }));
    expect(deletedStacks(o)).toEqual([]);
    const exit = callsOf(o, 'standby-exit')[0]!.input as unknown as StandbyExitEvent;
    expect(exit.autoScalingGroups).toEqual([{ logicalId: 'Asg', autoScalingGroupName: 'orders-asg' }]);
    expect(exit).not.toHaveProperty('standby');
    expect(notice(o)).toMatchObject({ outcome: 'FAILED_AND_COMPENSATED', survivor: STACK, failedState: 'Put the instances in standby' });
    expectNotifiedAndUnlocked(o);
  });

  it('goes on compensating when a compensation fails, and records it', async () => {
    const o = await run(
      world({
        integrations: { 'states:startExecution.sync:2': () => { throw named('States.TaskFailed', 'clone failed'); } },
        steps: { 'delete-stack': () => { throw named('DeletionRefused', 'not ours'); } },
      }),
    );
    expect(callsOf(o, 'standby-exit')).toHaveLength(1);
    expect(notice(o).compensation).toMatchObject({ deleteTemporaryStack: { Error: 'DeletionRefused', Cause: 'not ours' }, exitStandby: { status: 'DONE' } });
    expectNotifiedAndUnlocked(o);
  });

  it('never deletes the temporary stack once the current environment is being deleted (phase B)', async () => {
    const o = await run(
      world({
        steps: {
          'stack-status': (e) =>
            e.stackName === STACK
              ? { status: 'FAILED', stackStatus: 'DELETE_FAILED', failures: [{ logicalId: 'Bucket', resourceType: 'AWS::S3::Bucket', status: 'DELETE_FAILED', reason: 'not empty' }], wait: { nextDelaySeconds: 1 } }
              : { status: 'READY', stackStatus: 'DELETE_COMPLETE', failures: [], wait: { nextDelaySeconds: 1 } },
        },
      }),
    );
    expect(o.error?.name).toBe('StackDeleteFailed');
    expect(o.error?.cause).toContain('not empty');
    expect(deletedStacks(o)).toEqual([STACK]);
    expect(clonesStarted(o)).toHaveLength(1);
    expect(callsOf(o, 'standby-exit')).toHaveLength(0);
    expect(notice(o)).toMatchObject({ outcome: 'FAILED_AND_COMPENSATED', survivor: TEMP, failedState: 'Delete the current environment' });
    expectNotifiedAndUnlocked(o);
  });

  it('removes the partial new environment but keeps the temporary stack when the second clone fails', async () => {
    const o = await run(
      world({
        integrations: {
          'states:startExecution.sync:2': (p) => {
            if ((p.Input as CloneInput).phase === 'c2') throw named('States.TaskFailed', 'creation failed');
            return { Output: cloneOutput(p.Input as CloneInput) };
          },
        },
      }),
    );
    expect(deletedStacks(o)).toEqual([STACK, STACK]);
    expect(callsOf(o, 'delete-stack')[1]!.state).toBe('Remove the partial new environment');
    expect(notice(o)).toMatchObject({ outcome: 'FAILED_AND_COMPENSATED', survivor: TEMP, compensation: { deleteNewStack: { status: 'DONE' } } });
    expectNotifiedAndUnlocked(o);
  });

  it('lists what is left to do by hand when the clean-up fails after a verified migration (phase C)', async () => {
    const o = await run(world({ steps: { 'delete-stack': (e) => { if (e.stackName === TEMP) throw named('AwsAccessDenied', 'denied'); return { status: 'DONE', stackName: e.stackName, bucketsEmptied: [], deleteStarted: true }; } } }));
    expect(o.error?.name).toBe('AwsAccessDenied');
    const n = notice(o);
    expect(n).toMatchObject({ outcome: 'FAILED_AND_COMPENSATED', survivor: STACK, failedState: 'Delete the temporary stack' });
    // The temporary stack's failure is recorded for the composer's left-to-do list; the snapshots are still cleaned up.
    expect(n.compensation).toMatchObject({ deleteTemporaryStack: { Error: 'AwsAccessDenied', Cause: 'denied' }, deleteSnapshots: { deleted: [] } });
    expect(callsOf(o, 'delete-snapshots')).toHaveLength(1);
    expectNotifiedAndUnlocked(o);
  });

  it('retries throttling with backoff but not permanent errors', async () => {
    const o = await run(world({ steps: { discover: (e, call) => { if (call.attempt < 3) throw named('AwsThrottled', 'slow down'); return world().steps.discover!(e, call); } } }));
    expect(o.error).toBeUndefined();
    expect(callsOf(o, 'discover').filter((c) => c.state === 'Discover the environment')).toHaveLength(3);

    const p = await run(world({ steps: { discover: () => { throw named('PreflightFailed', 'stack is UPDATE_IN_PROGRESS'); } } }));
    expect(callsOf(p, 'discover')).toHaveLength(1);
    expect(p.error?.name).toBe('PreflightFailed');
  });

  it('ends with the error the composed notification names (what was found), and with the given one when the composer names none', async () => {
    const clone = (): never => {
      throw named('States.TaskFailed', '{"ExecutionArn":"arn:aws:states:eu-west-1:123456789012:execution:Clone:1a2b3c4d-c1","Status":"FAILED","Error":"CopyFailed"}');
    };
    const found = { Error: 'CopyFailed', Cause: 'copy of uploads/a.bin failed (in the Clone execution 1a2b3c4d-c1)' };
    const o = await run(
      world({
        integrations: { 'states:startExecution.sync:2': clone },
        steps: { 'compose-notification': () => ({ subject: 's', message: 'm', details: '{}', error: found }) },
      }),
    );
    expect(o.error).toEqual({ name: 'CopyFailed', cause: found.Cause });
    expect(callsOf(o, 'sns:publish')).toHaveLength(1);
    const plain = await run(world({ integrations: { 'states:startExecution.sync:2': clone } }));
    expect(plain.error?.name).toBe('States.TaskFailed');
  });

  it('still releases the lock and fails with the original error when the notification cannot be sent', async () => {
    const o = await run(
      world({
        integrations: { 'sns:publish': () => { throw named('SNS.AuthorizationErrorException', 'denied'); }, 'states:startExecution.sync:2': () => { throw named('States.TaskFailed', 'boom'); } },
      }),
    );
    expect(o.error).toEqual({ name: 'States.TaskFailed', cause: 'boom' });
    expect(callsOf(o, 'dynamodb:deleteItem')).toHaveLength(1);
  });
});
