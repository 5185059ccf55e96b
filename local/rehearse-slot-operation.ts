/**
 * A rehearsal of what follows a blue/green switch (local/scenarios.ts SLOT_OPERATION_SCENARIOS): the
 * simulated account set up as a migration A → B leaves it (local/blue-green-fixture.ts), the scenario
 * armed, then each Retire or Rollback run through the synthesized definitions on the simulated clock,
 * each checked against its expected end, one notification and the blue/green invariants
 * (local/invariants-blue-green.ts). A retire `by: 'schedule'` is started by the simulated Scheduler
 * when the clock reaches the schedule's time, and run by the runner registered for the Retire machine.
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { RollbackInputRaw } from '../lambdas/shared/contracts';
import { slotRunFacts, switchedEnvironment, type SwitchedEnvironment } from './blue-green-fixture';
import { runOnSimulatedClock } from './clock';
import { LocalHarness, RETIRE_SCHEDULE_GROUP } from './harness';
import { checkRetireInvariants, checkRollbackInvariants, recordPointsAt } from './invariants-blue-green';
import { progressPrinter } from './progress';
import { REHEARSAL_SIZE, type SampleSize } from './sample-environment';
import type { SlotOperationRun, SlotOperationScenario } from './scenarios';
import type { SimExecution } from './sim/sfn';

export interface SlotRunSummary {
  operation: SlotOperationRun['operation'];
  executionArn: string;
  outcome: 'succeeded' | 'failed';
  error?: string;
  cause?: string;
  /** It ended as the scenario expects. */
  asExpected: boolean;
  violations: string[];
  notifications: number;
  notificationSubject?: string;
  notificationMessage?: string;
  /** Where the record points once the run has ended. */
  recordPointsAt: string | null;
  simulatedSeconds: number;
}

export interface SlotRehearsalSummary {
  scenario: string;
  entryPoint: string;
  slots: [string, string];
  runs: SlotRunSummary[];
  /** Every run ended as designed, with one notification and every invariant held. */
  endedAsDesigned: boolean;
}

export async function rehearseSlotOperation(scenario: SlotOperationScenario, options: { size?: SampleSize; write?: (line: string) => void } = {}): Promise<SlotRehearsalSummary> {
  const write = options.write ?? (() => undefined);
  let printer = progressPrinter(write, 'Retire');
  // Quiet while the fixture runs its Clone: the rehearsal is about what follows the switch.
  let printing = false;
  const machineOf = (m: string) => (m.startsWith('Rollback') ? 'Rollback' : m.startsWith('Retire') ? 'Retire' : 'Clone');
  const harness = await LocalHarness.create({ onEvent: (e) => printing && printer({ ...e, machine: machineOf(e.machine) }) });
  try {
    const { account } = harness;
    write('── The switch a blue/green migration left (set up with the real steps and Clone) ──');
    const env = await runOnSimulatedClock(() => switchedEnvironment(harness, { size: options.size ?? REHEARSAL_SIZE, keepPreviousHours: scenario.keepPreviousHours }), account.now());
    printing = true;
    write(`${env.entryPoint.recordName} → ${env.switchRecord.live.stackName} (${env.switchRecord.live.version}); ${env.switchRecord.previous.stackName} (${env.switchRecord.previous.version}) in standby until ${env.switchRecord.retireAt} (schedule ${env.scheduleName})`);
    await scenario.arm?.(account, { entryPoint: env.entryPoint, previousDnsName: env.switchRecord.previous.endpoint.dnsName, live: env.switchRecord.live.stackName });

    const runs: SlotRunSummary[] = [];
    for (const [i, run] of scenario.runs.entries()) {
      write('');
      write(`── Run ${i + 1} of ${scenario.runs.length}: ${run.operation}${run.operation === 'rollback' && run.acceptDiscardingWrites ? ' --accept-discarding-writes' : run.operation === 'retire' ? ` (${run.by === 'schedule' ? 'started by its schedule' : 'started by hand after the retention'})` : ''} ──`);
      printer = progressPrinter(write, run.operation === 'rollback' ? 'Rollback' : 'Retire');
      runs.push(await runOnce(harness, env, run, `${scenario.name}-${i + 1}`));
    }
    return {
      scenario: scenario.name,
      entryPoint: env.entryPoint.recordName,
      slots: env.slots,
      runs,
      endedAsDesigned: runs.every((r) => r.asExpected && r.violations.length === 0),
    };
  } finally {
    harness.dispose();
  }
}

async function runOnce(harness: LocalHarness, env: SwitchedEnvironment, run: SlotOperationRun, name: string): Promise<SlotRunSummary> {
  const { account, deployment } = harness;
  const notificationsBefore = account.sns.messages(deployment.topicArn).length;
  const start = account.now();
  let startAt = account.now();
  if (run.operation === 'retire' && run.by === 'hand') {
    // As an operator would after the retention: the schedule removed so that it does not start one too.
    await account.dispatch('Scheduler', 'DeleteSchedule', { Name: env.scheduleName, GroupName: RETIRE_SCHEDULE_GROUP }).catch(() => undefined);
    startAt = Math.max(startAt, Date.parse(env.switchRecord.retireAt) + 60_000);
  }
  const execution = await runOnSimulatedClock(async (): Promise<SimExecution> => {
    if (run.operation === 'retire' && run.by === 'schedule') {
      // Minute by minute, as Scheduler evaluates at() schedules; the execution it starts runs on the Retire runner.
      const fired = () => account.scheduler.invocations.find((x) => x.executionArn && x.at >= start);
      while (!fired()) {
        await new Promise((r) => setTimeout(r, 60_000));
        await account.scheduler.fireDue();
      }
      return harness.finished(fired()!.executionArn!);
    }
    const [arn, input] =
      run.operation === 'retire'
        ? [deployment.retire.arn, env.retireInput]
        : [deployment.rollback.arn, { entryPoint: env.entryPoint, slots: env.slots, acceptDiscardingWrites: run.acceptDiscardingWrites ?? false } satisfies RollbackInputRaw];
    const started = await new SFNClient({}).send(new StartExecutionCommand({ stateMachineArn: arn, name, input: JSON.stringify(input) }));
    return harness.finished(started.executionArn!);
  }, startAt);
  const facts = slotRunFacts(harness, env, execution, notificationsBefore);
  const report =
    run.operation === 'retire'
      ? checkRetireInvariants(account, facts)
      : await checkRollbackInvariants(account, { ...facts, bucket: deployment.workflowBucketName, acceptDiscardingWrites: run.acceptDiscardingWrites ?? false });
  const outcome = execution.status === 'SUCCEEDED' ? 'succeeded' : 'failed';
  const notice = report.notifications.at(-1);
  return {
    operation: run.operation,
    executionArn: execution.executionArn,
    outcome,
    ...(execution.error ? { error: execution.error } : {}),
    ...(execution.cause ? { cause: execution.cause } : {}),
    asExpected: outcome === run.expected.outcome && (run.expected.error === undefined || run.expected.error === execution.error),
    violations: report.violations,
    notifications: report.notifications.length,
    notificationSubject: notice?.subject,
    notificationMessage: notice?.message,
    recordPointsAt: recordPointsAt(account, env.entryPoint, env.slots),
    simulatedSeconds: Math.round(((execution.stopDate ?? account.now()) - execution.startDate) / 1000),
  };
}

/** The summary for people. */
export function slotRehearsalLines(s: SlotRehearsalSummary): string[] {
  const lines = ['', '── Rehearsal summary ─────────────────────────────────────────────', `scenario            ${s.scenario}`, `entry point         ${s.entryPoint} (slots ${s.slots.join(', ')})`];
  for (const [i, r] of s.runs.entries()) {
    lines.push(`run ${i + 1}               ${r.operation}: ${r.outcome}${r.error ? ` (${r.error})` : ''}, ${r.asExpected ? 'as designed' : 'NOT as designed'}, invariants ${r.violations.length ? `BROKEN: ${r.violations.join('; ')}` : 'held'}`);
    lines.push(`  notifications     ${r.notifications}${r.notificationSubject ? `: "${r.notificationSubject}"` : ''}`);
    if (r.notificationMessage) lines.push(`  message           ${r.notificationMessage}`);
    lines.push(`  record points at  ${r.recordPointsAt ?? 'no slot'}; ${r.simulatedSeconds} s simulated`);
  }
  lines.push(`ended as designed   ${s.endedAsDesigned ? 'yes' : 'NO'}`);
  return lines;
}
