/**
 * A rehearsal: the sample environment seeded into a simulated account, one scenario armed, the
 * synthesized Migrate definition run to its end on the simulated clock, and a summary that checks
 * the outcome against the safety invariants of docs/design.md.
 */
import { createHash } from 'node:crypto';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { planClientsWith, planMigration } from '../cli/plan-core';
import { estimateDurations } from '../cli/plan-estimate';
import { executionArnOf } from '../lambdas/shared/naming';
import { runOnSimulatedClock } from './clock';
import type { LargestState } from './executor';
import { taskHooks } from './faults/state-context';
import { LocalHarness } from './harness';
import { type Baseline, type InvariantReport, captureBaseline, checkInvariants } from './invariants';
import { environmentData, sameData } from './sim/environment-data';
import type { SimExecution } from './sim/sfn';
import { progressPrinter } from './progress';
import { type DowntimeSummary, blueGreenDowntimeSummary, downtimeSummary } from './downtime';
import { criticalPath, entryPointTtlSeconds, firstEntered, waitStates, workflowWork } from '../bench/metrics';
import { SWITCH_STATE } from '../statemachine/blue-green';
import { SERVED_STATE, STANDBY_STATE, SWITCHED_STATE } from '../statemachine/downtime-states';
import { Recorder } from '../bench/observe';
import { REHEARSAL_SIZE, SAMPLE_STACK, type SampleSize, seedEntryPoint, seedSampleEnvironment } from './sample-environment';
import { type Scenario, tempStackNameOf } from './scenarios';
import type { ComparedBy } from '../lambdas/shared/contracts';
import type { SimAccount } from './sim/account';
import type { TimingProfile } from './sim/core';

export interface RehearsalSummary {
  scenario: string;
  stackName: string;
  outcome: 'succeeded' | 'failed';
  /** The stack that holds the data, as the workflow reports it (output or notification). */
  survivor: string | null;
  survivorVersion: string | null;
  /** The survivor holds every row and object of the original. */
  dataIntact: boolean;
  /** Every invariant of docs/design.md held. */
  invariantsHeld: boolean;
  violations: string[];
  notifications: number;
  /** Subject of the last notification, as the on-call engineer's phone shows it. */
  notificationSubject?: string;
  error?: string;
  cause?: string;
  statisticsBefore: unknown;
  statisticsAfter: unknown;
  objectsCopied: number;
  /** Versions each content rule proved, over every clone's bucket verifications (`batch`: S3 Batch Operations Compute checksum jobs). */
  comparedBy: Required<ComparedBy>;
  snapshotsMade: number;
  statesExecuted: number;
  lambdaInvocations: number;
  awsCalls: number;
  simulatedSeconds: number;
  executionArn: string;
  /**
   * The largest state data (input, a Task's effective input or raw result, output) of the Migrate
   * execution and its Clones, in UTF-8 bytes: Step Functions fails the execution past 262,144
   * (States.DataLimitExceeded, uncatchable); the workflow keeps every state under half of it.
   */
  maxStateBytes: number;
  /** Where it was: `<machine> / <state> (<what>)`. */
  largestState: string;
  /** Scenarios of several migrations in a row (Scenario.then): each one, in order. */
  migrations?: MigrationSummary[];
  /**
   * Standby to verified (the first migration's), and where it went: the critical path as the
   * benchmark measures it. Absent when the instances never entered standby (refused before).
   */
  downtime?: DowntimeSummary;
  /**
   * `env-migrator plan` run first on the same account (RehearsalOptions.planFirst): its verdict and,
   * when ready, its estimate on this rehearsal's timing model, to set beside `downtime`.
   */
  plan?: { verdict: 'READY' | 'REFUSED' | 'INPUT_REJECTED'; estimatedDowntimeSeconds?: number; estimatedTotalSeconds?: number };
}

export interface MigrationSummary {
  executionArn: string;
  outcome: 'succeeded' | 'failed';
  error?: string;
  survivorVersion: string | null;
  violations: string[];
  simulatedSeconds: number;
}

export interface RehearsalOptions {
  size?: SampleSize;
  timing?: TimingProfile;
  /** Progress lines; silent when absent. */
  write?: (line: string) => void;
  /**
   * Called once the run has ended, while the simulated account is still behind the SDK: what reads
   * the finished execution through the SDK (`--report`) does it here, and so does what acts on its
   * outcome as an operator would (`--recover`): the environment before the migration (`baseline`),
   * the lock table, and the run's invariant report (its notifications) come with it.
   */
  afterRun?: (run: { executionArn: string; outcome: RehearsalSummary['outcome']; account: SimAccount; baseline: Baseline; lockTable: string; workflowBucket: string; report: InvariantReport }) => Promise<void>;
  /** `--json`: each state and heartbeat as a JSON line (local/progress.ts). */
  jsonLine?: (line: string) => void;
  /** Run `env-migrator plan`'s read-only preflight first, through the SDK, and keep its estimate (`npm run rehearse`). */
  planFirst?: boolean;
}

export async function rehearse(scenario: Scenario, options: RehearsalOptions = {}): Promise<RehearsalSummary & { report: InvariantReport }> {
  const write = options.write ?? (() => undefined);
  const printer = progressPrinter(write, 'Migrate', { jsonLine: options.jsonLine });
  // What the benchmark records, for the downtime's critical path (bench/observe.ts).
  let recorder: Recorder | undefined;
  // Off once the run has ended: what afterRun starts (a recovery's Clone) prints its own lines, and is not the run's.
  let running = true;
  const harness = await LocalHarness.create({
    timing: options.timing,
    onEvent: (e) => {
      if (!running) return;
      recorder?.onEvent(e);
      printer({ ...e, machine: e.machine.startsWith('Migrate') ? 'Migrate' : 'Clone' });
    },
  });
  recorder = new Recorder(harness.account);
  const stopRecording = [recorder.watchAccount({ s3: false }), recorder.watchInvoker(harness.invoker, harness.account.timing.lambdaColdStartMs)];
  try {
    const { account } = harness;
    seedSampleEnvironment(account, { ...(options.size ?? REHEARSAL_SIZE), ...scenario.environment }, scenario.variant);
    // Blue/green: the sample's entry point, and its zone id (made when seeded) in every input.
    const entryPoint = scenario.blueGreen ? seedEntryPoint(account) : undefined;
    const withEntryPoint = (input: Scenario['input']): Scenario['input'] =>
      entryPoint && input.entryPoint ? { ...input, entryPoint: { ...input.entryPoint, hostedZoneId: entryPoint.hostedZoneId } } : input;
    scenario.prepare?.(account);
    const executionName = `rehearsal-${scenario.name}`;
    const executionArn = executionArnOf(harness.deployment.migrate.arn, executionName);
    const firstInput = withEntryPoint(scenario.input);
    const tempStackName = runCopyName(firstInput, executionArn);
    const baseline = await captureBaseline(account, firstInput.stackName);
    scenario.arm({ account, executionArn, tempStackName, baseline });
    // What an operator runs first: the plan, read-only, on the environment as the scenario left it
    // (termination protection, a missing parameter...), with the scenario's injected faults held back.
    const plan = options.planFirst ? await account.faults.withoutFaults(() => planFirst(account, firstInput, harness.deployment.lockTableName)) : undefined;
    const callsBefore = account.calls.length;

    let { execution, seconds, report } = await migrateOnce(harness, firstInput, executionName, baseline, tempStackName);
    await recorder.resolveStackOperations();
    // Blue/green: the TTL of the record as seeded, which resolvers keep after the switch (bench/metrics.ts).
    const record = entryPoint ? account.route53.recordSets(entryPoint.hostedZoneId).find((r) => r.Name === `${entryPoint.recordName}.` && (r.Type === 'A' || r.Type === 'CNAME')) : undefined;
    const downtime = downtimeOfRun(harness, recorder, execution, record ? entryPointTtlSeconds(record) : undefined);
    const migrations: MigrationSummary[] = [summaryOf(execution, report, seconds)];
    let failed = execution.status === 'SUCCEEDED' ? undefined : execution;
    // Each later migration starts from the environment the one before left, once that one succeeded.
    for (const [i, raw] of (scenario.then ?? []).entries()) {
      if (failed) break;
      const input = withEntryPoint(raw);
      if (scenario.betweenRuns) await runOnSimulatedClock(() => scenario.betweenRuns!(account, harness, input), account.now());
      write('');
      write(`── Migration ${i + 2} of ${1 + (scenario.then ?? []).length}: ${input.stackName} to ${input.targetVersion} ─────────────────────────────`);
      const name = `${executionName}-${i + 2}`;
      const again = await captureBaseline(account, input.stackName);
      const run = await migrateOnce(harness, input, name, again, runCopyName(input, executionArnOf(harness.deployment.migrate.arn, name)));
      migrations.push(summaryOf(run.execution, run.report, run.seconds));
      ({ execution, report } = run);
      seconds += run.seconds;
      if (execution.status !== 'SUCCEEDED') failed = execution;
    }
    if (migrations.length > 1) {
      // Each run's own check compares it with the environment it started from; this one with the very first.
      const last = report.survivor ? account.cloudformation.stackByName(report.survivor) : undefined;
      const overall = last ? sameData(baseline.data, environmentData(account, report.survivor as string)) : { equal: false, differences: ['no survivor'] };
      report = {
        ...report,
        dataIntact: report.dataIntact && overall.equal,
        violations: [
          ...migrations.flatMap((m, i) => m.violations.map((v) => `migration ${i + 1}: ${v}`)),
          ...(overall.equal ? [] : [`the data of the environment before the first migration is not all in ${report.survivor}: ${overall.differences.slice(0, 3).join('; ')}`]),
        ],
      };
    }
    if (failed) execution = failed;

    // The scenario's own checks count as violations of what it promises.
    report.violations.push(...(scenario.verify?.({ account, executionArn, tempStackName, baseline }) ?? []));
    const copies = account.calls.slice(callsBefore).filter((c) => c.service === 'S3' && (c.operation === 'CopyObject' || c.operation === 'CompleteMultipartUpload') && !c.error);
    const largest = [...harness.workflow.largestStates.values()].reduce<LargestState | undefined>((max, l) => (!max || l.bytes > max.bytes ? l : max), undefined);
    const snapshots = account.calls.slice(callsBefore).filter((c) => c.service === 'RDS' && c.operation === 'CreateDBSnapshot' && !c.error);
    // The run's own figures, before afterRun adds executions and calls of its own.
    running = false;
    const figures = { comparedBy: comparedByClones(account), statesExecuted: printer.statesExecuted(), lambdaInvocations: harness.invoker.stats.invocations, awsCalls: account.calls.length - callsBefore };
    await options.afterRun?.({ executionArn: execution.executionArn, outcome: failed ? 'failed' : 'succeeded', account, baseline, lockTable: harness.deployment.lockTableName, workflowBucket: harness.deployment.workflowBucketName, report });
    return {
      scenario: scenario.name,
      stackName: SAMPLE_STACK,
      outcome: failed ? 'failed' : 'succeeded',
      survivor: report.survivor,
      survivorVersion: report.survivorVersion,
      dataIntact: report.dataIntact,
      invariantsHeld: report.violations.length === 0,
      violations: report.violations,
      notifications: report.notifications.length,
      notificationSubject: report.notifications.at(-1)?.subject,
      error: execution.error,
      cause: execution.cause,
      statisticsBefore: compact(baseline.statistics),
      statisticsAfter: compact(report.survivorStatistics),
      objectsCopied: copies.length,
      ...figures,
      snapshotsMade: snapshots.length,
      simulatedSeconds: seconds,
      executionArn: migrations.length > 1 ? (migrations.at(-1)?.executionArn ?? execution.executionArn) : execution.executionArn,
      ...(migrations.length > 1 ? { migrations } : {}),
      ...(downtime ? { downtime } : {}),
      ...(plan ? { plan } : {}),
      maxStateBytes: largest?.bytes ?? 0,
      largestState: largest ? `${largest.machine.replace(/[0-9A-F]{8}$/, '')} / ${largest.state} (${largest.what})` : '',
      report,
    };
  } finally {
    for (const stop of stopRecording.reverse()) stop();
    taskHooks.beforeTask = undefined;
    harness.dispose();
  }
}

/**
 * The downtime of one Migrate execution as the benchmark measures it (bench/run.ts): from the
 * standby-enter invocation to the end of its second Clone (the new environment verified) when that
 * succeeded, else to the end of the execution; the AWS work the simulated account recorded, the
 * Wait states and the Lambda invocations within it. Undefined when there was no standby.
 */
function downtimeOfRun(harness: LocalHarness, recorder: Recorder, execution: SimExecution, blueGreenTtlSeconds?: number): DowntimeSummary | undefined {
  const end = execution.stopDate ?? harness.account.now();
  const inRun = <T extends { start: number }>(xs: readonly T[]) => xs.filter((x) => x.start >= execution.startDate && x.start <= end);
  const standby = inRun(recorder.invocations).find((i) => i.step === 'standby-enter');
  if (!standby) return undefined;
  // Blue/green: from the standby to the switch seen INSYNC plus the TTL, as `bench --strategy blue-green`.
  if (blueGreenTtlSeconds !== undefined) {
    const at = (state: string) => firstEntered(recorder.states, execution.name, state);
    const marks = { standby: at(STANDBY_STATE) ?? standby.start, switchEntered: at(SWITCH_STATE), switched: at(SWITCHED_STATE), served: at(SERVED_STATE) !== undefined, end };
    const recorded = { work: workflowWork(inRun(recorder.operations), inRun(recorder.invocations)), waits: waitStates(recorder.states), lambdas: inRun(recorder.invocations) };
    return blueGreenDowntimeSummary(marks, blueGreenTtlSeconds, recorded, 'simulation');
  }
  const clones = [...harness.account.sfn.executions.values()]
    .filter((x) => x.stateMachineArn === harness.deployment.clone.arn && x.startDate >= execution.startDate && x.startDate <= end)
    .sort((a, b) => a.startDate - b.startDate);
  // By name: a live sync runs its PREPARE (`<runId>-live`) first, so the second started is not clone 2.
  const second = clones.find((c) => c.name.endsWith('-c2'));
  // A Clone that found a difference still succeeds (outcome MISMATCH): verified only when EQUAL.
  const verified = second?.status === 'SUCCEEDED' && second.stopDate !== undefined && (JSON.parse(second.output ?? '{}') as { outcome?: string }).outcome === 'EQUAL';
  const window = { start: standby.start, end: verified && second.stopDate !== undefined ? second.stopDate : end };
  const path = criticalPath(window, workflowWork(inRun(recorder.operations), inRun(recorder.invocations)), waitStates(recorder.states), inRun(recorder.invocations));
  return downtimeSummary(path, verified ? 'verified' : 'ended', 'simulation');
}

/** One Migrate execution of the sample environment on the simulated clock, then its invariants against `baseline`. */
/** `env-migrator plan` on the simulated account (its SDK calls answered by it), estimated on the account's own timing model. */
async function planFirst(account: SimAccount, input: Scenario['input'], lockTable: string): Promise<NonNullable<RehearsalSummary['plan']>> {
  const clients = planClientsWith(new CloudFormationClient({}));
  const outcome = await runOnSimulatedClock(() => planMigration(clients, input, { lockTable: async () => lockTable, now: () => new Date(account.now()) }), account.now());
  if (outcome.verdict !== 'READY') return { verdict: outcome.verdict };
  const estimate = estimateDurations(outcome.plan, account.timing);
  return { verdict: 'READY', estimatedDowntimeSeconds: estimate.downtimeSeconds, estimatedTotalSeconds: estimate.totalSeconds };
}

/** The stack a run creates its copy in: the temporary stack, or with blue-green the idle slot. */
function runCopyName(input: Scenario['input'], executionArn: string): string {
  if (input.strategy === 'blue-green' && input.slots) return input.slots.find((s) => s !== input.stackName) ?? input.slots[1];
  return tempStackNameOf(input.stackName, executionArn);
}

async function migrateOnce(harness: LocalHarness, input: Scenario['input'], executionName: string, baseline: Baseline, tempStackName: string) {
  // Earlier migrations' notifications are theirs: each run is held to exactly one of its own.
  const notificationsBefore = harness.account.sns.messages(harness.deployment.topicArn).length;
  const { execution, seconds } = await runOnSimulatedClock(async (clock) => {
    const arn = await harness.startMigration(input, executionName);
    const e = await harness.finished(arn);
    return { execution: e, seconds: Math.round(clock.elapsedMs() / 1000) };
    // The account's time only moves forward: a later migration starts where the previous one ended.
  }, harness.account.now());
  const report = await checkInvariants(harness.account, baseline, {
    execution,
    tempStackName,
    lockTable: harness.deployment.lockTableName,
    topicArn: harness.deployment.topicArn,
    notificationsBefore,
    ...(input.strategy === 'blue-green' && input.entryPoint && input.slots
      ? { blueGreen: { entryPoint: input.entryPoint, slots: input.slots, workflowBucket: harness.deployment.workflowBucketName } }
      : {}),
  });
  return { execution, seconds, report };
}

function summaryOf(execution: SimExecution, report: InvariantReport, seconds: number): MigrationSummary {
  return {
    executionArn: execution.executionArn,
    outcome: execution.status === 'SUCCEEDED' ? 'succeeded' : 'failed',
    ...(execution.error ? { error: execution.error } : {}),
    survivorVersion: report.survivorVersion,
    violations: report.violations,
    simulatedSeconds: seconds,
  };
}

/** The content rules' counts summed over every Clone execution's output (its per-bucket verification results). */
function comparedByClones(account: SimAccount): Required<ComparedBy> {
  const total: Required<ComparedBy> = { etag: 0, checksum: 0, hashed: 0, batch: 0, notComparable: 0 };
  for (const x of account.sfn.executions.values()) {
    if (!/:stateMachine:Clone/.test(x.stateMachineArn) || !x.output) continue;
    const output = JSON.parse(x.output) as { verification?: { comparedBy?: ComparedBy }[] };
    for (const v of output.verification ?? []) for (const rule of Object.keys(total) as (keyof ComparedBy)[]) total[rule] += v.comparedBy?.[rule] ?? 0;
  }
  return total;
}

/** Statistics as the summary shows them: as they are, or their size and SHA-256 when too long to print. */
function compact(statistics: unknown): unknown {
  const text = JSON.stringify(statistics) ?? 'null';
  if (text.length <= 4096) return statistics;
  return { bytes: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') };
}
