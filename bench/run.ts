/**
 * The benchmark: the reference migration run through the real synthesized definitions and step
 * handlers on the simulated clock, the baseline script on the same timing model, a re-run of a
 * bucket copy, and the Lambda bundles; then every figure of issue 5 side by side.
 */
import type { CopyBucketEvent, CopyBucketResult, Strategy } from '../lambdas/shared/contracts';
import { positiveIntFromEnv } from '../lambdas/shared/concurrency';
import { RETRYABLE_ERRORS } from '../lambdas/shared/errors';
import { STEPS, type StepName } from '../lambdas/steps';
import { tempStackNameOf, executionArnOf } from '../lambdas/shared/naming';
import { DEFAULT_COPY_CONCURRENCY } from '../lambdas/copy-bucket/core';
import { runOnSimulatedClock } from '../local/clock';
import { LocalHarness } from '../local/harness';
import { SYNC_POLL_MS } from '../local/integrations';
import { captureBaseline, checkInvariants } from '../local/invariants';
import { SAMPLE_STACK, TARGET_VERSION, TEMPLATE_KEYS, seedEntryPoint, templateUrl } from '../local/sample-environment';
import { blueGreenInput, SAMPLE_SLOT_B } from '../local/scenarios';
import type { SimExecution } from '../local/sim/sfn';
import { SWITCH_STATE } from '../statemachine/blue-green';
import { SERVED_STATE, STANDBY_STATE, SWITCHED_STATE } from '../statemachine/downtime-states';
import { SimAccount } from '../local/sim/account';
import type { TimingProfile } from '../local/sim/core';
import { type BaselineRun, runBaseline, SYNC_CONCURRENCY } from './baseline';
import { type BundleFigure, measureBundles } from './bundles';
import { shortcutS3 } from './fast-s3';
import {
  type BucketCopy,
  type CriticalPath,
  type Cost,
  type Usage,
  blueGreenDowntime,
  bucketCopy,
  cost,
  criticalPath,
  entryPointTtlSeconds,
  firstEntered,
  lambdaUsage,
  s3Usage,
  stateTransitions,
  waitStates,
  workflowWork,
} from './metrics';
import { type Interval, type Invocation, Recorder } from './observe';
import { loadTimingProfile } from './profile';
import { REFERENCE_SIZE, type ReferenceEnvironment, type ReferenceSize, seedReferenceEnvironment } from './reference';

export interface BenchOptions {
  size?: ReferenceSize;
  timing?: TimingProfile;
  /** Fresh imports per bundle for the init time (0 skips bundling altogether). */
  initImports?: number;
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
  /** Measure each step's peak heap (every invocation in a worker thread of its own, LambdaInvoker.isolate); on unless false. */
  measureHeap?: boolean;
  /**
   * The workflow's migration alone: no baseline script, no re-run of a copy, no bundles. For sizes
   * where those would double the run (a million objects per bucket: the workflow's duration, peak
   * heap per step and state transitions are what is asked there).
   */
  workflowOnly?: boolean;
  /**
   * `double-clone` (default) or `blue-green`: the reference environment adopts the scheme as slot A
   * (orders-prod) behind the sample's entry point (an alias A record), and migrates into slot B.
   */
  strategy?: Strategy;
}

/** The benchmark's goal for the downtime against the baseline's, per strategy (issue 5; issue 11 for blue/green). */
export const DOWNTIME_TARGET_RATIO: Record<Strategy, number> = { 'double-clone': 0.6, 'blue-green': 0.3 };

/** Blue/green only: where the downtime ended and the switch's part of it. */
export interface SwitchFigures {
  /** `switched`: the downtime ends at the switch seen INSYNC + the TTL; `ended`: the new slot never served (the end of the run). */
  until: 'switched' | 'ended';
  /** The TTL of the record's previous answer (an alias to a load balancer: 60 s). */
  ttlSeconds: number;
  /** From entering "Switch the entry point" to INSYNC, plus the TTL; 0 when it never switched. */
  seconds: number;
  /** seconds ÷ the downtime. */
  shareOfDowntime: number;
  /** The switch seen INSYNC (SWITCHED_STATE first entered), epoch ms; the downtime ends ttlSeconds later. */
  insyncAt?: number;
}

export interface ModeFigures {
  succeeded: boolean;
  failure?: string;
  totalSeconds: number;
  downtimeSeconds: number;
  downtimePath: CriticalPath;
  usage: Usage;
  cost: Cost;
  copies: BucketCopy[];
}

export interface BenchResult {
  size: ReferenceSize;
  environment: ReferenceEnvironment;
  strategy: Strategy;
  /** `execution`: the Migrate execution, from its start to its end (simulated epoch ms). */
  workflow: ModeFigures & { execution: Interval; invariantsHeld: boolean; violations: string[]; rerun?: Rerun; heap: StepHeap[]; switch?: SwitchFigures };
  /** Absent with `workflowOnly`. */
  baseline?: ModeFigures;
  bundles: BundleFigure[];
  /** The JSON line of `npm run bench -- --json` (issue 5's fields). */
  summary: BenchSummary;
  realSeconds: number;
  /** CPU time of this process (user + system), the bundles' child processes not included. */
  cpuSeconds: number;
}

/** The highest heap one invocation of a step held, against the memory its function is given. */
export interface StepHeap {
  step: StepName;
  invocations: number;
  peakMb: number;
  memoryMb: number;
  /** peakMb ÷ memoryMb, in percent. */
  percent: number;
}

/** A step's heap may use at most this share of its function's memory (issue 10, item 6). */
export const MAX_HEAP_PERCENT = 50;

export interface Rerun {
  objects: number;
  copies: number;
  requests: number;
  /** The copy step failed (after the state machine's retries). */
  error?: string;
}

export interface BenchSummary {
  /** Blue/green only (the double clone's line is as it was): the strategy and the switch's figures. */
  strategy?: 'blue-green';
  /** Blue/green: the TTL added to the downtime after the switch INSYNC (resolvers' caches). */
  ttlSeconds?: number;
  /** Blue/green: from entering "Switch the entry point" to INSYNC, plus the TTL. */
  switchSeconds?: number;
  /** Blue/green: switchSeconds ÷ downtimeSeconds. */
  switchShareOfDowntime?: number;
  /** Blue/green: the downtimeRatio goal (0.30; the double clone's is 0.6). */
  downtimeTargetRatio?: number;
  downtimeSeconds: number;
  baselineDowntimeSeconds: number | null;
  downtimeRatio: number | null;
  totalSeconds: number;
  baselineTotalSeconds: number | null;
  overheadPercent: number;
  baselineOverheadPercent: number | null;
  stateTransitions: number;
  lambdaInvocations: number;
  lambdaGbSeconds: number;
  costUsd: number;
  baselineCostUsd: number | null;
  copyObjectsPerSecond: number;
  copyBoundObjectsPerSecond: number;
  baselineCopyObjectsPerSecond: number | null;
  copySpeedup: number | null;
  requestsPerObject: number;
  recopiesOnRerun: number | null;
  maxBundleKb: number;
  maxInitMs: number;
  invariantsHeld: boolean;
  /** The highest peak heap of any step, in percent of its function's memory. */
  maxHeapPercent: number;
}

const BENCH_EXECUTION = 'bench-reference';

const MIGRATION_INPUT = {
  stackName: SAMPLE_STACK,
  targetVersion: TARGET_VERSION,
  templateUrl: templateUrl(TEMPLATE_KEYS.target),
  parameters: { InstanceType: 't3.medium' },
  smokeTest: { outputKey: 'ServiceUrl', path: '/health', expectedStatus: 200, timeoutSeconds: 5 },
};

export async function runBenchmark(options: BenchOptions = {}): Promise<BenchResult> {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const log = options.log ?? (() => undefined);
  const size = options.size ?? REFERENCE_SIZE;
  const timing = options.timing ?? loadTimingProfile().timing;

  log(`workflow: seeding ${size.objectsPerBucket.toLocaleString('en-US')} objects per bucket, migrating on the simulated clock…`);
  const workflowOnly = options.workflowOnly ?? false;
  const strategy = options.strategy ?? 'double-clone';
  const workflow = await runWorkflow(size, timing, options.measureHeap ?? true, !workflowOnly, strategy);
  log(`workflow: ${workflow.figures.succeeded ? 'succeeded' : 'FAILED'} in ${hms(workflow.figures.totalSeconds)} simulated (${secondsSince(started)} s real)`);

  let baseline: ModeFigures | undefined;
  if (!workflowOnly) {
    log('baseline: the script on the same model…');
    baseline = await runBaselineMode(size, timing);
    log(`baseline: ${baseline.succeeded ? 'succeeded' : `FAILED (${baseline.failure})`} in ${hms(baseline.totalSeconds)} simulated (${secondsSince(started)} s real)`);
  }

  const imports = workflowOnly ? 0 : (options.initImports ?? 20);
  let bundles: BundleFigure[] = [];
  if (imports > 0) {
    log(`bundles: esbuild and ${imports} fresh imports of each…`);
    bundles = await measureBundles(imports);
  }

  const summary = summarize(workflow.figures, baseline, bundles);
  const cpu = process.cpuUsage(cpuBefore);
  return {
    size,
    strategy,
    environment: workflow.environment,
    workflow: workflow.figures,
    ...(baseline ? { baseline } : {}),
    bundles,
    summary,
    realSeconds: (performance.now() - started) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

function secondsSince(start: number): number {
  return Math.round((performance.now() - start) / 1000);
}

// ---------------------------------------------------------------------------------------------
// The workflow
// ---------------------------------------------------------------------------------------------

async function runWorkflow(
  size: ReferenceSize,
  timing: TimingProfile,
  measureHeap: boolean,
  withRerun: boolean,
  strategy: Strategy,
): Promise<{ figures: BenchResult['workflow']; environment: ReferenceEnvironment }> {
  let recorder: Recorder | undefined;
  const harness = await LocalHarness.create({ timing, onEvent: (e) => recorder?.onEvent(e) });
  const { account } = harness;
  recorder = new Recorder(account);
  const stops = [recorder.watchAccount(), recorder.watchInvoker(harness.invoker, timing.lambdaColdStartMs), shortcutS3(account), pollChildrenEverySecond(), ...(measureHeap ? [isolateInvocations(harness)] : [])];
  try {
    const environment = seedReferenceEnvironment(account, size);
    const executionArn = executionArnOf(harness.deployment.migrate.arn, BENCH_EXECUTION);
    // Blue/green: orders-prod adopts the scheme as slot A behind the sample's entry point (an alias A
    // record to its load balancer, as `rehearse --strategy blue-green` seeds it) and migrates into B.
    const entryPoint = strategy === 'blue-green' ? seedEntryPoint(account) : undefined;
    const slots: [string, string] = [SAMPLE_STACK, SAMPLE_SLOT_B];
    const input = entryPoint ? { ...blueGreenInput(SAMPLE_STACK), slots, entryPoint } : MIGRATION_INPUT;
    // The run's copy: the temporary stack, or the idle slot; the new environment: the stack's own name, or the idle slot.
    const tempStackName = entryPoint ? SAMPLE_SLOT_B : tempStackNameOf(SAMPLE_STACK, executionArn);
    const newStackName = entryPoint ? SAMPLE_SLOT_B : SAMPLE_STACK;
    // What resolvers cache until it expires after the switch: the record as it was before the run.
    const record = entryPoint ? account.route53.recordSets(entryPoint.hostedZoneId).find((r) => r.Name === `${entryPoint.recordName}.` && (r.Type === 'A' || r.Type === 'CNAME')) : undefined;
    const before = await captureBaseline(account, SAMPLE_STACK);
    const execution = await runOnSimulatedClock(async () => harness.finished(await harness.startMigration(input, BENCH_EXECUTION)));
    await recorder.resolveStackOperations();
    const report = await checkInvariants(account, before, {
      execution,
      tempStackName,
      lockTable: harness.deployment.lockTableName,
      topicArn: harness.deployment.topicArn,
      ...(entryPoint ? { blueGreen: { entryPoint, slots, workflowBucket: harness.deployment.workflowBucketName } } : {}),
    });

    const clones = [...account.sfn.executions.values()].filter((e) => e.stateMachineArn === harness.deployment.clone.arn).sort((a, b) => a.startDate - b.startDate);
    const work = workflowWork(recorder.operations, recorder.invocations);
    let downtime: Interval;
    let switchFigures: Omit<SwitchFigures, 'shareOfDowntime'> | undefined;
    if (entryPoint) {
      const bg = blueGreenDowntimeOf(recorder, execution, account.now(), record ? entryPointTtlSeconds(record) : 0);
      downtime = bg.window;
      switchFigures = bg.figures;
      if (bg.dnsCaches) work.push(bg.dnsCaches);
    } else {
      const standby = recorder.invocations.find((i) => i.step === 'standby-enter');
      const secondClone = clones[1];
      downtime = { start: standby?.start ?? execution.startDate, end: secondClone?.stopDate ?? execution.stopDate ?? account.now() };
    }
    const downtimePath = criticalPath(downtime, work, waitStates(recorder.states), recorder.invocations);
    const lambda = lambdaUsage(recorder.invocations);
    const usage: Usage = {
      stateTransitions: stateTransitions(recorder.states),
      lambdaInvocations: lambda.invocations,
      lambdaGbSeconds: lambda.gbSeconds,
      lambdaByStep: lambda.byStep,
      s3Requests: s3Usage(recorder.s3),
    };
    const copies = workflowCopies(recorder, clones.map((c) => ({ start: c.startDate, end: c.stopDate ?? account.now() })));

    // An immediate identical re-run: copy one of the new environment's buckets into a fresh one with
    // the copy step, then run the step again on the same pair and count what it copies.
    const rerun = withRerun
      ? await rerunCopy(harness, recorder, environment, newStackName).catch((err: unknown) => ({
          objects: 0,
          copies: 0,
          requests: 0,
          error: err instanceof Error ? err.name : String(err),
        }))
      : undefined;

    const downtimeSeconds = (downtime.end - downtime.start) / 1000;
    const figures = {
      succeeded: execution.status === 'SUCCEEDED',
      ...(execution.status === 'SUCCEEDED' ? {} : { failure: `${execution.error ?? execution.status}: ${execution.cause ?? ''}`.slice(0, 500) }),
      totalSeconds: ((execution.stopDate ?? account.now()) - execution.startDate) / 1000,
      execution: { start: execution.startDate, end: execution.stopDate ?? account.now() },
      downtimeSeconds,
      downtimePath,
      usage,
      cost: cost(usage),
      copies,
      invariantsHeld: report.violations.length === 0,
      violations: report.violations,
      ...(rerun ? { rerun } : {}),
      heap: stepHeaps(harness),
      ...(switchFigures ? { switch: { ...switchFigures, shareOfDowntime: downtimeSeconds > 0 ? switchFigures.seconds / downtimeSeconds : 0 } } : {}),
    };
    return { figures, environment };
  } finally {
    for (const stop of stops.reverse()) stop();
    harness.dispose();
  }
}

/**
 * The downtime of the blue/green run (bench/metrics.ts blueGreenDowntime): from entering the standby
 * to the switch seen INSYNC plus the TTL, and the switch's part of it; the TTL is AWS time on the
 * critical path (resolvers' caches), the switch's propagation is the 'switch entry point' operation.
 */
function blueGreenDowntimeOf(recorder: Recorder, execution: SimExecution, now: number, ttlSeconds: number) {
  const name = execution.name;
  const standby = firstEntered(recorder.states, name, STANDBY_STATE) ?? execution.startDate;
  const switchEntered = firstEntered(recorder.states, name, SWITCH_STATE);
  const switched = firstEntered(recorder.states, name, SWITCHED_STATE);
  const bg = blueGreenDowntime({ standby, switchEntered, switched, served: firstEntered(recorder.states, name, SERVED_STATE) !== undefined, end: execution.stopDate ?? now }, ttlSeconds);
  const figures: Omit<SwitchFigures, 'shareOfDowntime'> = {
    until: bg.until,
    ttlSeconds,
    seconds: bg.switch ? (bg.switch.end - bg.switch.start) / 1000 : 0,
    ...(bg.until === 'switched' && switched !== undefined ? { insyncAt: switched } : {}),
  };
  return { window: bg.window, figures, dnsCaches: bg.dnsCaches };
}

/**
 * Each invocation in a worker thread of its own (LambdaInvoker.isolate): its heap, limited to the
 * function's memory, is the handler's alone, whatever the simulated account holds on the main thread;
 * S3 calls take the same shortcut there as here (./fast-s3.ts).
 */
function isolateInvocations(harness: LocalHarness): () => void {
  harness.invoker.isolate({ account: harness.account, shortcutS3: true });
  return () => void harness.invoker.dispose();
}

function stepHeaps(harness: LocalHarness): StepHeap[] {
  const { stats, memorySizes } = harness.invoker;
  return [...stats.peakHeapBytes.entries()].map(([step, bytes]) => {
    const memoryMb = memorySizes.get(step) ?? STEPS[step].memoryMb;
    const peakMb = bytes / (1024 * 1024);
    return { step, invocations: stats.invocationsByStep.get(step) ?? 0, peakMb: round(peakMb, 1), memoryMb, percent: round((100 * peakMb) / memoryMb, 1) };
  });
}

/**
 * Migrate waits for each Clone with startExecution.sync, which AWS completes as soon as the child
 * ends; the local integration polls the child with a backoff (fewer calls in tests), which would
 * add up to 30 s of delay that AWS does not have.
 */
function pollChildrenEverySecond(): () => void {
  const before = { ...SYNC_POLL_MS };
  Object.assign(SYNC_POLL_MS, { first: 1000, factor: 1, max: 1000 });
  return () => {
    Object.assign(SYNC_POLL_MS, before);
  };
}

/** The copy step's concurrency, read as its handler reads it. */
function copyConcurrency(): number {
  return positiveIntFromEnv(process.env.COPY_CONCURRENCY, DEFAULT_COPY_CONCURRENCY);
}

/** Each bucket copy of each clone: its invocations, in the clone whose execution they fall in. */
function workflowCopies(recorder: Recorder, clones: Interval[]): BucketCopy[] {
  const groups = new Map<string, { clone: number; pair: CopyBucketEvent['pair']; invocations: Invocation[] }>();
  for (const i of recorder.invocations) {
    if (i.step !== 'copy-bucket' || i.error) continue;
    const event = i.event as CopyBucketEvent;
    const clone = clones.findIndex((c) => i.start >= c.start && i.start <= c.end) + 1;
    const key = `${clone}/${event.pair.sourceBucket}`;
    const group = groups.get(key) ?? { clone, pair: event.pair, invocations: [] };
    group.invocations.push(i);
    groups.set(key, group);
  }
  return [...groups.values()].map((g) => {
    const first = g.invocations[0] as Invocation;
    const last = g.invocations[g.invocations.length - 1] as Invocation;
    const totals = (last.result as CopyBucketResult | undefined)?.continuation.totals;
    return bucketCopy(
      g.clone,
      g.pair,
      { start: first.start + first.coldStartMs, end: last.end },
      (totals?.objectsCopied ?? 0) + (totals?.objectsSkipped ?? 0),
      g.invocations.length,
      recorder.s3,
      copyConcurrency(),
    );
  });
}

async function rerunCopy(harness: LocalHarness, recorder: Recorder, environment: ReferenceEnvironment, newStackName: string): Promise<Rerun> {
  const { account } = harness;
  const logicalId = environment.buckets[0]?.logicalId ?? 'UploadsBucket';
  const source = account.cloudformation.resourcesOf(newStackName).find((r) => r.logicalId === logicalId)?.physicalId;
  if (!source) return { objects: 0, copies: 0, requests: 0 };
  const destination = `${source.slice(0, 50)}-rerun`;
  account.s3.createBucket(destination, { versioning: true });
  const pair = { logicalId, sourceBucket: source, destinationBucket: destination };
  const execution = { id: 'arn:aws:states:us-east-1:123456789012:execution:bench:rerun', name: 'rerun' };
  // Invoked as the Clone state machine does: CONTINUE loops, throttling retried with its backoff.
  const invoke = async (event: CopyBucketEvent): Promise<CopyBucketResult> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return (await harness.invoker.invoke('copy-bucket', event)) as CopyBucketResult;
      } catch (err) {
        const name = err instanceof Error ? err.name : '';
        if (!(RETRYABLE_ERRORS as readonly string[]).includes(name) || attempt >= 5) throw err;
        await new Promise((resolve) => setTimeout(resolve, 2000 * 2 ** attempt));
      }
    }
  };
  const copyAll = async (): Promise<CopyBucketResult> => {
    let result = await invoke({ pair, execution });
    while (result.status === 'CONTINUE') result = await invoke({ pair, execution, continuation: result.continuation });
    return result;
  };
  return runOnSimulatedClock(async () => {
    await copyAll();
    const before = recorder.s3.length;
    const again = await copyAll();
    const totals = again.continuation.totals;
    let copies = 0;
    for (const r of recorder.s3.from(before)) if (!r.error && (r.operation === 'CopyObject' || r.operation === 'CompleteMultipartUpload')) copies++;
    return { objects: totals.objectsCopied + totals.objectsSkipped, copies, requests: recorder.s3.length - before };
    // The account's clock is ahead of the real one after the migration: go on from where it is.
  }, account.now());
}

// ---------------------------------------------------------------------------------------------
// The baseline
// ---------------------------------------------------------------------------------------------

async function runBaselineMode(size: ReferenceSize, timing: TimingProfile): Promise<ModeFigures> {
  const account = new SimAccount({ timing });
  const recorder = new Recorder(account);
  const stop = recorder.watchAccount();
  try {
    seedReferenceEnvironment(account, size);
    const run: BaselineRun = await runOnSimulatedClock(() =>
      runBaseline(
        account,
        { stackName: SAMPLE_STACK, targetVersion: TARGET_VERSION, templateUrl: MIGRATION_INPUT.templateUrl, parameters: MIGRATION_INPUT.parameters, smokeTestPath: MIGRATION_INPUT.smokeTest.path },
        `${SAMPLE_STACK}-baseline-tmp`,
      ),
    );
    await recorder.resolveStackOperations();
    const work = [...recorder.operations.map((o) => ({ label: o.kind, start: o.start, end: o.end })), ...run.work];
    const usage: Usage = { stateTransitions: 0, lambdaInvocations: 0, lambdaGbSeconds: 0, lambdaByStep: {}, s3Requests: s3Usage(recorder.s3) };
    return {
      succeeded: run.succeeded,
      ...(run.failure ? { failure: run.failure } : {}),
      totalSeconds: (run.end - run.start) / 1000,
      downtimeSeconds: (run.downtime.end - run.downtime.start) / 1000,
      downtimePath: criticalPath(run.downtime, work, run.polls, []),
      usage,
      cost: cost(usage),
      copies: run.syncs.map((s) =>
        bucketCopy(s.clone, { logicalId: s.logicalId, sourceBucket: s.sourceBucket, destinationBucket: s.destinationBucket }, { start: s.start, end: s.end }, s.objects, 0, recorder.s3, SYNC_CONCURRENCY),
      ),
    };
  } finally {
    stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Summary
// ---------------------------------------------------------------------------------------------

/** Objects-weighted rate of several copies: total objects ÷ total time each took. */
function rate(copies: readonly BucketCopy[], pick: (c: BucketCopy) => number): number {
  const objects = copies.reduce((n, c) => n + c.objects, 0);
  const seconds = copies.reduce((n, c) => n + (pick(c) > 0 ? c.objects / pick(c) : 0), 0);
  return seconds > 0 ? objects / seconds : 0;
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function summarize(workflow: BenchResult['workflow'], baseline: ModeFigures | undefined, bundles: BundleFigure[]): BenchSummary {
  const copyRate = rate(workflow.copies, (c) => c.objectsPerSecond);
  const baselineRate = baseline ? rate(baseline.copies, (c) => c.objectsPerSecond) : 0;
  const objects = workflow.copies.reduce((n, c) => n + c.objects, 0);
  const requests = workflow.copies.reduce((n, c) => n + c.requests, 0);
  const sw = workflow.switch;
  return {
    // Blue/green only: the double clone's line stays as it was.
    ...(sw
      ? {
          strategy: 'blue-green' as const,
          ttlSeconds: sw.ttlSeconds,
          switchSeconds: round(sw.seconds, 1),
          switchShareOfDowntime: round(sw.shareOfDowntime, 3),
          downtimeTargetRatio: DOWNTIME_TARGET_RATIO['blue-green'],
        }
      : {}),
    downtimeSeconds: Math.round(workflow.downtimeSeconds),
    baselineDowntimeSeconds: baseline ? Math.round(baseline.downtimeSeconds) : null,
    downtimeRatio: baseline ? round(baseline.downtimeSeconds > 0 ? workflow.downtimeSeconds / baseline.downtimeSeconds : 0, 3) : null,
    totalSeconds: Math.round(workflow.totalSeconds),
    baselineTotalSeconds: baseline ? Math.round(baseline.totalSeconds) : null,
    overheadPercent: round(workflow.downtimePath.overheadPercent),
    baselineOverheadPercent: baseline ? round(baseline.downtimePath.overheadPercent) : null,
    stateTransitions: workflow.usage.stateTransitions,
    lambdaInvocations: workflow.usage.lambdaInvocations,
    lambdaGbSeconds: round(workflow.usage.lambdaGbSeconds, 1),
    costUsd: round(workflow.cost.totalUsd, 4),
    baselineCostUsd: baseline ? round(baseline.cost.totalUsd, 4) : null,
    copyObjectsPerSecond: round(copyRate, 1),
    copyBoundObjectsPerSecond: round(rate(workflow.copies, (c) => c.boundObjectsPerSecond), 1),
    baselineCopyObjectsPerSecond: baseline ? round(baselineRate, 1) : null,
    copySpeedup: baseline ? round(baselineRate > 0 ? copyRate / baselineRate : 0) : null,
    requestsPerObject: round(objects > 0 ? requests / objects : 0, 4),
    recopiesOnRerun: workflow.rerun ? workflow.rerun.copies : null,
    maxBundleKb: bundles.reduce((n, b) => Math.max(n, b.kb), 0),
    maxInitMs: bundles.reduce((n, b) => Math.max(n, b.initMs), 0),
    invariantsHeld: workflow.invariantsHeld,
    maxHeapPercent: workflow.heap.reduce((n, h) => Math.max(n, h.percent), 0),
  };
}

/** 4512 → "1 h 15 min 12 s". */
export function hms(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h > 0 ? `${h} h ` : ''}${h > 0 || m > 0 ? `${String(m).padStart(h > 0 ? 2 : 1, '0')} min ` : ''}${String(s % 60).padStart(2, '0')} s`;
}
