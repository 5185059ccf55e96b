/**
 * `env-migrator faults`: the fault matrix (every Task state × every fault kind), the randomized
 * fault schedules and the bad-input suite, run on the simulated account. Prints the matrix as a
 * table and the totals; with --json, one JSON object on the last line. Exit code 0 only when every
 * invariant held in every scenario and schedule and every bad input was rejected.
 */
import { parseArgs } from 'node:util';
import { type BadInputResult, runBadInputs } from '../local/faults/bad-inputs';
import { FAULT_KINDS, FAULT_KIND_TITLES, type MatrixResult, runMatrix } from '../local/faults/matrix';
import { DEFAULT_SEED, type RandomResult, runRandomSchedules } from '../local/faults/random';
import { allHeld, matrixTable, summarize } from '../local/faults/report';
import { type VerificationAttackResult, runVerificationAttacks } from '../local/faults/verification';
import { type GuardAttackResult, runGuardAttacks } from '../local/faults/guards';

const USAGE = `Usage: npm run faults -- [--json] [--only matrix,random,bad,verification,guards] [--runs N] [--seed N] [--filter TEXT]

  --only     run only these parts (default: all five)
  --runs     randomized fault schedules to run (default 1000)
  --seed     seed of the randomized schedules (default ${DEFAULT_SEED})
  --filter   matrix rows whose state contains TEXT only
  --json     print the totals as one JSON object on the last line

Fault kinds of the matrix:
${FAULT_KINDS.map((k) => `  ${k.padEnd(12)} ${FAULT_KIND_TITLES[k]}`).join('\n')}`;

export async function faultsCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean', default: false },
      only: { type: 'string', default: 'matrix,random,bad,verification,guards' },
      runs: { type: 'string', default: '1000' },
      seed: { type: 'string', default: String(DEFAULT_SEED) },
      filter: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const parts = new Set(values.only.split(',').map((p) => p.trim()));
  const unknown = [...parts].filter((p) => !['matrix', 'random', 'bad', 'verification', 'guards'].includes(p));
  const runs = Number(values.runs);
  const seed = Number(values.seed);
  if (unknown.length || !Number.isInteger(runs) || runs < 0 || !Number.isInteger(seed)) {
    console.error(`${unknown.length ? `Unknown part ${unknown.join(', ')}. ` : ''}${USAGE}`);
    return 2;
  }
  const write = (line: string) => console.log(line);
  const started = Date.now();

  let matrix: MatrixResult | undefined;
  if (parts.has('matrix')) {
    write('Fault matrix: every Task state of Migrate and Clone (each clone apart) × each fault kind');
    let done = 0;
    matrix = await runMatrix({
      filter: values.filter ? (t) => t.key.includes(values.filter ?? '') : undefined,
      onResult: (c) => {
        if (c.status !== 'n/a' && ++done % 25 === 0) process.stderr.write(`  ${done} cells run\n`);
      },
    });
    write('');
    for (const line of matrixTable(matrix)) write(line);
    write('');
  }

  let random: RandomResult | undefined;
  if (parts.has('random') && runs > 0) {
    write(`Randomized fault schedules: ${runs} migrations, seed ${seed}`);
    let done = 0;
    random = await runRandomSchedules({ seed, runs, onRun: () => void (++done % 100 === 0 && process.stderr.write(`  ${done} schedules run\n`)) });
    write(random.failure ? random.failure.message : `  every invariant held in all ${random.runs} schedules`);
    write('');
  }

  let bad: BadInputResult[] | undefined;
  if (parts.has('bad')) {
    write('Bad inputs: each must be rejected before any AWS call but the notice, naming the field');
    bad = await runBadInputs((b) => write(`  ${b.rejected ? 'rejected' : 'NOT REJECTED'}  ${b.input.name} (${b.input.field})${b.rejected ? '' : `: ${b.problems.join('; ')}`}`));
    write('');
  }

  let attacks: VerificationAttackResult[] | undefined;
  if (parts.has('verification')) {
    write('Faults that attack the verification: each must stop at clone 1 with the original preserved, in service, and the problem named');
    attacks = await runVerificationAttacks((r) => write(`  ${r.held ? 'held' : 'BROKE'}  ${r.name}: ${r.description}${r.held ? '' : ` — ${r.problems.join('; ')}`}`));
    write('');
  }

  let guards: GuardAttackResult[] | undefined;
  if (parts.has('guards')) {
    write('Faults that change the world under the last guards: each must end with the original keeping the data, in service, and the reason named');
    guards = await runGuardAttacks((r) => write(`  ${r.held ? 'held' : 'BROKE'}  ${r.name}: ${r.description}${r.held ? '' : ` — ${r.problems.join('; ')}`}`));
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
  if (values.json) console.log(JSON.stringify(summary));
  return ok ? 0 : 1;
}
