/**
 * Stryker over the safety cores (stryker.config.mjs, vitest.mutants.config.ts): runs it, then reads
 * its JSON report (the mutation-testing-report-schema) into per-file figures and the survivors.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const STRYKER_REPORT = 'reports/mutation/mutation.json';

/** The part of Stryker's JSON report read here. */
interface Report {
  files: Record<string, { source: string; mutants: ReportMutant[] }>;
  testFiles?: Record<string, { tests: { id: string; name: string }[] }>;
}

interface ReportMutant {
  id: string;
  mutatorName: string;
  replacement?: string;
  status: 'Killed' | 'Survived' | 'NoCoverage' | 'CompileError' | 'RuntimeError' | 'Timeout' | 'Ignored' | 'Pending';
  killedBy?: string[];
  location: { start: { line: number; column: number } };
}

export interface FileScore {
  file: string;
  mutants: number;
  killed: number;
  timedOut: number;
  survived: number;
  noCoverage: number;
  ignored: number;
  errors: number;
  /** Killed (the first killing test, Stryker bails) by a test of test/workflow or test/faults: one the unit tests let through. */
  e2eKilled: number;
  /** (killed + timed out) / (killed + timed out + survived + no coverage), percent. */
  score: number;
}

export interface Survivor {
  file: string;
  line: number;
  mutator: string;
  original: string;
  replacement: string;
  status: 'Survived' | 'NoCoverage';
}

export interface StrykerSummary {
  files: FileScore[];
  total: FileScore;
  survivors: Survivor[];
}

/** Runs Stryker in `root` (its progress on stderr); resolves with its exit code. */
export async function runStryker(root: string): Promise<number> {
  const bin = join(root, 'node_modules/@stryker-mutator/core/bin/stryker.js');
  const child = spawn(process.execPath, [bin, 'run'], { cwd: root, stdio: ['ignore', process.stderr, process.stderr] });
  return new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)));
}

export function readStrykerReport(root: string): StrykerSummary {
  return summarizeReport(JSON.parse(readFileSync(join(root, STRYKER_REPORT), 'utf8')) as Report);
}

const isE2eTestFile = (path: string) => /(^|\/)test\/(workflow|faults)\//.test(path);

export function summarizeReport(report: Report): StrykerSummary {
  const testFileOf = new Map<string, string>();
  for (const [path, tf] of Object.entries(report.testFiles ?? {})) for (const t of tf.tests) testFileOf.set(t.id, path);

  const files: FileScore[] = [];
  const survivors: Survivor[] = [];
  for (const [file, result] of Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b))) {
    const score = emptyScore(file);
    const lines = result.source.split('\n');
    for (const m of result.mutants) {
      score.mutants++;
      switch (m.status) {
        case 'Killed':
          score.killed++;
          if ((m.killedBy ?? []).some((id) => isE2eTestFile(testFileOf.get(id) ?? ''))) score.e2eKilled++;
          break;
        case 'Timeout':
          score.timedOut++;
          break;
        case 'Survived':
        case 'NoCoverage':
          if (m.status === 'Survived') score.survived++;
          else score.noCoverage++;
          survivors.push({
            file,
            line: m.location.start.line,
            mutator: m.mutatorName,
            original: (lines[m.location.start.line - 1] ?? '').trim(),
            replacement: m.replacement ?? '',
            status: m.status,
          });
          break;
        case 'Ignored':
          score.ignored++;
          break;
        default:
          score.errors++;
      }
    }
    files.push(withScore(score));
  }
  const total = emptyScore('all safety cores');
  for (const f of files) for (const k of ['mutants', 'killed', 'timedOut', 'survived', 'noCoverage', 'ignored', 'errors', 'e2eKilled'] as const) total[k] += f[k];
  return { files, total: withScore(total), survivors };
}

function emptyScore(file: string): FileScore {
  return { file, mutants: 0, killed: 0, timedOut: 0, survived: 0, noCoverage: 0, ignored: 0, errors: 0, e2eKilled: 0, score: 0 };
}

function withScore(s: FileScore): FileScore {
  const detected = s.killed + s.timedOut;
  const valid = detected + s.survived + s.noCoverage;
  return { ...s, score: valid ? Math.round((1000 * detected) / valid) / 10 : 100 };
}
