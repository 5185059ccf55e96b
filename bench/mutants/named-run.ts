/**
 * Runs the named mutants (named.ts) against the end-to-end checks only: a copy of the repository
 * (the files git tracks or would track, node_modules linked), the unmutated code first — every
 * check must pass there, or no result would mean anything — then each mutant in turn, patched into
 * the copy and the end-to-end tests run with vitest until the first failure.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { AnchorError, NAMED_MUTANTS, type NamedMutant, applyMutant } from './named';

/** The end-to-end checks: every test of test/workflow and test/faults but the randomized schedules (45 s each, and not reproducible per mutant). */
export const E2E_FILTERS = ['test/workflow/', 'test/faults/'];
export const E2E_EXCLUDE = 'test/faults/random-*.test.ts';

export type NamedStatus = 'killed' | 'survived' | 'timeout' | 'anchor-broken' | 'error';

export interface NamedResult {
  id: string;
  title: string;
  file: string;
  status: NamedStatus;
  /** The first failing end-to-end test(s), `file › test name` (vitest stops at the first failing test). */
  killedBy: string[];
  /** Why (first line of the failure), the anchor problem, or the load error. */
  note?: string;
  /** End-to-end tests that passed with the mutant in place. */
  passed: number;
  seconds: number;
}

export interface NamedRun {
  baselineSeconds: number;
  baselineTests: number;
  results: NamedResult[];
}

interface VitestJson {
  numTotalTests: number;
  numPassedTests: number;
  testResults: { name: string; status: string; message?: string; assertionResults: { fullName: string; status: string; failureMessages?: string[] }[] }[];
}

/** Checks every anchor against the working tree without running anything; one line per problem. */
export function checkAnchors(root: string, mutants: NamedMutant[] = NAMED_MUTANTS): string[] {
  const problems: string[] = [];
  for (const m of mutants) {
    const path = join(root, m.file);
    if (!existsSync(path)) {
      problems.push(`${m.id}: file ${m.file} not found`);
      continue;
    }
    try {
      applyMutant(m, readFileSync(path, 'utf8'));
    } catch (err) {
      if (!(err instanceof AnchorError)) throw err;
      problems.push(err.message);
    }
  }
  return problems;
}

export async function runNamedMutants(
  root: string,
  options: { mutants?: NamedMutant[]; log: (line: string) => void; onResult?: (r: NamedResult) => void },
): Promise<NamedRun> {
  const mutants = options.mutants ?? NAMED_MUTANTS;
  const copy = copyRepository(root);
  try {
    options.log(`Named mutants: e2e checks in a copy at ${copy}`);
    const baseline = await runE2e(copy, 30 * 60_000);
    if (baseline.outcome !== 'passed') {
      throw new Error(`The end-to-end checks do not pass on the unmutated code (${baseline.outcome}): ${baseline.note ?? ''}. Fix that first: no mutant result would mean anything.`);
    }
    options.log(`  unmutated: ${baseline.passed} e2e tests pass in ${Math.round(baseline.seconds)} s`);
    // Generous: a mutant may make a workflow wait longer, but one that hangs must not hang the bench.
    const timeoutMs = Math.max(120_000, baseline.seconds * 3000);
    const results: NamedResult[] = [];
    for (const m of mutants) {
      const path = join(copy, m.file);
      const base = { id: m.id, title: m.title, file: m.file, killedBy: [], passed: 0, seconds: 0 };
      let original: string;
      let mutated: string;
      try {
        original = readFileSync(path, 'utf8');
        mutated = applyMutant(m, original);
      } catch (err) {
        const note = err instanceof AnchorError ? err.message : `${m.id}: ${m.file}: ${(err as Error).message}`;
        const r: NamedResult = { ...base, status: 'anchor-broken', note };
        results.push(r);
        options.onResult?.(r);
        continue;
      }
      writeFileSync(path, mutated);
      try {
        const run = await runE2e(copy, timeoutMs);
        const status: NamedStatus = run.outcome === 'failed' ? 'killed' : run.outcome === 'passed' ? 'survived' : run.outcome;
        const r: NamedResult = { ...base, status, killedBy: run.failed, passed: run.passed, seconds: run.seconds, ...(run.note ? { note: run.note } : {}) };
        results.push(r);
        options.onResult?.(r);
      } finally {
        writeFileSync(path, original);
      }
    }
    return { baselineSeconds: baseline.seconds, baselineTests: baseline.passed, results };
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

/** The files git tracks or would track (the working tree as it is, uncommitted edits included), node_modules linked. */
function copyRepository(root: string): string {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`git ls-files failed in ${root}: ${listed.stderr}`);
  const copy = mkdtempSync(join(tmpdir(), 'env-migrator-mutant-'));
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    const from = join(root, file);
    if (!existsSync(from)) continue; // tracked but deleted in the working tree
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(from, join(copy, file));
  }
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');
  return copy;
}

interface E2eRun {
  outcome: 'passed' | 'failed' | 'timeout' | 'error';
  failed: string[];
  passed: number;
  seconds: number;
  note?: string;
}

/** The end-to-end tests in `dir`, stopping at the first failing test. */
async function runE2e(dir: string, timeoutMs: number): Promise<E2eRun> {
  const started = Date.now();
  const out = join(dir, '.mutant-e2e.json');
  rmSync(out, { force: true });
  const args = [join(dir, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'vitest.config.ts', '--bail', '1', '--reporter', 'json', '--outputFile', out, '--exclude', E2E_EXCLUDE, ...E2E_FILTERS];
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-4000)));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  }, timeoutMs);
  await new Promise<void>((resolve) => child.on('close', () => resolve()));
  clearTimeout(timer);
  const seconds = (Date.now() - started) / 1000;
  if (timedOut) return { outcome: 'timeout', failed: [], passed: 0, seconds, note: `no verdict within ${Math.round(timeoutMs / 1000)} s` };
  if (!existsSync(out)) return { outcome: 'error', failed: [], passed: 0, seconds, note: `vitest wrote no report: ${stderr.trim().split('\n').slice(-3).join(' | ')}` };
  const report = JSON.parse(readFileSync(out, 'utf8')) as VitestJson;
  const failed: string[] = [];
  const firstLines: string[] = [];
  for (const file of report.testResults) {
    for (const a of file.assertionResults) {
      if (a.status !== 'failed') continue;
      failed.push(`${relative(dir, file.name)} › ${a.fullName}`);
      firstLines.push(firstLine(a.failureMessages?.[0] ?? ''));
    }
  }
  if (failed.length) return { outcome: 'failed', failed, passed: report.numPassedTests, seconds, note: firstLines[0] };
  // A file that fails to load has no failing test: the mutant broke the code, it was not caught.
  const loadErrors = report.testResults.filter((f) => f.status === 'failed').map((f) => `${relative(dir, f.name)}: ${firstLine(f.message ?? '')}`);
  if (loadErrors.length || report.numTotalTests === 0) {
    return { outcome: 'error', failed: [], passed: report.numPassedTests, seconds, note: loadErrors.join('; ') || 'no end-to-end test ran' };
  }
  return { outcome: 'passed', failed: [], passed: report.numPassedTests, seconds };
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim()) ?? '';
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
