/**
 * `env-migrator bench`: the reference migration and the baseline script on the same timing model,
 * printed side by side with issue 5's targets (bench/README.md explains every figure). `--json`
 * ends the output with the figures as one JSON object on the last line.
 */
import { parseArgs } from 'node:util';
import { REFERENCE_SIZE, TINY_SIZE } from '../bench/reference';
import { formatReport, targets } from '../bench/report';
import { runBenchmark } from '../bench/run';

const USAGE = `Usage: npm run bench -- [--json] [--size reference|tiny|<objects per bucket>] [--init-imports <n>]

  --json            print the summary as one JSON object on the last line
  --size            the reference migration (default), a tiny one, or the reference with n objects per bucket
  --init-imports    fresh imports per Lambda bundle for its init time (default 20; 0 skips the bundles)`;

export async function benchCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean', default: false },
      size: { type: 'string', default: 'reference' },
      'init-imports': { type: 'string', default: '20' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const size =
    values.size === 'reference' ? REFERENCE_SIZE : values.size === 'tiny' ? TINY_SIZE : { ...REFERENCE_SIZE, objectsPerBucket: Number.parseInt(values.size, 10) };
  const initImports = Number.parseInt(values['init-imports'], 10);
  if (!(size.objectsPerBucket > 10) || !(initImports >= 0)) {
    console.error(USAGE);
    return 2;
  }
  const result = await runBenchmark({ size, initImports, log: (line) => console.error(line) });
  console.log(formatReport(result));
  if (values.json) console.log(JSON.stringify({ ...result.summary, targetsMet: targets(result).filter((t) => t.met).map((t) => t.name) }));
  return result.workflow.succeeded && result.workflow.invariantsHeld && result.baseline.succeeded ? 0 : 1;
}
