/**
 * Runs one migration of a tiny sample environment on a fresh simulated account with faults armed,
 * and checks every invariant of docs/design.md on the account's final state. The fault matrix, the
 * randomized schedules, the bad-input suite, their tests and `npm run faults` all run through here.
 *
 * Speed is what makes a thousand migrations affordable: the CDK app is synthesized once per process
 * (local/synth.ts caches it), the handlers are imported once, the environment is a handful of
 * objects and rows (one special key and the object over 5 GB kept), and time is simulated.
 */
import { runIdOf, tempStackNameOf, executionArnOf } from '../../lambdas/shared/naming';
import { BACKOFF } from '../../lambdas/shared/wait';
import type { MigrationInputRaw } from '../../lambdas/shared/contracts';
import { runOnSimulatedClock } from '../clock';
import { LocalHarness } from '../harness';
import { type Baseline, type InvariantReport, captureBaseline, checkInvariants } from '../invariants';
import { SAMPLE_STACK, type SampleSize, TARGET_VERSION, TEMPLATE_KEYS, seedEntryPoint, seedSampleEnvironment, templateUrl } from '../sample-environment';
import type { BlueGreenRunFacts } from '../invariants-blue-green';
import type { SimAccount } from '../sim/account';
import { type TimingProfile, ZERO_TIMING } from '../sim/core';
import { rememberSdkCrc64Nvme } from '../sim/digest-memo';
import { seededRandom } from '../sim/ids';
import type { SimExecution } from '../sim/sfn';
import { type RunningState, runningState, taskHooks } from './state-context';

/**
 * Runs each case one after the other (each migration takes the simulated clock for itself), telling
 * `onResult` of each as it ends. The bad inputs and the attacks on verification and on the guards run through here.
 */
export async function runInOrder<C, R>(cases: readonly C[], run: (c: C) => Promise<R>, onResult?: (r: R) => void): Promise<R[]> {
  const results: R[] = [];
  for (const c of cases) {
    const r = await run(c);
    results.push(r);
    onResult?.(r);
  }
  return results;
}

/** A state of one of the machines, as the matrix names it: "Migrate: <state>", "Clone c1: <state>", "Retire: <state>", "Rollback: <state>". */
export type StateKey = string;

/** The key of a running state (Clone executions are told apart by their name's -c1 / -c2). */
export function keyOf(machine: string, executionName: string, state: string): StateKey {
  if (machine.startsWith('Migrate')) return `Migrate: ${state}`;
  // Blue/green's slot operations (local/faults/slot-operations.ts): one execution each.
  if (machine.startsWith('Retire')) return `Retire: ${state}`;
  if (machine.startsWith('Rollback')) return `Rollback: ${state}`;
  // c1, c2, or `live`: a live sync's PREPARE (statemachine/migrate.ts LIVE_CLONE_PHASE).
  const occurrence = /-(c\d|live)$/.exec(executionName)?.[1] ?? '?';
  return `Clone ${occurrence}: ${state}`;
}

/** The key of the state whose handler is running now, or undefined outside any Task state. */
export function currentKey(): StateKey | undefined {
  const s = runningState.getStore();
  return s ? keyOf(s.machine, s.executionName, s.state) : undefined;
}

/** A tiny environment: every kind of data the real one has, a few of each. */
export const TINY_SIZE: SampleSize = { objects: 4, rows: 3, largeObject: true, instances: 2, specialKeys: 1 };

const LIGHT_BASE: TimingProfile = {
  ...ZERO_TIMING,
  snapshotFixedSeconds: 30,
  restoreFixedSeconds: 30,
  stackCreateSeconds: 30,
  stackDeleteSeconds: 30,
  dbDeleteSeconds: 30,
  instanceLaunchSeconds: 90,
  standbyTransitionSeconds: 10,
  // A switch of the entry point is PENDING past switch-status's first check (30 s): its "again" runs.
  route53PropagationSeconds: 45,
  // Live sync: a read replica behind its source while it is written (a stalled one then misses the
  // writes of that lag: it never catches up), and a promotion that lasts past its first check.
  replicaLagSeconds: 30,
  replicaCatchUpRate: 2,
  promoteSeconds: 30,
};

/**
 * The instances of a new stack come up this long after its creation starts: two minutes after the
 * creation is seen complete, so the smoke test probes at least twice. Clone 1 sees it at the stack
 * creation's second check; clone 2 right after the time clone 1's creation took (stack-status's
 * precedent), about a minute here.
 */
const NEW_INSTANCES_LAUNCH_SECONDS = { c1: (BACKOFF.stackCreate.initialDelaySeconds ?? BACKOFF.stackCreate.firstDelaySeconds) + 120, c2: 60 + 120 };

/**
 * Operations take a little time, so every wait loop checks at least twice (its "again" state runs),
 * and the instances of a new stack are still launching when the stack is found complete, so the
 * smoke test probes twice too. (Instances returning from standby launch in the usual 90 s.)
 */
export const LIGHT_TIMING: TimingProfile = new Proxy(LIGHT_BASE, {
  get(target, property, receiver) {
    const running = runningState.getStore();
    if (property === 'instanceLaunchSeconds' && running?.state === 'Create the destination stack') {
      return running.executionName.endsWith('-c2') ? NEW_INSTANCES_LAUNCH_SECONDS.c2 : NEW_INSTANCES_LAUNCH_SECONDS.c1;
    }
    return Reflect.get(target, property, receiver) as unknown;
  },
});

/** Waits short enough that a wait that runs out does so in a few checks. */
export const FAULT_WAITS = { snapshotSeconds: 900, stackCreateSeconds: 900, stackDeleteSeconds: 900, standbySeconds: 300, smokeTestSeconds: 600, replicaCatchUpSeconds: 900 };

/** The migration every fault run performs: orders-prod to 1.4.0 with a smoke test, the tiny waits above. */
export const FAULT_INPUT: MigrationInputRaw = {
  stackName: SAMPLE_STACK,
  targetVersion: TARGET_VERSION,
  templateUrl: templateUrl(TEMPLATE_KEYS.target),
  parameters: { InstanceType: 't3.medium' },
  smokeTest: { outputKey: 'ServiceUrl', path: '/health', expectedStatus: 200, timeoutSeconds: 5 },
  waits: FAULT_WAITS,
};

/** The sample's second slot (local/scenarios.ts SAMPLE_SLOT_B): orders-prod adopts the scheme as the first, live one. */
export const FAULT_SLOT_B = `${SAMPLE_STACK}-b`;

/**
 * The blue/green migration every blue/green fault run performs: FAULT_INPUT with strategy blue-green,
 * orders-prod live behind the sample's entry point (seeded per run: its zone id is filled in then),
 * orders-prod-b the idle slot.
 */
export function blueGreenFaultInput(entryPoint: { hostedZoneId: string; recordName: string }): MigrationInputRaw {
  return { ...FAULT_INPUT, strategy: 'blue-green', entryPoint, slots: [SAMPLE_STACK, FAULT_SLOT_B], keepPreviousHours: 24 };
}

const EXECUTION_NAME = 'fault-run';

/** What a run's arming code gets: the account before the execution starts, and the names it will use. */
export interface ArmContext {
  account: SimAccount;
  harness: LocalHarness;
  executionArn: string;
  runId: string;
  tempStackName: string;
  lockTable: string;
  /** The original before the run (absent when nothing is seeded): a late write records itself here. */
  baseline?: Baseline;
  /** Strategy blue-green: the seeded entry point and the slots. */
  blueGreen?: BlueGreenRunFacts;
}

export interface RunSpec {
  name: string;
  /** The execution input; FAULT_INPUT when absent. */
  input?: unknown;
  size?: SampleSize;
  /** The account's timing; LIGHT_TIMING when absent. May be a Proxy that answers per running state. */
  timing?: TimingProfile;
  /** Seeds nothing when false (bad inputs never reach the environment). */
  seed?: boolean;
  /**
   * Strategy blue-green: seeds the sample's entry point (an alias record to orders-prod), runs
   * blueGreenFaultInput (unless `input` is given) and checks the blue/green invariants too. The
   * run's copy (ArmContext tempStackName) is then the idle slot, orders-prod-b.
   */
  blueGreen?: boolean;
  /** The migration with liveSync (issue 12): its copy made while the environment serves. */
  liveSync?: boolean;
  /** Arms faults, hooks and silent data loss before the execution starts. */
  arm?: (ctx: ArmContext) => void;
  /** Invariant facts only the arming code knows (the publish may fail, may repeat); a function is asked after the run. */
  facts?: RunFacts | (() => RunFacts);
}

export interface RunFacts {
  publishMayFail?: boolean;
  notificationsMayRepeat?: boolean;
  standbyExitMayFail?: boolean;
}

/** The states that return the instances to service in compensation (Migrate's, by name). */
export const STANDBY_EXIT_STATES = new Set([
  'Bring the instances back into service',
  'Check the instances coming back',
  'Check the instances coming back again',
  'Return the instances to service',
  'Check the returning instances',
  'Check the returning instances again',
  // Blue/green, after a switch back: the previous slot returned to service.
  'Return the previous slot to service',
  'Check the previous slot returning',
  'Check the previous slot returning again',
]);

/** Whether `key` is one of Migrate's states that return the instances to service. */
export function isStandbyExit(key: StateKey): boolean {
  return key.startsWith('Migrate: ') && STANDBY_EXIT_STATES.has(key.slice('Migrate: '.length));
}

export interface RunOutcome {
  name: string;
  execution: SimExecution;
  report: InvariantReport | undefined;
  /** Every broken invariant, or why they could not be checked. */
  violations: string[];
  /** Task states entered, by key. */
  visited: Set<StateKey>;
  /** Task states that made at least one AWS call, by key. */
  calledFrom: Set<StateKey>;
  account: SimAccount;
  /** Simulated seconds from start to end. */
  simulatedSeconds: number;
  realMs: number;
}

/** How long an execution may take in simulated time before the run is declared stuck (below setTimeout's 2^31 ms). */
const SIMULATED_LIMIT_MS = 20 * 24 * 3600 * 1000;

/**
 * Makes the copy step copy a few objects at a time (its COPY_CONCURRENCY, read when its handler is
 * first imported), so that slow copies outlast an invocation and the copy continues in the next
 * ("Copy more objects"): at the default of 64 every object of a small bucket starts at once.
 */
export function limitCopyConcurrency(): void {
  process.env.COPY_CONCURRENCY ??= '4';
  // Likewise the verification's requests in flight, so that slow reads make it continue too.
  process.env.VERIFY_CONCURRENCY ??= '4';
}

/** Runs one migration as `spec` says and checks the invariants. Never throws for what the workflow does. */
export async function runFaulted(spec: RunSpec): Promise<RunOutcome> {
  limitCopyConcurrency();
  const started = Date.now();
  const visited = new Set<StateKey>();
  const calledFrom = new Set<StateKey>();
  const harness = await LocalHarness.create({
    timing: spec.timing ?? LIGHT_TIMING,
    onEvent: (e) => {
      if (e.type === 'StateEntered' && e.stateType === 'Task' && e.stateName) visited.add(keyOf(e.machine, e.executionName, e.stateName));
    },
  });
  const { account } = harness;
  // Retry jitter (Step Functions' and the SDK's) draws from Math.random: seeded, a run replays exactly.
  const random = Math.random;
  Math.random = seededRandom(1);
  // Every run's verification reads and hashes the same 11 MiB archive with the SDK's CRC64NVME: the
  // same bytes from the same state are hashed once per process (exactly the SDK's arithmetic).
  const forgetCrc = rememberSdkCrc64Nvme();
  try {
    if (spec.seed !== false) seedSampleEnvironment(account, spec.size ?? TINY_SIZE);
    const baseline = spec.seed !== false ? await captureBaseline(account, SAMPLE_STACK) : undefined;
    const executionArn = executionArnOf(harness.deployment.migrate.arn, EXECUTION_NAME);
    const entryPoint = spec.blueGreen ? seedEntryPoint(account) : undefined;
    const blueGreen: BlueGreenRunFacts | undefined = entryPoint && { entryPoint, slots: [SAMPLE_STACK, FAULT_SLOT_B], workflowBucket: harness.deployment.workflowBucketName };
    const given = spec.input ?? (entryPoint ? blueGreenFaultInput(entryPoint) : FAULT_INPUT);
    const input = spec.liveSync ? { ...(given as MigrationInputRaw), liveSync: true } : given;
    const ctx: ArmContext = {
      account,
      harness,
      executionArn,
      runId: runIdOf(executionArn),
      tempStackName: blueGreen ? FAULT_SLOT_B : tempStackNameOf(SAMPLE_STACK, executionArn),
      lockTable: harness.deployment.lockTableName,
      baseline,
      blueGreen,
    };
    recordCallingStates(account, calledFrom);
    spec.arm?.(ctx);

    const { execution, seconds } = await runOnSimulatedClock(async (clock) => {
      const arn = await harness.startMigration(input, EXECUTION_NAME);
      const e = harness.execution(arn);
      const limit = new Promise<'stuck'>((resolve) => {
        const timer = setTimeout(() => resolve('stuck'), SIMULATED_LIMIT_MS);
        e.done.finally(() => clearTimeout(timer)).catch(() => undefined);
      });
      // Every execution, the clones a failed Migrate left running included: what they do after Migrate
      // ended is part of the final state the invariants are checked on.
      const everything = async () => {
        for (;;) {
          const running = [...account.sfn.executions.values()].filter((x) => x.status === 'RUNNING');
          if (running.length === 0) return 'done' as const;
          await Promise.all(running.map((x) => x.done));
        }
      };
      if ((await Promise.race([e.done.then(everything), limit])) === 'stuck') throw new Error(`${spec.name}: still running after ${SIMULATED_LIMIT_MS / 86_400_000} simulated days`);
      return { execution: e, seconds: Math.round(clock.elapsedMs() / 1000) };
    });

    let report: InvariantReport | undefined;
    const violations: string[] = [];
    if (baseline) {
      try {
        report = await checkInvariants(account, baseline, {
          execution,
          tempStackName: ctx.tempStackName,
          lockTable: ctx.lockTable,
          topicArn: harness.deployment.topicArn,
          ...(blueGreen ? { blueGreen } : {}),
          ...(typeof spec.facts === 'function' ? spec.facts() : spec.facts),
        });
        violations.push(...report.violations);
      } catch (err) {
        violations.push(`the invariants could not be checked: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return { name: spec.name, execution, report, violations, visited, calledFrom, account, simulatedSeconds: seconds, realMs: Date.now() - started };
  } finally {
    taskHooks.beforeTask = undefined;
    forgetCrc();
    Math.random = random;
    harness.dispose();
  }
}


/**
 * Arms one of the account's silent faults that name a stack (`field`) for the calls of `states` only:
 * read at each use, it names `stack` while one of them runs (AsyncLocalStorage says which state calls)
 * and nothing otherwise. `onHit` is told of each use that fires.
 */
export function silentWhileRunning(account: SimAccount, field: 'staleStatisticsForStack' | 'statisticsErrorForStack', states: readonly StateKey[], stack: string, onHit?: () => void): void {
  const running = new Set(states);
  Object.defineProperty(account.faults.silent, field, {
    configurable: true,
    get: () => {
      if (!running.has(currentKey() ?? '')) return undefined;
      onHit?.();
      return stack;
    },
  });
}

/** Records in `into`, without ever firing, which state each AWS call from now on comes from. */
export function recordCallingStates(account: SimAccount, into: Set<StateKey>): void {
  account.faults.add({
    kind: 'error',
    match: () => {
      const key = currentKey();
      if (key) into.add(key);
      return false;
    },
  });
}

/** The running state, when it is `key`. */
export function isRunning(key: StateKey): boolean {
  return currentKey() === key;
}

/** Runs `fn` outside any state's context: what it calls is not attributed to the running state. */
export function outsideState<T>(fn: () => T): T {
  return runningState.exit(fn);
}

export type { RunningState };
