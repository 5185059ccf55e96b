#!/usr/bin/env node
// The env-migrator command (package.json "bin"). The CLI is TypeScript run through tsx's ESM
// loader, registered here so the command works from a checkout after `npm ci` without a build step.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
