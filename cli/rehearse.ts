/**
 * `env-migrator rehearse`: a full migration of the sample environment against the simulated AWS
 * account, printed state by state, ending with a summary. Exit code 0 only when it succeeded.
 */
import { downtimeLines } from '../local/downtime';
import { rehearse, type RehearsalSummary } from '../local/rehearsal';
import type { SampleSize } from '../local/sample-environment';
import { BLUE_GREEN_SCENARIOS, SCENARIOS, SLOT_OPERATION_SCENARIOS, slotOperationScenario, withLiveSync } from '../local/scenarios';
import { EXIT, type ExitCode } from './exit-codes';
import { type Io, humanOf } from './io';
import { type ReportFigures, reportLines, writeReport } from './report';
import { type CliResult, UsageError, resultLine } from './result';
import { hms } from './durations';
import { type RehearsedRecovery, exitCodeWithRecovery, recoveryLines, rehearseRecovery } from './rehearse-recover';

/** The scenarios, for `rehearse --help` (loaded only when help is asked for). */
export function rehearseHelp(): string {
  const list = (scenarios: readonly { name: string; description: string }[]) => scenarios.map((s) => `  ${s.name.padEnd(28)} ${s.description}`).join('\n');
  return `Scenarios:\n${list(SCENARIOS)}\n\nScenarios with --strategy blue-green (a migration of the sample's entry point):\n${list(BLUE_GREEN_SCENARIOS)}\n\nScenarios after a blue/green switch (the Rollback and Retire runs; any --strategy):\n${list(SLOT_OPERATION_SCENARIOS)}`;
}

export interface RehearseOptions {
  scenario: string;
  /** double-clone (default): SCENARIOS; blue-green: BLUE_GREEN_SCENARIOS. */
  strategy?: string;
  json: boolean;
  /** Also write the run's report page here (cli/report.ts). */
  report?: string;
  /** The sample environment's size (tests: TEST_SIZE); the rehearsal's own by default. */
  size?: SampleSize;
  /** After the migration, run `env-migrator recover` as its notification says, faults cleared, and check the result (cli/rehearse-recover.ts). */
  recover?: boolean;
  /** With recover: pass --version-of-original to it. */
  versionOfOriginal?: boolean;
  /** --live-sync: the scenario's migrations with liveSync true. */
  liveSync?: boolean;
}

function printSummary(s: RehearsalSummary, write: (line: string) => void): void {
  const mark = (ok: boolean) => (ok ? 'yes' : 'NO');
  write('');
  write('── Rehearsal summary ─────────────────────────────────────────────');
  write(`scenario            ${s.scenario}`);
  write(`environment         ${s.stackName}`);
  write(`outcome             ${s.outcome}${s.error ? ` (${s.error})` : ''}`);
  for (const [i, m] of (s.migrations ?? []).entries()) {
    write(`migration ${i + 1}         ${m.outcome}${m.error ? ` (${m.error})` : ''} → version ${m.survivorVersion ?? '?'}, invariants ${m.violations.length ? 'BROKEN' : 'held'}, ${hms(m.simulatedSeconds)} simulated`);
  }
  write(`data is in          ${s.survivor ?? 'nowhere named'}${s.survivorVersion ? ` (version ${s.survivorVersion})` : ''}`);
  write(`data intact         ${mark(s.dataIntact)}`);
  write(`invariants held     ${mark(s.invariantsHeld)}${s.violations.length ? `: ${s.violations.join('; ')}` : ''}`);
  write(`statistics before   ${JSON.stringify(s.statisticsBefore)}`);
  write(`statistics after    ${JSON.stringify(s.statisticsAfter)}`);
  write(`objects copied      ${s.objectsCopied}`);
  write(`snapshots made      ${s.snapshotsMade}`);
  write(`notifications sent  ${s.notifications}${s.notificationSubject ? `: "${s.notificationSubject}"` : ''}`);
  write(`states executed     ${s.statesExecuted}`);
  write(`largest state       ${s.maxStateBytes} bytes (${s.largestState}; the limit is 262144)`);
  write(`Lambda invocations  ${s.lambdaInvocations}`);
  write(`AWS API calls       ${s.awsCalls}`);
  write(`simulated duration  ${hms(s.simulatedSeconds)}`);
  if (s.downtime) for (const line of downtimeLines(s.downtime)) write(line);
  else write('downtime            none: the instances never entered standby');
  if (s.plan) write(planLine(s.plan, s.downtime?.seconds));
}

/** The plan run first, beside what the run took: the estimate an operator would have had. */
function planLine(plan: NonNullable<RehearsalSummary['plan']>, actualDowntime: number | undefined): string {
  if (plan.verdict !== 'READY' || plan.estimatedDowntimeSeconds === undefined) return `plan (run first)    ${plan.verdict}: the migration would not have been started`;
  const actual = actualDowntime === undefined ? 'no downtime in this run' : `this run ${hms(actualDowntime)}`;
  return `plan (run first)    expected downtime ${hms(plan.estimatedDowntimeSeconds)}, ${actual}`;
}

function printNotice(notice: { subject?: string; message: string }, write: (line: string) => void): void {
  write('');
  write('── The notification the on-call engineer receives ─────────────────');
  write(`Subject: ${notice.subject ?? ''}`);
  for (const line of notice.message.split('\n')) write(`  ${line}`);
}

/** The rehearsal's summary as the shared JSON result: its figures kept, the verdict in the schema's keys. */
export function rehearsalResult(s: RehearsalSummary, exitCode: ExitCode): CliResult {
  const { outcome, error, cause, survivor, executionArn, ...figures } = s;
  return {
    outcome: outcome === 'succeeded' ? 'SUCCEEDED' : 'FAILED',
    exitCode,
    survivor,
    error: error ? { name: error, cause: cause ?? '' } : null,
    executionArn,
    ...figures,
  };
}

/**
 * `env-migrator rehearse`: one scenario on the simulated account, printed state by state with a
 * heartbeat at least every 30 simulated seconds of a wait, then the summary with the downtime. Exit code 0 only when the migration succeeded. Throws UsageError for an unknown scenario.
 */
export async function rehearseCommand(io: Io, options: RehearseOptions): Promise<ExitCode> {
  const afterSwitch = slotOperationScenario(options.scenario);
  if (afterSwitch) return rehearseAfterSwitch(io, afterSwitch, options);
  const strategy = options.strategy ?? 'double-clone';
  if (strategy !== 'double-clone' && strategy !== 'blue-green') throw new UsageError(`option '--strategy <strategy>' argument '${strategy}' is invalid. Expected one of: double-clone, blue-green.`);
  const scenarios = strategy === 'blue-green' ? BLUE_GREEN_SCENARIOS : SCENARIOS;
  const found = scenarios.find((s) => s.name === options.scenario);
  const chosen = found && options.liveSync ? withLiveSync(found) : found;
  if (!chosen) {
    throw new UsageError(
      `option '--scenario <name>' argument '${options.scenario}' is invalid${strategy === 'blue-green' ? ' with --strategy blue-green' : ''}. Expected one of: ${[...scenarios, ...SLOT_OPERATION_SCENARIOS].map((s) => s.name).join(', ')}.`,
    );
  }
  const write = humanOf(io, options.json);
  write(`Rehearsing "${chosen.name}": ${chosen.description}`);
  write('');
  let page: ReportFigures | undefined;
  let recovery: RehearsedRecovery | undefined;
  const { report, ...summary } = await rehearse(chosen, {
    write,
    size: options.size,
    planFirst: true,
    // --json: every state and heartbeat as a JSON line on stdout, the result line last.
    ...(options.json ? { jsonLine: io.out } : {}),
    // Read through the SDK while the simulated account still answers it, as `report` reads AWS.
    afterRun: async (run) => {
      const notice = run.report.notifications.at(-1);
      // Before the recovery, which acts on it.
      if (notice && run.outcome !== 'succeeded') printNotice(notice, write);
      if (options.recover) recovery = await rehearseRecovery(run, { write, versionOfOriginal: options.versionOfOriginal === true });
      if (options.report) page = await writeReport(io.sfn(), run.executionArn, options.report);
    },
  });
  printSummary(summary, write);
  if (recovery) for (const line of recoveryLines(recovery)) write(line);
  if (page) for (const line of reportLines(page)) write(line);
  const migrationCode = summary.outcome === 'succeeded' ? EXIT.SUCCEEDED : EXIT.FAILED;
  const code = recovery ? exitCodeWithRecovery(migrationCode, recovery, summary.invariantsHeld) : migrationCode;
  if (options.json) io.out(resultLine({ ...rehearsalResult(summary, code), ...(recovery ? { recovery } : {}), ...(page ? { report: page } : {}) }));
  return code;
}

/**
 * A blue/green scenario of what follows a switch (Retire, Rollback: local/rehearse-slot-operation.ts).
 * Exit code 0 when every run ended as designed (a designed refusal included), with one notification
 * each and the invariants held; 1 otherwise.
 */
async function rehearseAfterSwitch(io: Io, scenario: NonNullable<ReturnType<typeof slotOperationScenario>>, options: RehearseOptions): Promise<ExitCode> {
  const write = humanOf(io, options.json);
  write(`Rehearsing "${scenario.name}": ${scenario.description}`);
  write('');
  const { rehearseSlotOperation, slotRehearsalLines } = await import('../local/rehearse-slot-operation');
  const summary = await rehearseSlotOperation(scenario, { size: options.size, write });
  for (const line of slotRehearsalLines(summary)) write(line);
  const code = summary.endedAsDesigned ? EXIT.SUCCEEDED : EXIT.FAILED;
  const last = summary.runs.at(-1);
  if (options.json) {
    io.out(
      resultLine({
        outcome: summary.endedAsDesigned ? 'ENDED_AS_DESIGNED' : 'NOT_AS_DESIGNED',
        exitCode: code,
        survivor: last?.recordPointsAt ?? null,
        error: last?.error ? { name: last.error, cause: last.cause ?? '' } : null,
        executionArn: last?.executionArn ?? null,
        ...summary,
      }),
    );
  }
  return code;
}
