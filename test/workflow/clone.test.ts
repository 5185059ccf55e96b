/**
 * Clone on its own: copying an environment for experiments or analysis is a job in itself. The
 * synthesized Clone definition, started through the SDK like any execution, must leave a second
 * environment holding exactly the original's data, and leave the original untouched.
 */
import { executionArnOf } from '../../lambdas/shared/naming';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { type CloneInput, type CloneOutput, type CopyBucketEvent, type CopyBucketResult, MigrationInputSchema, type SplitBucketResult } from '../../lambdas/shared/contracts';
import { handler as copyHandler } from '../../lambdas/copy-bucket/handler';
import { handler as splitHandler } from '../../lambdas/split-bucket/handler';
import { runOnSimulatedClock } from '../../local/clock';
import { LocalHarness } from '../../local/harness';
import { SAMPLE_STACK, SAMPLE_VERSION, TEST_SIZE, seedSampleEnvironment } from '../../local/sample-environment';
import { environmentData, sameData } from '../../local/sim/environment-data';

let harness: LocalHarness | undefined;
afterEach(() => harness?.dispose());

function cloneInput(destination: string, executionArn: string): CloneInput {
  const defaults = MigrationInputSchema.parse({ stackName: SAMPLE_STACK, targetVersion: SAMPLE_VERSION });
  return {
    sourceStackName: SAMPLE_STACK,
    destinationStackName: destination,
    targetVersion: SAMPLE_VERSION,
    parameters: {},
    statistics: defaults.statistics,
    waits: defaults.waits,
    phase: 'x1',
    runId: 'a1b2c3d4',
    execution: { id: executionArn, name: 'analysis-copy' },
  };
}

/** Objects added to the reports bucket: more than one listing page (1,000), so it is copied as several key ranges. */
const LARGE_BUCKET_EXTRA = 1500;

describe('Clone, run on its own', () => {
  it('copies orders-prod into a new stack holding exactly its data, a bucket over one listing page as key ranges copied at once, and leaves orders-prod as it was', async () => {
    harness = await LocalHarness.create();
    const { account } = harness;
    seedSampleEnvironment(account, TEST_SIZE);
    const reports = account.cloudformation.resourcesOf(SAMPLE_STACK).find((r) => r.logicalId === 'ReportsBucket')!.physicalId;
    for (let i = 0; i < LARGE_BUCKET_EXTRA; i++) account.s3.putObjectDirect(reports, `archive/${String(i).padStart(5, '0')}.csv`, { body: `row ${i}\n`, contentType: 'text/csv' });
    // The real handlers, recorded: which ranges were split, and when each copy invocation ran.
    const splits: SplitBucketResult[] = [];
    const copies: { event: CopyBucketEvent; result: CopyBucketResult; start: number; end: number }[] = [];
    harness.invoker.register('split-bucket', async (event: unknown, context: unknown) => {
      const result = await splitHandler(event as never, context as never);
      if ((event as { pair: { sourceBucket: string } }).pair.sourceBucket === reports) splits.push(result);
      return result;
    });
    harness.invoker.register('copy-bucket', async (event: unknown, context: unknown) => {
      const start = Date.now();
      const result = await copyHandler(event as never, context as never);
      if ((event as CopyBucketEvent).pair.sourceBucket === reports) copies.push({ event: event as CopyBucketEvent, result: result as CopyBucketResult, start, end: Date.now() });
      return result;
    });
    const before = environmentData(account, SAMPLE_STACK);
    const cloneArn = harness.deployment.clone.arn;
    const executionArn = executionArnOf(cloneArn, 'analysis-copy');

    const execution = await runOnSimulatedClock(async () => {
      const started = await new SFNClient({}).send(
        new StartExecutionCommand({ stateMachineArn: cloneArn, name: 'analysis-copy', input: JSON.stringify(cloneInput('orders-analysis', executionArn)) }),
      );
      return harness!.finished(started.executionArn!);
    });

    expect(execution.status).toBe('SUCCEEDED');
    const output = JSON.parse(execution.output!) as CloneOutput;
    expect(output.outcome).toBe('EQUAL');
    expect(output.destinationStackName).toBe('orders-analysis');
    expect(sameData(before, environmentData(account, 'orders-analysis')).differences).toEqual([]);
    expect(sameData(before, environmentData(account, SAMPLE_STACK)).differences).toEqual([]);

    // The large bucket: split into several ranges, each copied by its own invocations, at once.
    expect(splits).toHaveLength(1);
    const ranges = splits[0]!.ranges;
    expect(ranges.length).toBeGreaterThan(1);
    const firstCalls = copies.filter((c) => !c.event.continuation).map((c) => c.event.range);
    expect(firstCalls).toHaveLength(ranges.length);
    expect(firstCalls).toEqual(expect.arrayContaining(ranges));
    const overlapping = copies.some((a) => copies.some((b) => a !== b && a.event.range?.upTo !== b.event.range?.upTo && a.start < b.end && b.start < a.end));
    expect(overlapping).toBe(true);
    // Its totals add up: every object of the bucket copied once, across the ranges.
    const reportsPair = output.verification.findIndex((v) => v.pair.sourceBucket === reports);
    expect(output.verification[reportsPair]!.status).toBe('EQUAL');
    expect(output.copies[reportsPair]!.objectsCopied + output.copies[reportsPair]!.objectsSkipped).toBe(output.verification[reportsPair]!.source.versions);
    expect(output.verification[reportsPair]!.source.versions).toBeGreaterThan(LARGE_BUCKET_EXTRA);
    expect(Object.keys(before.buckets.ReportsBucket!).length).toBeGreaterThan(LARGE_BUCKET_EXTRA);
  });
});
