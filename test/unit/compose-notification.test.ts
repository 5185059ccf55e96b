import { describe, expect, it } from 'vitest';
import { causeText, compensationLines, composeNotification, consoleUrl, MESSAGE_MAX_BYTES, DETAILS_MAX_BYTES } from '../../lambdas/compose-notification/core';
import { runIdOf, tempStackNameOf } from '../../lambdas/shared/naming';
import type { CompareStatisticsResult, ComposeNotificationEvent, VerifyBucketResult } from '../../lambdas/shared/contracts';

const ARN = 'arn:aws:states:eu-west-1:123456789012:execution:Migrate:run-1';
const execution = { id: ARN, name: 'run-1' };
const TEMP = 'orders-prod-tmp-1a2b3c4d';

const base = (overrides: Partial<ComposeNotificationEvent>): ComposeNotificationEvent => ({
  outcome: 'FAILED_AND_COMPENSATED',
  stackName: 'orders-prod',
  execution,
  survivor: 'orders-prod',
  cleanedUp: [],
  leftToDo: [],
  ...overrides,
});

const lambdaCause = (type: string, message: string) => JSON.stringify({ errorType: type, errorMessage: message, trace: ['at x (/var/task/index.mjs:1:1)'] });

const statistics = (differences: CompareStatisticsResult['differences']): CompareStatisticsResult => ({
  status: differences.length ? 'MISMATCH' : 'EQUAL',
  source: { url: 'https://src/stats', ok: true, dataSha256: 'a'.repeat(64), values: 1 },
  destination: { url: 'https://dst/stats', ok: true, dataSha256: 'b'.repeat(64), values: 1 },
  differences,
  differenceCount: differences.length,
  summary: differences.length ? `${differences.length} statistics differ` : 'statistics are equal',
});

const verification = (overrides: Partial<VerifyBucketResult> = {}): VerifyBucketResult => ({
  status: 'MISMATCH',
  pair: { logicalId: 'Uploads', sourceBucket: 'orders-prod-uploads-1', destinationBucket: 'tmp-uploads-1' },
  source: { objects: 10, versions: 10, deleteMarkers: 0, bytes: 1000, digest: { sum: 'a'.repeat(64), count: 10 } },
  destination: { objects: 9, versions: 9, deleteMarkers: 0, bytes: 900, digest: { sum: 'b'.repeat(64), count: 9 } },
  comparedBy: { etag: 8, checksum: 1, hashed: 0, notComparable: 0 },
  differences: [{ key: 'invoices/2024/01.pdf', problem: 'MISSING_AT_DESTINATION', detail: '1 version(s) and marker(s)' }],
  differenceCount: 1,
  ...overrides,
});

const isSnsSubject = (s: string) => s.length < 100 && /^[\x20-\x7E]+$/.test(s);

describe('compose-notification', () => {
  it('names the failed state and where the data is safe in the subject of a failure', () => {
    const n = composeNotification(base({ failedState: 'Create the destination stack', error: { Error: 'AwsRequestFailed', Cause: lambdaCause('AwsRequestFailed', 'LimitExceeded: too many stacks') } }));
    expect(n.subject).toBe('[env-migrator] FAILED orders-prod at "Create the destination stack" - data safe in orders-prod');
    expect(isSnsSubject(n.subject)).toBe(true);
  });

  it('says PRESERVED, what differed and where the data is for a first-clone mismatch', () => {
    const n = composeNotification(base({ outcome: 'PRESERVED_AFTER_FIRST_CLONE_MISMATCH', survivor: 'orders-prod', statistics: statistics([{ path: 'data.customers.count', source: 57, destination: 56 }]) }));
    expect(n.subject).toBe('[env-migrator] PRESERVED orders-prod: statistics differ - data in orders-prod');
  });

  it('points loudly at the temporary stack when it holds the only copy', () => {
    const n = composeNotification(base({ outcome: 'PRESERVED_AFTER_SECOND_CLONE_MISMATCH', survivor: TEMP, verification: [verification()] }));
    expect(n.subject).toBe(`[env-migrator] PRESERVED orders-prod: buckets differ - data in ${TEMP}`);
    expect(n.message).toContain(`!!! ALL DATA IS IN ${TEMP} - NOT in orders-prod. Do NOT delete ${TEMP}`);
  });

  it('gives the version in the subject of a success, in ASCII', () => {
    const n = composeNotification(base({ outcome: 'SUCCEEDED', version: '1.4.0', statistics: statistics([]) }));
    expect(n.subject).toBe('[env-migrator] SUCCEEDED orders-prod -> 1.4.0');
    expect(n.message).toContain('orders-prod now runs version 1.4.0');
    expect(n.message).toContain('*** ALL DATA IS IN orders-prod. ***');
  });

  it.each([
    ['REJECTED_INPUT', '[env-migrator] REJECTED input for orders-prod: nothing changed'],
    ['MIGRATION_IN_PROGRESS', '[env-migrator] REFUSED orders-prod: another migration is in progress'],
  ] as const)('has a clear subject for %s', (outcome, subject) => {
    expect(composeNotification(base({ outcome, survivor: null })).subject).toBe(subject);
  });

  it('keeps the subject under 100 ASCII characters with the longest names, keeping the survivor', () => {
    const long = `a${'b'.repeat(99)}`;
    const n = composeNotification(base({ stackName: long, survivor: 'orders-prod', failedState: 'Wait for the destination stack to be created — and more → ✓\nsecond line' }));
    expect(isSnsSubject(n.subject)).toBe(true);
    const short = composeNotification(base({ failedState: 'Snapshot ready? — «quoted» ✓\nline' }));
    expect(isSnsSubject(short.subject)).toBe(true);
    expect(short.subject).toContain('data safe in orders-prod');
  });

  it('shows the errorMessage of a Lambda cause, not the raw JSON', () => {
    const n = composeNotification(base({ failedState: 'Snapshot the databases', error: { Error: 'ResourceConflict', Cause: lambdaCause('ResourceConflict', 'snapshot em-1 already exists and was not made by this execution') } }));
    expect(n.message).toContain('Error: ResourceConflict');
    expect(n.message).toContain('Cause: snapshot em-1 already exists and was not made by this execution');
    expect(n.message).not.toContain('errorType');
    expect(n.message).not.toContain('/var/task');
  });

  it('unwraps the cause of a failed child execution (Clone) down to the Lambda message', () => {
    const child = JSON.stringify({ Error: 'WaitTimedOut', Cause: lambdaCause('WaitTimedOut', 'Timed out waiting for stack x to be created') });
    expect(causeText(child)).toBe('WaitTimedOut: Timed out waiting for stack x to be created');
    expect(causeText('plain text cause')).toBe('plain text cause');
    expect(causeText('{"not":"a cause"}')).toBe('{"not":"a cause"}');
  });

  it('lists every rejected field of bad input on its own line', () => {
    const n = composeNotification(
      base({ outcome: 'REJECTED_INPUT', survivor: null, error: { Error: 'InputInvalid', Cause: lambdaCause('InputInvalid', 'Input rejected: stackName: required; waits.snapshotSeconds: must be at least 1') } }),
    );
    expect(n.message).toContain('  - stackName: required\n  - waits.snapshotSeconds: must be at least 1');
    expect(n.message).toContain('Unchanged: this execution touched no environment.');
  });

  it('writes the message in sections: what, where, why, data, cleaned up, left to do, console link', () => {
    const n = composeNotification(
      base({
        outcome: 'PRESERVED_AFTER_FIRST_CLONE_MISMATCH',
        failedState: undefined,
        statistics: statistics([
          { path: 'data.customers.count', source: 57, destination: 56 },
          { path: 'data.orders.latest', source: '2025-01-01', destination: undefined },
        ]),
        verification: [verification(), verification({ status: 'EQUAL', pair: { logicalId: 'Logs', sourceBucket: 's', destinationBucket: 'd' } })],
        cleanedUp: [`deleted stack ${TEMP}`, 'deleted snapshots em-1a2b3c4d-c1-database'],
        leftToDo: ['look at why data.customers.count differs'],
      }),
    );
    const m = n.message;
    const order = ['WHAT HAPPENED', 'WHERE', 'WHY', 'WHERE THE DATA IS', 'CLEANED UP', 'LEFT TO DO BY HAND', 'EXECUTION'].map((s) => m.indexOf(`\n${s}\n`));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(m).toContain('data.customers.count: 57 → 56');
    expect(m).toContain('data.orders.latest: "2025-01-01" → (absent)');
    expect(m).toContain('Uploads (orders-prod-uploads-1 → tmp-uploads-1): MISMATCH; objects 10 → 9, versions 10 → 9, delete markers 0 → 0, bytes 1000 → 900');
    expect(m).toContain('MISSING_AT_DESTINATION: invoices/2024/01.pdf');
    expect(m).not.toContain('Logs (s → d)');
    expect(m).toContain(`- deleted stack ${TEMP}`);
    expect(m).toContain('- look at why data.customers.count differs');
    expect(m).toContain(`https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${ARN}`);
  });

  it('shortens the reason before it drops the survivor from a long subject', () => {
    const n = composeNotification(base({ outcome: 'PRESERVED_AFTER_SECOND_CLONE_MISMATCH', survivor: TEMP, statistics: statistics([{ path: 'p', source: 1, destination: 2 }]), verification: [verification()] }));
    // "statistics and buckets differ" would make it 102 characters.
    expect(n.subject).toBe(`[env-migrator] PRESERVED orders-prod: mismatch - data in ${TEMP}`);
  });

  it('says when no environment is known to hold the data', () => {
    const n = composeNotification(base({ survivor: null }));
    expect(n.message).toMatch(/!!! UNKNOWN: no environment is known to hold all of the data/);
    expect(n.subject).toContain('UNKNOWN');
  });

  it('builds the console link from the region in the ARN, in the right partition', () => {
    expect(consoleUrl('arn:aws:states:us-east-2:1:execution:M:r', 'us-east-2')).toBe('https://us-east-2.console.aws.amazon.com/states/home?region=us-east-2#/v2/executions/details/arn:aws:states:us-east-2:1:execution:M:r');
    expect(consoleUrl('arn:aws-cn:states:cn-north-1:1:execution:M:r', 'cn-north-1')).toMatch(/^https:\/\/cn-north-1\.console\.amazonaws\.cn\//);
    expect(composeNotification(base({ execution: { id: 'arn:aws:states:ap-south-1:1:execution:M:r', name: 'r' } })).message).toContain('region=ap-south-1');
  });

  it('gives the same facts as JSON in details', () => {
    const n = composeNotification(base({ failedState: 'Copy the buckets', error: { Error: 'CopyFailed', Cause: lambdaCause('CopyFailed', 'AccessDenied on key a') }, verification: [verification()] }));
    const d = JSON.parse(n.details);
    expect(d).toMatchObject({
      outcome: 'FAILED_AND_COMPENSATED',
      stackName: 'orders-prod',
      survivor: 'orders-prod',
      failedState: 'Copy the buckets',
      executionArn: ARN,
      error: { error: 'CopyFailed', cause: 'AccessDenied on key a' },
      buckets: [{ logicalId: 'Uploads', status: 'MISMATCH', differenceCount: 1 }],
    });
  });

  it('stays under its size limits with huge difference lists, saying how many more', () => {
    const differences = Array.from({ length: 50_000 }, (_, i) => ({ path: `data.table${i}.count`, source: i, destination: 'x'.repeat(500) }));
    const objects = Array.from({ length: 5000 }, (_, i) => ({ key: `k/${i}`, problem: 'CONTENT_DIFFERS' as const }));
    const n = composeNotification(
      base({
        outcome: 'PRESERVED_AFTER_FIRST_CLONE_MISMATCH',
        statistics: statistics(differences),
        verification: Array.from({ length: 30 }, () => verification({ differences: objects, differenceCount: 123_456 })),
        leftToDo: Array.from({ length: 1000 }, (_, i) => `item ${i} ${'y'.repeat(300)}`),
        error: { Error: 'X', Cause: 'z'.repeat(1_000_000) },
      }),
    );
    expect(Buffer.byteLength(n.message, 'utf8')).toBeLessThanOrEqual(MESSAGE_MAX_BYTES);
    expect(Buffer.byteLength(n.details, 'utf8')).toBeLessThanOrEqual(DETAILS_MAX_BYTES);
    expect(n.message).toContain('... and 49900 more');
    expect(n.message).toContain('... and 123436 more');
    expect(n.message).toContain('... and 10 more buckets');
    expect(n.message).toContain('WHERE THE DATA IS');
    expect(JSON.parse(n.details)).toMatchObject({ truncated: true, statistics: { differenceCount: 50_000 } });
  });

  it('points at the document holding every statistics difference when the state lists only the first', () => {
    const listed = statistics([{ path: 'data.t1.count', source: 1, destination: 2 }]);
    const n = composeNotification(
      base({
        outcome: 'PRESERVED_AFTER_FIRST_CLONE_MISMATCH',
        statistics: { ...listed, differenceCount: 28_001, differencesDocument: { bucket: 'wf-bucket', key: 'runs/r1/statistics/a-to-b/differences.json', bytes: 9, sha256: 'c'.repeat(64) } },
      }),
    );
    expect(n.message).toContain('... and 28000 more');
    expect(n.message).toContain('s3://wf-bucket/runs/r1/statistics/a-to-b/differences.json');
    expect(JSON.parse(n.details)).toMatchObject({ statistics: { differencesDocument: 's3://wf-bucket/runs/r1/statistics/a-to-b/differences.json' } });
  });

  it('shows a side with no value at all as absent, and a JSON null as null', () => {
    const n = composeNotification(
      base({
        outcome: 'PRESERVED_AFTER_FIRST_CLONE_MISMATCH',
        statistics: statistics([
          { path: 'data.orders.latest', source: '2025-01-01', destination: null, absentOn: 'destination' },
          { path: 'data.orders.note', source: null, destination: 'x' },
        ]),
      }),
    );
    expect(n.message).toContain('data.orders.latest: "2025-01-01" → (absent)');
    expect(n.message).toContain('data.orders.note: null → "x"');
  });

  it('reads a failed stack deletion cause (its stack events) as sentences', () => {
    const cause = JSON.stringify([{ logicalId: 'Uploads', resourceType: 'AWS::S3::Bucket', status: 'DELETE_FAILED', reason: 'The bucket you tried to delete is not empty' }]);
    expect(causeText(cause)).toBe('Uploads (AWS::S3::Bucket) DELETE_FAILED: The bucket you tried to delete is not empty');
  });

  describe('the compensation record', () => {
    const temp = `orders-prod-tmp-${runIdOf(ARN)}`;

    it('lists what the compensation completed as cleaned up', () => {
      const n = composeNotification(
        base({
          failedState: 'Copy the buckets',
          cleanedUp: ['unlocked'],
          compensation: {
            deleteTemporaryStack: { status: 'DONE', target: temp },
            exitStandby: { status: 'DONE' },
            deleteSnapshots: { deleted: [`em-${runIdOf(ARN)}-c1-db`], alreadyGone: [], notDeletable: [], kept: [] },
          },
        }),
      );
      expect(n.message).toContain(`CLEANED UP\n- unlocked\n- deleted the temporary stack ${temp}\n- returned the instances of orders-prod to service`);
      expect(n.message).toContain(`- deleted this migration's DB snapshots: em-${runIdOf(ARN)}-c1-db`);
      expect(n.message).toContain('LEFT TO DO BY HAND\n(nothing)');
      expect(JSON.parse(n.details).cleanedUp).toHaveLength(4);
    });

    it('turns every failed compensation into work left by hand, with its reason and the names it needs', () => {
      const { cleanedUp, leftToDo } = compensationLines(
        base({
          compensation: {
            deleteTemporaryStack: { Error: 'StackDeleteFailed', Cause: JSON.stringify([{ logicalId: 'Db', resourceType: 'AWS::RDS::DBInstance', status: 'DELETE_FAILED', reason: 'busy' }]) },
            exitStandby: { Error: 'AwsThrottled', Cause: lambdaCause('AwsThrottled', 'Rate exceeded') },
            deleteSnapshots: { Error: 'DeletionRefused', Cause: lambdaCause('DeletionRefused', 'snapshot x not made by this execution') },
          },
        }),
      );
      expect(cleanedUp).toEqual([]);
      expect(leftToDo).toEqual([
        `delete the temporary stack ${temp} by hand; the data is in orders-prod; its deletion failed (StackDeleteFailed: Db (AWS::RDS::DBInstance) DELETE_FAILED: busy)`,
        expect.stringMatching(/^put the instances of orders-prod back in service by hand: .* \(AwsThrottled: Rate exceeded\)$/),
        `delete this migration's DB snapshots (em-${runIdOf(ARN)}-*) by hand; their deletion failed (DeletionRefused: snapshot x not made by this execution)`,
      ]);
    });

    it('blue/green: names the idle slot the run copied into (copyStackName), never a temporary stack that was not made', () => {
      const e = base({ copyStackName: 'orders-prod-b', compensation: { deleteTemporaryStack: { Error: 'AwsAccessDenied', Cause: lambdaCause('AwsAccessDenied', 'not authorized') } } });
      expect(compensationLines(e).leftToDo).toEqual([`delete the copy in the idle slot orders-prod-b by hand; the data is in orders-prod; its deletion failed (AwsAccessDenied: not authorized)`]);
      expect(compensationLines({ ...e, compensation: { deleteTemporaryStack: { status: 'DONE' } } }).cleanedUp).toEqual(['deleted the copy in the idle slot orders-prod-b']);
      // The double clone's notices name their temporary stack the same way, under its own noun.
      expect(compensationLines({ ...e, copyStackName: temp, compensation: { deleteTemporaryStack: { status: 'DONE' } } }).cleanedUp).toEqual([`deleted the temporary stack ${temp}`]);
    });

    it('names the kept copy when the partial new environment could not be deleted', () => {
      const { leftToDo } = compensationLines(base({ survivor: temp, compensation: { deleteNewStack: { Error: 'States.Timeout', Cause: 'timed out' } } }));
      expect(leftToDo).toEqual([expect.stringContaining(`delete the new environment orders-prod by hand once you have checked it is not the one holding the data; the data is in ${temp}`)]);
    });

    it('warns that an original whose deletion failed part-way was left out of service', () => {
      const { leftToDo } = compensationLines(base({ survivor: temp, failedState: 'Delete the current environment', compensation: {} }));
      expect(leftToDo).toEqual([expect.stringContaining(`orders-prod, if it still exists, was left out of service`)]);
    });

    it('lists the snapshots kept as a backup of the original, and a lock that could not be released', () => {
      const { leftToDo } = compensationLines(
        base({
          survivor: temp,
          compensation: {
            deleteSnapshots: { deleted: [], alreadyGone: [], notDeletable: [], kept: ['em-x-c1-ordersdb'] },
            releaseLock: { Error: 'DynamoDB.AccessDeniedException', Cause: 'denied' },
          },
        }),
      );
      expect(leftToDo[0]).toMatch(/^the DB snapshots em-x-c1-ordersdb were kept on purpose/);
      expect(leftToDo[1]).toMatch(/^release the migration lock of orders-prod by hand .*DynamoDB\.AccessDeniedException: denied/);
    });

    it('lists snapshots RDS could not delete yet', () => {
      const { leftToDo } = compensationLines(base({ compensation: { deleteSnapshots: { status: 'DONE', notDeletable: [{ snapshotIdentifier: 'em-x-c1-db', status: 'creating' }] } } }));
      expect(leftToDo).toEqual(['delete the DB snapshot em-x-c1-db by hand once it is available (it was creating)']);
    });

    it('tolerates an empty or odd record', () => {
      expect(compensationLines(base({ compensation: {} }))).toEqual({ cleanedUp: [], leftToDo: [] });
      expect(compensationLines(base({ compensation: { weird: 'x', other: { status: 'DONE' } } }))).toEqual({ cleanedUp: ['other: done'], leftToDo: [] });
    });
  });
});

/** The cause Step Functions gives a startExecution.sync task whose child failed: the child's description. */
const childFailed = (error: string | undefined, cause: string | undefined, status = 'FAILED') =>
  JSON.stringify({
    ExecutionArn: 'arn:aws:states:eu-west-1:123456789012:execution:Clone20871BCF-x1Y2z3:1a2b3c4d-c1',
    Input: {},
    Name: '1a2b3c4d-c1',
    StartDate: 1,
    StateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:Clone20871BCF-x1Y2z3',
    Status: status,
    StopDate: 2,
    ...(error ? { Error: error } : {}),
    ...(cause ? { Cause: cause } : {}),
  });

describe('compose-notification: the error named is what was found', () => {
  // The copy as Migrate named it: derived from the execution, like the composer does.
  const copy = tempStackNameOf('orders-prod', ARN);
  const cloneFailure = (error: string | undefined, cause: string | undefined, status?: string) =>
    composeNotification(base({ failedState: 'Clone the environment to a temporary stack', error: { Error: 'States.TaskFailed', Cause: childFailed(error, cause, status) } }));

  it("surfaces a failed Clone's own error and cause, not the States.TaskFailed that wraps them, in the message, the details and the error Migrate ends with", () => {
    const n = cloneFailure('CopyFailed', lambdaCause('CopyFailed', 'AccessDenied copying uploads/a.bin'));
    expect(n.error).toEqual({ Error: 'CopyFailed', Cause: 'AccessDenied copying uploads/a.bin (in the Clone execution 1a2b3c4d-c1)' });
    expect(n.message).toContain('Error: CopyFailed\nCause: AccessDenied copying uploads/a.bin (in the Clone execution 1a2b3c4d-c1)');
    expect(n.message).not.toContain('States.TaskFailed');
    expect(JSON.parse(n.details).error).toEqual({ error: 'CopyFailed', cause: 'AccessDenied copying uploads/a.bin (in the Clone execution 1a2b3c4d-c1)' });
  });

  it("reads a Clone's failed stack creation (its stack events) as sentences under the Clone's error name", () => {
    const events = JSON.stringify([{ logicalId: 'OrdersDb', resourceType: 'AWS::RDS::DBInstance', status: 'CREATE_FAILED', reason: 'DBSnapshot not found' }]);
    const n = cloneFailure('StackCreateFailed', events);
    expect(n.error).toEqual({ Error: 'StackCreateFailed', Cause: 'OrdersDb (AWS::RDS::DBInstance) CREATE_FAILED: DBSnapshot not found (in the Clone execution 1a2b3c4d-c1)' });
  });

  it('keeps States.TaskFailed for a Clone that ended without an error of its own, saying how it ended; other errors stay as they came', () => {
    expect(cloneFailure(undefined, undefined, 'ABORTED').error).toEqual({ Error: 'States.TaskFailed', Cause: 'the Clone execution 1a2b3c4d-c1 ended ABORTED' });
    const plain = { Error: 'States.TaskFailed', Cause: 'clone failed' };
    expect(composeNotification(base({ error: plain })).error).toBe(plain);
    const own = { Error: 'ResourceConflict', Cause: lambdaCause('ResourceConflict', 'taken') };
    expect(composeNotification(base({ error: own })).error).toBe(own);
    expect(composeNotification(base({ outcome: 'SUCCEEDED' })).error).toBeUndefined();
  });

  it('names a difference only the bucket verification found BucketsDiffer, with each bucket and its first problems, never StatisticsMismatch with "statistics are equal"', () => {
    const n = composeNotification(
      base({
        outcome: 'PRESERVED_AFTER_FIRST_CLONE_MISMATCH',
        error: { Error: 'StatisticsMismatch', Cause: `the temporary copy ${TEMP} differs from orders-prod: statistics are equal` },
        statistics: statistics([]),
        verification: [verification({ status: 'EQUAL', differences: [], differenceCount: 0 }), verification({ differenceCount: 7 })],
      }),
    );
    expect(n.error?.Error).toBe('BucketsDiffer');
    expect(n.error?.Cause).toBe(
      `the temporary copy ${copy} differs from orders-prod in 1 bucket (the statistics are equal: statistics are equal): Uploads (orders-prod-uploads-1 → tmp-uploads-1): 7 differences: MISSING_AT_DESTINATION invoices/2024/01.pdf and 6 more`,
    );
    expect(n.message).toContain('Error: BucketsDiffer');
    expect(n.message).not.toContain('StatisticsMismatch');
  });

  it('says which side is the copy after clone 2, and keeps StatisticsMismatch when the statistics differ as well, naming the buckets too', () => {
    const second = composeNotification(
      base({ outcome: 'PRESERVED_AFTER_SECOND_CLONE_MISMATCH', survivor: TEMP, error: { Error: 'StatisticsMismatch', Cause: 'x' }, statistics: statistics([]), verification: [verification()] }),
    );
    expect(second.error?.Cause).toMatch(new RegExp(`^the new environment orders-prod differs from the temporary copy ${copy} in 1 bucket`));
    const both = composeNotification(
      base({
        outcome: 'PRESERVED_AFTER_FIRST_CLONE_MISMATCH',
        error: { Error: 'StatisticsMismatch', Cause: 'the temporary copy differs: 1 statistics differ' },
        statistics: statistics([{ path: 'data.customers.count', source: 57, destination: 56 }]),
        verification: [verification()],
      }),
    );
    expect(both.error).toEqual({
      Error: 'StatisticsMismatch',
      Cause: 'the temporary copy differs: 1 statistics differ; the buckets differ too: Uploads (orders-prod-uploads-1 → tmp-uploads-1): 1 difference: MISSING_AT_DESTINATION invoices/2024/01.pdf',
    });
  });
});

describe('compose-notification: snapshots the new stack restores from', () => {
  const inUse = [{ logicalId: 'OrdersDb', dbInstanceIdentifier: 'tmp-db', snapshotIdentifier: 'em-1a2b3c4d-c2-ordersdb' }];
  const sweep = { deleteSnapshots: { deleted: ['em-1a2b3c4d-c1-ordersdb'], alreadyGone: [], notDeletable: [], kept: ['em-1a2b3c4d-c2-ordersdb'] } };

  it('on success, lists them with their parameter and says to keep them and the parameter unchanged, not as a pre-migration backup', () => {
    const n = composeNotification(base({ outcome: 'SUCCEEDED', version: '1.4.0', snapshotsInUse: inUse, compensation: sweep }));
    expect(n.message).toContain('SNAPSHOTS KEPT FOR THE NEW STACK\n- em-1a2b3c4d-c2-ordersdb: orders-prod restored OrdersDb from it (parameter OrdersDbSnapshotIdentifier)');
    expect(n.message).toContain('Keep them while the stack references them. A future update of orders-prod must keep OrdersDbSnapshotIdentifier unchanged');
    expect(n.message).not.toMatch(/em-1a2b3c4d-c2-ordersdb were kept on purpose: they back up/);
    expect(JSON.parse(n.details).snapshotsInUse).toEqual(['em-1a2b3c4d-c2-ordersdb']);
  });

  it('still reports the original snapshots kept as a backup (retainOriginalSnapshots) as such', () => {
    const withBackup = { deleteSnapshots: { ...sweep.deleteSnapshots, deleted: [], kept: ['em-1a2b3c4d-c1-ordersdb', 'em-1a2b3c4d-c2-ordersdb'] } };
    const n = composeNotification(base({ outcome: 'SUCCEEDED', version: '1.4.0', snapshotsInUse: inUse, compensation: withBackup }));
    expect(n.message).toContain('the DB snapshots em-1a2b3c4d-c1-ordersdb were kept on purpose');
  });
});

describe('compose-notification: the live sync errors', () => {
  it.each(['PromotionUnsafe', 'ReplicationBroken', 'LiveSyncNotPossible'])('explains %s after its cause: what it means and what to do', (name) => {
    const n = composeNotification(base({ failedState: 'Check the promotion', error: { Error: name, Cause: lambdaCause(name, 'OrdersDb would be replaced (DBName requires recreation)') } }));
    const lines = n.message.split('\n');
    const cause = lines.findIndex((l) => l.startsWith('Cause: '));
    expect(cause).toBeGreaterThan(-1);
    expect(lines[cause + 1]).toMatch(/^What it means: /);
    expect(lines[cause + 2]).toMatch(/^What to do: /);
  });

  it('adds no explanation to an error whose cause says it all', () => {
    const n = composeNotification(base({ error: { Error: 'AwsRequestFailed', Cause: lambdaCause('AwsRequestFailed', 'LimitExceeded') } }));
    expect(n.message).not.toContain('What it means');
  });
});
