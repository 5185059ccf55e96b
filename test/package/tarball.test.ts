/**
 * The package as a user gets it: `npm run build`'s dist/ packed by `npm pack`, installed from the
 * tarball into a new CDK app in a temporary folder with production dependencies only (no esbuild, no
 * tsx, no lock file of this repository), a CommonJS app (what `cdk init app --language typescript`
 * makes: no "type", tsconfig NodeNext, run by tsx) synthesized with EnvironmentMigrator and its real
 * prebuilt bundles, an ESM app constructing it, and the installed `env-migrator` command run.
 *
 * Lean by default (`npm test`): one build, one pack, one install in which the app's own aws-cdk-lib and
 * constructs are linked from this repository (the tarball and its dependencies come from the npm cache),
 * the two apps side by side. `npm run test:package` (ENV_MIGRATOR_PACKAGE_FULL=1) installs aws-cdk-lib
 * and constructs from the cache too and type-checks both apps with tsc against the package's .d.ts and
 * .d.cts first, as the template's `npx tsc && npx tsx bin/app.ts` does. The figures (tarball size and
 * files, each phase's time, the fresh app's synth time) are printed as one `package-figures` JSON line.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STEP_NAMES } from '../../lambdas/steps';
import { PROJECT_ROOT } from '../../infra/lambda-step';
import { buildPackage } from '../../scripts/build';

const FULL = process.env.ENV_MIGRATOR_PACKAGE_FULL === '1';

const ROOT = PROJECT_ROOT;
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
// The children run on this Node (22, from the npm scripts' PATH), npm included.
// CDK's own CloudFormation validation of the synthesized template (CDK_VALIDATION) is half of a synth's
// time and checks what test/infra's synths already check, the template; it runs in the full mode,
// whose synth time is the one a user sees.
const ENV = {
  ...process.env,
  PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
  ENV_MIGRATOR_SKIP_BUNDLING: '',
  npm_config_update_notifier: 'false',
  ...(FULL ? {} : { CDK_VALIDATION: 'false' }),
};
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}
function run(cmd: string, args: string[], cwd: string): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}
async function ok(cmd: string, args: string[], cwd: string): Promise<Run> {
  const r = await run(cmd, args, cwd);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

// What `cdk init app --language typescript` writes: a CommonJS package, tsconfig with NodeNext.
const APP_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    typeRoots: [join(ROOT, 'node_modules', '@types')],
    types: ['node'],
  },
  include: ['bin', 'esm'],
};

// The CommonJS app (tsc emits require()): synthesized in full, with its timing.
const CJS_APP = `import { App, Stack } from 'aws-cdk-lib';
import { EnvironmentMigrator, type EnvironmentMigratorProps, type MigrationInputRaw } from 'env-migrator';

const started = Date.now();
const app = new App({ outdir: 'cdk.out' });
const stack = new Stack(app, 'Consumer', { env: { account: '123456789012', region: 'eu-west-1' } });
const input: MigrationInputRaw = { stackName: 'orders-prod', targetVersion: '1.4.0' };
const props: EnvironmentMigratorProps = { managedStackPrefixes: ['orders-'], schedule: { expression: 'rate(7 days)', input, enabled: false } };
new EnvironmentMigrator(stack, 'Migrator', props);
const constructed = Date.now();
app.synth();
console.log(JSON.stringify({ module: typeof require, constructMs: constructed - started, synthMs: Date.now() - constructed }));
`;

// The ESM app: constructed only (its synth would repeat the one above), its assets left where they are
// (no copy into cdk.out, as SAM does) so that their paths say which files it found.
const ESM_APP = `import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { EnvironmentMigrator } from 'env-migrator';

const app = new App({ outdir: 'cdk.out.esm', context: { 'aws:cdk:disable-asset-staging': true } });
const stack = new Stack(app, 'Consumer');
new EnvironmentMigrator(stack, 'Migrator', { managedStackPrefixes: ['orders-'] });
const assets = stack.node.findAll().filter((c): c is Asset => c instanceof Asset);
console.log(JSON.stringify({ module: typeof require, assets: assets.map((a) => ({ path: a.assetPath, bundle: existsSync(join(a.assetPath, 'index.mjs')) })) }));
`;

type Resource = { Type: string; Properties?: Record<string, unknown> };
let work: string;
let app: string;
let template: Record<string, Resource>;
let cjs: Run;
let esm: Run;
const figures: Record<string, number | string> = {};

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'env-migrator-package-'));
  app = join(work, 'app');
  let t = Date.now();
  await buildPackage();
  figures.buildSeconds = (Date.now() - t) / 1000;

  const pack = await ok('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT);
  const packed = (JSON.parse(pack.stdout) as { filename: string; size: number; unpackedSize: number; entryCount: number; files: { path: string }[] }[])[0];
  if (!packed) throw new Error('npm pack reported no tarball');
  figures.mode = FULL ? 'full' : 'lean';
  Object.assign(figures, { tarball: packed.filename, tarballBytes: packed.size, unpackedBytes: packed.unpackedSize, files: packed.entryCount, packSeconds: pack.ms / 1000 });
  figures.packedPaths = packed.files.map((f) => f.path).join(' ');

  mkdirSync(join(app, 'bin'), { recursive: true });
  mkdirSync(join(app, 'esm'), { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '0.0.0', private: true }));
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(APP_TSCONFIG));
  writeFileSync(join(app, 'bin', 'app.ts'), CJS_APP);
  writeFileSync(join(app, 'esm', 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(join(app, 'esm', 'app.ts'), ESM_APP);
  t = Date.now();
  // The app's own aws-cdk-lib and constructs (the peers): linked from this repository by default (the
  // same files; installing them from the cache is 10 s more), the versions this repository tests with.
  const peers = FULL
    ? [`aws-cdk-lib@${pkg.devDependencies['aws-cdk-lib']}`, `constructs@${pkg.devDependencies.constructs}`]
    : [`file:${join(ROOT, 'node_modules', 'aws-cdk-lib')}`, `file:${join(ROOT, 'node_modules', 'constructs')}`];
  await ok('npm', ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', join(work, packed.filename), ...peers], app);
  figures.installSeconds = (Date.now() - t) / 1000;

  [cjs, esm] = await Promise.all([run(process.execPath, [TSX, 'bin/app.ts'], app), run(process.execPath, [TSX, 'esm/app.ts'], app)]);
  figures.appSeconds = cjs.ms / 1000;
  if (cjs.code === 0) {
    const timing = JSON.parse(cjs.stdout.trim().split('\n').at(-1) ?? '{}') as { synthMs?: number; constructMs?: number };
    figures.synthSeconds = ((timing.constructMs ?? 0) + (timing.synthMs ?? 0)) / 1000;
    template = (JSON.parse(readFileSync(join(app, 'cdk.out', 'Consumer.template.json'), 'utf8')) as { Resources: Record<string, Resource> }).Resources;
  }
}, 600_000);

afterAll(() => {
  const { packedPaths: _paths, ...shown } = figures;
  console.log(`package-figures ${JSON.stringify(shown)}`);
  // Deleting the app's node_modules and cdk.out takes seconds to tens of seconds on a busy disk:
  // left to a detached rm that outlives the test.
  if (work) spawn('rm', ['-rf', work], { detached: true, stdio: 'ignore' }).unref();
});

const ofType = (type: string) => Object.entries(template).filter(([, r]) => r.Type === type);

describe('the packed package', () => {
  it('ships the built code, its declarations and every step bundle, and no tests, sources or simulator', () => {
    const paths = String(figures.packedPaths).split(' ');
    for (const f of ['package.json', 'README.md', 'docs/design.md', 'dist/index.js', 'dist/index.cjs', 'dist/cli.js', 'dist/types/infra/index.d.ts', 'dist/types/infra/index.d.cts']) expect(paths).toContain(f);
    for (const step of STEP_NAMES) expect(paths, step).toEqual(expect.arrayContaining([`dist/lambda/${step}/index.mjs`, `dist/lambda/${step}/index.mjs.map`]));
    // cli/bin.js is the command's launcher: dist/cli.js from the package, the sources in a checkout.
    expect(paths.filter((p) => p !== 'cli/bin.js' && (/^(test|local|lambdas|infra|cli|bench|statemachine|scripts)\//.test(p) || /\.test\.|\.ts$/.test(p.replace(/\.d\.c?ts$/, ''))))).toEqual([]);
  });

  it('synthesizes in a new CommonJS CDK app with production dependencies only: the four state machines, every step function with its prebuilt bundle as a code asset, each with its own role', () => {
    expect(cjs.code, cjs.stderr).toBe(0);
    expect(JSON.parse(cjs.stdout.trim().split('\n').at(-1) ?? '{}')).toMatchObject({ module: 'function' });
    const machines = ofType('AWS::StepFunctions::StateMachine');
    expect(machines.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['MigratorClone', 'MigratorMigrate', 'MigratorRetire', 'MigratorRollback']);
    for (const [id, machine] of machines) {
      const role = template[((machine.Properties?.RoleArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'])[0] as string];
      expect(JSON.stringify(role?.Properties?.AssumeRolePolicyDocument), id).toContain('states.amazonaws.com');
    }

    const functions = ofType('AWS::Lambda::Function').filter(([, f]) => (f.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables?.ENV_MIGRATOR_STEP);
    const byStep = new Map(functions.map(([id, f]) => [String((f.Properties?.Environment as { Variables: Record<string, unknown> }).Variables.ENV_MIGRATOR_STEP), { id, f }]));
    expect([...byStep.keys()].sort()).toEqual([...STEP_NAMES].sort());
    const installed = join(app, 'node_modules', 'env-migrator', 'dist', 'lambda');
    for (const [step, { id, f }] of byStep) {
      expect(f.Properties, step).toMatchObject({ Handler: 'index.handler', Runtime: 'nodejs22.x', Code: { S3Bucket: expect.anything(), S3Key: expect.stringMatching(/^[0-9a-f]{64}\.zip$/) } });
      // The asset CDK staged in cdk.out is this step's prebuilt bundle, byte for byte, with its source map.
      const assetDir = join(app, 'cdk.out', `asset.${String((f.Properties?.Code as { S3Key: string }).S3Key).replace(/\.zip$/, '')}`);
      expect(readFileSync(join(assetDir, 'index.mjs')).equals(readFileSync(join(installed, step, 'index.mjs'))), step).toBe(true);
      expect(statSync(join(assetDir, 'index.mjs.map')).size, step).toBeGreaterThan(0);
      const roleId = (f.Properties?.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0] as string;
      expect(JSON.stringify(template[roleId]?.Properties?.AssumeRolePolicyDocument), id).toContain('lambda.amazonaws.com');
      const policies = ofType('AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p.Properties?.Roles).includes(`"${roleId}"`));
      expect(policies.length, `${step} has a policy on its own role`).toBeGreaterThan(0);
    }
    expect(new Set(functions.map(([, f]) => JSON.stringify(f.Properties?.Role))).size).toBe(STEP_NAMES.length);
  });

  it.runIf(FULL)('type-checks a CommonJS app (against the .d.cts) and an ESM app (against the .d.ts) under NodeNext', async () => {
    const tsc = await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--traceResolution'], app);
    figures.tscSeconds = tsc.ms / 1000;
    const resolved = tsc.stdout.split('\n').filter((l) => l.includes("Module name 'env-migrator' was successfully resolved"));
    expect(tsc.code, tsc.stdout.split('\n').filter((l) => l.includes('error TS')).join('\n')).toBe(0);
    expect(resolved.join('\n')).toMatch(/dist\/types\/infra\/index\.d\.cts/);
    expect(resolved.join('\n')).toMatch(/dist\/types\/infra\/index\.d\.ts'/);
  });

  it('loads from an ESM app, whose functions take their code from the package\'s prebuilt bundles', () => {
    expect(esm.code, esm.stderr).toBe(0);
    const out = JSON.parse(esm.stdout.trim().split('\n').at(-1) ?? '{}') as { module: string; assets: { path: string; bundle: boolean }[] };
    expect(out.module).toBe('undefined');
    const bundles = join(realpathSync(app), 'node_modules', 'env-migrator', 'dist', 'lambda');
    expect(out.assets.map((a) => a.path).sort()).toEqual(STEP_NAMES.map((step) => join(bundles, step)).sort());
    expect(out.assets.every((a) => a.bundle)).toBe(true);
  });

  it('installs the env-migrator command, which answers --help with exit 0 and says that rehearse runs from a checkout', async () => {
    const help = await run('npm', ['exec', '--offline', '--', 'env-migrator', '--help'], app);
    expect(help.code, help.stderr).toBe(0);
    expect(`${help.stdout}${help.stderr}`).toMatch(/Usage: env-migrator/);
    const rehearse = await run('npm', ['exec', '--offline', '--', 'env-migrator', 'rehearse'], app);
    expect(rehearse.code).toBe(2);
    expect(rehearse.stderr).toMatch(/env-migrator rehearse runs from a checkout of the repository/);
    expect(existsSync(join(app, 'node_modules', 'tsx')), 'tsx is not installed with the package').toBe(false);
  });
});
