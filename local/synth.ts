/**
 * Synthesizes the CDK app in-process, without bundling the Lambda code (the local executor runs the
 * handlers from source), and returns the CloudFormation template: the same definitions `cdk deploy`
 * would upload.
 *
 * Loading aws-cdk-lib and synthesizing cost about four seconds of CPU in every process that runs a
 * workflow (each test file is one), for the same template as long as the sources are the same. So
 * the template is kept on disk under a key that is the hash of every file the synthesis reads or
 * could read (infra/, statemachine/, lambdas/, this file, package-lock.json) and of the CDK context
 * from the environment: any edit to any of them is another key, hence a real synthesis; only
 * byte-identical inputs reuse a template. ENV_MIGRATOR_SYNTH_CACHE=0 always synthesizes.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SynthesizedTemplate } from './definitions';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const INPUT_DIRS = ['infra', 'statemachine', 'lambdas'];
const INPUT_FILES = ['local/synth.ts', 'package-lock.json'];
const CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'env-migrator-synth');
/** Templates kept (the newest); older ones are removed when a new one is written. */
const KEEP = 8;

let cached: SynthesizedTemplate | undefined;

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** The hash of everything the synthesis depends on (paths and contents). */
function inputKey(): string {
  const hash = createHash('sha256');
  const files = [...INPUT_DIRS.flatMap((d) => filesUnder(join(ROOT, d))), ...INPUT_FILES.map((f) => join(ROOT, f))].sort();
  for (const file of files) {
    hash.update(`${relative(ROOT, file)}\0`);
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  hash.update(`context:${process.env.CDK_CONTEXT_JSON ?? ''}\0root:${ROOT}`);
  return hash.digest('hex');
}

function readCached(file: string): SynthesizedTemplate | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SynthesizedTemplate;
  } catch {
    return undefined;
  }
}

function writeCached(file: string, template: SynthesizedTemplate): void {
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    // Written aside, then renamed: a test file in another worker never reads half a template.
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(template));
    renameSync(temp, file);
    const entries = readdirSync(CACHE_DIR)
      .filter((f) => f.endsWith('.json'))
      .map((f) => ({ f, t: statSync(join(CACHE_DIR, f)).mtimeMs }))
      .sort((a, b) => b.t - a.t);
    for (const old of entries.slice(KEEP)) rmSync(join(CACHE_DIR, old.f), { force: true });
  } catch {
    // A cache that cannot be written only costs the next process a synthesis.
  }
}

async function synthesize(): Promise<SynthesizedTemplate> {
  const { App } = await import('aws-cdk-lib');
  const { EnvironmentMigratorStack } = await import('../infra/migrator-stack');
  // CDK's built-in template validation (a WASM engine, seconds per synth) is for `cdk synth`/deploy and
  // the infra tests; here we only read the definitions back.
  const app = new App({ builtinCloudFormationValidation: false });
  // IAM is not simulated: the prefix only has to be valid (the sample environment is orders-prod).
  // The sample's blue/green entry point (local/sample-environment.ts seedEntryPoint): its zone id is
  // made when it is seeded, and IAM is not simulated, so any valid id stands for it.
  const stack = new EnvironmentMigratorStack(app, 'EnvMigrator', {
    managedStackPrefixes: ['orders-'],
    entryPoints: [{ hostedZoneId: 'Z0SAMPLEENTRYPOINT', recordNames: ['orders.example.internal'] }],
  });
  const assembly = app.synth();
  return assembly.getStackArtifact(stack.artifactId).template as SynthesizedTemplate;
}

export async function synthesizeTemplate(): Promise<SynthesizedTemplate> {
  if (cached) return cached;
  process.env.ENV_MIGRATOR_SKIP_BUNDLING = '1';
  if (process.env.ENV_MIGRATOR_SYNTH_CACHE === '0') {
    cached = await synthesize();
    return cached;
  }
  const file = join(CACHE_DIR, `${inputKey()}.json`);
  cached = readCached(file);
  if (!cached) {
    cached = await synthesize();
    writeCached(file, cached);
  }
  return cached;
}
