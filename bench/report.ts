/**
 * The benchmark's printed report: the figures of both modes side by side, the critical paths, the
 * bucket copies, the Lambdas, and issue 5's targets met or not.
 */
import { STEP_NAMES } from '../lambdas/steps';
import type { BenchResult } from './run';
import { downtimeTargetRatio, fullCopies, hms, MAX_HEAP_PERCENT, SCALED_DOWNTIME_TARGET_RATIO } from './run';
import type { BenchSummary } from './run';
import { contentProofLines, contentProofRows } from './content-proof';
import type { CriticalPath } from './metrics';

export interface Target {
  name: string;
  value: string;
  goal: string;
  met: boolean;
}

/**
 * Issue 5's targets, judged on one run's figures. Blue/green (issue 11): its downtime goal, 0.30 of
 * the baseline's, replaces the double clone's 0.6; live sync (issue 12): 0.10 with blue/green, 0.35
 * with the double clone. Every other target applies as it is. `--workflow-only` at the reference
 * size judges the downtime against the baseline's recorded downtime (summary.baselineRecorded).
 */
export function targets(r: BenchResult): Target[] {
  const s = r.summary;
  // The delta copy after a live sync's standby mostly lists and skips: the copy targets are the full copies'.
  const copies = fullCopies(r.workflow.copies);
  const worstShare = copies.reduce((m, c) => Math.min(m, c.boundObjectsPerSecond > 0 ? c.objectsPerSecond / c.boundObjectsPerSecond : 0), copies.length > 0 ? Infinity : 0);
  const b = r.baseline;
  const rerun = r.workflow.rerun;
  const list: Target[] = [];
  const goal = downtimeTargetRatio(r.strategy, r.liveSync);
  // A blue/green downtime that did not end at the switch (the new slot never served) meets nothing.
  const servedAtSwitch = r.workflow.switch === undefined || r.workflow.switch.until === 'switched';
  if (s.downtimeRatio !== null && (b || s.baselineRecorded)) {
    list.push({
      name: s.baselineRecorded ? 'downtime vs baseline (recorded)' : 'downtime vs baseline',
      value: s.downtimeRatio.toFixed(3),
      goal: r.strategy === 'blue-green' || r.liveSync ? `≤ ${goal.toFixed(2)}` : `≤ ${goal}`,
      met: r.workflow.succeeded && (b ? b.succeeded : true) && servedAtSwitch && s.downtimeRatio <= goal,
    });
  }
  list.push({ name: 'overhead of the critical path', value: `${s.overheadPercent.toFixed(2)} %`, goal: '≤ 3 %', met: s.overheadPercent <= 3 });
  list.push({ name: 'copy rate vs its bound (worst bucket)', value: worstShare.toFixed(3), goal: '≥ 0.9', met: worstShare >= 0.9 });
  if (s.copySpeedup !== null) list.push({ name: 'copy rate vs baseline', value: `${s.copySpeedup.toFixed(2)}×`, goal: '≥ 2×', met: s.copySpeedup >= 2 });
  list.push({ name: 'requests per object', value: s.requestsPerObject.toFixed(4), goal: '≤ 1.01', met: s.requestsPerObject > 0 && s.requestsPerObject <= 1.01 });
  if (rerun) list.push({ name: 'copies on an identical re-run', value: rerun.error ? 'failed' : String(rerun.copies), goal: '0', met: !rerun.error && rerun.copies === 0 });
  list.push({ name: 'state transitions per migration', value: String(s.stateTransitions), goal: '≤ 250', met: s.stateTransitions <= 250 });
  if (r.bundles.length > 0) {
    list.push({ name: 'largest bundle', value: `${s.maxBundleKb} KB`, goal: '≤ 300 KB', met: s.maxBundleKb <= 300 });
    list.push({ name: 'slowest init', value: `${s.maxInitMs} ms`, goal: '≤ 150 ms', met: s.maxInitMs <= 150 });
  }
  list.push({ name: 'safety invariants', value: r.workflow.invariantsHeld ? 'held' : 'VIOLATED', goal: 'held', met: r.workflow.invariantsHeld });
  list.push({ name: 'peak heap of a step vs its memory', value: `${s.maxHeapPercent.toFixed(1)} %`, goal: `≤ ${MAX_HEAP_PERCENT} %`, met: s.maxHeapPercent <= MAX_HEAP_PERCENT });
  return list;
}

const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number): string => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
const num = (n: number, digits = 0): string => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const usd = (n: number): string => `$${n.toFixed(4)}`;
const GiB = 1024 ** 3;

function pathLines(title: string, path: CriticalPath): string[] {
  const lines = [title, `  ${pad('AWS working', 52)}${lpad('AWS', 14)}${lpad('ours before', 14)}`];
  for (const s of path.segments) lines.push(`  ${pad(s.label, 52)}${lpad(hms(s.awsSeconds), 14)}${lpad(`${s.oursBeforeSeconds.toFixed(1)} s`, 14)}`);
  if (path.oursAfterSeconds > 0) lines.push(`  ${pad('(after the last AWS work)', 52)}${lpad('', 14)}${lpad(`${path.oursAfterSeconds.toFixed(1)} s`, 14)}`);
  const b = path.breakdown;
  lines.push(
    `  total: AWS ${hms(path.awsSeconds)}, ours ${path.overheadSeconds.toFixed(1)} s = ${path.overheadPercent.toFixed(2)} % ` +
      `(waiting for the next check ${b.pollWaitSeconds.toFixed(1)} s, Lambda ${b.lambdaSeconds.toFixed(1)} s, orchestration ${b.orchestrationSeconds.toFixed(1)} s)`,
  );
  return lines;
}

/** Live sync: what PREPARE did before the standby and what FINISH's Parallel did inside the downtime. */
function liveSyncLines(r: BenchResult): string[] {
  const ls = r.workflow.liveSync;
  if (!ls) return [];
  const secs = (n: number): string => hms(n);
  const lines = ['Live sync'];
  lines.push(`  PREPARE (before the standby, not downtime)    ${secs(ls.prepare.seconds)}: destination with read replicas ${secs(ls.prepare.createStackSeconds)}, ended ${secs(ls.prepare.standbyAfterSeconds)} before the standby`);
  lines.push(`  FINISH "Copy the buckets" (Parallel)         ${secs(ls.parallelSeconds)}, the longer branch: ${ls.longerBranch}`);
  lines.push(`    replicas: ${secs(ls.replicaBranchSeconds)} = catch-up wait ${secs(ls.catchUpSeconds)} (AWS: ReplicaLag proof readable ${secs(ls.catchUpAwsSeconds)} after the writes stopped) + promotion ${secs(ls.promotionSeconds)} (AWS: change set → UPDATE_COMPLETE ${secs(ls.promotionAwsSeconds)})`);
  lines.push(`    buckets:  ${secs(ls.bucketBranchSeconds)} (delta copy, then verification, per bucket below)`);
  lines.push(`  ${pad('bucket', 16)}${lpad('pre-copied', 12)}${lpad('GiB', 9)}${lpad('took', 16)}${lpad('delta copied', 14)}${lpad('skipped', 10)}${lpad('removed', 9)}${lpad('took', 14)}${lpad('verify', 14)}`);
  for (const b of ls.buckets) {
    lines.push(
      `  ${pad(b.logicalId, 16)}${lpad(num(b.preCopy.objectsCopied), 12)}${lpad((b.preCopy.bytesCopied / GiB).toFixed(1), 9)}${lpad(secs(b.preCopy.seconds), 16)}` +
        `${lpad(num(b.delta.objectsCopied), 14)}${lpad(num(b.delta.objectsSkipped), 10)}${lpad(num(b.delta.versionsRemoved), 9)}${lpad(secs(b.delta.seconds), 14)}${lpad(secs(b.verifySeconds), 14)}`,
    );
  }
  return lines;
}

/**
 * Issue 12's scaling goal: this run's downtime against an earlier run's JSON line (`--compare-to`,
 * the 100 GB run of the same strategy): at most SCALED_DOWNTIME_TARGET_RATIO of it.
 */
export function comparisonLines(current: BenchSummary, earlier: BenchSummary, label: string): string[] {
  const ratio = earlier.downtimeSeconds > 0 ? current.downtimeSeconds / earlier.downtimeSeconds : 0;
  const met = ratio <= SCALED_DOWNTIME_TARGET_RATIO;
  const size = (x: BenchSummary): string => (x.liveSync ? `${num(x.liveSync.dbGb)} GB, ${num(x.liveSync.objectsPerBucket)} objects per bucket` : 'size not recorded');
  return [
    `Compared with ${label} (${size(earlier)}): downtime ${hms(current.downtimeSeconds)} vs ${hms(earlier.downtimeSeconds)}`,
    `  ${met ? '✓' : '✗'} ${pad('downtime vs the earlier run', 40)}${lpad(ratio.toFixed(3), 14)}   target ≤ ${SCALED_DOWNTIME_TARGET_RATIO.toFixed(2)}`,
  ];
}

/**
 * What one copy function reaches and what bounds it: its client CPU per object at its memory's vCPU
 * share (../local/sim/client-cpu.ts), or the requests it keeps in flight against S3's latencies.
 */
export function oneFunctionLine(s: BenchSummary): string {
  const latency = `latency-bound at ${s.copyConcurrency} in flight: ${num(s.copyLatencyBoundObjectsPerSecond)} objects/s`;
  // With key ranges the bounds are the bucket's, one function per range: each reaches its share.
  const who = s.copyRanges > 1 ? `${s.copyRanges} functions (one per key range) reach` : 'one function reaches';
  if (s.copyCpuMsPerObject === null || s.copyCpuBoundObjectsPerSecond === null) return `${who} ${num(s.copyBoundObjectsPerSecond)} objects/s (${latency}; no client CPU in the timing model)`;
  const cpu = `${s.copyCpuMsPerObject.toFixed(2)} ms of CPU per object at ${num(s.copyMemoryMb)} MB = share ${s.copyVcpuShare.toFixed(3)} vCPU`;
  const s3 = s.copyS3BoundObjectsPerSecond;
  if (s3 !== null && s3 <= Math.min(s.copyCpuBoundObjectsPerSecond, s.copyLatencyBoundObjectsPerSecond))
    return `${who} ${num(s.copyBoundObjectsPerSecond)} objects/s (bound by S3's write rate on the busiest prefix: ${num(s3)}; CPU allows ${num(s.copyCpuBoundObjectsPerSecond)} at ${cpu}; ${latency})`;
  return s.copyCpuBoundObjectsPerSecond < s.copyLatencyBoundObjectsPerSecond
    ? `${who} ${num(s.copyBoundObjectsPerSecond)} objects/s (CPU-bound at ${cpu}; ${latency})`
    : `${who} ${num(s.copyBoundObjectsPerSecond)} objects/s (${latency}; CPU allows ${num(s.copyCpuBoundObjectsPerSecond)} at ${cpu})`;
}

export function formatReport(r: BenchResult): string {
  const s = r.summary;
  const w = r.workflow;
  const b = r.baseline;
  const env = r.environment.buckets;
  const lines: string[] = [];
  lines.push('env-migrator benchmark');
  lines.push(
    `reference migration: 1 database of ${num(r.size.databaseGb)} GB, an Auto Scaling group of ${r.size.instances}, ` +
      env.map((x) => `${x.logicalId} ${num(x.objects)} objects (${(x.bytes / GiB).toFixed(1)} GiB, ${num(x.multipart)} multipart, ${x.over5GiB} over 5 GiB)`).join(', '),
  );
  if (r.strategy === 'blue-green') lines.push('strategy blue-green: orders-prod (slot A, live) cloned into orders-prod-b at the target version, then the entry point (alias A record) switched to it');
  if (r.liveSync) lines.push('live sync: the copy PREPAREd while the environment serves (read replicas, buckets pre-copied), FINISHed after the standby (replicas caught up and promoted beside the delta copy)');
  lines.push('timing model: bench/timing.json (its sources: bench/README.md); times are simulated, on the same model for both modes');
  if (!w.succeeded) lines.push(`WORKFLOW FAILED: ${w.failure ?? ''}`);
  if (!b) {
    lines.push('workflow only (--workflow-only): no baseline script, no re-run of a copy, no bundles');
    if (s.baselineRecorded) lines.push(`  the downtime ratio is against the baseline's recorded downtime at this size, ${hms(s.baselineDowntimeSeconds ?? 0)} (bench/README.md)`);
  }
  else if (!b.succeeded) lines.push(`BASELINE FAILED: ${b.failure ?? ''}`);
  lines.push('');
  const row = (name: string, ours: string, theirs: string, ratio = ''): string => `${pad(name, 40)}${lpad(ours, 18)}${lpad(theirs, 18)}${lpad(ratio, 9)}`;
  lines.push(row('', 'workflow', 'baseline', 'ratio'));
  const theirs = (f: (m: NonNullable<typeof b>) => string): string => (b ? f(b) : '—');
  const recordedBaseline = !b && s.baselineDowntimeSeconds !== null ? `${hms(s.baselineDowntimeSeconds)} (rec.)` : undefined;
  const ratio = (f: (m: NonNullable<typeof b>) => string): string => (b ? f(b) : '');
  const sw = w.switch;
  const downtimeName = !sw ? 'downtime (standby → serving)' : sw.until === 'switched' ? 'downtime (standby → INSYNC + TTL)' : 'downtime (standby → end: never served)';
  lines.push(row(downtimeName, hms(w.downtimeSeconds), recordedBaseline ?? theirs((m) => hms(m.downtimeSeconds)), s.downtimeRatio !== null ? s.downtimeRatio.toFixed(3) : ''));
  if (sw) {
    // The resolvers' caches: the previous slot may still be asked (it is in standby) for the TTL after INSYNC.
    lines.push(row('  DNS caches (TTL)', `${sw.ttlSeconds} s`, ''));
    lines.push(row('  the switch (→ INSYNC + TTL), share', `${sw.seconds.toFixed(0)} s ${(100 * sw.shareOfDowntime).toFixed(1)} %`, ''));
  }
  lines.push(row('total duration', hms(w.totalSeconds), theirs((m) => hms(m.totalSeconds)), ratio((m) => (w.totalSeconds / Math.max(1, m.totalSeconds)).toFixed(3))));
  lines.push(row('overhead on the downtime path', `${w.downtimePath.overheadPercent.toFixed(2)} %`, theirs((m) => `${m.downtimePath.overheadPercent.toFixed(2)} %`)));
  lines.push(row('state transitions', num(w.usage.stateTransitions), '—'));
  lines.push(row('Lambda invocations', num(w.usage.lambdaInvocations), '—'));
  lines.push(row('Lambda GB-seconds', num(w.usage.lambdaGbSeconds, 1), '—'));
  const req = (m: { usage: typeof w.usage }) => `${num(m.usage.s3Requests.tier1)} / ${num(m.usage.s3Requests.tier2)}`;
  lines.push(row('S3 requests (PUT-COPY-LIST / GET-HEAD)', req(w), theirs(req)));
  lines.push(row('S3 SlowDown answers', num(w.usage.s3Requests.throttled), theirs((m) => num(m.usage.s3Requests.throttled))));
  lines.push(row('cost: Step Functions', usd(w.cost.stepFunctionsUsd), '—'));
  lines.push(row('cost: Lambda', usd(w.cost.lambdaUsd), '—'));
  lines.push(row('cost: S3 requests', usd(w.cost.s3Usd), theirs((m) => usd(m.cost.s3Usd))));
  lines.push(row('cost of one migration (list prices)', usd(w.cost.totalUsd), theirs((m) => usd(m.cost.totalUsd)), ratio((m) => (w.cost.totalUsd / Math.max(1e-9, m.cost.totalUsd)).toFixed(3))));
  lines.push(row('bucket copy, objects/s (per bucket)', num(s.copyObjectsPerSecond, 1), theirs(() => num(s.baselineCopyObjectsPerSecond ?? 0, 1)), ratio(() => (s.copySpeedup ?? 0).toFixed(2))));
  lines.push(row('  its bound (latency or CPU, the lower)', num(s.copyBoundObjectsPerSecond, 1), ''));
  lines.push(`  ${oneFunctionLine(s)}`);
  lines.push(row('requests per object copied', s.requestsPerObject.toFixed(4), ''));
  if (w.rerun) lines.push(row('copies on an identical re-run', `${num(w.rerun.copies)} of ${num(w.rerun.objects)}`, ''));
  lines.push('');
  lines.push(...pathLines(`Critical path of the workflow, standby → ${sw ? 'the switch in sync + the TTL' : 'the new environment verified'}`, w.downtimePath));
  lines.push('');
  if (b) {
    lines.push(...pathLines('Critical path of the baseline, standby → the new environment checked', b.downtimePath));
    lines.push('');
  }
  if (w.liveSync) {
    lines.push(...liveSyncLines(r));
    lines.push('');
  }
  lines.push('Bucket copies');
  lines.push(`  ${pad('mode', 10)}${pad('clone', 10)}${pad('bucket', 16)}${lpad('objects', 9)}${lpad('requests', 10)}${lpad('req/obj', 9)}${lpad('took', 16)}${lpad('obj/s', 9)}${lpad('bound', 9)}${lpad('share', 7)}`);
  for (const [mode, copies] of [
    ['workflow', w.copies],
    ['baseline', b?.copies ?? []],
  ] as const) {
    for (const c of copies) {
      lines.push(
        `  ${pad(mode, 10)}${pad(c.stage ? `${c.clone} ${c.stage === 'pre-copy' ? 'pre' : 'delta'}` : String(c.clone), 10)}${pad(c.logicalId, 16)}${lpad(num(c.objects), 9)}${lpad(num(c.requests), 10)}${lpad((c.requests / Math.max(1, c.objects)).toFixed(3), 9)}` +
          `${lpad(hms((c.end - c.start) / 1000), 16)}${lpad(num(c.objectsPerSecond, 1), 9)}${lpad(num(c.boundObjectsPerSecond, 1), 9)}${lpad((c.objectsPerSecond / Math.max(1e-9, c.boundObjectsPerSecond)).toFixed(2), 7)}`,
      );
    }
  }
  if (w.rerun) {
    lines.push(
      w.rerun.error
        ? `  re-run of the copy step on an identical pair: FAILED (${w.rerun.error})`
        : `  re-run of the copy step on an identical pair: ${num(w.rerun.objects)} objects, ${num(w.rerun.copies)} copies, ${num(w.rerun.requests)} requests`,
    );
  }
  lines.push('');
  const initSamples = r.bundles[0]?.initSamples ?? 0;
  lines.push(
    `Lambdas: invocations, GB-s and peak heap of one invocation (of its memory) in the migration${r.bundles.length > 0 ? `; bundle as CDK deploys it (esbuild) and init time (median of ${initSamples} fresh imports here)` : ''}`,
  );
  for (const step of STEP_NAMES) {
    const use = w.usage.lambdaByStep[step];
    const bundle = r.bundles.find((x) => x.step === step);
    const heap = w.heap.find((h) => h.step === step);
    lines.push(
      `  ${pad(step, 22)}${lpad(num(use?.invocations ?? 0), 6)}${lpad(`${num(use?.gbSeconds ?? 0, 1)} GB-s`, 14)}` +
        `${lpad(heap ? `${num(heap.peakMb, 1)} of ${num(heap.memoryMb)} MB (${num(heap.percent, 1)} %)` : '', 28)}` +
        (bundle ? `${lpad(`${bundle.kb.toFixed(1)} KB`, 12)}${lpad(`${bundle.initMs.toFixed(1)} ms`, 11)}   ${bundle.clients.join(', ') || '(no AWS client)'}` : ''),
    );
  }
  lines.push('');
  lines.push('Targets (issue 5)');
  for (const t of targets(r)) lines.push(`  ${t.met ? '✓' : '✗'} ${pad(t.name, 40)}${lpad(t.value, 14)}   target ${t.goal}`);
  if (w.violations.length > 0) lines.push(`  invariant violations: ${w.violations.join('; ')}`);
  lines.push('');
  lines.push(`(benchmark took ${r.realSeconds.toFixed(0)} s of real time, ${r.cpuSeconds.toFixed(0)} s of CPU in this process)`);
  lines.push('');
  lines.push(...contentProofLines(contentProofRows(r.environment.buckets)));
  return lines.join('\n');
}
