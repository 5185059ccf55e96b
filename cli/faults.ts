/**
 * `env-migrator faults`: the fault matrix (every Task state × every fault kind), the randomized
 * fault schedules and the bad-input suite, run on the simulated account. Prints the matrix as a
 * table and the totals; with --json, one JSON object on the last line. Exit code 0 only when every
 * invariant held in every scenario and schedule and every bad input was rejected.
 */
import { type BadInputResult, runBadInputs } from '../local/faults/bad-inputs';
import { BLUE_GREEN_MATRIX } from '../local/faults/blue-green-routes';
import { type CellResult, FAULT_KINDS, isDoubleCloneState, FAULT_KIND_TITLES, type MatrixOptions, type MatrixResult, runMatrix, type TaskState } from '../local/faults/matrix';
import { LIVE_SYNC_MATRIX } from '../local/faults/live-sync-routes';
import { SLOT_OPERATION_MATRICES } from '../local/faults/slot-operations';
import { DEFAULT_SEED, type RandomResult, runRandomSchedules } from '../local/faults/random';
import { allHeld, matrixTable, mergeMatrices, mergeRandom, summarize } from '../local/faults/report';
import { type VerificationAttackResult, runVerificationAttacks } from '../local/faults/verification';
import { type GuardAttackResult, runGuardAttacks } from '../local/faults/guards';
import { EXIT, type ExitCode } from './exit-codes';
import { type Io, humanOf } from './io';

/** The defaults that live with the fault catalogue, for `faults --help` (loaded only when help is asked for). */
export function faultsHelp(): string {
  return `Default seed: ${DEFAULT_SEED}\n\nFault kinds of the matrix:\n${FAULT_KINDS.map((k) => `  ${k.padEnd(12)} ${FAULT_KIND_TITLES[k]}`).join('\n')}`;
}

export interface FaultsOptions {
  json: boolean;
  only: string[];
  runs: number;
  seed?: number;
  filter?: string;
}

/** Runs the chosen parts of the fault catalogue. Exit code 0 only when every invariant held everywhere. */
export async function faultsCommand(io: Io, values: FaultsOptions): Promise<ExitCode> {
  const parts = new Set(values.only);
  const runs = values.runs;
  const seed = values.seed ?? DEFAULT_SEED;
  const write = humanOf(io, values.json);
  const started = Date.now();

  let matrix: MatrixResult | undefined;
  if (parts.has('matrix')) {
    const matrices: MatrixResult[] = [];
    const only = values.filter ? (t: TaskState) => t.key.includes(values.filter ?? '') : () => true;
    let done = 0;
    const onResult = (c: CellResult) => void (c.status !== 'n/a' && ++done % 25 === 0 && io.err(`  ${done} cells run`));
    const matrixParts: [string, MatrixOptions][] = [
      ['Fault matrix, double clone: every Task state of Migrate and Clone (each clone apart) × each fault kind', { filter: (t) => only(t) && isDoubleCloneState(t) }],
      ['Fault matrix, blue/green: every Migrate state a blue/green run enters × each fault kind, and silent loss in its clone', { ...BLUE_GREEN_MATRIX, filter: (t) => only(t) && (BLUE_GREEN_MATRIX.filter?.(t) ?? true) }],
      ['Fault matrix, live sync: every Task state live sync adds × each fault kind, and silent loss in its pre-copy', { ...LIVE_SYNC_MATRIX, filter: (t) => only(t) && (LIVE_SYNC_MATRIX.filter?.(t) ?? true) }],
      ...SLOT_OPERATION_MATRICES.map(({ machine, options }): [string, MatrixOptions] => [`Fault matrix, ${machine}: every Task state × each fault kind`, { ...options, filter: only }]),
    ];
    for (const [title, options] of matrixParts) {
      write(title);
      const m = await runMatrix({ ...options, onResult });
      write('');
      for (const line of matrixTable(m)) write(line);
      write('');
      matrices.push(m);
    }
    matrix = mergeMatrices(matrices);
  }

  let random: RandomResult | undefined;
  if (parts.has('random') && runs > 0) {
    write(`Randomized fault schedules: ${runs} migrations, seed ${seed}`);
    let done = 0;
    const onRun = () => void (++done % 100 === 0 && io.err(`  ${done} schedules run`));
    const doubleClone = await runRandomSchedules({ seed, runs, onRun });
    write(doubleClone.failure ? doubleClone.failure.message : `  every invariant held in all ${doubleClone.runs} schedules`);
    // A quarter as many blue/green migrations, from the seed after the double clone's two (the tests' split).
    const bgRuns = Math.ceil(runs / 4);
    write(`Randomized fault schedules, strategy blue-green: ${bgRuns} migrations, seed ${seed + 2}`);
    const blueGreen = await runRandomSchedules({ seed: seed + 2, runs: bgRuns, blueGreen: true, onRun });
    write(blueGreen.failure ? blueGreen.failure.message : `  every invariant held in all ${blueGreen.runs} schedules`);
    random = mergeRandom([doubleClone, blueGreen]);
    write('');
  }

  let bad: BadInputResult[] | undefined;
  if (parts.has('bad')) {
    write('Bad inputs: each must be rejected before any AWS call but the notice, naming the field');
    bad = await runBadInputs((b) => write(`  ${b.rejected ? 'rejected' : 'NOT REJECTED'}  ${b.input.name} (${b.input.field})${b.rejected ? '' : `: ${b.problems.join('; ')}`}`));
    write('');
  }

  const writeAttack = (r: { held: boolean; name: string; description: string; problems: string[] }) =>
    write(`  ${r.held ? 'held' : 'BROKE'}  ${r.name}: ${r.description}${r.held ? '' : ` — ${r.problems.join('; ')}`}`);
  let attacks: VerificationAttackResult[] | undefined;
  if (parts.has('verification')) {
    write('Faults that attack the verification: each must stop at clone 1 with the original preserved, in service, and the problem named');
    attacks = await runVerificationAttacks(writeAttack);
    write('');
  }

  let guards: GuardAttackResult[] | undefined;
  if (parts.has('guards')) {
    write('Faults that change the world under the last guards: each must end with the original keeping the data, in service, and the reason named');
    guards = await runGuardAttacks(writeAttack);
    write('');
  }

  const summary = summarize(matrix, random, bad, attacks, guards);
  write(`Matrix scenarios: ${summary.passed} of ${summary.scenarios} held (${summary.notApplicable} cells do not apply)`);
  write(`Randomized schedules: ${summary.randomizedPassed} of ${summary.randomized} held`);
  write(`Bad inputs: ${summary.badInputsRejected} of ${summary.badInputs} rejected`);
  write(`Verification attacks: ${summary.verificationAttacksHeld} of ${summary.verificationAttacks} held`);
  write(`Guard attacks: ${summary.guardAttacksHeld} of ${summary.guardAttacks} held`);
  write(`Took ${Math.round((Date.now() - started) / 1000)} s`);
  const ok = allHeld(summary);
  write(ok ? 'Every invariant held.' : `NOT EVERYTHING HELD:\n${summary.failures.map((f) => `  ${f}`).join('\n')}`);
  if (values.json) io.out(JSON.stringify(summary));
  return ok ? EXIT.SUCCEEDED : EXIT.FAILED;
}
