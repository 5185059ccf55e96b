import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { measureBundles } from '../../bench/bundles';
import { STEP_NAMES } from '../../lambdas/steps';
import { loadTimingProfile } from '../../bench/profile';
import { TINY_SIZE } from '../../bench/reference';
import { formatReport, targets } from '../../bench/report';
import { runBenchmark } from '../../bench/run';

// The benchmark's machinery, on a tiny environment: no figure is asserted (speed is for `npm run bench`).
describe('the benchmark', () => {
  it('runs the workflow and the baseline on the same model, with the invariants holding, and reports every figure of the JSON line', async () => {
    // Without the heap measure's full collections (test/bench/invoker-heap.test.ts covers it).
    const r = await runBenchmark({ size: TINY_SIZE, initImports: 0, measureHeap: false });

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
