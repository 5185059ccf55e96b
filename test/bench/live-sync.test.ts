import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TINY_SIZE, seedReferenceEnvironment } from '../../bench/reference';
import { comparisonLines, formatReport, targets } from '../../bench/report';
import { runBenchmark } from '../../bench/run';
import { benchCommand } from '../../cli/bench';
import type { Io } from '../../cli/io';
import { SAMPLE_STACK } from '../../local/sample-environment';
import { SimAccount } from '../../local/sim/account';

// Blue/green is the cheaper live-sync run (one clone after the standby, no deletion, no second clone).
describe('the benchmark with live sync', () => {
  it('prepares before the standby and reports what FINISH did inside the downtime: the catch-up, the promotion and the delta copy, the invariants held', async () => {
    const r = await runBenchmark({ size: TINY_SIZE, initImports: 0, measureHeap: false, workflowOnly: true, strategy: 'blue-green', liveSync: true });
    const w = r.workflow;
    expect(w.succeeded, w.failure).toBe(true);
    expect(w.violations).toEqual([]);
    const ls = w.liveSync;
    if (!ls) throw new Error('no live-sync figures');

    // PREPARE (the destination with read replicas, the pre-copy) ended before the standby: not downtime.
    expect(ls.prepare.createStackSeconds).toBeGreaterThan(0);
    expect(ls.prepare.seconds).toBeGreaterThanOrEqual(ls.prepare.createStackSeconds);
    expect(ls.prepare.standbyAfterSeconds).toBeGreaterThanOrEqual(0);
    const labels = w.downtimePath.segments.flatMap((s) => s.label.split(' + '));
    expect(labels).toEqual(expect.arrayContaining(['replica catch-up', 'promote replicas', 'delta copy']));
    for (const before of ['pre-copy', 'create stack', 'snapshot']) expect(labels).not.toContain(before);

    // The Parallel holds the longer branch, not the sum; AWS's part of each wait is within it.
    expect(ls.replicaBranchSeconds).toBeGreaterThan(0);
    expect(ls.bucketBranchSeconds).toBeGreaterThan(0);
    expect(ls.parallelSeconds).toBeGreaterThanOrEqual(Math.max(ls.replicaBranchSeconds, ls.bucketBranchSeconds));
    expect(ls.parallelSeconds).toBeLessThan(ls.replicaBranchSeconds + ls.bucketBranchSeconds);
    expect(ls.longerBranch).toBe(ls.replicaBranchSeconds > ls.bucketBranchSeconds ? 'replicas' : 'buckets');
    expect(ls.catchUpAwsSeconds).toBeGreaterThan(0);
    expect(ls.catchUpAwsSeconds).toBeLessThanOrEqual(ls.catchUpSeconds);
    expect(ls.promotionAwsSeconds).toBeGreaterThan(0);
    expect(ls.promotionAwsSeconds).toBeLessThanOrEqual(ls.promotionSeconds);
    expect(ls.catchUpSeconds + ls.promotionSeconds).toBeLessThanOrEqual(ls.replicaBranchSeconds + 1);

    // Each bucket pre-copied in full while serving; the delta found it all there (nothing written since).
    expect(ls.buckets.map((b) => b.logicalId).sort()).toEqual(['ReportsBucket', 'UploadsBucket']);
    for (const b of ls.buckets) {
      expect(b.preCopy.objectsCopied, b.logicalId).toBeGreaterThanOrEqual(TINY_SIZE.objectsPerBucket);
      expect(b.delta.objectsCopied + b.delta.objectsSkipped, b.logicalId).toBeGreaterThanOrEqual(b.preCopy.objectsCopied);
      expect(b.delta.objectsSkipped, b.logicalId).toBeGreaterThan(b.delta.objectsCopied);
      expect(b.verifySeconds, b.logicalId).toBeGreaterThan(0);
    }
    expect(w.copies.map((c) => `${c.stage}/${c.logicalId}`).sort()).toEqual(['delta/ReportsBucket', 'delta/UploadsBucket', 'pre-copy/ReportsBucket', 'pre-copy/UploadsBucket']);

    // The JSON line and the printed report carry it; the goal is 0.10 of the baseline's downtime.
    expect(r.summary.liveSync).toMatchObject({ dbGb: 100, objectsPerBucket: TINY_SIZE.objectsPerBucket, downtimeTargetRatio: 0.1, longerBranch: ls.longerBranch });
    expect(r.summary.downtimeTargetRatio).toBe(0.1);
    expect(r.summary.liveSync?.buckets).toHaveLength(2);
    const report = formatReport(r);
    expect(report).toContain('PREPARE (before the standby, not downtime)');
    expect(report).toContain('promotion');
    // No baseline at the tiny size: no ratio, no downtime target.
    expect(r.summary.downtimeRatio).toBeNull();
    const judged = (ratio: number) => targets({ ...r, summary: { ...r.summary, downtimeRatio: ratio, baselineRecorded: true } }).find((t) => t.name === 'downtime vs baseline (recorded)');
    expect(judged(0.099)).toMatchObject({ goal: '≤ 0.10', met: true });
    expect(judged(0.101)?.met).toBe(false);

    // Issue 12's scaling goal against an earlier run's JSON line: at most 1.10 of its downtime.
    const earlier = { ...r.summary, downtimeSeconds: r.summary.downtimeSeconds / 1.05 };
    expect(comparisonLines(r.summary, earlier, 'earlier.json').join('\n')).toMatch(/✓ downtime vs the earlier run +1\.050/);
    expect(comparisonLines(r.summary, { ...earlier, downtimeSeconds: r.summary.downtimeSeconds / 1.2 }, 'earlier.json').join('\n')).toMatch(/✗ downtime vs the earlier run +1\.200/);
  }, 60_000);

  it('seeds the reference database with the allocated storage asked for (--db-gb), which replica and snapshot times scale with', () => {
    const account = new SimAccount();
    seedReferenceEnvironment(account, { ...TINY_SIZE, objectsPerBucket: 20, databaseGb: 1000 });
    const db = account.cloudformation.resourcesOf(SAMPLE_STACK).find((x) => x.logicalId === 'OrdersDb');
    expect(account.rds.instance(db?.physicalId ?? '')?.allocatedStorage).toBe(1000);
  });

  it('refuses a --compare-to file without a benchmark JSON line before running anything', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'bench-')), 'earlier.txt');
    await writeFile(file, 'env-migrator benchmark\nno JSON here\n');
    await expect(benchCommand({} as Io, { json: true, size: 'tiny', initImports: 0, workflowOnly: true, liveSync: true, compareTo: file })).rejects.toThrow(/holds no benchmark JSON line/);
  });
});
