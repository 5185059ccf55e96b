/**
 * The fault matrix (issue 3, item 7): every Task state of both synthesized machines (each Clone
 * state twice, once per clone) × each fault kind, one migration per applicable cell, every
 * invariant of docs/design.md checked on the final state of the simulated account.
 *
 * A state is reached by a route: a migration that passes through it (the happy path, or one where
 * something earlier sends the workflow down a compensation path). Routes are run first without the
 * cell's fault; the first route that enters a state is the one its cells use. The fault is then
 * armed for that state alone (local/faults/state-context.ts says which state each call comes from).
 */
import { LIVE_SYNC_CLONE_TASK_STATES } from '../../statemachine/clone';
import { LIVE_COPY_STATE } from '../../statemachine/migrate';
import { CANCEL_STATE_PREFIXES } from '../../statemachine/cancel-names';
import { BLUE_GREEN_TASK_STATES } from '../../statemachine/blue-green';
import type { StepName } from '../../lambdas/steps';
import { CANCEL_CHECK_STEPS } from '../../infra/step-permissions';
import { synthesizeTemplate } from '../synth';
import { type LocalDeployment, localDeployment } from '../definitions';
import { SAMPLE_STACK, SPECIAL_KEYS, TEMPLATE_KEYS, templateUrl } from '../sample-environment';
import type { CallFault, TimingProfile } from '../sim/core';
import { BACKOFF } from '../../lambdas/shared/wait';
import { DEFAULT_WAITS } from '../../lambdas/shared/contracts';
import { SWITCH_TIMEOUT_SECONDS } from '../../lambdas/validate-slot-operation/core';
import { type ArmContext, FAULT_INPUT, FAULT_SLOT_B, FAULT_WAITS, LIGHT_TIMING, type RunFacts, type RunOutcome, type RunSpec, type StateKey, TINY_SIZE, isRunning, silentWhileRunning, isStandbyExit, keyOf, outsideState, runFaulted } from './runner';
import { taskHooks } from './state-context';
import { LATE_WRITE_ROUTES } from './late-writes';
import { DELETION_ROUTES } from './deletion-routes';

export const FAULT_KINDS = ['aws-error', 'throttle', 'timeout', 'silent-loss', 'crash'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const FAULT_KIND_TITLES: Record<FaultKind, string> = {
  'aws-error': 'an AWS error (access denied, never retried)',
  throttle: 'throttling that outlasts every retry',
  timeout: 'the timeout of its wait (the operation takes longer)',
  'silent-loss': 'silent data loss (rows, an object, stale statistics)',
  crash: 'a crash after the AWS call succeeded, before the answer',
};

/** The machines whose Task states the matrices fault (Retire and Rollback: blue/green's slot operations). */
export type MachineName = 'Migrate' | 'Clone' | 'Retire' | 'Rollback';

/** One Task state as the matrix sees it. */
export interface TaskState {
  key: StateKey;
  machine: MachineName;
  /** Which clone, for Clone states (`live`: a live sync's PREPARE, `<runId>-live`). */
  clone?: CloneRun;
  state: string;
  /** The Lambda step, for Lambda tasks; undefined for service integrations (DynamoDB, SNS, StartExecution). */
  step?: StepName;
  /** What a non-Lambda task calls ("dynamodb:putItem"). */
  integration?: string;
  /**
   * For a wait loop's check: the state that starts the operation waited for, the timing knobs that
   * make it slow, and how slow: longer than the wait, short enough for the compensation to finish.
   */
  wait?: { initiator: StateKey; knobs: (keyof TimingProfile)[]; slowSeconds: number; stall?: Stall; replicasStall?: boolean };
}

/**
 * A wait whose check is not for an operation AWS finishes but for a service answering (the smoke
 * test through the entry point): it runs out when `stack`'s statistics endpoint answers HTTP 500
 * while the check runs (the slot does not serve through the record), no timing knob involved.
 */
export interface Stall {
  stack: string;
}

/** The Clone executions of a migration, by name suffix: clone 1, clone 2, and a live sync's PREPARE. */
export type CloneRun = 'c1' | 'c2' | 'live';

interface AslState {
  Type: string;
  Resource?: string;
  Next?: string;
  Default?: string;
  Choices?: { Next?: string }[];
  ItemProcessor?: { States: Record<string, AslState> };
  Iterator?: { States: Record<string, AslState> };
  Branches?: { States: Record<string, AslState> }[];
}

function* allStates(states: Record<string, AslState>): Generator<[string, AslState]> {
  for (const [name, state] of Object.entries(states)) {
    yield [name, state];
    for (const branch of state.Branches ?? []) yield* allStates(branch.States);
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner) yield* allStates(inner.States);
  }
}

const STATUS_STEPS = new Set<StepName>(['standby-status', 'snapshot-status', 'stack-status', 'smoke-test', 'switch-status', 'probe-entry-point', 'replica-status']);
/** The steps that start what each status step waits for (the smoke test waits for a stack's instances). */
const INITIATORS: Partial<Record<StepName, StepName[]>> = {
  'standby-status': ['standby-enter', 'standby-exit'],
  'snapshot-status': ['snapshot'],
  // Live sync's promotion is a stack update (its change set executed).
  'stack-status': ['create-stack', 'delete-stack', 'promote-replicas'],
  // Named, not "the task before it": safe points (cancel reads) now stand between the stack's
  // creation and the first probe, and slowing the instances only while a cancel read runs slows nothing.
  'smoke-test': ['create-stack'],
  // Blue/green: the switch of the entry point (or back) and the probe through it once INSYNC.
  'switch-status': ['switch-entry-point'],
  'probe-entry-point': ['switch-entry-point'],
};

/**
 * The timing knobs that make the operation a status step waits for take longer, and by how much:
 * half again its wait, so the wait runs out first but the operation still ends while the
 * compensation deals with it. The smoke test's wait starts only once the stack is seen complete,
 * after the stack creation's first delay, so its instances are made slower still.
 */
function slowdownFor(check: StepName, initiator: StepName | undefined, machine: MachineName): { knobs: (keyof TimingProfile)[]; slowSeconds: number } {
  const over = (wait: number) => Math.round(wait * 1.5);
  // The waits each machine runs with: Retire's are the defaults (validate-slot-operation), the others the fault input's.
  const waits = machine === 'Retire' ? DEFAULT_WAITS : FAULT_WAITS;
  switch (check) {
    case 'standby-status':
      // Into Standby takes standbyTransitionSeconds; out of it goes through Pending like a launch.
      return { knobs: initiator === 'standby-exit' ? ['instanceLaunchSeconds'] : ['standbyTransitionSeconds'], slowSeconds: over(waits.standbySeconds) };
    case 'snapshot-status':
      return { knobs: ['snapshotFixedSeconds'], slowSeconds: over(waits.snapshotSeconds) };
    case 'smoke-test':
      return { knobs: ['instanceLaunchSeconds'], slowSeconds: (BACKOFF.stackCreate.initialDelaySeconds ?? 0) + 2 * waits.smokeTestSeconds };
    case 'switch-status':
      // Migrate waits for INSYNC as long as its smoke test; Rollback SWITCH_TIMEOUT_SECONDS.
      return { knobs: ['route53PropagationSeconds'], slowSeconds: over(Math.max(waits.smokeTestSeconds, SWITCH_TIMEOUT_SECONDS)) };
    case 'probe-entry-point':
      return { knobs: [], slowSeconds: 0 };
    case 'replica-status':
      // No knob: the replicas stop applying (replicaStalls) and the catch-up never comes.
      return { knobs: [], slowSeconds: 0 };
    default:
      if (initiator === 'promote-replicas') return { knobs: ['promoteSeconds'], slowSeconds: over(waits.stackCreateSeconds) };
      return initiator === 'create-stack'
        ? { knobs: ['stackCreateSeconds'], slowSeconds: over(waits.stackCreateSeconds) }
        : { knobs: ['stackDeleteSeconds', 'dbDeleteSeconds'], slowSeconds: over(waits.stackDeleteSeconds) };
  }
}

/** The slot a machine's probe through the entry point expects to answer: Migrate's new slot, Rollback's previous one. */
const PROBED_SLOT: Partial<Record<MachineName, string>> = { Migrate: FAULT_SLOT_B, Rollback: SAMPLE_STACK };

/**
 * The Task state a path reaches `name` from, back through the Choice and Pass states between them
 * (a step that continues across invocations answers a Choice, "More to delete?", before the check).
 */
function taskBefore(states: [string, AslState][], name: string): [string, AslState] | undefined {
  const seen = new Set<string>();
  let targets = [name];
  while (targets.length > 0) {
    const leadsTo = ([n, s]: [string, AslState]) => !seen.has(n) && [s.Next, s.Default, ...(s.Choices ?? []).map((c) => c.Next)].some((t) => t !== undefined && targets.includes(t));
    const before = states.filter(leadsTo);
    const task = before.find(([, s]) => s.Type === 'Task');
    if (task) return task;
    for (const [n] of before) seen.add(n);
    targets = before.filter(([, s]) => s.Type === 'Choice' || s.Type === 'Pass').map(([n]) => n);
  }
  return undefined;
}

/**
 * The cancel reads of the safe points between phases (statemachine/building-blocks.ts cancelPoint: a
 * GetItem of the lock at each; the loops' steps read it themselves, lambdas/shared/cancel-request.ts,
 * and are faulted as the steps they are) are one state built by one function, the same in every place: the
 * same call, the same retry, and a Catch of everything that goes on to the very state the safe point
 * guards (a read that fails is not a cancel request). test/infra/definitions.test.ts checks that
 * shape on every one of them. The matrix faults one per machine, on every route's path: a fault in
 * one is the fault in all, and a migration per read and kind would double the matrix's time.
 */
const CANCEL_READS_FAULTED = new Set(['Read any cancel request (Put the instances in standby)', 'Read any cancel request (Run a smoke test?)']);
function isCancelRead(state: string): boolean {
  return state.startsWith(CANCEL_STATE_PREFIXES.read);
}

/**
 * Every Task state of `machines` (Migrate and Clone unless told), read from the synthesized
 * definitions (Clone's twice: c1 and c2).
 */
export function taskStates(deployment: LocalDeployment, machines: readonly MachineName[] = ['Migrate', 'Clone'], clones: readonly CloneRun[] = ['c1', 'c2']): TaskState[] {
  const out: TaskState[] = [];
  const definitions: Record<MachineName, string> = { Migrate: deployment.migrate.definition, Clone: deployment.clone.definition, Retire: deployment.retire.definition, Rollback: deployment.rollback.definition };
  for (const machine of machines) {
    const definition = definitions[machine];
    const states = [...allStates((JSON.parse(definition) as { States: Record<string, AslState> }).States)];
    const stepOf = (s: AslState) => deployment.functions.get(s.Resource ?? '');
    const tasks = states.filter(([, s]) => s.Type === 'Task');
    for (const clone of machine === 'Clone' ? clones : [undefined]) {
      const key = (state: string): StateKey => (clone ? `Clone ${clone}: ${state}` : `${machine}: ${state}`);
      for (const [name, s] of tasks) {
        if (isCancelRead(name) && !CANCEL_READS_FAULTED.has(name)) continue;
        const step = stepOf(s);
        const info: TaskState = { key: key(name), machine, clone, state: name, step, integration: step ? undefined : (s.Resource ?? '').replace(/^arn:aws[a-z-]*:states:::/, '') };
        if (step && STATUS_STEPS.has(step)) {
          const first = name.replace(/ again$/, '');
          // The task that starts the operation: back along the path from the first check, past tasks
          // that start something else (Migrate snapshots the temporary copy between requesting the
          // current stack's deletion and checking it).
          const starts = INITIATORS[step];
          let starter = taskBefore(states, first);
          while (starts && starter && !starts.includes(stepOf(starter[1]) as StepName)) starter = taskBefore(states, starter[0]);
          if (clone === 'c2' && step === 'snapshot-status') {
            // Clone 2 waits for the snapshots Migrate started while deleting the current environment:
            // slower still by that deletion's wait, which passes before clone 2's first check.
            const { knobs, slowSeconds } = slowdownFor(step, 'snapshot', machine);
            info.wait = { initiator: 'Migrate: Snapshot the temporary copy', knobs, slowSeconds: slowSeconds + FAULT_WAITS.stackDeleteSeconds };
          } else {
            // The smoke test waits for the instances the destination stack launches.
            const initiator = starter ? starter[0] : 'Create the destination stack';
            const stalled = step === 'probe-entry-point' ? PROBED_SLOT[machine] : undefined;
            info.wait = {
              initiator: key(initiator),
              ...slowdownFor(step, starter ? stepOf(starter[1]) : 'create-stack', machine),
              ...(stalled ? { stall: { stack: stalled } } : {}),
              ...(step === 'replica-status' ? { replicasStall: true } : {}),
            };
          }
        }
        out.push(info);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------------

export interface Route {
  name: string;
  description: string;
  spec: Omit<RunSpec, 'name' | 'arm'>;
  arm?: (ctx: ArmContext) => void;
  /** What runs the route and its cells: a migration (runFaulted) unless told (Retire and Rollback runs). */
  runner?: (spec: RunSpec) => Promise<RunOutcome>;
}

const accessDenied = { code: 'AccessDenied', message: 'User is not authorized to perform this operation (simulated fault)', httpStatusCode: 403 };

/**
 * Fails the first AWS call `key` makes, with access denied (never retried). A step that reads the
 * environment lock's cancel request first (CANCEL_CHECK_STEPS) takes a failed read for no request and
 * goes on, by design: the fault is for its own first call, after that read.
 */
export function denyFirstCall(key: StateKey, step?: StepName): CallFault {
  const own = step && CANCEL_CHECK_STEPS.includes(step) ? { exceptService: 'DynamoDB' } : {};
  return { kind: 'error', match: () => isRunning(key), times: 1, error: accessDenied, ...own };
}

/** Clone's states that prove content with S3 Batch Operations (statemachine/clone.ts proofPhase). */
export const PROOF_STATES = [
  'Start the source checksum job',
  'Start the destination checksum job',
  'Check the source checksum job',
  'Check the source checksum job again',
  'Check the destination checksum job',
  'Check the destination checksum job again',
  'Verify the bucket copy with the checksums',
];

/**
 * The double clone's rows: Migrate's and Clone's Task states but those only a blue/green run enters
 * (BLUE_GREEN_TASK_STATES: none of ROUTES enters them; blue-green-routes.ts has their matrix).
 */
export function isDoubleCloneState(t: TaskState): boolean {
  // Live sync's own states are the live-sync matrix's (local/faults/live-sync-routes.ts).
  if (t.machine === 'Migrate') return !BLUE_GREEN_TASK_STATES.includes(t.state) && t.state !== LIVE_COPY_STATE;
  return t.machine === 'Clone' && !(LIVE_SYNC_CLONE_TASK_STATES as readonly string[]).includes(t.state);
}

/** The routes, in order of preference: a state's cells use the first route that enters it. */
export const ROUTES: Route[] = [
  { name: 'happy', description: 'the migration succeeds', spec: {} },
  {
    name: 'first-copy-differs',
    description: 'the temporary copy restores with rows missing: PRESERVE & ALERT #1',
    spec: {},
    arm: ({ account, tempStackName }) => {
      account.faults.silent.restoreDropsRows = { rows: 1, onlyInstancesOfStack: tempStackName };
    },
  },
  {
    name: 'new-differs',
    description: 'the new environment restores with rows missing: PRESERVE & ALERT #2',
    spec: {},
    arm: ({ account }) => {
      account.faults.silent.restoreDropsRows = { rows: 1, onlyInstancesOfStack: SAMPLE_STACK };
    },
  },
  {
    name: 'first-clone-fails',
    description: 'the first clone fails at its bucket verification: compensation phase A',
    spec: {},
    arm: ({ account }) => void account.faults.add(denyFirstCall('Clone c1: Verify the bucket copy', 'verify-bucket')),
  },
  {
    name: 'second-clone-fails',
    description: 'the second clone fails at its bucket verification: compensation phase B',
    spec: {},
    arm: ({ account }) => void account.faults.add(denyFirstCall('Clone c2: Verify the bucket copy', 'verify-bucket')),
  },
  {
    name: 'new-template-fails',
    description: 'the new template fails to create: the failed stack is deleted, phase B',
    spec: { input: { ...FAULT_INPUT, templateUrl: templateUrl(TEMPLATE_KEYS.broken) } },
  },
  {
    name: 'first-creation-fails',
    description: "the first clone's snapshot disappears before the restore: the failed stack is deleted, phase A",
    spec: {},
    arm: ({ account, runId }) => {
      taskHooks.beforeTask = async (s) => {
        if (s.state !== 'Create the destination stack' || !s.executionName.endsWith('-c1') || s.invocation !== 1) return;
        const id = account.rds.listSnapshots().find((x) => x.identifier.startsWith(`em-${runId}-c1-`))?.identifier;
        if (id) await outsideState(() => account.dispatch('RDS', 'DeleteDBSnapshot', { DBSnapshotIdentifier: id }));
      };
    },
  },
  {
    name: 'slow-copy',
    description: 'copies and reads are slow: each bucket copy and each verification takes several invocations',
    // Without the object over 5 GB: its thirteen part copies at 55 s each would outlast a 5-minute invocation.
    // HeadObject at 30 s: the verification (two per version, four requests at once) needs more than one invocation.
    spec: {
      size: { ...TINY_SIZE, objects: 120, largeObject: false },
      timing: { ...LIGHT_TIMING, copyFixedMs: 55_000, latencyMs: { ...LIGHT_TIMING.latencyMs, 'S3.HeadObject': 30_000 } },
    },
  },
  {
    name: 'second-snapshot-slow',
    description: "the temporary copy's snapshots are still being taken when clone 2 starts: clone 2 waits for them",
    spec: { timing: slowWhile(LIGHT_TIMING, 'Migrate: Snapshot the temporary copy', ['snapshotFixedSeconds'], 600) },
  },
  {
    name: 'batch-proof',
    description: 'the object over 5 GB has no checksum and a multipart ETag: clone 1 proves its copy with a Compute checksum job per side',
    spec: { size: { ...TINY_SIZE, largeObject: true, largeObjectWithoutChecksum: true } },
    // The destination's job ends ten minutes after the source's: its wait loop checks again too.
    arm: ({ account, tempStackName }) => {
      account.s3control.extraPrepareSeconds = (input) => (input.Description?.includes(tempStackName.toLowerCase()) ? 600 : 0);
    },
  },
  ...LATE_WRITE_ROUTES,
  ...DELETION_ROUTES,
  {
    name: 'lock-held',
    description: 'another execution holds the lock: MIGRATION_IN_PROGRESS',
    spec: {},
    arm: ({ account, lockTable, executionArn }) => {
      account.dynamodb.putItemDirect(lockTable, {
        stackName: { S: SAMPLE_STACK },
        owner: { S: executionArn.replace(/:[^:]+$/, ':another-migration') },
        startedAt: { S: new Date(account.now()).toISOString() },
        targetVersion: { S: '1.3.1' },
        expiresAt: { N: String(Math.floor(account.now() / 1000) + 3600) },
      });
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Cells
// ---------------------------------------------------------------------------------------------

export type CellStatus = 'held' | 'broken' | 'missed' | 'unreached' | 'n/a';

export interface CellResult {
  key: StateKey;
  kind: FaultKind;
  status: CellStatus;
  /** The route used, or why the cell does not apply. */
  route?: string;
  note?: string;
  violations: string[];
  executionStatus?: string;
  error?: string;
  realMs?: number;
}

/** What a cell arms, and how to tell afterwards that its fault fired. */
interface ArmedCell {
  spec: Partial<RunSpec>;
  arm: (ctx: ArmContext) => void;
  fired: () => boolean;
  /** For a timeout: the operation `initiator` starts is slow (these timing knobs). */
  slow?: { initiator: StateKey; knobs: (keyof TimingProfile)[]; seconds: number };
}

const SILENT: Record<string, (ctx: ArmContext, clone: CloneRun, hit: () => void) => void> = {
  'Create the destination stack': ({ account, tempStackName }, clone, hit) => {
    account.faults.silent.restoreDropsRows = { rows: 1, onlyInstancesOfStack: clone === 'c1' ? tempStackName : SAMPLE_STACK };
    hit();
  },
  'Copy objects': ({ account }, clone, hit) => {
    const key = `Clone ${clone}: Copy objects`;
    account.faults.silent.copySkipsKey = (k) => {
      const skip = k === SPECIAL_KEYS[0] && isRunning(key);
      if (skip) hit();
      return skip;
    };
  },
  // Live sync: an object the pre-copy silently skips must still reach the copy (the delta after the standby finds it missing).
  'Pre-copy objects': ({ account }, clone, hit) => {
    const key = `Clone ${clone}: Pre-copy objects`;
    account.faults.silent.copySkipsKey = (k) => {
      const skip = k === SPECIAL_KEYS[0] && isRunning(key);
      if (skip) hit();
      return skip;
    };
  },
  'Compare the statistics': ({ account, tempStackName }, clone, hit) => {
    // Only while this clone compares: the stack name of clone 2's destination is the original's too.
    silentWhileRunning(account, 'staleStatisticsForStack', [`Clone ${clone}: Compare the statistics`], clone === 'c1' ? tempStackName : SAMPLE_STACK, hit);
  },
};

/** Clone's states where the matrix loses data silently (the restore, the copy, the statistics). */
/** The states silent loss is armed in, live sync's pre-copy aside (only its own matrix runs it). */
export const SILENT_LOSS_STATES: readonly string[] = Object.keys(SILENT).filter((state) => !(LIVE_SYNC_CLONE_TASK_STATES as readonly string[]).includes(state));

/** Task states a migration never runs, and why: no fault can reach them there. */
export const NEVER_RUN: Partial<Record<StateKey, string>> = {
  'Clone c2: Snapshot the source databases': 'clone 2 is given the snapshots Migrate took while deleting the current environment',
  ...Object.fromEntries(
    PROOF_STATES.map((state) => [
      `Clone c2: ${state}`,
      "clone 2's source versions were all written by clone 1's copy, which asks S3 for their CRC64NVME: the checksum rule proves every one, no checksum job is needed",
    ]),
  ),
};

/** Why `kind` does not apply to `t`, or undefined when it does. `calls`: whether the state made AWS calls on its route. */
export function notApplicable(t: TaskState, kind: FaultKind, calls: boolean): string | undefined {
  switch (kind) {
    case 'aws-error':
    case 'throttle':
      return calls ? undefined : 'makes no AWS call';
    case 'timeout':
      // The simulator computes a change set in at most 15 s: the promotion plan's wait cannot run out.
      if (t.step === 'promotion-status') return 'a change set is computed in seconds (at most 15 s in the simulator): its wait cannot run out';
      if (t.wait) return undefined;
      return t.integration?.startsWith('states:startExecution') ? `bounded by the task's own timeout, which only a copy longer than its share reaches` : 'has no wait';
    case 'silent-loss':
      return t.clone && SILENT[t.state] ? undefined : 'moves no data';
    case 'crash':
      return t.step || calls ? undefined : 'makes no AWS call';
  }
}

function armCell(t: TaskState, kind: FaultKind): ArmedCell {
  let hits = 0;
  const hit = () => void hits++;
  const inTarget = () => isRunning(t.key);
  // SNS refusing the notification itself: none can arrive, the composed one is in the history.
  const publishDown = t.state === 'Publish the notification' ? { facts: { publishMayFail: true } } : {};
  switch (kind) {
    case 'aws-error':
      return {
        spec: publishDown,
        arm: ({ account }) => void account.faults.add({ ...denyFirstCall(t.key, t.step), match: () => inTarget() && (hit(), true) }),
        fired: () => hits > 0,
      };
    case 'throttle':
      return {
        spec: publishDown,
        arm: ({ account }) => void account.faults.add({ kind: 'throttle', match: () => inTarget() && (hit(), true), times: Number.POSITIVE_INFINITY }),
        fired: () => hits > 0,
      };
    case 'crash':
      if (t.step) {
        const step = t.step;
        let fault: { fired: number } | undefined;
        return {
          spec: {},
          arm: ({ harness }) => {
            harness.invoker.addFault({ step, when: inTarget, times: 1 });
            fault = harness.invoker.faults.at(-1);
          },
          fired: () => (fault?.fired ?? 0) > 0,
        };
      }
      // A service integration: the call takes effect, its answer is lost; the SDK and the state retry.
      return {
        spec: t.state === 'Publish the notification' ? { facts: { notificationsMayRepeat: true } } : {},
        arm: ({ account }) =>
          void account.faults.add({ kind: 'after', match: () => inTarget() && (hit(), true), times: 1, error: { code: 'InternalError', message: 'connection reset after the request was processed (simulated fault)', httpStatusCode: 500 } }),
        fired: () => hits > 0,
      };
    case 'timeout': {
      const wait = t.wait!;
      // Fired when this very state reported the wait ran out (read from the history afterwards).
      // A probe through the entry point never succeeds: the slot's statistics answer HTTP 500 while its check loop runs.
      if (wait.stall) return { spec: {}, arm: ({ account }) => silentWhileRunning(account, 'statisticsErrorForStack', [t.key, `${t.key} again`], wait.stall!.stack), fired: () => true };
      // The copy's read replicas stop applying what their source wrote: they never catch up.
      if (wait.replicasStall) return { spec: {}, arm: ({ account, tempStackName }) => void (account.faults.silent.replicaStalls = { onlyInstancesOfStack: tempStackName }), fired: () => true };
      return { spec: {}, arm: () => undefined, fired: () => true, slow: { initiator: wait.initiator, knobs: wait.knobs, seconds: wait.slowSeconds } };
    }
    case 'silent-loss':
      return { spec: {}, arm: (ctx) => SILENT[t.state]!(ctx, t.clone!, hit), fired: () => hits > 0 };
  }
}

/** A timing profile whose `knobs` are `seconds` while `initiator` runs (the operation it starts is then slow). */
function slowWhile(base: TimingProfile, initiator: StateKey, knobs: (keyof TimingProfile)[], seconds: number): TimingProfile {
  return new Proxy(base, {
    get(target, property, receiver) {
      if (typeof property === 'string' && (knobs as string[]).includes(property) && isRunning(initiator)) return seconds;
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}

/**
 * Whether the wait loop of `t` ran out, in `t`'s own execution. A loop's first check starts the
 * clock and never times out itself: the checks after it ("... again") report it.
 */
function timedOut(outcome: RunOutcome, t: TaskState): boolean {
  const loop = new Set([t.state, t.state.endsWith(' again') ? t.state : `${t.state} again`]);
  for (const e of outcome.account.sfn.executions.values()) {
    const machine = e.stateMachineArn.split(':').pop() ?? '';
    if (keyOf(machine, e.name, t.state) !== t.key) continue;
    if (e.history.some((h) => h.type === 'StateFailed' && h.error === 'WaitTimedOut' && loop.has(h.stateName ?? ''))) return true;
  }
  return false;
}

export interface MatrixOptions {
  /** The machines whose Task states are faulted (Migrate and Clone unless told). */
  machines?: readonly MachineName[];
  /** Which Clone executions' states (c1 and c2 unless told; `live`: a live sync's PREPARE). */
  clones?: readonly CloneRun[];
  /** Only states whose key matches. */
  filter?: (t: TaskState) => boolean;
  kinds?: readonly FaultKind[];
  /** The kinds for one state (`kinds` for every state unless told). */
  kindsFor?: (t: TaskState) => readonly FaultKind[];
  /** The routes (ROUTES, the double clone's, unless told). */
  routes?: Route[];
  /**
   * Only the states some route enters: the blue/green matrix leaves the double clone's own states
   * (its second clone, the deletion of the original) to the double clone's matrix.
   */
  reachedOnly?: boolean;
  /** Called after each run (progress). */
  onResult?: (r: CellResult) => void;
}

export interface RouteResult {
  route: Route;
  outcome: RunOutcome;
}

export interface MatrixResult {
  states: TaskState[];
  routes: RouteResult[];
  cells: CellResult[];
}

let deploymentCache: LocalDeployment | undefined;

/** The synthesized deployment, read once per process (ARNs as in the simulated account). */
export async function deployment(): Promise<LocalDeployment> {
  deploymentCache ??= localDeployment(await synthesizeTemplate(), { region: 'us-east-1', accountId: '123456789012' });
  return deploymentCache;
}

/** Runs every route once, without any cell fault: which states each reaches, and whether its own invariants hold. */
export async function runRoutes(routes: Route[] = ROUTES): Promise<RouteResult[]> {
  const out: RouteResult[] = [];
  for (const route of routes) out.push({ route, outcome: await (route.runner ?? runFaulted)({ name: `route ${route.name}`, ...route.spec, arm: route.arm }) });
  return out;
}

/** Runs one cell on its route. */
export async function runCell(t: TaskState, kind: FaultKind, route: Route): Promise<CellResult> {
  const cell = armCell(t, kind);
  const slow = cell.slow;
  const baseTiming = route.spec.timing ?? LIGHT_TIMING;
  const spec: RunSpec = {
    ...route.spec,
    ...cell.spec,
    name: `${t.key} × ${kind}`,
    timing: slow ? slowWhile(baseTiming, slow.initiator, slow.knobs, slow.seconds) : baseTiming,
    arm: (ctx) => {
      route.arm?.(ctx);
      cell.arm(ctx);
    },
  };
  // Instances that cannot be returned to service are a fact of these faults, not of the workflow.
  if (isStandbyExit(t.key) && kind !== 'crash') spec.facts = { ...(spec.facts as RunFacts | undefined), standbyExitMayFail: true };
  const outcome = await (route.runner ?? runFaulted)(spec);
  const fired = kind === 'timeout' ? timedOut(outcome, t) : cell.fired();
  const reachedTarget = outcome.visited.has(t.key);
  const status: CellStatus = !fired || !reachedTarget ? 'missed' : outcome.violations.length === 0 ? 'held' : 'broken';
  return {
    key: t.key,
    kind,
    status,
    route: route.name,
    note: status === 'missed' ? (!reachedTarget ? 'the state was not reached with the fault armed' : kind === 'timeout' ? 'its wait did not run out' : 'the fault never fired') : undefined,
    violations: outcome.violations,
    executionStatus: outcome.execution.status,
    error: outcome.execution.error,
    realMs: outcome.realMs,
  };
}

/** The whole matrix: routes first, then every applicable cell. */
export async function runMatrix(options: MatrixOptions = {}): Promise<MatrixResult> {
  const routes = await runRoutes(options.routes);
  const states = taskStates(await deployment(), options.machines, options.clones)
    .filter(options.filter ?? (() => true))
    .filter((t) => !options.reachedOnly || routes.some((r) => r.outcome.visited.has(t.key)));
  const cells: CellResult[] = [];
  for (const t of states) {
    const found = routes.find((r) => r.outcome.visited.has(t.key));
    for (const kind of options.kindsFor?.(t) ?? options.kinds ?? FAULT_KINDS) {
      let result: CellResult;
      const neverRun = NEVER_RUN[t.key];
      if (neverRun) {
        result = { key: t.key, kind, status: 'n/a', note: neverRun, violations: [] };
      } else if (!found) {
        result = { key: t.key, kind, status: 'unreached', note: 'no route enters this state', violations: [] };
      } else {
        const why = notApplicable(t, kind, found.outcome.calledFrom.has(t.key));
        result = why ? { key: t.key, kind, status: 'n/a', note: why, violations: [] } : await runCell(t, kind, found.route);
      }
      cells.push(result);
      options.onResult?.(result);
    }
  }
  return { states, routes, cells };
}
