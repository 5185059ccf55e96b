/**
 * The benchmark: the reference migration run through the real synthesized definitions and step
 * handlers on the simulated clock, the baseline script on the same timing model, a re-run of a
 * bucket copy, and the Lambda bundles; then every figure of issue 5 side by side.
 */
import { type CopyBucketEvent, type CopyBucketResult, type CopyTotals, DEFAULT_WAITS, type MigrationInputRaw, type Strategy, type VerifyBucketEvent } from '../lambdas/shared/contracts';
import { positiveIntFromEnv } from '../lambdas/shared/concurrency';
import { RETRYABLE_ERRORS } from '../lambdas/shared/errors';
import { DEFAULT_COPY_CONCURRENCY, STEPS, type StepName } from '../lambdas/steps';
import { tempStackNameOf, executionArnOf } from '../lambdas/shared/naming';
import { sumCopyTotals } from '../lambdas/shared/copy-totals';
import { runOnSimulatedClock } from '../local/clock';
import { LocalHarness } from '../local/harness';
import { SYNC_POLL_MS } from '../local/integrations';
import { captureBaseline, checkInvariants } from '../local/invariants';
import { SAMPLE_STACK, TARGET_VERSION, TEMPLATE_KEYS, seedEntryPoint, templateUrl } from '../local/sample-environment';
import { blueGreenInput, SAMPLE_SLOT_B } from '../local/scenarios';
import type { SimExecution } from '../local/sim/sfn';
import { SWITCH_STATE } from '../statemachine/blue-green';
import { LIVE_CLONE_PHASE } from '../statemachine/migrate';
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
  /**
   * Live sync (issue 12): the migration input gets `liveSync: true`: the copy is PREPAREd while the
   * environment serves (read replicas, buckets pre-copied), and FINISHed after the standby.
   */
  liveSync?: boolean;
}

/** The benchmark's goal for the downtime against the baseline's, per strategy (issue 5; issue 11 for blue/green). */
export const DOWNTIME_TARGET_RATIO: Record<Strategy, number> = { 'double-clone': 0.6, 'blue-green': 0.3 };
/** With live sync (issue 12): the downtime goals against the same baseline. */
export const LIVE_SYNC_DOWNTIME_TARGET_RATIO: Record<Strategy, number> = { 'double-clone': 0.35, 'blue-green': 0.1 };
/** Issue 12: the 1 TB database with ten times the objects may take at most this much more downtime than the 100 GB run. */
export const SCALED_DOWNTIME_TARGET_RATIO = 1.1;

/** The goal of a run's downtime against the baseline's. */
export function downtimeTargetRatio(strategy: Strategy, liveSync: boolean): number {
  return (liveSync ? LIVE_SYNC_DOWNTIME_TARGET_RATIO : DOWNTIME_TARGET_RATIO)[strategy];
}

/**
 * The baseline's downtime at the reference size (100 GB, 100,000 objects per bucket), as measured by
 * `npm run bench` (bench/README.md, 2026-12-05: 9,535 s). `--workflow-only` runs no baseline: at the
 * reference size its ratio is taken against this recorded figure (the JSON says so:
 * `baselineRecorded: true`); at any other size there is no ratio.
 */
export const RECORDED_BASELINE_DOWNTIME_SECONDS = 9_535;

/** Live sync: what the PREPARE did before the standby, and what FINISH did inside the downtime. */
export interface LiveSyncFigures {
  /** The PREPARE clone (`<runId>-live`): before the standby, not downtime. */
  prepare: {
    seconds: number;
    /** Its destination stack's creation with read replicas (CreateStack → CREATE_COMPLETE). */
    createStackSeconds: number;
    /** Its end to the standby (a PREPARE that ends after it would be a bug: the standby waits for it). */
    standbyAfterSeconds: number;
  };
  /** FINISH's Parallel "Copy the buckets": entered → left; the downtime holds this, not the sum of its branches. */
  parallelSeconds: number;
  /** The replica branch: catch-up wait then promotion (to "Replicas caught up and promoted"). */
  replicaBranchSeconds: number;
  /** The bucket branch: the Map "Copy each bucket" (delta copy + verification of every bucket). */
  bucketBranchSeconds: number;
  longerBranch: 'replicas' | 'buckets';
  /** From the branch's start to the promotion's start: waiting until every replica's ReplicaLag proves it caught up. */
  catchUpSeconds: number;
  /** AWS's part of it: from `since` (no more writes) to the proof readable in CloudWatch (observe.ts 'replica catch-up'). */
  catchUpAwsSeconds: number;
  /** From "Promote the read replicas" entered to the update seen complete. */
  promotionSeconds: number;
  /** AWS's part of it: ExecuteChangeSet → the stack's UPDATE_COMPLETE ('promote replicas'). */
  promotionAwsSeconds: number;
  buckets: LiveSyncBucket[];
}

/** FINISH's phases, as the summary line carries them (rounded). */
type LiveSyncPhase =
  | 'parallelSeconds'
  | 'replicaBranchSeconds'
  | 'bucketBranchSeconds'
  | 'longerBranch'
  | 'catchUpSeconds'
  | 'catchUpAwsSeconds'
  | 'promotionSeconds'
  | 'promotionAwsSeconds';

export interface LiveSyncBucket {
  logicalId: string;
  preCopy: { seconds: number; objectsCopied: number; bytesCopied: number; requests: number };
  delta: { seconds: number; objectsCopied: number; objectsSkipped: number; versionsRemoved: number; bytesCopied: number; requests: number };
  /** FINISH's verification of the bucket (first verify-bucket call → last, checksum jobs included). */
  verifySeconds: number;
}
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
  workflow: ModeFigures & { execution: Interval; invariantsHeld: boolean; violations: string[]; rerun?: Rerun; heap: StepHeap[]; switch?: SwitchFigures; liveSync?: LiveSyncFigures };
  /** The migration input asked for live sync. */
  liveSync: boolean;
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
  /** Live sync only (the other lines are as they were): what PREPARE and FINISH did (in whole seconds), the size run and the goal. */
  liveSync?: Pick<LiveSyncFigures, LiveSyncPhase> & {
    dbGb: number;
    objectsPerBucket: number;
    downtimeTargetRatio: number;
    prepareSeconds: number;
    prepareCreateStackSeconds: number;
    buckets: { logicalId: string; preCopyObjects: number; preCopySeconds: number; deltaCopied: number; deltaSkipped: number; deltaRemoved: number; deltaSeconds: number; verifySeconds: number }[];
  };
  /** `--workflow-only` at the reference size: the downtimeRatio is against RECORDED_BASELINE_DOWNTIME_SECONDS. */
  baselineRecorded?: boolean;
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
  /** What one function could reach: the lower of the latency and the CPU bound (objects-weighted over the full copies). */
  copyBoundObjectsPerSecond: number;
  /** The copy's concurrency slots kept busy with the latencies measured. */
  copyLatencyBoundObjectsPerSecond: number;
  /** 1000 × the copy step's vCPU share ÷ copyCpuMsPerObject (null: no client CPU in the timing model). */
  copyCpuBoundObjectsPerSecond: number | null;
  /** Client CPU of the copy's requests per object, ms at one vCPU (bench/timing.json clientCpuMs). */
  copyCpuMsPerObject: number | null;
  /** The copy step's memory (lambdas/steps.ts) and its vCPU share. */
  copyMemoryMb: number;
  copyVcpuShare: number;
  copyConcurrency: number;
  /** Key ranges a full copy was split into, the most of any bucket: one function each, in parallel (the bounds count them all). */
  copyRanges: number;
  /** What S3's write rate on each full copy's busiest prefix allows (objects-weighted), null when the model rates none. */
  copyS3BoundObjectsPerSecond: number | null;
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

/** The Clone states live sync's figures are read from (statemachine/clone.ts). */
const LIVE_STATES = {
  parallel: 'Copy the buckets',
  bucketMap: 'Copy each bucket',
  promote: 'Promote the read replicas',
  promoted: 'Replicas caught up and promoted',
} as const;

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
  const liveSync = options.liveSync ?? false;
  const workflow = await runWorkflow(size, timing, options.measureHeap ?? true, !workflowOnly, strategy, liveSync);
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

  const summary = summarize(workflow.figures, baseline, bundles, { size, strategy, liveSync, fullVcpuMemoryMb: timing.fullVcpuMemoryMb });
  const cpu = process.cpuUsage(cpuBefore);
  return {
    size,
    strategy,
    liveSync,
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
  liveSync: boolean,
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
    const base: MigrationInputRaw = entryPoint ? { ...blueGreenInput(SAMPLE_STACK), slots, entryPoint } : MIGRATION_INPUT;
    const input = { ...base, ...(liveSync ? { liveSync: true } : {}), ...waitsFor(size.databaseGb, timing, base.waits) };
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
    const runs = cloneRuns(clones, account.now());
    // Live sync: the copy after the standby is the delta (what changed since the pre-copy).
    const work = workflowWork(recorder.operations, recorder.invocations, (i, label) => (i.step === 'copy-bucket' ? (runOf(runs, i.start)?.stage === 'delta' ? 'delta copy' : runOf(runs, i.start)?.stage === 'pre-copy' ? 'pre-copy' : label) : label));
    let downtime: Interval;
    let switchFigures: Omit<SwitchFigures, 'shareOfDowntime'> | undefined;
    if (entryPoint) {
      const bg = blueGreenDowntimeOf(recorder, execution, account.now(), record ? entryPointTtlSeconds(record) : 0);
      downtime = bg.window;
      switchFigures = bg.figures;
      if (bg.dnsCaches) work.push(bg.dnsCaches);
    } else {
      // A run that never reached the standby (phase A before it) had no downtime: an empty window.
      const standby = recorder.invocations.find((i) => i.step === 'standby-enter');
      // The second clone by its name (`<runId>-c2`): live sync runs a third, its PREPARE, first.
      const secondClone = clones.find((c) => c.name.endsWith('-c2')) ?? clones.filter((c) => !c.name.endsWith(`-${LIVE_CLONE_PHASE}`))[1];
      const end = secondClone?.stopDate ?? execution.stopDate ?? account.now();
      downtime = { start: standby?.start ?? end, end };
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
    const copies = workflowCopies(recorder, runs, timing);
    const liveSyncFigures = liveSync ? liveSyncFiguresOf(recorder, runs, copies, downtime.start) : undefined;

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
      ...(liveSyncFigures ? { liveSync: liveSyncFigures } : {}),
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
  // Never in standby (phase A before it): the live slot never stopped serving, an empty window.
  const standby = firstEntered(recorder.states, name, STANDBY_STATE) ?? execution.stopDate ?? now;
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
 * The waits an operator gives a database larger than the reference (`--db-gb`): the default hour for
 * a stack's creation does not cover a 1 TB restore, nor a read replica of it (a snapshot and a restore,
 * on this timing model), so the snapshot and creation waits cover 1.5 × what the model predicts
 * (within the input's bounds). At the reference size: the input's own waits, untouched.
 */
function waitsFor(databaseGb: number, timing: TimingProfile, given: MigrationInputRaw['waits']): { waits?: MigrationInputRaw['waits'] } {
  const snapshot = timing.snapshotFixedSeconds + timing.snapshotSecondsPerGb * databaseGb;
  const restore = timing.restoreFixedSeconds + timing.restoreSecondsPerGb * databaseGb;
  const need = (seconds: number, fallback: number) => Math.min(12 * 3600, Math.max(fallback, Math.ceil(1.5 * seconds)));
  const snapshotSeconds = need(snapshot, given?.snapshotSeconds ?? DEFAULT_WAITS.snapshotSeconds);
  const stackCreateSeconds = need(snapshot + restore + timing.stackCreateSeconds, given?.stackCreateSeconds ?? DEFAULT_WAITS.stackCreateSeconds);
  if (snapshotSeconds === (given?.snapshotSeconds ?? DEFAULT_WAITS.snapshotSeconds) && stackCreateSeconds === (given?.stackCreateSeconds ?? DEFAULT_WAITS.stackCreateSeconds)) return {};
  return { waits: { ...given, snapshotSeconds, stackCreateSeconds } };
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

/**
 * A Clone execution of the run: which clone it is (1: the copy of the current environment, 2: the
 * double clone's second) and, with live sync, which stage: the PREPARE execution (`<runId>-live`)
 * pre-copies, the first clone after it FINISHes with the delta copy.
 */
interface CloneRun extends Interval {
  name: string;
  clone: number;
  stage?: 'pre-copy' | 'delta';
}

function cloneRuns(clones: readonly SimExecution[], now: number): CloneRun[] {
  const live = clones.some((c) => c.name.endsWith(`-${LIVE_CLONE_PHASE}`));
  let n = 0;
  return clones.map((c) => {
    const interval = { name: c.name, start: c.startDate, end: c.stopDate ?? now };
    if (c.name.endsWith(`-${LIVE_CLONE_PHASE}`)) return { ...interval, clone: 1, stage: 'pre-copy' as const };
    n += 1;
    return { ...interval, clone: n, ...(live && n === 1 ? { stage: 'delta' as const } : {}) };
  });
}

function runOf(runs: readonly CloneRun[], at: number): CloneRun | undefined {
  return runs.find((c) => at >= c.start && at <= c.end);
}

/** Each bucket copy of each clone: its invocations, in the clone whose execution they fall in. */
function workflowCopies(recorder: Recorder, runs: readonly CloneRun[], timing: TimingProfile): BucketCopy[] {
  const groups = new Map<string, { run: CloneRun | undefined; pair: CopyBucketEvent['pair']; invocations: Invocation[] }>();
  for (const i of recorder.invocations) {
    if (i.step !== 'copy-bucket' || i.error) continue;
    const event = i.event as CopyBucketEvent;
    const run = runOf(runs, i.start);
    const key = `${run?.name ?? ''}/${event.pair.sourceBucket}`;
    const group = groups.get(key) ?? { run, pair: event.pair, invocations: [] };
    group.invocations.push(i);
    groups.set(key, group);
  }
  return [...groups.values()].map((g) => {
    // A bucket copied as key ranges (split-bucket) has one invocation chain per range, running in
    // parallel: each range's last invocation holds that range's totals, and the bucket's are their sum.
    const lastOfRange = new Map<string, Invocation>();
    for (const i of g.invocations) lastOfRange.set(JSON.stringify((i.event as CopyBucketEvent).range ?? {}), i);
    const ranges = lastOfRange.size;
    const totals = sumCopyTotals([...lastOfRange.values()].flatMap((i) => (i.result as CopyBucketResult | undefined)?.continuation?.totals ?? []));
    const start = Math.min(...g.invocations.map((i) => i.start + i.coldStartMs));
    const end = Math.max(...g.invocations.map((i) => i.end));
    const copy = bucketCopy(
      g.run?.clone ?? 0,
      g.pair,
      { start, end },
      (totals?.objectsCopied ?? 0) + (totals?.objectsSkipped ?? 0),
      g.invocations.length,
      recorder.s3,
      copyConcurrency(),
      { timing, memoryMb: STEPS['copy-bucket'].memoryMb },
      ranges,
    );
    return { ...copy, ...(g.run?.stage ? { stage: g.run.stage } : {}), ...(totals ? { totals } : {}) };
  });
}

/** The first time a state of one execution was entered / left (recorded state events). */
function stateAt(recorder: Recorder, executionName: string, stateName: string, type: 'StateEntered' | 'StateExited'): number | undefined {
  return recorder.states.find((s) => s.executionName === executionName && s.type === type && s.stateName === stateName)?.at;
}

/**
 * Live sync's figures: the PREPARE clone's time (before the standby), FINISH's Parallel and each of
 * its branches (replicas: the catch-up wait, then the promotion; buckets: the delta copy and the
 * verification), with AWS's part of the catch-up and of the promotion, and each bucket's pre-copy and
 * delta totals. Absent parts (a run that failed before them) read 0.
 */
function liveSyncFiguresOf(recorder: Recorder, runs: readonly CloneRun[], copies: readonly BucketCopy[], standbyAt: number): LiveSyncFigures {
  const seconds = (from: number | undefined, to: number | undefined): number => (from !== undefined && to !== undefined && to >= from ? (to - from) / 1000 : 0);
  const prepare = runs.find((r) => r.stage === 'pre-copy');
  const finish = runs.find((r) => r.stage === 'delta');
  const within = (run: CloneRun | undefined, at: number): boolean => run !== undefined && at >= run.start && at <= run.end;
  const createStack = recorder.operations.find((o) => o.kind === 'create stack' && within(prepare, o.start));
  const name = finish?.name ?? '';
  const parallelIn = stateAt(recorder, name, LIVE_STATES.parallel, 'StateEntered');
  const parallelOut = stateAt(recorder, name, LIVE_STATES.parallel, 'StateExited');
  const promoteAt = stateAt(recorder, name, LIVE_STATES.promote, 'StateEntered');
  const promotedAt = stateAt(recorder, name, LIVE_STATES.promoted, 'StateEntered');
  const bucketsOut = stateAt(recorder, name, LIVE_STATES.bucketMap, 'StateExited');
  const catchUp = recorder.operations.find((o) => o.kind === 'replica catch-up' && within(finish, o.end));
  const promotion = recorder.operations.find((o) => o.kind === 'promote replicas' && within(finish, o.start));
  const replicaBranchSeconds = seconds(parallelIn, promotedAt);
  const bucketBranchSeconds = seconds(parallelIn, bucketsOut);
  const verifyOf = (logicalId: string): number => {
    const calls = recorder.invocations.filter((i) => i.step === 'verify-bucket' && within(finish, i.start) && (i.event as VerifyBucketEvent | undefined)?.pair.logicalId === logicalId);
    const first = calls[0];
    const last = calls[calls.length - 1];
    return first && last ? seconds(first.start + first.coldStartMs, last.end) : 0;
  };
  const none: CopyTotals = { objectsCopied: 0, objectsSkipped: 0, bytesCopied: 0, multipartObjects: 0, deleteMarkersCopied: 0, versionsCleared: 0, requests: 0 };
  const ids = [...new Set(copies.filter((c) => c.stage !== undefined).map((c) => c.logicalId))];
  const buckets = ids.map((logicalId): LiveSyncBucket => {
    const pre = copies.find((c) => c.stage === 'pre-copy' && c.logicalId === logicalId);
    const delta = copies.find((c) => c.stage === 'delta' && c.logicalId === logicalId);
    const p = pre?.totals ?? none;
    const d = delta?.totals ?? none;
    return {
      logicalId,
      preCopy: { seconds: pre ? (pre.end - pre.start) / 1000 : 0, objectsCopied: p.objectsCopied, bytesCopied: p.bytesCopied, requests: pre?.requests ?? 0 },
      delta: {
        seconds: delta ? (delta.end - delta.start) / 1000 : 0,
        objectsCopied: d.objectsCopied,
        objectsSkipped: d.objectsSkipped,
        versionsRemoved: d.versionsRemoved ?? 0,
        bytesCopied: d.bytesCopied,
        requests: delta?.requests ?? 0,
      },
      verifySeconds: verifyOf(logicalId),
    };
  });
  return {
    prepare: {
      seconds: prepare ? (prepare.end - prepare.start) / 1000 : 0,
      createStackSeconds: createStack ? (createStack.end - createStack.start) / 1000 : 0,
      standbyAfterSeconds: prepare ? (standbyAt - prepare.end) / 1000 : 0,
    },
    parallelSeconds: seconds(parallelIn, parallelOut),
    replicaBranchSeconds,
    bucketBranchSeconds,
    longerBranch: replicaBranchSeconds > bucketBranchSeconds ? 'replicas' : 'buckets',
    catchUpSeconds: seconds(parallelIn, promoteAt),
    catchUpAwsSeconds: catchUp ? (catchUp.end - catchUp.start) / 1000 : 0,
    promotionSeconds: seconds(promoteAt, promotedAt),
    promotionAwsSeconds: promotion ? (promotion.end - promotion.start) / 1000 : 0,
    buckets,
  };
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

/**
 * The copies the copy figures (rate, bound, requests per object) are about: every full copy, and
 * with live sync the pre-copy; the delta copy after the standby mostly lists and skips (its figures
 * are the live-sync lines').
 */
export function fullCopies(copies: readonly BucketCopy[]): BucketCopy[] {
  return copies.filter((c) => c.stage !== 'delta');
}

/** Whether a size is the reference's (what RECORDED_BASELINE_DOWNTIME_SECONDS was measured at). */
function isReferenceSize(size: ReferenceSize): boolean {
  return (Object.keys(REFERENCE_SIZE) as (keyof ReferenceSize)[]).every((k) => size[k] === REFERENCE_SIZE[k]);
}

function summarize(
  workflow: BenchResult['workflow'],
  baseline: ModeFigures | undefined,
  bundles: BundleFigure[],
  run: { size: ReferenceSize; strategy: Strategy; liveSync: boolean; fullVcpuMemoryMb: number },
): BenchSummary {
  const full = fullCopies(workflow.copies);
  const cpuCopies = full.filter((c) => c.cpu !== undefined);
  const copyRate = rate(full, (c) => c.objectsPerSecond);
  const baselineRate = baseline ? rate(baseline.copies, (c) => c.objectsPerSecond) : 0;
  const objects = full.reduce((n, c) => n + c.objects, 0);
  const requests = full.reduce((n, c) => n + c.requests, 0);
  const sw = workflow.switch;
  const ls = workflow.liveSync;
  // No baseline run (--workflow-only): at the reference size, the baseline's recorded downtime.
  const recorded = !baseline && isReferenceSize(run.size) ? RECORDED_BASELINE_DOWNTIME_SECONDS : undefined;
  const baselineDowntime = baseline ? baseline.downtimeSeconds : recorded;
  return {
    ...(ls
      ? {
          liveSync: {
            dbGb: run.size.databaseGb,
            objectsPerBucket: run.size.objectsPerBucket,
            downtimeTargetRatio: downtimeTargetRatio(run.strategy, true),
            prepareSeconds: Math.round(ls.prepare.seconds),
            prepareCreateStackSeconds: Math.round(ls.prepare.createStackSeconds),
            parallelSeconds: Math.round(ls.parallelSeconds),
            replicaBranchSeconds: Math.round(ls.replicaBranchSeconds),
            bucketBranchSeconds: Math.round(ls.bucketBranchSeconds),
            longerBranch: ls.longerBranch,
            catchUpSeconds: Math.round(ls.catchUpSeconds),
            catchUpAwsSeconds: Math.round(ls.catchUpAwsSeconds),
            promotionSeconds: Math.round(ls.promotionSeconds),
            promotionAwsSeconds: Math.round(ls.promotionAwsSeconds),
            buckets: ls.buckets.map((b) => ({
              logicalId: b.logicalId,
              preCopyObjects: b.preCopy.objectsCopied,
              preCopySeconds: Math.round(b.preCopy.seconds),
              deltaCopied: b.delta.objectsCopied,
              deltaSkipped: b.delta.objectsSkipped,
              deltaRemoved: b.delta.versionsRemoved,
              deltaSeconds: Math.round(b.delta.seconds),
              verifySeconds: Math.round(b.verifySeconds),
            })),
          },
        }
      : {}),
    ...(recorded !== undefined ? { baselineRecorded: true } : {}),
    // Blue/green only: the double clone's line stays as it was.
    ...(sw
      ? {
          strategy: 'blue-green' as const,
          ttlSeconds: sw.ttlSeconds,
          switchSeconds: round(sw.seconds, 1),
          switchShareOfDowntime: round(sw.shareOfDowntime, 3),
          downtimeTargetRatio: downtimeTargetRatio('blue-green', run.liveSync),
        }
      : {}),
    downtimeSeconds: Math.round(workflow.downtimeSeconds),
    baselineDowntimeSeconds: baselineDowntime !== undefined ? Math.round(baselineDowntime) : null,
    downtimeRatio: baselineDowntime !== undefined ? round(baselineDowntime > 0 ? workflow.downtimeSeconds / baselineDowntime : 0, 3) : null,
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
    copyBoundObjectsPerSecond: round(rate(full, (c) => c.boundObjectsPerSecond), 1),
    copyLatencyBoundObjectsPerSecond: round(rate(full, (c) => c.latencyBoundObjectsPerSecond), 1),
    copyCpuBoundObjectsPerSecond: cpuCopies.length > 0 ? round(rate(cpuCopies, (c) => c.cpu?.boundObjectsPerSecond ?? 0), 1) : null,
    copyCpuMsPerObject: cpuCopies.length > 0 ? round(cpuCopies.reduce((n, c) => n + (c.cpu?.msPerObject ?? 0) * c.objects, 0) / Math.max(1, cpuCopies.reduce((n, c) => n + c.objects, 0)), 3) : null,
    copyMemoryMb: STEPS['copy-bucket'].memoryMb,
    copyVcpuShare: round(cpuCopies[0]?.cpu?.share ?? Math.min(1, STEPS['copy-bucket'].memoryMb / run.fullVcpuMemoryMb), 3),
    copyConcurrency: full[0]?.concurrency ?? copyConcurrency(),
    copyRanges: full.reduce((n, c) => Math.max(n, c.ranges), 1),
    copyS3BoundObjectsPerSecond: full.some((c) => c.s3BoundObjectsPerSecond !== undefined) ? round(rate(full, (c) => c.s3BoundObjectsPerSecond ?? 0), 1) : null,
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
