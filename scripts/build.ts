/**
 * `npm run build`: the package's dist/, what `npm pack` ships (package.json "files").
 *
 *   dist/index.js, dist/index.cjs   the construct and its types' runtime side (infra/index.ts), ESM and CommonJS
 *   dist/cli.js (+ dist/chunks/)    the env-migrator command (cli/main.ts), ESM, the commands loaded on use
 *   dist/types/**.d.ts, .d.cts      declarations of infra/index.ts and what it names
 *   dist/lambda/<step>/index.mjs    each step's Lambda bundle, prebuilt (the construct deploys these)
 *   every .js/.cjs/.mjs with its source map beside it
 *
 * Why esbuild and not tsc's emit: the sources import each other without extensions (moduleResolution
 * Bundler), which Node's ESM loader refuses, and rewriting every import would touch every file. esbuild
 * bundles each entry point into one file (our own modules inlined, every package left as an import),
 * emits both module systems from the one source, and is already what bundles the steps. tsc emits only
 * the declarations; their relative imports get explicit extensions here so that NodeNext resolves them.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';
import { STEP_NAMES } from '../lambdas/steps';
import { PROJECT_ROOT, STEP_BUNDLING, stepEsbuildOptions } from '../infra/lambda-step';

const ROOT = PROJECT_ROOT;
export const DIST = join(ROOT, 'dist');
/** Where the prebuilt step bundles go, relative to the package root (the construct reads it, see infra/lambda-step.ts). */
const BUNDLES = 'dist/lambda';

interface PackageJson {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
/** What an installed package may import at runtime: its dependencies, its peers, Node's own modules. */
const RUNTIME_PACKAGES = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`; undefined for a relative or absolute path. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}
const isBuiltin = (specifier: string) => specifier.startsWith('node:') || builtinModules.includes(specifier);

/** Fails the build when a dist file imports a package an install would not have. */
function checkExternals(metafile: Metafile, what: string): string[] {
  const imported = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const imp of output.imports) {
      if (!imp.external || isBuiltin(imp.path)) continue;
      const name = packageOf(imp.path);
      if (name) imported.add(name);
    }
  }
  const missing = [...imported].filter((name) => !RUNTIME_PACKAGES.has(name));
  if (missing.length) throw new Error(`${what} imports ${missing.join(', ')}, not a dependency or peer dependency in package.json`);
  return [...imported].sort();
}

/**
 * The commands that need this repository: the simulated account, aws-local-stepfunctions, fast-check,
 * Stryker and every step's SDK client run in-process. Their modules are not in the package.
 */
const REPO_ONLY_COMMANDS = ['rehearse', 'run-local', 'faults', 'bench', 'mutants'] as const;

/** A module whose every export, once used (called, constructed, read), says where the command runs and exits 2 (usage). */
function standInModule(names: string[], why: string): string {
  return [
    `const why = ${JSON.stringify(why)};`,
    'function repoOnly() {',
    "  const command = process.argv.slice(2).find((a) => !a.startsWith('-')) ?? 'this command';",
    "  process.stderr.write('env-migrator ' + command + ' runs from a checkout of the repository, not from the installed package (' + why + '): git clone the env-migrator repository, then npm ci && npm run ' + command + ' -- --help\\n');",
    '  process.exit(2);',
    '}',
    "const standIn = new Proxy(function () {}, { apply: repoOnly, construct: repoOnly, get: (t, k) => (k === 'prototype' ? t.prototype : repoOnly()) });",
    'export default standIn;',
    ...names.map((n) => `export const ${n} = standIn;`),
  ].join('\n');
}

/**
 * The packaged CLI: the repository-only commands (REPO_ONLY_COMMANDS) are replaced by stand-ins
 * that export the same names, so main.ts loads and registers them as it likes and running one prints
 * that it runs from a checkout of the repository (exit 2). Any other package that is not a runtime
 * dependency gets a stand-in too, as a safety net; runtime dependencies stay imports.
 */
function packagedCli(): Plugin {
  const commandFiles = new Map(REPO_ONLY_COMMANDS.map((c) => [join(ROOT, 'cli', `${c}.ts`), c]));
  return {
    name: 'packaged-cli',
    setup(b) {
      b.onResolve({ filter: /^\./ }, (args) => {
        const target = join(args.resolveDir, args.path);
        const file = [target, `${target}.ts`].find((f) => commandFiles.has(f));
        return file ? { path: file, namespace: 'repo-only-command' } : undefined;
      });
      b.onLoad({ filter: /.*/, namespace: 'repo-only-command' }, (args) => {
        const names = [...readFileSync(args.path, 'utf8').matchAll(/^export\s+(?:async\s+)?(?:function\*?|const|let|class)\s+([A-Za-z_$][\w$]*)/gm)].map((m) => m[1] as string);
        return { contents: standInModule(names, 'it needs the simulated AWS account and aws-local-stepfunctions'), loader: 'js' };
      });
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        const name = packageOf(args.path);
        if (!name) return undefined;
        if (isBuiltin(args.path) || RUNTIME_PACKAGES.has(name)) return { path: args.path, external: true, sideEffects: false };
        return { path: args.path, namespace: 'repo-only-package' };
      });
      b.onLoad({ filter: /.*/, namespace: 'repo-only-package' }, async (args) => {
        let names: string[] = [];
        try {
          names = Object.keys((await import(args.path)) as Record<string, unknown>).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default');
        } catch {
          // A package that cannot be loaded here: its default export only.
        }
        return { contents: standInModule(names, `it needs ${args.path}, a development dependency`), loader: 'js' };
      });
    },
  };
}

/**
 * Packages stay imports (the installed package's dependencies and peers), marked free of side effects
 * so that an import whose names the bundle no longer uses is dropped (the construct names one constant
 * of lambdas/shared/documents.ts, which imports @aws-sdk/client-s3 for the steps).
 */
const packagesExternal: Plugin = {
  name: 'packages-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (packageOf(args.path) ? { path: args.path, external: true, sideEffects: false } : undefined));
  },
};

const run = (cmd: string, args: string[]) =>
  new Promise<void>((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`))));
  });

/** Each step's handler, bundled as NodejsFunction would (infra/lambda-step.ts: STEP_BUNDLING, sourceMap: true, the SDK bundled). */
async function buildStepBundles(): Promise<void> {
  const result = await build({
    entryPoints: Object.fromEntries(STEP_NAMES.map((step) => [`${step}/index`, join(ROOT, 'lambdas', step, 'handler.ts')])),
    outdir: join(ROOT, BUNDLES),
    outExtension: { '.js': '.mjs' },
    ...stepEsbuildOptions(),
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
  });
  // Nothing but the credential providers Lambda never reaches may stay outside a bundle.
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    const outside = output.imports.filter((i) => i.external && !isBuiltin(i.path) && !(STEP_BUNDLING.external as readonly string[]).includes(i.path));
    if (outside.length) throw new Error(`${file} imports ${outside.map((i) => i.path).join(', ')} from outside the bundle`);
  }
}

/** The construct (infra/index.ts) in both module systems, and the CLI. Returns the packages they import. */
async function buildLibraryAndCli(): Promise<{ library: string[]; cli: string[] }> {
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node22',
    sourcemap: true,
    tsconfig: join(ROOT, 'tsconfig.json'),
    metafile: true,
    logLevel: 'warning',
    // The construct deploys the prebuilt bundles (infra/lambda-step.ts reads this).
    define: { ENV_MIGRATOR_PREBUILT_BUNDLES: JSON.stringify(BUNDLES) },
  } as const;
  const [esm, cjs, cli] = await Promise.all([
    build({ ...common, entryPoints: { index: join(ROOT, 'infra', 'index.ts') }, outdir: DIST, format: 'esm', plugins: [packagesExternal] }),
    build({
      ...common,
      entryPoints: { index: join(ROOT, 'infra', 'index.ts') },
      outdir: DIST,
      outExtension: { '.js': '.cjs' },
      format: 'cjs',
      plugins: [packagesExternal],
      // CommonJS has no import.meta: PROJECT_ROOT (infra/lambda-step.ts) is found from the file's own URL.
      define: { ...common.define, 'import.meta.url': '__envMigratorFileUrl' },
      banner: { js: "const __envMigratorFileUrl = require('node:url').pathToFileURL(__filename).href;" },
    }),
    build({
      ...common,
      entryPoints: { cli: join(ROOT, 'cli', 'main.ts') },
      outdir: DIST,
      format: 'esm',
      // Commands main.ts loads on use stay in chunks of their own.
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
      banner: { js: '#!/usr/bin/env node' },
      plugins: [packagedCli()],
    }),
  ]);
  return {
    library: [...new Set([...checkExternals(esm.metafile, 'dist/index.js'), ...checkExternals(cjs.metafile, 'dist/index.cjs')])].sort(),
    cli: checkExternals(cli.metafile, 'dist/cli.js'),
  };
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/**
 * tsc's declarations of infra/index.ts, their relative imports given the extension NodeNext needs:
 * `.js` in the .d.ts (the ESM view), and a .d.cts copy of each with `.cjs` (the CommonJS view, so that
 * a CommonJS app under NodeNext sees CommonJS types for the require() it compiles to).
 */
async function buildDeclarations(): Promise<void> {
  await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')]);
  const typesDir = join(DIST, 'types');
  const files = walk(typesDir).filter((f) => f.endsWith('.d.ts'));
  for (const file of files) {
    const source = readFileSync(file, 'utf8');
    // Code lines only: doc comments quote commands with import('./…ts').
    const withExtension = (ext: string) =>
      source
        .split('\n')
        .map((line) =>
          /^\s*(\*|\/\*|\/\/)/.test(line)
            ? line
            : line.replace(/(\bfrom\s+|\bimport\s*\(\s*)(['"])(\.{1,2}\/[^'"]*)\2/g, (_all, lead: string, quote: string, spec: string) => {
                const target = join(dirname(file), spec);
                if (existsSync(`${target}.d.ts`)) return `${lead}${quote}${spec}${ext}${quote}`;
                if (existsSync(join(target, 'index.d.ts'))) return `${lead}${quote}${spec}/index${ext}${quote}`;
                throw new Error(`${relative(ROOT, file)}: cannot resolve ${spec}`);
              }),
        )
        .join('\n');
    writeFileSync(file, withExtension('.js'));
    writeFileSync(file.replace(/\.d\.ts$/, '.d.cts'), withExtension('.cjs'));
  }
}

/** Builds dist/ from scratch. Returns the packages the construct and the CLI import at runtime. */
export async function buildPackage(): Promise<{ library: string[]; cli: string[] }> {
  rmSync(DIST, { recursive: true, force: true });
  mkdirSync(DIST, { recursive: true });
  const [imports] = await Promise.all([buildLibraryAndCli(), buildStepBundles(), buildDeclarations()]);
  return imports;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now();
  const imports = await buildPackage();
  console.log(`dist/ built in ${((Date.now() - started) / 1000).toFixed(1)} s; the construct imports ${imports.library.join(', ')}; the CLI imports ${imports.cli.join(', ')}`);
}
