/**
 * `env-migrator bench`: the reference migration and the baseline script on the same timing model,
 * printed side by side with issue 5's targets (bench/README.md explains every figure). `--json`
 * ends the output with the figures as one JSON object on the last line.
 */
import { REFERENCE_SIZE, TINY_SIZE } from '../bench/reference';
import { formatReport, targets } from '../bench/report';
import { runBenchmark } from '../bench/run';
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
}

/**
 * Runs the benchmark. Exit code 0 only when the workflow succeeded with every invariant held and the baseline ran.
 * Throws UsageError for an unknown strategy.
 */
export async function benchCommand(io: Io, values: BenchOptions): Promise<ExitCode> {
  const strategy = values.strategy ?? 'double-clone';
  if (!(STRATEGIES as readonly string[]).includes(strategy)) throw new UsageError(`option '--strategy <strategy>' argument '${strategy}' is invalid. Expected one of: ${STRATEGIES.join(', ')}.`);
  const size = values.size === 'reference' ? REFERENCE_SIZE : values.size === 'tiny' ? TINY_SIZE : { ...REFERENCE_SIZE, objectsPerBucket: values.size };
  const result = await runBenchmark({ size, initImports: values.initImports, workflowOnly: values.workflowOnly, strategy: strategy as Strategy, log: (line) => io.err(line) });
  humanOf(io, values.json)(formatReport(result));
  if (values.json) io.out(JSON.stringify({ ...result.summary, targetsMet: targets(result).filter((t) => t.met).map((t) => t.name) }));
  return result.workflow.succeeded && result.workflow.invariantsHeld && (values.workflowOnly || result.baseline?.succeeded === true) ? EXIT.SUCCEEDED : EXIT.FAILED;
}
