/**
 * `env-migrator bench`: the reference migration and the baseline script on the same timing model,
 * printed side by side with issue 5's targets (bench/README.md explains every figure). `--json`
 * ends the output with the figures as one JSON object on the last line.
 */
import { readFile } from 'node:fs/promises';
import { REFERENCE_SIZE, TINY_SIZE } from '../bench/reference';
import { comparisonLines, formatReport, targets } from '../bench/report';
import { runBenchmark, type BenchSummary } from '../bench/run';
import { STRATEGIES, type Strategy } from '../lambdas/shared/contracts';
import { EXIT, type ExitCode } from './exit-codes';
import { type Io, humanOf } from './io';
import { UsageError } from './result';

export interface BenchOptions {
  json: boolean;
  size: 'reference' | 'tiny' | number;
  initImports: number;
  workflowOnly: boolean;
  /** double-clone (default) or blue-green. */
  strategy?: string;
  /** The migration input asks for live sync (issue 12). */
  liveSync?: boolean;
  /** The reference database's allocated storage, GB (default 100). */
  dbGb?: number;
  /** A file whose last line is an earlier run's JSON line: this run's downtime is compared with it. */
  compareTo?: string;
}

/** The last line of `file` that parses as a JSON object with a downtimeSeconds (an earlier `--json` run's output). */
async function earlierSummary(file: string): Promise<BenchSummary> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`option '--compare-to <file>': cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  for (const line of text.trim().split('\n').reverse()) {
    try {
      const parsed = JSON.parse(line) as Partial<BenchSummary>;
      if (typeof parsed.downtimeSeconds === 'number') return parsed as BenchSummary;
    } catch {
      // Not the JSON line: the human report precedes it when stdout and stderr were written together.
    }
  }
  throw new UsageError(`option '--compare-to <file>': ${file} holds no benchmark JSON line (npm run bench -- --json)`);
}

/**
 * Runs the benchmark. Exit code 0 only when the workflow succeeded with every invariant held and the baseline ran.
 * Throws UsageError for an unknown strategy or an unreadable `compareTo`.
 */
export async function benchCommand(io: Io, values: BenchOptions): Promise<ExitCode> {
  const strategy = values.strategy ?? 'double-clone';
  if (!(STRATEGIES as readonly string[]).includes(strategy)) throw new UsageError(`option '--strategy <strategy>' argument '${strategy}' is invalid. Expected one of: ${STRATEGIES.join(', ')}.`);
  // Read before the run: a wrong path should not cost a run of minutes.
  const earlier = values.compareTo !== undefined ? await earlierSummary(values.compareTo) : undefined;
  const base = values.size === 'reference' ? REFERENCE_SIZE : values.size === 'tiny' ? TINY_SIZE : { ...REFERENCE_SIZE, objectsPerBucket: values.size };
  const size = { ...base, databaseGb: values.dbGb ?? base.databaseGb };
  const result = await runBenchmark({
    size,
    initImports: values.initImports,
    workflowOnly: values.workflowOnly,
    strategy: strategy as Strategy,
    liveSync: values.liveSync ?? false,
    log: (line) => io.err(line),
  });
  const human = humanOf(io, values.json);
  human(formatReport(result));
  if (earlier && values.compareTo !== undefined) human(['', ...comparisonLines(result.summary, earlier, values.compareTo)].join('\n'));
  if (values.json) io.out(JSON.stringify({ ...result.summary, targetsMet: targets(result).filter((t) => t.met).map((t) => t.name) }));
  return result.workflow.succeeded && result.workflow.invariantsHeld && (values.workflowOnly || result.baseline?.succeeded === true) ? EXIT.SUCCEEDED : EXIT.FAILED;
}
