/**
 * Per Lambda: the size of the bundle CDK would deploy and its init time. Each step's handler is
 * bundled with esbuild using the options infra/lambda-step.ts gives NodejsFunction (STEP_BUNDLING:
 * ESM, node22, minified, every dependency bundled including the AWS SDK but for the credential
 * providers Lambda never loads, main fields module/main, the createRequire banner); the source map
 * is written beside the bundle by CDK and not counted. Init
 * time is the median, over fresh Node.js processes, of the time to import the bundle (what a cold
 * start spends in the function's own code).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { STEP_NAMES, type StepName } from '../lambdas/steps';
import { PROJECT_ROOT, stepEsbuildOptions } from '../infra/lambda-step';

export interface BundleFigure {
  step: StepName;
  bytes: number;
  kb: number;
  /** AWS SDK clients the bundle carries. */
  clients: string[];
  initMs: number;
  initSamples: number;
}

/** Bundles every step (or those given) and measures its init time over `imports` fresh processes each. */
export async function measureBundles(imports = 20, steps: readonly StepName[] = STEP_NAMES): Promise<BundleFigure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'env-migrator-bench-'));
  try {
    const bundles: (Omit<BundleFigure, 'initMs' | 'initSamples'> & { file: string })[] = [];
    for (const step of steps) {
      const result = await build({
        entryPoints: [join(PROJECT_ROOT, 'lambdas', step, 'handler.ts')],
        ...stepEsbuildOptions(),
        sourcemap: 'external',
        outfile: join(dir, step, 'index.mjs'),
        write: false,
        metafile: true,
        logLevel: 'silent',
      });
      const code = result.outputFiles.find((f) => f.path.endsWith('.mjs'));
      if (!code) throw new Error(`esbuild wrote no bundle for ${step}`);
      const file = join(dir, `${step}.mjs`);
      writeFileSync(file, code.contents);
      const clients = new Set<string>();
      for (const input of Object.keys(result.metafile.inputs)) {
        const m = /node_modules\/@aws-sdk\/client-([a-z0-9-]+)\//.exec(input);
        if (m?.[1]) clients.add(m[1]);
      }
      bundles.push({ step, bytes: code.contents.byteLength, kb: Math.round(code.contents.byteLength / 102.4) / 10, clients: [...clients].sort(), file });
    }
    const jobs = bundles.flatMap((b) => Array.from({ length: imports }, () => b));
    const samples = new Map<StepName, number[]>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < jobs.length) {
        const job = jobs[next++] as (typeof jobs)[number];
        const ms = await importTime(job.file);
        samples.set(job.step, [...(samples.get(job.step) ?? []), ms]);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, availableParallelism()) }, () => worker()));
    return bundles.map(({ file: _file, ...b }) => {
      const s = (samples.get(b.step) ?? []).sort((x, y) => x - y);
      return { ...b, initMs: Math.round((s[Math.floor(s.length / 2)] ?? 0) * 10) / 10, initSamples: s.length };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Milliseconds a fresh Node.js process takes to import `file` (the module's evaluation included). */
function importTime(file: string): Promise<number> {
  const script = `const t=performance.now();await import(${JSON.stringify(pathToFileURL(file).href)});process.stdout.write(String(performance.now()-t));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', POWERTOOLS_LOG_LEVEL: 'SILENT' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(out);
      if (code === 0 && Number.isFinite(ms)) resolve(ms);
      else reject(new Error(`importing ${file} failed (exit ${code}): ${err.slice(0, 500)}`));
    });
  });
}
