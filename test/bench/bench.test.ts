import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { measureBundles } from '../../bench/bundles';
import { STEP_NAMES } from '../../lambdas/steps';
import { loadTimingProfile } from '../../bench/profile';
import { TINY_SIZE } from '../../bench/reference';
import { formatReport, targets } from '../../bench/report';
import { type BenchResult, runBenchmark } from '../../bench/run';
import { DNS_CACHES_LABEL } from '../../bench/metrics';
import { benchCommand } from '../../cli/bench';
import type { Io } from '../../cli/io';

// Without the heap measure's full collections (test/bench/invoker-heap.test.ts covers it). One run of
// the double clone, shared: the blue/green test compares its downtime with it.
let tiny: Promise<BenchResult> | undefined;
const tinyDoubleClone = (): Promise<BenchResult> => (tiny ??= runBenchmark({ size: TINY_SIZE, initImports: 0, measureHeap: false }));

// The benchmark's machinery, on a tiny environment: no figure is asserted (speed is for `npm run bench`).
describe('the benchmark', () => {
  it('runs the workflow and the baseline on the same model, with the invariants holding, and reports every figure of the JSON line', async () => {
    const r = await tinyDoubleClone();

    expect(r.workflow.succeeded, r.workflow.failure).toBe(true);
    expect(r.workflow.violations).toEqual([]);
    expect(r.baseline?.succeeded, r.baseline?.failure).toBe(true);
    for (const field of [
      'downtimeSeconds',
      'baselineDowntimeSeconds',
      'overheadPercent',
      'stateTransitions',
      'costUsd',
      'copyObjectsPerSecond',
      'copyBoundObjectsPerSecond',
      'requestsPerObject',
      'recopiesOnRerun',
      'maxBundleKb',
      'maxInitMs',
    ] as const) {
      expect(Number.isFinite(r.summary[field]), field).toBe(true);
    }
    // Each clone copies each of the two buckets; the re-run finds everything identical.
    expect(r.workflow.copies.map((c) => `${c.clone}/${c.logicalId}`).sort()).toEqual(['1/ReportsBucket', '1/UploadsBucket', '2/ReportsBucket', '2/UploadsBucket']);
    // The re-run bucket also holds the sample's fixed real-account versions (a multipart upload, three
    // takes of a rewritten avatar, one avatar under a delete marker): five more versions.
    expect(r.workflow.rerun).toMatchObject({ objects: TINY_SIZE.objectsPerBucket + 5, copies: 0 });
    expect(r.baseline?.copies).toHaveLength(4);
    // Clone 2's snapshot runs while the current stack is deleted: one segment of the critical path.
    expect(r.workflow.downtimePath.segments.map((s) => s.label)).toEqual(expect.arrayContaining(['snapshot', 'create stack', 'delete stack + snapshot']));
    const report = formatReport(r);
    for (const t of targets(r)) expect(report).toContain(t.name);

    // The same run as `--workflow-only` reports it: no baseline, no re-run, and no target judged on them.
    const only = {
      ...r,
      baseline: undefined,
      workflow: { ...r.workflow, rerun: undefined },
      summary: { ...r.summary, baselineDowntimeSeconds: null, downtimeRatio: null, baselineTotalSeconds: null, baselineOverheadPercent: null, baselineCostUsd: null, baselineCopyObjectsPerSecond: null, copySpeedup: null, recopiesOnRerun: null },
    };
    expect(targets(only).map((t) => t.name)).toEqual(expect.arrayContaining(['safety invariants', 'peak heap of a step vs its memory', 'state transitions per migration']));
    for (const gone of ['downtime vs baseline', 'copy rate vs baseline', 'copies on an identical re-run']) expect(targets(only).map((t) => t.name)).not.toContain(gone);
    const onlyReport = formatReport(only);
    expect(onlyReport).toContain('workflow only (--workflow-only)');
    expect(onlyReport).not.toContain('Critical path of the baseline');
  }, 60_000);

  it('runs blue/green through the switch: its downtime ends at INSYNC + the TTL, not at the end of the run, and is shorter than the double clone\'s', async () => {
    const r = await runBenchmark({ size: TINY_SIZE, initImports: 0, measureHeap: false, workflowOnly: true, strategy: 'blue-green' });
    const w = r.workflow;
    expect(w.succeeded, w.failure).toBe(true);
    expect(w.violations).toEqual([]);
    // The sample's entry point is an alias A record to the slot's load balancer: Route 53 gives it the ELB's 60 s.
    expect(w.switch).toMatchObject({ until: 'switched', ttlSeconds: 60 });
    const insyncAt = w.switch?.insyncAt ?? NaN;
    expect(w.downtimePath.window.end).toBe(insyncAt + 60_000);
    // The run goes on after the window (the smoke test through the record, the retire schedule, unlock, notify).
    expect(w.downtimePath.window.end).toBeLessThan(w.execution.end);
    // The switch is one operation on the path (ChangeResourceRecordSets → INSYNC), the caches the last one.
    const labels = w.downtimePath.segments.map((s) => s.label);
    expect(labels.at(-1)).toBe(DNS_CACHES_LABEL);
    expect(labels).toContain('switch entry point');
    expect(r.summary).toMatchObject({ strategy: 'blue-green', ttlSeconds: 60, downtimeTargetRatio: 0.3 });
    expect(r.summary.switchShareOfDowntime).toBeGreaterThan(0);
    expect(r.summary.switchShareOfDowntime).toBeLessThan(1);
    // One snapshot-restore-copy cycle instead of two and no deletion: less downtime on the same size.
    expect(w.downtimeSeconds).toBeLessThan((await tinyDoubleClone()).workflow.downtimeSeconds);
    expect(formatReport(r)).toContain('DNS caches (TTL)');
    // Beside a baseline, blue/green's downtime goal is 0.30 of it (the double clone's 0.6).
    const dc = await tinyDoubleClone();
    const judged = (ratio: number) => targets({ ...r, baseline: dc.baseline, summary: { ...r.summary, downtimeRatio: ratio } }).find((t) => t.name === 'downtime vs baseline');
    expect(judged(0.29)).toMatchObject({ goal: '≤ 0.30', met: true });
    expect(judged(0.31)?.met).toBe(false);
  }, 60_000);

  it('refuses an unknown --strategy before running anything, naming it and the strategies there are', async () => {
    await expect(benchCommand({} as Io, { json: false, size: 'tiny', initImports: 0, workflowOnly: true, strategy: 'canary' })).rejects.toThrow(
      /'--strategy <strategy>' argument 'canary' is invalid\. Expected one of: double-clone, blue-green/,
    );
  });

  it('takes every number of its timing model from bench/timing.json, each with a source the README describes', () => {
    const { timing, sourceOf } = loadTimingProfile();
    const readme = readFileSync(new URL('../../bench/README.md', import.meta.url), 'utf8');
    expect(timing.s3WritesPerSecondPerPrefix).toBeGreaterThan(0);
    for (const [field, source] of sourceOf) expect(readme, `${field} → ${source}`).toContain(`[${source}]`);
  });

  it('bundles every step so that it loads on its own, the credential providers Lambda never reaches left out', async () => {
    // Each bundle is imported from a directory with no node_modules: a static import of a module
    // left out of the bundle (UNREACHED_CREDENTIAL_PROVIDERS after an SDK upgrade) fails here.
    const figures = await measureBundles(1);
    expect(figures.map((f) => f.step).sort()).toEqual([...STEP_NAMES].sort());
    for (const f of figures) expect(f.initSamples, f.step).toBe(1);
    // DynamoDB: the copy reads the environment lock's cancel request first (lambdas/shared/cancel-request.ts).
    expect(figures.find((f) => f.step === 'copy-bucket')?.clients).toEqual(['dynamodb', 's3']);
  }, 120_000);

  it('measures the size of a bundle as CDK builds it and its init time in fresh processes', async () => {
    const [figure] = await measureBundles(2, ['compose-notification']);
    expect(figure).toMatchObject({ step: 'compose-notification', initSamples: 2, clients: [] });
    expect(figure?.kb).toBeGreaterThan(1);
    expect(figure?.initMs).toBeGreaterThan(0);
  }, 60_000);
});
