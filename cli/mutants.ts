/**
 * `env-migrator mutants`: how well the tests guard the safety cores. Stryker mutates the cores and
 * runs the unit tests against each mutant (a score per file, vitest.mutants.config.ts says why); then
 * the named mutants of issue 9 item 8 (bench/mutants/named.ts), bugs that would lose data, are each
 * run against the end-to-end checks alone. A benchmark, not part of `npm test` (README, "Mutation
 * testing"). `--json` ends the output with one JSON line. Exit code 0 only when the score is at
 * least 90 % and every named mutant was killed end to end.
 */
import { type NamedResult, type NamedRun, checkAnchors, runNamedMutants } from '../bench/mutants/named-run';
import { NAMED_MUTANTS } from '../bench/mutants/named';
import { STRYKER_REPORT, type StrykerSummary, readStrykerReport, runStryker } from '../bench/mutants/stryker';
import type { ExitCode } from './exit-codes';
import { type Io, humanOf } from './io';
import { UsageError } from './result';

/** Issue 9's bar for the safety cores. */
export const TARGET_SCORE = 90;

/** The named mutants, for `mutants --help` (loaded only when help is asked for). */
export function mutantsHelp(): string {
  return `Named mutants:\n${NAMED_MUTANTS.map((m) => `  ${m.id.padEnd(48)} ${m.title}`).join('\n')}`;
}

export interface MutantsOptions {
  json: boolean;
  namedOnly: boolean;
  strykerOnly: boolean;
  only?: string;
  checkAnchors: boolean;
}

/** Runs Stryker and/or the named mutants. Exit code 0 only when every target is met. Throws UsageError when --only matches no named mutant. */
export async function mutantsCommand(io: Io, values: MutantsOptions): Promise<ExitCode> {
  const root = process.cwd();
  const write = humanOf(io, values.json);
  const log = io.err;

  const anchorProblems = checkAnchors(root);
  if (values.checkAnchors) {
    write(anchorProblems.length ? `ANCHORS BROKEN:\n${anchorProblems.map((p) => `  ${p}`).join('\n')}` : `All ${NAMED_MUTANTS.length} named mutants' anchors found once.`);
    return anchorProblems.length ? 1 : 0;
  }
  const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
  const named = only ? NAMED_MUTANTS.filter((m) => only.some((o) => m.id.includes(o))) : NAMED_MUTANTS;
  if (only && named.length === 0) throw new UsageError(`option '--only <ids>' argument '${values.only}' matches no named mutant (see "env-migrator mutants --help").`);
  const runStrykerPart = !values.namedOnly && !only;
  const runNamedPart = !values.strykerOnly;
  const started = Date.now();

  let stryker: (StrykerSummary & { seconds: number }) | undefined;
  if (runStrykerPart) {
    log('Stryker over the safety cores (progress below; the full report is reports/mutation/)');
    const t0 = Date.now();
    const code = await runStryker(root);
    if (code !== 0) {
      io.err(`Stryker exited with code ${code}; see its output above.`);
      return 1;
    }
    stryker = { ...readStrykerReport(root), seconds: (Date.now() - t0) / 1000 };
    write('');
    for (const line of strykerTable(stryker)) write(line);
  }

  let namedRun: (NamedRun & { seconds: number }) | undefined;
  if (runNamedPart) {
    const t0 = Date.now();
    const run = await runNamedMutants(root, {
      mutants: named,
      log,
      onResult: (r) => log(`  ${r.status.padEnd(13)} ${r.id} (${Math.round(r.seconds)} s)`),
    });
    namedRun = { ...run, seconds: (Date.now() - t0) / 1000 };
    write('');
    for (const line of namedTable(namedRun)) write(line);
  }

  const seconds = Math.round((Date.now() - started) / 1000);
  write('');
  const took = [...(stryker ? [`Stryker ${Math.round(stryker.seconds)} s`] : []), ...(namedRun ? [`named mutants ${Math.round(namedRun.seconds)} s`] : [])];
  write(`Took ${seconds} s (${took.join(', ')})`);

  const results = namedRun?.results ?? [];
  const e2eKilled = results.filter((r) => r.status === 'killed' || r.status === 'timeout').length;
  const e2eSurvived = results.filter((r) => r.status === 'survived').length;
  const broken = results.filter((r) => r.status === 'anchor-broken' || r.status === 'error');
  const shortfalls: string[] = [];
  if (stryker && stryker.total.score < TARGET_SCORE) shortfalls.push(`Stryker score ${stryker.total.score} % is below ${TARGET_SCORE} %`);
  if (e2eSurvived) shortfalls.push(`${e2eSurvived} named mutant(s) survived every end-to-end check`);
  if (broken.length) shortfalls.push(`${broken.length} named mutant(s) could not be run (anchor or load error): re-anchor them in bench/mutants/named.ts`);
  if (!runNamedPart && anchorProblems.length) shortfalls.push(`named mutants' anchors broken (run --check-anchors): ${anchorProblems.length}`);
  write(shortfalls.length ? `TARGETS NOT MET:\n${shortfalls.map((s) => `  ${s}`).join('\n')}` : 'Every target met.');

  if (values.json) {
    const t = stryker?.total;
    io.out(
      JSON.stringify({
        mutants: t ? t.killed + t.timedOut + t.survived + t.noCoverage : null,
        killed: t ? t.killed + t.timedOut : null,
        survived: t ? t.survived + t.noCoverage : null,
        score: t ? t.score : null,
        e2eKilled: namedRun ? e2eKilled : null,
        e2eSurvived: namedRun ? e2eSurvived : null,
        ...(t ? { timedOut: t.timedOut, noCoverage: t.noCoverage, ignored: t.ignored, strykerE2eKilled: t.e2eKilled } : {}),
        ...(stryker ? { files: Object.fromEntries(stryker.files.map((f) => [f.file, f.score])) } : {}),
        ...(namedRun ? { named: Object.fromEntries(results.map((r) => [r.id, r.status === 'killed' ? r.killedBy[0] : r.status.toUpperCase()])), namedBroken: broken.length } : {}),
        seconds,
      }),
    );
  }
  return shortfalls.length ? 1 : 0;
}

function strykerTable(s: StrykerSummary): string[] {
  const head = `${'file'.padEnd(40)} ${'mutants'.padStart(7)} ${'killed'.padStart(6)} ${'timeout'.padStart(7)} ${'survived'.padStart(8)} ${'no cov'.padStart(6)} ${'by e2e'.padStart(6)} ${'score'.padStart(7)}`;
  const row = (f: StrykerSummary['total']) =>
    `${f.file.padEnd(40)} ${String(f.killed + f.timedOut + f.survived + f.noCoverage).padStart(7)} ${String(f.killed).padStart(6)} ${String(f.timedOut).padStart(7)} ${String(f.survived).padStart(8)} ${String(f.noCoverage).padStart(6)} ${String(f.e2eKilled).padStart(6)} ${`${f.score.toFixed(1)} %`.padStart(7)}`;
  const lines = ['Stryker over the safety cores ("by e2e": first killed by a test of test/workflow or test/faults, the unit tests let it through)', head];
  for (const f of s.files) lines.push(row(f));
  lines.push(row(s.total));
  const ignored = s.total.ignored;
  if (ignored) lines.push(`(${ignored} static mutants ignored: module-level constants, see stryker.config.mjs)`);
  if (s.survivors.length) {
    lines.push('', `Survivors (${s.survivors.length}; each with its line in ${STRYKER_REPORT}):`);
    for (const v of s.survivors) lines.push(`  ${v.file}:${v.line} ${v.mutator}${v.status === 'NoCoverage' ? ' (no coverage)' : ''}: ${clip(v.original)} → ${clip(v.replacement)}`);
  }
  return lines;
}

function namedTable(run: NamedRun): string[] {
  const lines = [`Named mutants against the end-to-end checks (${run.baselineTests} tests, ${Math.round(run.baselineSeconds)} s unmutated)`];
  for (const r of run.results) lines.push(`  ${label(r).padEnd(13)} ${r.title}${detail(r)}`);
  return lines;
}

function label(r: NamedResult): string {
  return r.status === 'killed' ? 'killed' : r.status === 'timeout' ? 'killed (time)' : r.status === 'survived' ? 'SURVIVED' : r.status === 'anchor-broken' ? 'ANCHOR BROKEN' : 'ERROR';
}

function detail(r: NamedResult): string {
  if (r.status === 'killed') return `\n${' '.repeat(16)}by ${r.killedBy[0]}${r.note ? `\n${' '.repeat(16)}${clip(r.note, 140)}` : ''}`;
  if (r.status === 'survived') return `\n${' '.repeat(16)}all ${r.passed} end-to-end tests passed with it`;
  return `\n${' '.repeat(16)}${r.note ?? ''}`;
}

function clip(text: string, max = 90): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
