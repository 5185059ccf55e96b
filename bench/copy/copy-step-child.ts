/**
 * The copy step as `npm run bench:copy` runs it, in a process of its own: the REAL copy-bucket
 * handler (lambdas/copy-bucket/handler.ts, its module-scope S3 client and COPY_CONCURRENCY), called
 * as the Clone machine's "Copy objects" / "Copy more objects" loop calls it (statemachine/clone.ts
 * copyPhase): a CopyBucketEvent with `mirror`, the execution and a cancellation (so each invocation
 * reads its cancel lock, one DynamoDB GetItem), called again with the continuation while it answers
 * CONTINUE, each invocation with a fresh 900 s budget (the Lambda's timeout).
 *
 * Set by bench/copy/processes.ts prepareCopyStep: S3_FORCE_PATH_STYLE, AWS_REGION, dummy credentials,
 * LOCK_TABLE, COPY_CONCURRENCY (or the handler's default), BENCH_COPY_SOURCE / BENCH_COPY_DESTINATION,
 * and optionally BENCH_COPY_WARM_SOURCE / BENCH_COPY_WARM_DESTINATION: a pair copied first,
 * unmeasured, so that what is measured is a warm Lambda (JIT-compiled copy loop, SDK client
 * resolved), after which the endpoint's stats are reset. AWS_ENDPOINT_URL comes as the first line on
 * stdin (`{"AWS_ENDPOINT_URL": ...}`), set before the handler is imported: the SDK's modules, most of
 * this process's start-up, load while the endpoint starts.
 *
 * Measured around the handler calls only: wall time and process.cpuUsage() (user + system, the whole
 * process: the SDK, the copy loop, GC), i.e. what a warm function spends per object. Prints one JSON
 * line `{"benchCopyStep": true, ...}` (bench/copy/processes.ts CopyStepRun).
 */
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type { CopyBucketEvent, CopyBucketResult } from '../../lambdas/shared/contracts';
import type { CopyStepRun } from './processes';

await Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/client-dynamodb'), import('@aws-lambda-powertools/logger')]);
const settings = await new Promise<Record<string, string>>((resolve) => {
  const lines = createInterface({ input: process.stdin });
  let told = false;
  lines.once('line', (line) => {
    told = true;
    lines.close();
    resolve(JSON.parse(line) as Record<string, string>);
  });
  // The parent went away before saying where the endpoint is.
  lines.once('close', () => told || process.exit(1));
});
Object.assign(process.env, settings);
const { handler } = await import('../../lambdas/copy-bucket/handler');

const LAMBDA_TIMEOUT_MS = 900_000;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** Copies one pair to the end, invocation after invocation; returns the last result and the count. */
async function copyPair(sourceBucket: string, destinationBucket: string): Promise<{ result: CopyBucketResult; invocations: number }> {
  const event: CopyBucketEvent = {
    pair: { logicalId: 'BenchBucket', sourceBucket, destinationBucket },
    objectVersions: 'all',
    mirror: true,
    execution: { id: 'arn:aws:states:us-east-1:123456789012:execution:env-migrator-clone:bench-copy', name: 'bench-copy' },
    cancellation: { stackName: 'bench-stack' },
  };
  for (let invocations = 1; ; invocations++) {
    const deadline = Date.now() + LAMBDA_TIMEOUT_MS;
    const out = await handler(event, { getRemainingTimeInMillis: () => deadline - Date.now(), awsRequestId: `bench-${invocations}` });
    if ('cancelRequested' in out) throw new Error(`the copy obeyed a cancel request: ${out.cancelRequested}`);
    if (out.status === 'DONE') return { result: out, invocations };
    event.continuation = out.continuation;
  }
}

const endpoint = required('AWS_ENDPOINT_URL');
const warmSource = process.env.BENCH_COPY_WARM_SOURCE;
const warmDestination = process.env.BENCH_COPY_WARM_DESTINATION;
if (warmSource && warmDestination) {
  await copyPair(warmSource, warmDestination);
  const reset = await fetch(`${endpoint}/__bench/reset-stats`, { method: 'POST', body: '{}' });
  if (!reset.ok) throw new Error(`reset-stats: ${reset.status}`);
}

const started = performance.now();
const cpu = process.cpuUsage();
const { result, invocations } = await copyPair(required('BENCH_COPY_SOURCE'), required('BENCH_COPY_DESTINATION'));
const used = process.cpuUsage(cpu);
const ms = performance.now() - started;

const line: CopyStepRun = {
  benchCopyStep: true,
  ms,
  cpuMs: (used.user + used.system) / 1000,
  invocations,
  objectsCopied: result.continuation.totals.objectsCopied,
  objectsSkipped: result.continuation.totals.objectsSkipped,
  requests: result.continuation.totals.requests,
  status: result.status,
};
process.stdout.write(`${JSON.stringify(line)}\n`);
