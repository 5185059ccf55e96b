/**
 * `rehearse --recover`: after the rehearsed migration, what the on-call engineer does next. The
 * notification of a failure once the original was being deleted names `env-migrator recover <arn>`;
 * the rehearsal clears the scenario's injected faults (the operator fixed the cause), runs that very
 * command through the SDK against the same simulated account, on its clock, and then checks on the
 * account what recover claims: the stack under the original name, its version, its data against the
 * environment before the migration, the lock. After a success or a failure that left the original in
 * place, recover explains that nothing needs recovering, and the checks show the original as it is.
 */
import { parseExecutionArn } from './arn';
import { EXIT, type ExitCode } from './exit-codes';
import { ioOf } from './io';
import { DEFAULT_MIGRATOR_STACK } from './options';
import { recoverCommand } from './recover';
import { cliResultSchema } from './result';
import { runOnSimulatedClock } from '../local/clock';
import { taskHooks } from '../local/faults/state-context';
import type { Baseline, InvariantReport } from '../local/invariants';
import type { SimAccount } from '../local/sim/account';
import { environmentData, sameData } from '../local/sim/environment-data';

/** What `rehearse --recover` ran and found: the `recovery` of the rehearsal's JSON result. */
export interface RehearsedRecovery {
  /** The command run, as the notification gives it (plus --version-of-original when asked). */
  command: string;
  /** recover's own outcome (cli/recover.ts RECOVER_OUTCOME): RECOVERED, NOTHING_TO_RECOVER, RECOVERY_FAILED... */
  outcome: string;
  /** recover's own exit code. */
  exitCode: number;
  /** The stack recover says holds the data. */
  survivor: string | null;
  /** The environment's name, which recover brings back. */
  stackName: string;
  /** Checked on the account: the status of the stack under the original name, null when there is none. */
  stackStatus: string | null;
  /** Checked on the account: its EnvironmentVersion, null when there is no stack under that name. */
  version: string | null;
  /** Checked on the account: the stack under the original name holds exactly the data the environment had before the migration. */
  dataIntact: boolean;
  /** Why not, when not (the first few differences). */
  differences?: string[];
  /** Checked on the account: no lock is held on the environment any more. */
  lockReleased: boolean;
  /** The recovery's Clone execution, when recover started one. */
  recoveryExecutionArn?: string;
  /** recover's error, when it did not recover. */
  error: { name: string; cause: string } | null;
  /** The injected faults cleared before recover ran. */
  faultsCleared: { armed: number; silent: string[] };
}

export interface RehearsedRun {
  executionArn: string;
  account: SimAccount;
  baseline: Baseline;
  lockTable: string;
  report: InvariantReport;
}

/**
 * Runs `env-migrator recover` for the rehearsed migration, as its notification says, and checks its
 * result on the account. Prints the command's lines through `write`. Called from the rehearsal's
 * afterRun, while the simulated account still answers the SDK.
 */
export async function rehearseRecovery(run: RehearsedRun, o: { write: (line: string) => void; versionOfOriginal: boolean }): Promise<RehearsedRecovery> {
  const { account, baseline } = run;
  const { write } = o;
  const stackName = baseline.stackName;
  write('');
  write('── Recovering, as the notification says ──────────────────────────');
  const named = /env-migrator recover (\S+)/.exec(run.report.notifications.at(-1)?.message ?? '');
  const arn = named?.[1] ?? run.executionArn;
  const command = `env-migrator recover ${arn}${o.versionOfOriginal ? ' --version-of-original' : ''}`;
  write(named ? 'The notification says to run, once the cause is fixed:' : `No notification names a recover command (${stackName} was never being deleted, or the migration succeeded); running it anyway, it says why:`);
  write(`  $ ${command}`);
  // The cause fixed: the scenario's faults would fire again in the recovery's own Clone otherwise.
  const faultsCleared = account.faults.clear();
  taskHooks.beforeTask = undefined;
  const cleared = [...(faultsCleared.armed ? [`${faultsCleared.armed} call fault${faultsCleared.armed === 1 ? '' : 's'}`] : []), ...faultsCleared.silent];
  write(cleared.length ? `  (the cause fixed first, as the operator would: the scenario's injected faults cleared: ${cleared.join(', ')})` : '  (the scenario injected no fault to clear)');

  const execution = parseExecutionArn(arn);
  if (!execution) throw new Error(`the rehearsed execution's ARN is not one recover accepts: ${arn}`);
  const out: string[] = [];
  // --json: its lines for people come through err, its one JSON result through out, kept for the rehearsal's own result.
  const io = ioOf({ out: (line) => out.push(line), err: (line) => write(`  ${line}`) });
  await runOnSimulatedClock(
    () => recoverCommand(io, execution, { versionOfOriginal: o.versionOfOriginal, table: run.lockTable, migratorStack: DEFAULT_MIGRATOR_STACK, wait: true, interval: 60, json: true }),
    account.now(),
  );
  const result = cliResultSchema.parse(JSON.parse(out.at(-1) ?? '{}'));
  // A cause the rehearsal cannot fix (the new template itself fails) has recover's other way out.
  if (!o.versionOfOriginal && (result.outcome === 'RECOVERY_FAILED' || result.outcome === 'RECOVERY_DIFFERS')) {
    write('  (recover --version-of-original recreates the version the original had, from its own template: rehearse it with --recover --version-of-original)');
  }

  // What recover claims, checked on the account rather than taken from its result.
  const stack = account.cloudformation.stackByName(stackName);
  let comparison: { equal: boolean; differences: string[] };
  try {
    comparison = stack ? sameData(baseline.data, environmentData(account, stackName)) : { equal: false, differences: [`no stack named ${stackName}`] };
  } catch (err) {
    comparison = { equal: false, differences: [(err as Error).message] };
  }
  const lockReleased = !account.dynamodb.items(run.lockTable).some((item) => item.stackName?.S === stackName);
  return {
    command,
    outcome: result.outcome,
    exitCode: result.exitCode,
    survivor: result.survivor,
    stackName,
    stackStatus: stack?.status ?? null,
    version: stack?.parameters.EnvironmentVersion ?? null,
    dataIntact: comparison.equal,
    ...(comparison.equal ? {} : { differences: comparison.differences.slice(0, 5) }),
    lockReleased,
    ...(typeof result.recoveryExecutionArn === 'string' ? { recoveryExecutionArn: result.recoveryExecutionArn } : {}),
    error: result.error,
    faultsCleared,
  };
}

/**
 * The rehearsal's exit code with --recover: the migration's, except 0 when recover put the
 * environment back (RECOVERED) and the account confirms it — the stack under its name, its data
 * equal to before the migration, the lock released — and the migration itself broke no invariant.
 */
export function exitCodeWithRecovery(migration: ExitCode, recovery: RehearsedRecovery, invariantsHeld: boolean): ExitCode {
  const recovered = recovery.outcome === 'RECOVERED' && recovery.stackStatus !== null && recovery.dataIntact && recovery.lockReleased;
  return recovered && invariantsHeld ? EXIT.SUCCEEDED : migration;
}

/** The recovery's lines of the rehearsal summary. */
export function recoveryLines(r: RehearsedRecovery): string[] {
  const mark = (ok: boolean) => (ok ? 'yes' : 'NO');
  return [
    `recovery            ${r.outcome} (recover exit ${r.exitCode})${r.error ? `: ${r.error.cause}` : ''}`,
    `  stack             ${r.stackStatus ? `${r.stackName} ${r.stackStatus}, version ${r.version ?? '?'}` : `none named ${r.stackName}`}`,
    `  data intact       ${mark(r.dataIntact)}${r.dataIntact ? ': equal to the environment before the migration' : `: ${(r.differences ?? []).join('; ')}${r.survivor && r.survivor !== r.stackName ? ` (recover says ${r.survivor} keeps the data)` : ''}`}`,
    `  lock released     ${mark(r.lockReleased)}`,
  ];
}
