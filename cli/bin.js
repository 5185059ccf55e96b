#!/usr/bin/env node
// The env-migrator command (package.json "bin"). Installed from the package, it runs the built CLI
// (dist/cli.js: plain JavaScript, no TypeScript loader at run time). In a checkout of the repository,
// where cli/main.ts sits beside this file (the package does not ship it), it runs the source through
// tsx's ESM loader instead: the command works after `npm ci` without a build step, and a dist/ left
// from an earlier build is never what runs.
import { existsSync } from 'node:fs';

if (existsSync(new URL('./main.ts', import.meta.url))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./main.ts');
} else {
  await import('../dist/cli.js');
}
